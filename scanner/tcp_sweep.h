/* scanner/tcp_sweep.h - TCP range ports, and single checks that are a plain connect, by
 * connect() without a libuv handle, a timer or an allocation per port (issue 15): what an
 * unprivileged scan (or --tcp-method connect) does with ranges where engine_syn.c sends raw
 * SYNs, and what every scan does with a plain single check (1,000 hosts x 27 such ports made
 * a libuv handle, a timer and an attempt each).
 *
 * How: the loop thread keeps a pool of plain non-blocking sockets and hands each, one port at
 * a time, to one of a few worker threads (tcp_sweep_worker.h: one per core, at most
 * TSW_MAX_WORKERS), which connect, wait on their own epoll set and deadline heap, and post
 * how each connect ended; a uv_async_t brings the results to the loop, the only thread that
 * touches the plan, the engine's counters and the RTT estimates. A socket is reused from port
 * to port: Linux lets a TCP socket whose connect() failed, or that was disconnected with
 * connect(AF_UNSPEC), connect again. So a closed port costs two system calls: connect() that
 * sends the SYN, and connect() again once epoll reports, which says how it ended and readies
 * the socket for the next port. An accepted connection is reset (connect(AF_UNSPEC) sends a
 * RST: no TIME_WAIT, as attempt_tcp.c's close-with-RST); an ICMP error is read from the
 * socket's error queue (IP_RECVERR), giving the state and evidence an attempt gets. Sockets no
 * port took by the end of a loop callback are closed: between callbacks the sweep holds one
 * descriptor per port in flight, within the engine's budget.
 *
 * Contract with the engine (engine.c calls these, from the loop thread only):
 *   tcpsweep_setup(e)      after resolution and syn_setup(): marks hs->tsweep on every ready
 *                          target with TCP spans and no raw SYN probes, or with single checks
 *                          that are a plain connect (a probe_choice with neither TLS nor an
 *                          application), and starts the workers. Does nothing (the targets
 *                          keep attempt_tcp.c) when the open-file limit is under
 *                          TSW_MIN_FILES or no worker starts.
 *   tcpsweep_start(e,hs,w) from engine_pump, for a span port (w->check NULL; not on a raw SYN
 *                          target) or a plain single check of a marked target: true when the
 *                          port was handed to a worker. It then holds
 *                          one of the engine's socket slots (engine_slot_take) until its
 *                          outcome (engine_slot_release); engine_probe_sent() counted it. False
 * when no socket could be had (or --source is of the other family): nothing changed, and the caller
 * starts an attempt_tcp.c attempt, which meets the same error and handles it as it always did.
 *   tcpsweep_flush(e)      at the end of engine_pump: wakes the workers for what it handed out
 *                          (a long pump has woken them for every SUBMIT_BATCH requests already).
 *   tcpsweep_harvest(e)    engine_stop, first: ports whose answer is in are recorded.
 *   tcpsweep_stop(e)       engine_stop: every port still in flight ends unrecorded; their
 *                          slots come back through the loop (maybe_done waits for e->inflight).
 *   tcpsweep_close(e)      engine_free: stops and joins the workers, closes the sockets and
 *                          the uv_async_t (the engine's handle group counts it).
 * Outcomes go through engine_attempt_done() as an attempt's would (retries with their
 * backed-off deadlines, the silent-host rule, resource back-off, results_span_port or
 * results_single), with deadlines from rtt_deadline_ms() counted from the port's own
 * connect(); the RTT samples of answered connects are lower bounds (tcp_sweep_worker.h says
 * why that is enough). A single check's result reads as attempt_tcp.c's plain connect: the
 * same reasons (engine_connect_failure), the capture's ICMP error or RST and its TTL (found by
 * the connect's local port), the kernel's round trip (TCP_INFO, ICMP receive timestamps).
 *
 *   tcpsweep_owns_answer(hs, port)  true when a captured answer from hs's port belongs to the
 *                          sweep only (a TCP span port of a swept target without raw SYNs that
 *                          no single TCP check shares): evidence.c keeps such answers out of
 *                          its table, where nothing would take them. A single check's answer
 *                          stays in the table: its outcome looks it up there. */
#ifndef UC_TCP_SWEEP_H
#define UC_TCP_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "scanner/tcp_sweep_worker.h"

#define TSW_MAX_WORKERS 4
/* Below this open-file limit ranges and single checks keep attempt_tcp.c: the workers' epoll sets
 * and eventfds come out of the engine's reserve (engine.c, fd_budget), which is small under a tight
 * limit. */
#define TSW_MIN_FILES 256

struct engine;
struct host_sched;
struct work;
struct tsw_slot;

struct tsw_staged {
  struct tsw_request *v;
  size_t n, cap;
};

struct tcp_sweep {
  bool open;        /* the async handle exists (tcpsweep_close closes it) */
  uv_async_t async; /* workers' results; referenced while ports are in flight */
  unsigned nworkers, next_worker;
  struct tsw_worker *worker[TSW_MAX_WORKERS];
  struct tsw_staged staged[TSW_MAX_WORKERS]; /* handed out, not yet submitted */
  struct tsw_results results;                /* the loop's buffer for tsw_worker_take */
  struct tsw_slot *slot;                     /* one per socket the pool may hold */
  uint32_t nslots;                           /* capacity of every array below */
  uint32_t *spare;                           /* slots without a socket */
  uint32_t nspare;
  uint32_t *idle[2]; /* slots whose socket waits for a port, per family (AF_INET, AF_INET6) */
  uint32_t nidle[2];
  uint32_t active;  /* ports handed to workers, outcome not yet back */
  uint64_t sockets; /* sockets made so far (each serves many ports) */
};

void tcpsweep_setup(struct engine *e);
bool tcpsweep_start(struct engine *e, struct host_sched *hs, const struct work *w);
void tcpsweep_flush(struct engine *e);
void tcpsweep_stop(struct engine *e);
/* engine_stop calls it first: every port in flight whose answer has come (to the socket, if
 * not yet to a worker's look or to the loop) is recorded; the rest stay in flight for
 * tcpsweep_stop. It waits for the workers' look (tsw_worker_look). */
void tcpsweep_harvest(struct engine *e);
void tcpsweep_close(struct engine *e);
bool tcpsweep_owns_answer(const struct host_sched *hs, uint16_t port);

#endif
