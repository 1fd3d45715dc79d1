/* cli/cli.c - subcommand dispatch and top-level help. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/opts.h"
#include "common/uc.h"

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const struct cli_cmd *help;
  const char *what;
} commands[] = {
    {"demo", cmd_demo, &cli_cmd_demo,
     "a full run against a sample deployment on loopback (start here)"},
    {"scan", cmd_scan, &cli_cmd_scan, "check hosts' ports against the port tables for their roles"},
    {"catalog", cmd_catalog, &cli_cmd_catalog,
     "show the port tables (what the documentation requires)"},
    {"listen", cmd_listen, &cli_cmd_listen,
     "before installation: answer on every inbound port of roles"},
    {"diff", cmd_diff, &cli_cmd_diff,
     "what changed between two reports (exit 1 when a check regressed)"},
    {"merge", cmd_merge, &cli_cmd_merge,
     "one report from the scans of several vantages (servers, Internet, ...)"},
};

static void top_help(FILE *out)
{
  fprintf(out, "usage: ucscan COMMAND [options]\n\n"
               "Port reachability checks for Microsoft Lync Server 2013 and Skype for Business\n"
               "Server 2015, from Microsoft's documented port tables.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].what);
  fprintf(out,
          "\noptions:\n"
          "  --help                   this help (`ucscan COMMAND --help`: a command's options)\n"
          "  --version                print the version\n");
}

/* What went to stdout must have arrived: `ucscan catalog > /dev/full` said nothing and
 * exited 0; now it says so and exits 2. A reader that stopped reading (`| head`) is its own
 * choice: no message then, and the status stays. (`scan` and `demo` check their own
 * writes: exit 3.) */
static int stdout_status(int status)
{
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout))
    return status;
  if (errno == EPIPE || status >= 2) /* a failed command has said why already */
    return status;
  fprintf(stderr, "ucscan: cannot write to standard output: %s\n",
          errno ? strerror(errno) : "write error");
  return 2;
}

int cli_main(int argc, char **argv)
{
  if (argc < 2) {
    top_help(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("ucscan %s\n", UC_VERSION);
    return stdout_status(0);
  }
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    if (argc > 2) {
      for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[2], commands[i].name) == 0) {
          opts_help(stdout, commands[i].help);
          return stdout_status(0);
        }
      fprintf(stderr, "ucscan: no help for \"%s\": not a command\n\n", argv[2]);
      top_help(stderr);
      return 2;
    }
    top_help(stdout);
    return stdout_status(0);
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(cmd, commands[i].name) == 0)
      return stdout_status(commands[i].run(argc - 1, argv + 1));
  fprintf(stderr, "ucscan: unknown command \"%s\"\n\n", cmd);
  top_help(stderr);
  return 2;
}
