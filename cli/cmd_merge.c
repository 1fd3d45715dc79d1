/* cli/cmd_merge.c - `ucscan merge REPORT...`: one report from the scans of several vantages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/outputs.h"
#include "cli/push.h"
#include "reports/atomic.h"
#include "reports/diff.h"
#include "reports/merge.h"

enum { M_OUT = 1000, M_FORMAT, M_PROM, M_PUSH, M_FORCE, M_HELP };

static const struct cli_opt merge_opts[] = {
    {"out", "FILE", M_OUT, "write the merged JSON report to FILE, atomically"},
    {"format", "FMT", M_FORMAT,
     "what stdout gets: json, table, junit or prometheus\n(default: json without --out; with "
     "--out, a table on a\nterminal, else nothing)"},
    {"prom", "FILE", M_PROM, "write Prometheus metrics to FILE, atomically"},
    {"push", "URL", M_PUSH,
     "PUT the Prometheus metrics to a Pushgateway, after the\nreport is written; a failed push: "
     "exit 3"},
    {"force", NULL, M_FORCE, "merge reports of different topologies or products"},
    {"help", NULL, M_HELP, "this help"},
    {NULL, NULL, 0, NULL},
};

const struct cli_cmd cli_cmd_merge = {
    "merge",
    "ucscan merge REPORT... [--out FILE] [--format json|table|junit|prometheus]\n"
    "                    [--prom FILE] [--push URL] [--force]",
    "Joins the reports of scans run from several vantages (--from servers, clients,\n"
    "internet, reverse-proxy, pstn) into one report: each check comes from the vantage\n"
    "entitled to test it (the sources the documentation names); when several are, the\n"
    "worst verdict wins and \"vantages\" lists each. A required check that no report\n"
    "could test stays skip and counts in summary.uncovered.",
    merge_opts,
    "exit status (as for scan):\n"
    "  0  no check failed    1  at least one check failed\n"
    "  2  bad usage or input: unreadable or invalid reports, reports of different\n"
    "     topologies or products without --force\n"
    "  3  a report merged is partial (\"complete\": false)\n"
    "\nexamples:\n"
    "  ucscan merge lan.json dmz.json internet.json --out site.json --format table\n"
    "  ucscan merge *.json --format junit > junit.xml\n",
};

static int input_error(const struct uc_err *err)
{
  char msg[800];
  uc_err_format(err, msg, sizeof(msg));
  fprintf(stderr, "ucscan merge: %s\n", msg);
  return 2;
}

struct merge_args {
  struct scan_output out;
  bool force;
};

static int parse_args(int argc, char **argv, struct merge_args *a)
{
  if (opts_check_argv(&cli_cmd_merge, argc, argv) != 0)
    return 2;
  struct option *lo = opts_getopt(merge_opts);
  int c, rc = 0;
  optind = 1;
  opterr = 0;
  while (rc == 0 && (c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
    switch (c) {
    case M_OUT:
      a->out.out_file = optarg;
      break;
    case M_FORMAT:
      a->out.format = optarg;
      break;
    case M_PROM:
      a->out.prom_file = optarg;
      break;
    case M_PUSH:
      a->out.push_url = optarg;
      break;
    case M_FORCE:
      a->force = true;
      break;
    case M_HELP:
      opts_help(stdout, &cli_cmd_merge);
      free(lo);
      exit(0);
    case ':':
      rc = opts_usage_error("merge", "option %s needs a value", argv[optind - 1]);
      break;
    default:
      rc = opts_usage_error("merge", "unknown option %s", argv[optind - 1]);
      break;
    }
  }
  free(lo);
  if (rc)
    return 2;
  if (a->out.format && !scan_output_format_known(a->out.format))
    return opts_usage_error("merge", "unknown format \"%s\" (json, table, junit or prometheus)",
                            a->out.format);
  struct push_target pt;
  char why[300];
  if (a->out.push_url && push_parse_url(a->out.push_url, &pt, why, sizeof(why)) < 0)
    return opts_usage_error("merge", "--push %s: %s", a->out.push_url, why);
  if (optind >= argc)
    return opts_usage_error("merge", "%s", "give the reports to merge: REPORT...");
  return 0;
}

int cmd_merge(int argc, char **argv)
{
  struct merge_args a;
  memset(&a, 0, sizeof(a));
  if (parse_args(argc, argv, &a) != 0)
    return 2;
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
  if ((a.out.out_file && atomic_check_writable(a.out.out_file, &err) < 0) ||
      (a.out.prom_file && atomic_check_writable(a.out.prom_file, &err) < 0)) {
    input_error(&err);
    goto out;
  }
  json_t *merged = merge_reports(docs, files, n, a.force, &err);
  if (!merged) {
    input_error(&err);
    goto out;
  }
  status = merge_exit_status(merged);
  if (scan_output_emit(&a.out, merged, NULL, NULL) < 0 && status < 3)
    status = 3;
  json_decref(merged);
out:
  for (size_t i = 0; i < loaded; i++)
    jdoc_free(&docs[i]);
  free(docs);
  return status;
}
