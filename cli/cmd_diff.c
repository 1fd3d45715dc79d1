/* cli/cmd_diff.c - `ucscan diff OLD.json NEW.json`: drift between two scans. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "common/textcol.h"
#include "reports/diff.h"
#include "reports/report.h"

struct diff_args {
  const char *format, *color;
  bool force;
};

#define A(field) offsetof(struct diff_args, field)

static const struct cli_opt diff_opts[] = {
    {"format", "FMT", CLI_CHOICE, A(format), .choices = "table|json", .def = "table",
     .help = "table or json",
     .man = "`table` (grouped by host, regressions first) or `json` (the document described "
            "under DIFF OUTPUT)."},
    {"force", NULL, CLI_FLAG, A(force), .help = "compare reports of different topologies",
     .man = "Compare reports of different topologies (their `topology` names differ); "
            "without it that is an input error."},
    {"color", "WHEN", CLI_CHOICE, A(color), .choices = "auto|always|never", .def = "auto",
     .help = "colour in the table: auto, always or never",
     .man = "Colour in the table: `always`, `never`, or `auto`: when stdout is a terminal, "
            "`NO_COLOR` is unset or empty and `TERM` is not `dumb`."},
    {"help", NULL, CLI_HELP, 0, .help = "this help", .man = "The options of `ucscan diff`."},
    {NULL, NULL, 0, 0, .help = NULL},
};

const struct cli_cmd cli_cmd_diff = {
    "diff",
    "ucscan diff OLD.json NEW.json [--format table|json] [--force]",
    "Compares two scan reports of the same topology: checks that started failing\n"
    "(regressions), degraded (pass to warn), recovered, improved, new and vanished\n"
    "checks, state changes, and evidence that matters: certificate replaced, issuer\n"
    "changed, expiry moved, client-certificate request appeared or vanished, TLS\n"
    "version, STUN mapped address, SQL Browser instances, a range's filtered ports.",
    diff_opts,
    "exit status:\n"
    "  0  nothing regressed\n"
    "  1  a check fails in NEW that did not fail in OLD, or NEW is a partial report\n"
    "     (\"complete\": false: what it did not reach is unknown)\n"
    "  2  bad usage or input: unreadable or invalid JSON, a report of another schema,\n"
    "     reports of different topologies or products without --force\n"
    "\nexamples:\n"
    "  ucscan diff monday.json tuesday.json\n"
    "  ucscan diff --format json old.json new.json |\n"
    "      jq '.changes[] | select(.regression)'\n",
    true,
    NULL,
};

static int input_error(const struct uc_err *err)
{
  char msg[800];
  uc_err_format(err, msg, sizeof(msg));
  fprintf(stderr, "ucscan diff: %s\n", msg);
  return 2;
}

int cmd_diff(int argc, char **argv)
{
  struct diff_args a = {0};
  /* Options may come before, between or after the two files (GNU permutation). */
  int rc = opts_parse(&cli_cmd_diff, argc, argv, &a);
  if (rc)
    return rc == 1 ? 0 : 2;
  const char *format = a.format ? a.format : "table";
  enum textcol_color color = TEXTCOL_COLOR_AUTO;
  textcol_color_parse(a.color, &color);
  bool force = a.force;
  if (argc - optind != 2)
    return opts_usage_error("diff", "%s",
                            argc - optind < 2 ? "give two reports: OLD.json NEW.json"
                                              : "give exactly two reports: OLD.json NEW.json");
  struct jdoc old_doc, new_doc;
  struct uc_err err;
  uc_err_clear(&err);
  if (diff_load(&old_doc, argv[optind], &err) < 0)
    return input_error(&err);
  if (diff_load(&new_doc, argv[optind + 1], &err) < 0) {
    jdoc_free(&old_doc);
    return input_error(&err);
  }
  json_t *d = diff_compute(&old_doc, &new_doc, force, &err);
  int status = 2;
  if (!d) {
    input_error(&err);
  } else {
    if (strcmp(format, "json") == 0) {
      char *text = json_dumps(d, REPORT_DUMP_FLAGS);
      if (text)
        printf("%s\n", text);
      free(text);
    } else {
      diff_table(stdout, d, textcol_color_wanted(color, STDOUT_FILENO));
    }
    fflush(stdout);
    status = diff_exit_status(d);
    json_decref(d);
  }
  jdoc_free(&old_doc);
  jdoc_free(&new_doc);
  return status;
}
