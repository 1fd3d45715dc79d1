/* cli/main.c - entry point: hands the command line to the subcommand dispatcher. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
  return cli_main(argc, argv);
}
