/* cli/opts.h - option tables: one per subcommand, used both to parse (getopt_long) and to
 * print --help, so the two cannot disagree. The man page is checked against them too. */
#ifndef UC_OPTS_H
#define UC_OPTS_H

#include <getopt.h>
#include <stdio.h>

struct cli_opt {
  const char *name; /* long name, without "--" */
  const char *arg;  /* argument placeholder ("FILE"), or NULL for a flag */
  int val;          /* value getopt_long returns */
  const char *help; /* one or more lines, '\n'-separated */
};

struct cli_cmd {
  const char *name;
  const char *usage;   /* lines after "usage: " */
  const char *summary; /* one paragraph */
  const struct cli_opt *opts;
  const char *epilog; /* examples, exit status */
};

/* Checks a command line before getopt_long() sees it: long options spelled in full (getopt
 * would take --tim for --timeout, and a later option named --time would silently change
 * what a script means), no list option (--target A,B) given twice (the last one would win
 * without a word; other options may be repeated, the last wins), and -h, in an option's
 * place, read as --help. Prints the usage error
 * and returns 2, or returns 0. */
int opts_check_argv(const struct cli_cmd *cmd, int argc, char **argv);
/* Builds a getopt_long table (caller frees). */
struct option *opts_getopt(const struct cli_opt *opts);
void opts_help(FILE *out, const struct cli_cmd *cmd);
/* "ucscan CMD: <message>" and a pointer to --help on stderr; returns 2 (bad usage). */
int opts_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses an unsigned number in [min, max]; prints an error and returns -1 otherwise. */
int opts_uint(const char *opt, const char *s, unsigned min, unsigned max, unsigned *out);

extern const struct cli_cmd cli_cmd_scan;
extern const struct cli_cmd cli_cmd_catalog;
extern const struct cli_cmd cli_cmd_listen;
extern const struct cli_cmd cli_cmd_demo;

#endif
