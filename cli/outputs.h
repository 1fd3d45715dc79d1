/* cli/outputs.h - where a finished report goes: --out, --prom and stdout's --format. Shared
 * by `ucscan scan`, `ucscan demo` and `ucscan merge`, which all hold a report document. */
#ifndef UC_OUTPUTS_H
#define UC_OUTPUTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/err.h"
#include "common/textcol.h"

struct scan_output {
  const char *out_file;     /* --out: JSON report written atomically, or NULL */
  const char *format;       /* what stdout gets: "json", "table", "junit", "prometheus", "csv",
                               "html", or NULL for the default: the table on a terminal, else
                               the JSON report unless --out took it */
  enum textcol_color color; /* --color: the table's colours */
  const char *prom_file;    /* --prom: Prometheus text written atomically, or NULL */
  const char *push_url;     /* --push: Pushgateway the metrics are PUT to, last, or NULL */
  bool fail_on_warn;        /* --fail-on warn: a warning fails the scan (exit 1, JUnit failure) */
  /* Where the plan's host i was given (file, line, column of its name), for input errors
   * found during the scan (a name that does not resolve). NULL: no position known. */
  void (*host_origin)(size_t host, struct uc_err *err, void *arg);
  void *origin_arg;
};

/* Is `fmt` a --format value scan_output_emit knows? */
bool scan_output_format_known(const char *fmt);

/* Writes the report document to every output `out` asks for: --out (JSON, atomically),
 * --prom (Prometheus text, atomically), stdout per --format, then --push (a Pushgateway,
 * after every file: a failed push never costs the report). Without --format, stdout gets
 * the table when it is a terminal; otherwise (scripts) the JSON report, or nothing when
 * --out took it. Every format is made from the document alone, so a merged report prints
 * as a scanned one. Says on stderr what was written. Returns 0, or -1 when an output could
 * not be written (each failure said on stderr; the others are still written). */
int scan_output_emit(const struct scan_output *out, const json_t *rep);

/* scan_output_emit(out, report_json(plan, meta)), the same bytes everywhere; when --out is the
 * only output (nothing on stdout, no --prom, no --push), written one host at a time
 * (report_json_stream) without the document, whose size grows with the checks (a 1,000-host
 * scan's document and text took 100 MB). */
struct plan;
struct report_meta;
int scan_output_emit_plan(const struct scan_output *out, const struct plan *plan,
                          const struct report_meta *meta);

#endif
