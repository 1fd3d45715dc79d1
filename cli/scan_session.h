/* cli/scan_session.h - running a planned scan on a loop and writing its outputs. Shared
 * by `ucscan scan` and `ucscan demo` (whose listeners live on the same loop). */
#ifndef UC_SCAN_SESSION_H
#define UC_SCAN_SESSION_H

#include <stdbool.h>
#include <uv.h>

#include "cli/outputs.h"
#include "reports/report.h"
#include "model/conf.h"
#include "model/plan.h"

/* Holds one descriptor for the outputs, given back when they are written: call it before
 * the event loop is made, so that a scan stopped by the open-file limit (or unable to
 * start for it) can still write its report. */
void scan_session_hold_fd(void);
/* Runs the engine on `loop` until every probe finished or SIGINT/SIGTERM stopped it
 * (other handles on the loop keep running and are the caller's), settles verdicts,
 * writes the outputs and returns the exit status per contract (0, 1 (also for a warning
 * with fail_on_warn), 3; 2 when the
 * engine cannot start, or when a host name does not resolve: then nothing was probed,
 * each name is reported on stderr and no report is written). meta's topology and product must be
 * set; times and completeness are filled in. */
int scan_session_run(uv_loop_t *loop, struct plan *plan, const struct scan_conf *conf,
                     const struct scan_output *out, struct report_meta *meta);
/* The scan could not even start for lack of resources (the event loop, the signal pipe):
 * says so (what, then uv_strerror(uv_err) unless it is 0), writes the outputs of a plan with
 * nothing done ("complete": false) and returns 3. */
int scan_session_unrunnable(const struct scan_output *out, const struct plan *plan,
                            struct report_meta *meta, const char *what, int uv_err);
/* Writes the report outputs for a finished plan (used by scan_session_run). */
int scan_session_write(const struct scan_output *out, const struct plan *plan,
                       const struct report_meta *meta);
/* Closes every handle left on the loop and the loop itself. */
void scan_session_close_loop(uv_loop_t *loop);
uint64_t scan_now_ms(void);

#endif
