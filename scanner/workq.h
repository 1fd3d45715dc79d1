/* scanner/workq.h - one target's work, in the order it is handed out, and the scheduler's
 * decisions that need no loop.
 *
 * Order: retries first (a probe to repeat, or one put back when no socket could be opened),
 * then the target's single checks in plan order, then the ports of its spans (the union of
 * its ranges per transport), lowest first, each (port, transport) once. The queue knows no
 * clock and no socket: the engine (engine.c) decides when work goes out; the queue decides
 * what. Everything here is tested with tables (tests/unit/test_workq.c), without a loop. */
#ifndef UC_WORKQ_H
#define UC_WORKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/uc.h"
#include "model/plan.h"

/* One probe to send: a single check, or one port of a span. */
struct work {
  struct work *next;
  struct plan_check *check; /* NULL for a span port */
  uint16_t port;
  enum uc_transport transport;
  unsigned attempt; /* 0 = first */
  bool connect;     /* by connect() only: the raw SYN prober let go of it (engine_syn.h), and its
                       retries stay with the connect */
};

struct workq {
  struct plan_check *checks; /* the target's slice of its host's checks */
  size_t nchecks;
  const struct plan_span *spans;
  size_t nspans;
  size_t next_check;  /* cursor over the single checks */
  size_t span_idx;    /* cursor over the spans */
  uint32_t span_next; /* next port of spans[span_idx] (0: its first) */
  struct work *retry_head, *retry_tail;
};

/* An empty queue over the target's checks and spans (neither is copied nor owned). */
void workq_init(struct workq *q, struct plan_check *checks, size_t nchecks,
                const struct plan_span *spans, size_t nspans);
/* The kind of the next work (workq_take's order), without taking it: whether it is a single
 * check, and its transport. False: no work left. */
bool workq_peek(const struct workq *q, bool *single, enum uc_transport *t);
/* Whether the work workq_take would hand out next goes by connect() only (work.connect). */
bool workq_peek_connect(const struct workq *q);
/* The single check workq_take would hand out next, or NULL (a span port, or no work). */
const struct plan_check *workq_peek_check(const struct workq *q);
/* Takes the next work into *out (out->next is NULL). False: no work left. */
bool workq_take(struct workq *q, struct work *out);
/* Queues a copy of w as a retry: at the front (it goes next: put back for want of a socket)
 * or at the back (a repeat after the others' first try). -1: out of memory. */
int workq_push(struct workq *q, const struct work *w, bool front);
/* Whether ports of `t` wait in the queue: a retry of a span port or a span port not yet
 * handed out. */
bool workq_span_pending(const struct workq *q, enum uc_transport t);
/* Whether check k of the slice had been handed out (a stopped scan tells "stopped while
 * probing it" from "stopped before reaching it"): a single check behind the cursor, a range
 * whose first port is. */
bool workq_started(const struct workq *q, size_t k);
/* Frees the queued retries. */
void workq_free(struct workq *q);

/* --- the scheduler's decisions --- */

/* What admitting one more probe to a target depends on. */
struct admit_view {
  bool needs_socket;        /* an attempt that holds a socket (not a raw SYN, not swept UDP) */
  bool syn;                 /* a raw SYN (needs room in the SYN window) */
  unsigned target_inflight; /* the target's attempts holding a socket */
  unsigned per_host;        /* --per-host */
  unsigned inflight;        /* all attempts holding a socket */
  unsigned max_inflight;    /* the engine's current cap on them */
  unsigned syn_inflight;    /* SYNs waiting for their answer */
  unsigned syn_window;      /* the cap on them */
  bool session;             /* a TLS handshake or an application exchange (workq_session) */
  unsigned sessions;        /* attempts holding one */
  unsigned max_sessions;    /* the cap on them */
};

/* Whether probing check c holds a TLS session or an application exchange's buffers (tens of
 * KiB each, and CPU) besides its socket: a TCP check whose probe has TLS or an application
 * module. A plain connect, a range port or a UDP probe does not. */
bool workq_session(const struct plan_check *c);
/* Whether c is a single TCP check that is a plain connect (neither TLS nor an application
 * exchange): only the port's state counts, so the connect sweep (tcp_sweep.h) or, with
 * --tcp-method syn, a raw SYN (engine_syn.h) may probe it. */
bool workq_plain_connect(const struct plan_check *c);

/* Whether the probe fits the in-flight caps (the rates are the caller's: ratelimit.h). */
bool workq_admit(const struct admit_view *v);

/* Resource back-off: the cap on attempts holding a socket when opening one failed for want
 * of a resource (EMFILE, ENFILE, ENOBUFS, ...). */
struct backoff {
  unsigned max_inflight; /* the configured cap, lowered for good by EMFILE */
  unsigned eff_inflight; /* the cap now: lowered on a resource error, raised on success */
  unsigned starved;      /* pauses in a row with nothing in flight */
};

enum backoff_action {
  BACKOFF_GO_ON,  /* keep going as attempts finish, no pause */
  BACKOFF_PAUSE,  /* pause (the engine's resource pause), then try again */
  BACKOFF_STARVED /* nothing in flight for `limit` pauses: give up the scan */
};

/* A start failed with libuv error `err` while `inflight` attempts hold sockets. `limit`:
 * pauses in a row with nothing in flight before giving up. */
enum backoff_action workq_backoff(struct backoff *b, unsigned inflight, int err, unsigned limit);
/* An attempt started: the starvation count starts over. */
void workq_backoff_started(struct backoff *b);
/* An attempt finished without a resource error: the cap climbs back by one, up to
 * max_inflight. */
void workq_backoff_recovered(struct backoff *b);

#endif
