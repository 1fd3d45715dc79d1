/* cli/opts.h - options as data: one table per command drives parsing, `--help` and the man
 * page's option lists, so the three cannot disagree (curl's docs/cmdline-opts is the model:
 * one description per option).
 *
 * A row names the option, its value's placeholder, its type and where the value goes (an
 * offset into the command's argument struct), its range or its choices, its default and
 * two texts: `help`, the lines `--help` prints, and `man`, the paragraph the man page
 * prints (see opts_man for its light markup). Defaults are never written twice: an option
 * tied to a field of struct scan_conf (`conf`) shows that field's value in the two profiles
 * (model/conf.c), and the value given goes to that field (opts_apply_conf).
 *
 * opts_parse() keeps the rules every command had: long options spelled in full (getopt
 * would take --tim for --timeout, and a later option named --time would silently change
 * what a script means), a list option (--target A,B) not given twice (the last would win
 * without a word; any other option given twice takes its last value), -h in an option's
 * place is --help. A misspelled option, or a value not among an option's choices, gets the
 * nearest as "did you mean". */
#ifndef UC_OPTS_H
#define UC_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model/conf.h"

enum cli_type {
  CLI_FLAG,   /* no value: the bool at `off` becomes true */
  CLI_STR,    /* the const char * at `off` */
  CLI_LIST,   /* the const char * at `off`: a comma list, refused when given twice */
  CLI_UINT,   /* the struct cli_uint at `off`: a number from `min` to `max` */
  CLI_CHOICE, /* the const char * at `off`: one of `choices` ("a|b|c") */
  CLI_SET,    /* no value: the const char * at `off` becomes `choices` (--fast: "fast") */
  CLI_HELP,   /* --help: the command's help on stdout */
};

/* A number option's value, and whether it was given. */
struct cli_uint {
  unsigned v;
  bool set;
};

/* A number as text, for help strings: UC_STR(TARGETS_MAX) is "4096". */
#define UC_STR_(x) #x
#define UC_STR(x) UC_STR_(x)

/* The option's default is this struct scan_conf field (and the value given goes there). */
#define CLI_CONF(field) (offsetof(struct scan_conf, field) + 1)

struct cli_opt {
  const char *name; /* long name, without "--" */
  const char *arg;  /* value placeholder ("FILE"); NULL when it takes none */
  enum cli_type type;
  size_t off;              /* offsetof(the command's argument struct, field) */
  unsigned min, max;       /* CLI_UINT */
  const char *choices;     /* CLI_CHOICE: "a|b|c"; CLI_SET: the value it sets */
  const char *what;        /* CLI_CHOICE: what a value is, for errors ("unknown vantage
                              \"x\" for --from"); NULL: the option's name is ("format") */
  size_t conf;             /* CLI_CONF(field), or 0 */
  const char *def;         /* the default as said, when not from `conf` (NULL: none to say) */
  const unsigned *def_num; /* or a number the code defines (LISTEN_DEFAULT_RATE) */
  const char *help;        /* --help: one or more lines, '\n'-separated */
  const char *man;         /* the man page's paragraph; NULL: `help`, its lines joined */
};

struct cli_cmd {
  const char *name;
  const char *usage;   /* lines after "usage: " */
  const char *summary; /* one paragraph */
  const struct cli_opt *opts;
  const char *epilog; /* examples, exit status */
  bool operands;      /* takes arguments that are not options (diff's two reports) */
  /* Help made from the code's own values (scan's profiles, from model/conf.c), printed after
   * the options and before the epilog; NULL: none. */
  void (*more_help)(FILE *out);
};

/* Parses argv (argv[0] is the command's name) into `args` by the command's table. Returns 0
 * (operands, if the command takes any, are argv[optind..argc)), 1 when --help was printed (the
 * command exits 0), or 2 after printing a usage error. */
int opts_parse(const struct cli_cmd *cmd, int argc, char **argv, void *args);
/* The values given for options tied to struct scan_conf fields, written over `conf`. */
void opts_apply_conf(const struct cli_cmd *cmd, const void *args, struct scan_conf *conf);

/* The command's help: usage, summary, every option with its default, the epilog. */
void opts_help(FILE *out, const struct cli_cmd *cmd);
/* Only the option lines of that help. */
void opts_help_options(FILE *out, const struct cli_opt *opts);
/* The man page's entries for the command's options (".TP", ".B"/".BI" and the paragraph),
 * as roff: docs/ucscan.1 holds this text between markers, and a test checks it is current.
 * Markup in `man` texts: "--name" is bold; `text` is bold (a literal: a value, a file name,
 * a command); <WORD> is italic (a placeholder); a blank line starts a paragraph. */
void opts_man(FILE *out, const struct cli_cmd *cmd);
/* Text in that markup as roff, lines wrapped before 80 bytes. */
void opts_roff(FILE *out, const char *text);

/* "ucscan CMD: <message>" and a pointer to --help on stderr; returns 2 (bad usage). */
int opts_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The command tables (cli/cmd_*.c) and ucscan's own (cli/cli.c). */
extern const struct cli_cmd cli_cmd_scan;
extern const struct cli_cmd cli_cmd_catalog;
extern const struct cli_cmd cli_cmd_listen;
extern const struct cli_cmd cli_cmd_demo;
extern const struct cli_cmd cli_cmd_diff;
extern const struct cli_cmd cli_cmd_merge;
extern const struct cli_cmd cli_cmd_ucscan;

#endif
