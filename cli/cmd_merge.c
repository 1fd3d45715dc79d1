/* cli/cmd_merge.c - `ucscan merge REPORT...`: one report from the scans of several vantages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/outputs.h"
#include "cli/push.h"
#include "reports/atomic.h"
#include "reports/diff.h"
#include "reports/merge.h"

struct merge_args {
  const char *out, *format, *prom, *push, *color, *fail_on;
  bool force;
};

#define A(field) offsetof(struct merge_args, field)

static const struct cli_opt merge_opts[] = {
    {"out", "FILE", CLI_STR, A(out), .help = "write the merged JSON report to FILE, atomically",
     .man = "Write the merged JSON report to <FILE>, atomically, as `ucscan scan --out` does."},
    {"format", "FMT", CLI_CHOICE, A(format), .choices = "json|table|junit|prometheus|csv|html",
     .help = "what stdout gets: json, table, junit,\nprometheus, csv or html (default: the "
             "table on a\nterminal, else json unless --out took it)",
     .man = "What stdout gets, as for `ucscan scan`: `json`, `table`, `junit`, `prometheus`, "
            "`csv` or `html`, made from the merged report (the table and the HTML page show "
            "whose result each check is). Without --format: the table when stdout is a "
            "terminal; otherwise the JSON report, or nothing when --out writes it."},
    {"prom", "FILE", CLI_STR, A(prom), .help = "write Prometheus metrics to FILE, atomically",
     .man = "Write the Prometheus metrics of the merged report to <FILE>, atomically."},
    {"push", "URL", CLI_STR, A(push),
     .help = "PUT the Prometheus metrics to a Pushgateway,\nafter the report is written; a "
             "failed push: exit 3",
     .man = "PUT the Prometheus metrics to a Pushgateway, after the report is written, as "
            "`ucscan scan --push` does; a failed push exits 3."},
    {"fail-on", "LEVEL", CLI_CHOICE, A(fail_on), .choices = "fail|warn", .what = "level",
     .def = "fail",
     .help = "fail: exit 1 when a merged check fails; warn:\nalso when one warns (JUnit shows "
             "warnings as\nfailures)",
     .man = "As `ucscan scan --fail-on`: `fail`, exit 1 when a merged check fails; `warn`, "
            "also when one warns, and each warning is a JUnit `<failure type=\"warn\">`."},
    {"color", "WHEN", CLI_CHOICE, A(color), .choices = "auto|always|never", .def = "auto",
     .help = "colour in the table: auto, always or never",
     .man = "Colour in the table: `always`, `never`, or `auto`: when stdout is a terminal, "
            "`NO_COLOR` is unset or empty and `TERM` is not `dumb`."},
    {"force", NULL, CLI_FLAG, A(force), .help = "merge reports of different topologies or products",
     .man = "Merge reports of different topologies or products; without it that is an input "
            "error."},
    {"help", NULL, CLI_HELP, 0, .help = "this help", .man = "The options of `ucscan merge`."},
    {NULL, NULL, 0, 0, .help = NULL},
};

const struct cli_cmd cli_cmd_merge = {
    "merge",
    "ucscan merge REPORT... [--out FILE] [--format FMT] [--prom FILE]\n"
    "                    [--push URL] [--force]",
    "Joins the reports of scans run from several vantages (--from servers, clients,\n"
    "internet, reverse-proxy, pstn) into one report: each check comes from the vantage\n"
    "entitled to test it (the sources the documentation names); when several are, the\n"
    "worst verdict wins and \"vantages\" lists each. A required check that no report\n"
    "could test stays skip and counts in summary.uncovered.",
    merge_opts,
    "exit status (as for scan):\n"
    "  0  no check failed\n"
    "  1  at least one check failed (or warned, with --fail-on warn)\n"
    "  2  bad usage or input: unreadable or invalid reports, reports of different\n"
    "     topologies or products without --force\n"
    "  3  a report merged is partial (\"complete\": false), or an output could not\n"
    "     be written or pushed\n"
    "\nexamples:\n"
    "  ucscan merge lan.json dmz.json internet.json --out site.json --format table\n"
    "  ucscan merge lan.json dmz.json internet.json --format html > site.html\n"
    "  ucscan merge *.json --format junit > junit.xml\n",
    true,
    NULL,
};

static int input_error(const struct uc_err *err)
{
  char msg[800];
  uc_err_format(err, msg, sizeof(msg));
  fprintf(stderr, "ucscan merge: %s\n", msg);
  return 2;
}

/* Returns 0, 1 when --help was printed, or 2. */
static int parse_args(int argc, char **argv, struct merge_args *a)
{
  int rc = opts_parse(&cli_cmd_merge, argc, argv, a);
  if (rc)
    return rc;
  struct push_target pt;
  char why[300];
  if (a->push && push_parse_url(a->push, &pt, why, sizeof(why)) < 0)
    return opts_usage_error("merge", "--push %s: %s", a->push, why);
  if (a->out && !a->out[0])
    return opts_usage_error("merge", "%s", "--out needs a file name");
  if (optind >= argc)
    return opts_usage_error("merge", "%s", "give the reports to merge: REPORT...");
  return 0;
}

int cmd_merge(int argc, char **argv)
{
  struct merge_args a;
  memset(&a, 0, sizeof(a));
  int rc = parse_args(argc, argv, &a);
  if (rc)
    return rc == 1 ? 0 : 2;
  bool warn_fails = a.fail_on && strcmp(a.fail_on, "warn") == 0;
  struct scan_output out = {.out_file = a.out,
                            .format = a.format,
                            .prom_file = a.prom,
                            .push_url = a.push,
                            .fail_on_warn = warn_fails};
  textcol_color_parse(a.color, &out.color);
  size_t n = (size_t)(argc - optind);
  const char *const *files = (const char *const *)(argv + optind);
  struct jdoc *docs = calloc(n, sizeof(*docs));
  struct uc_err err;
  int status = 2;
  size_t loaded = 0;
  uc_err_clear(&err);
  if (!docs) {
    fprintf(stderr, "ucscan merge: out of memory\n");
    return 2;
  }
  for (; loaded < n; loaded++)
    if (diff_load(&docs[loaded], files[loaded], &err) < 0) {
      input_error(&err);
      goto out;
    }
  if ((out.out_file && atomic_check_writable(out.out_file, &err) < 0) ||
      (out.prom_file && atomic_check_writable(out.prom_file, &err) < 0)) {
    input_error(&err);
    goto out;
  }
  json_t *merged = merge_reports(docs, files, n, a.force, &err);
  if (!merged) {
    input_error(&err);
    goto out;
  }
  status = merge_exit_status(merged);
  if (status == 0 && warn_fails &&
      json_integer_value(json_object_get(json_object_get(merged, "summary"), "warn")) > 0)
    status = 1; /* --fail-on warn */
  if (scan_output_emit(&out, merged) < 0 && status < 3)
    status = 3;
  json_decref(merged);
out:
  for (size_t i = 0; i < loaded; i++)
    jdoc_free(&docs[i]);
  free(docs);
  return status;
}
