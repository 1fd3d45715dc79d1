/* cli/scan_session.h - running a planned scan on a loop and writing its outputs. Shared
 * by `ucscan scan` and `ucscan demo` (whose listeners live on the same loop). */
#ifndef UC_SCAN_SESSION_H
#define UC_SCAN_SESSION_H

#include <stdbool.h>
#include <uv.h>

#include "reports/report.h"
#include "scanner/conf.h"
#include "scanner/plan.h"

struct scan_output {
  const char *out_file;  /* --out: JSON report written atomically, or NULL */
  const char *format;    /* what stdout gets: "json", "table", "junit", "prometheus", or
                            NULL for the default */
  const char *prom_file; /* --prom: Prometheus text written atomically, or NULL */
};

/* Is `fmt` a --format value scan_session_write knows? */
bool scan_output_format_known(const char *fmt);

/* Runs the engine on `loop` until every probe finished or SIGINT/SIGTERM stopped it
 * (other handles on the loop keep running and are the caller's), settles verdicts,
 * writes the outputs and returns the exit status per contract (0, 1, 3; 2 when the
 * engine cannot start). meta's topology and product must be set; times and completeness
 * are filled in. */
int scan_session_run(uv_loop_t *loop, struct plan *plan, const struct scan_conf *conf,
                     const struct scan_output *out, struct report_meta *meta);
/* Writes the report outputs for a finished plan (used by scan_session_run). */
int scan_session_write(const struct scan_output *out, const struct plan *plan,
                       const struct report_meta *meta);
/* Closes every handle left on the loop and the loop itself. */
void scan_session_close_loop(uv_loop_t *loop);
uint64_t scan_now_ms(void);

#endif
