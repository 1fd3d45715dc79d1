/* cli/cmd_diff.c - `ucscan diff OLD.json NEW.json`: drift between two scans. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "reports/diff.h"
#include "reports/report.h"

enum { D_FORMAT = 1000, D_FORCE, D_HELP };

static const struct cli_opt diff_opts[] = {
    {"format", "FMT", D_FORMAT, "table (default) or json"},
    {"force", NULL, D_FORCE, "compare reports of different topologies"},
    {"help", NULL, D_HELP, "this help"},
    {NULL, NULL, 0, NULL},
};

const struct cli_cmd cli_cmd_diff = {
    "diff",
    "ucscan diff OLD.json NEW.json [--format table|json] [--force]",
    "Compares two scan reports of the same topology: checks that started failing\n"
    "(regressions), degraded (pass to warn), recovered, improved, new and vanished checks,\n"
    "state changes, and evidence that matters: certificate replaced, issuer changed, expiry\n"
    "moved, client-certificate request appeared or vanished, TLS version, STUN mapped\n"
    "address, SQL Browser instances, a range's filtered ports.",
    diff_opts,
    "exit status:\n"
    "  0  nothing regressed\n"
    "  1  a check fails in NEW that did not fail in OLD, or NEW is a partial report\n"
    "     (\"complete\": false: what it did not reach is unknown)\n"
    "  2  bad usage or input: unreadable or invalid JSON, a report of another schema,\n"
    "     reports of different topologies or products without --force\n"
    "\nexamples:\n"
    "  ucscan diff monday.json tuesday.json\n"
    "  ucscan diff --format json old.json new.json | jq '.changes[] | select(.regression)'\n",
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
  const char *format = "table";
  bool force = false;
  if (opts_check_argv(&cli_cmd_diff, argc, argv) != 0)
    return 2;
  struct option *lo = opts_getopt(diff_opts);
  int c, rc = 0;
  optind = 1;
  opterr = 0;
  /* Options may come before, between or after the two files (GNU permutation). */
  while (rc == 0 && (c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
    switch (c) {
    case D_FORMAT:
      format = optarg;
      break;
    case D_FORCE:
      force = true;
      break;
    case D_HELP:
      opts_help(stdout, &cli_cmd_diff);
      free(lo);
      return 0;
    case ':':
      rc = opts_usage_error("diff", "option %s needs a value", argv[optind - 1]);
      break;
    default:
      rc = opts_usage_error("diff", "unknown option %s", argv[optind - 1]);
      break;
    }
  }
  free(lo);
  if (rc)
    return rc;
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return opts_usage_error("diff", "unknown format \"%s\" (table or json)", format);
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
      diff_table(stdout, d, isatty(STDOUT_FILENO));
    }
    fflush(stdout);
    status = diff_exit_status(d);
    json_decref(d);
  }
  jdoc_free(&old_doc);
  jdoc_free(&new_doc);
  return status;
}
