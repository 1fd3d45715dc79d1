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
  const char *epilog;  /* examples, exit status */
};

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
