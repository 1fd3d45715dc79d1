/* cli/main.c - entry point: hands the command line to the subcommand dispatcher. */
#include <signal.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
  /* A peer that resets while we write must be an error code, never a SIGPIPE death. */
  signal(SIGPIPE, SIG_IGN);
  return cli_main(argc, argv);
}
