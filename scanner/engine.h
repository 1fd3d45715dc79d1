/* scanner/engine.h - the scan engine: one libuv loop (and the connect sweep's worker threads,
 * which only connect sockets the loop hands them: tcp_sweep.h).
 *
 * It resolves the plan's hosts, then starts probes while staying under the global and
 * per-host in-flight caps and the rate cap, with adaptive per-host deadlines and retries
 * for probes that got no answer. Results land in the plan's checks. */
#ifndef UC_ENGINE_H
#define UC_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "model/conf.h"
#include "model/plan.h"

struct engine;
struct capture;

struct engine_progress {
  uint64_t total; /* probes the plan needs (without retries) */
  uint64_t done;  /* probes with a final answer */
  uint64_t sent;  /* attempts started, retries included */
  unsigned inflight;
  unsigned hosts_resolving;
};

typedef void (*engine_done_cb)(struct engine *e, void *arg);

struct engine *engine_new(uv_loop_t *loop, struct plan *plan, const struct scan_conf *conf);
/* Opens what needs privileges, before anything else: the libpcap capture for evidence
 * (and --capture's file) and the raw socket for SYN probes. Run as root with --user, the
 * caller drops privileges after this. Returns 0, or -1 when no capture could be opened
 * (engine_capture_status says why; the scan still runs without evidence). engine_start
 * calls it when the caller did not. */
int engine_prepare(struct engine *e);
/* Hands the --capture file to uid:gid (--user). 0, or -1 with a reason. */
int engine_capture_chown(struct engine *e, uid_t uid, gid_t gid, char *why, size_t whycap);
/* Flushes the --capture file (before an exit that skips the normal end). */
void engine_capture_flush(struct engine *e);
/* Starts the scan; done_cb runs once, when every probe has finished or after a stop. */
int engine_start(struct engine *e, engine_done_cb done_cb, void *arg);
/* Interrupt: start nothing more, cancel what is in flight. done_cb follows. */
void engine_stop(struct engine *e);
/* engine_stop once the loop has dispatched what the current poll delivered (its check
 * phase): an answer that arrived before the stop signal counts, even when the signal's
 * wake-up comes first in the poll's batch. Call from a loop callback (a signal's, an
 * async's); a second call, or one after the scan finished, does nothing. */
void engine_request_stop(struct engine *e);
/* The pcap filter for the scan's own traffic (targets resolved). */
void engine_capture_filter(const struct engine *e, char *buf, size_t cap);
/* Whether libpcap evidence was available (and why not), after the scan. */
void engine_capture_status(const struct engine *e, bool *available, const char **why,
                           unsigned long *packets, unsigned *drops);
/* True once done_cb has run. */
bool engine_finished(const struct engine *e);
/* Why engine_start failed. */
const char *engine_error(const struct engine *e);
/* Hosts whose name did not resolve. When there are any, the engine probes nothing: it
 * finishes once resolution is over, and the scan is an input error. */
size_t engine_unresolved(const struct engine *e);
/* Why the engine stopped itself before the end (no socket could be opened at all), or NULL.
 * The scan is then incomplete, like an interrupted one. */
const char *engine_stop_reason(const struct engine *e);
/* True when every planned probe finished (not stopped). */
bool engine_complete(const struct engine *e);
void engine_progress(const struct engine *e, struct engine_progress *out);
/* Local addresses the probes went out from (distinct, at most a few), valid until
 * engine_free. */
size_t engine_sources(const struct engine *e, const char *out[], size_t cap);
/* Settles verdicts on the plan; call after done_cb. */
void engine_finalize(struct engine *e);
void engine_free(struct engine *e);

#endif
