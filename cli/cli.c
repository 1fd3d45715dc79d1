/* cli/cli.c - subcommand dispatch (placeholder until the subcommands land). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "common/uc.h"

int cli_main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    printf("ucscan %s\n", UC_VERSION);
    return 0;
  }
  fprintf(stderr, "usage: ucscan scan|catalog|listen|demo ...\n");
  return 2;
}
