/* cli/cli.c - subcommand dispatch, ucscan's own options and top-level help. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/opts.h"
#include "common/suggest.h"
#include "common/uc.h"

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const struct cli_cmd *help;
  const char *what;
} commands[] = {
    {"demo", cmd_demo, &cli_cmd_demo, "a full run on a sample deployment on loopback (start here)"},
    {"scan", cmd_scan, &cli_cmd_scan, "check hosts' ports against the port tables for their roles"},
    {"catalog", cmd_catalog, &cli_cmd_catalog,
     "show the port tables (what the documentation requires)"},
    {"listen", cmd_listen, &cli_cmd_listen,
     "before installation: answer on every inbound port of roles"},
    {"diff", cmd_diff, &cli_cmd_diff,
     "what changed between two reports (exit 1 when a check regressed)"},
    {"merge", cmd_merge, &cli_cmd_merge,
     "one report from the scans of several vantages (servers, Internet...)"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* ucscan's own options, given instead of a command (none is stored: cli_main acts on them). */
static const struct cli_opt ucscan_opts[] = {
    {"help", NULL, CLI_HELP, 0, .help = "this help (`ucscan COMMAND --help`: a command's\noptions)",
     .man = "The commands and these options. `ucscan help` <COMMAND> and `ucscan` <COMMAND> "
            "`--help` (or `-h`) print a command's options."},
    {"version", NULL, CLI_FLAG, 0, .help = "print the version", .man = "Print the version."},
    {NULL, NULL, 0, 0, .help = NULL},
};

const struct cli_cmd cli_cmd_ucscan = {
    "ucscan",
    "ucscan COMMAND [options]",
    "Port reachability checks for Microsoft Lync Server 2013 and Skype for Business\n"
    "Server 2015, from Microsoft's documented port tables.",
    ucscan_opts,
    NULL,
    false,
    NULL,
};

static void top_help(FILE *out)
{
  fprintf(out, "usage: %s\n\n%s\n\ncommands:\n", cli_cmd_ucscan.usage, cli_cmd_ucscan.summary);
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].what);
  fprintf(out, "\noptions:\n");
  opts_help_options(out, ucscan_opts);
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

static int command_index(const char *name)
{
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(name, commands[i].name) == 0)
      return (int)i;
  return -1;
}

/* "unknown command "scna" (did you mean scan?)" and the commands. */
static int unknown_command(const char *what, const char *name)
{
  const char *names[NCOMMANDS];
  for (size_t i = 0; i < NCOMMANDS; i++)
    names[i] = commands[i].name;
  const char *near = suggest_pick(name, names, NCOMMANDS);
  fprintf(stderr, "ucscan: %s \"%s\"%s%s%s\n\n", what, name, near ? " (did you mean " : "",
          near ? near : "", near ? "?)" : "");
  top_help(stderr);
  return 2;
}

/* `ucscan --man-options [COMMAND]` (not in --help): the man page's option entries, made from
 * the tables (docs/update-man.sh puts them in docs/ucscan.1); `--man-options profiles`: the
 * PROFILES entries, from model/conf.c. */
static int man_options(int argc, char **argv)
{
  if (argc < 3) {
    opts_man(stdout, &cli_cmd_ucscan);
    return stdout_status(0);
  }
  if (strcmp(argv[2], "profiles") == 0) { /* the PROFILES entries: scan's defaults */
    scan_profiles_man(stdout);
    return stdout_status(0);
  }
  int i = command_index(argv[2]);
  if (i < 0)
    return unknown_command("no command", argv[2]);
  opts_man(stdout, commands[i].help);
  return stdout_status(0);
}

static int help(int argc, char **argv)
{
  if (argc <= 2) {
    top_help(stdout);
    return stdout_status(0);
  }
  int i = command_index(argv[2]);
  if (i < 0) {
    fprintf(stderr, "ucscan: no help for \"%s\": not a command\n\n", argv[2]);
    top_help(stderr);
    return 2;
  }
  opts_help(stdout, commands[i].help);
  return stdout_status(0);
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
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
    return help(argc, argv);
  if (strcmp(cmd, "--man-options") == 0)
    return man_options(argc, argv);
  int i = command_index(cmd);
  if (i >= 0)
    return stdout_status(commands[i].run(argc - 1, argv + 1));
  return unknown_command(cmd[0] == '-' ? "unknown option" : "unknown command", cmd);
}
