/* scanner/tcp_sweep.h - TCP range ports by connect(), without a libuv handle, a timer or an
 * allocation per port (issue 15): what an unprivileged scan (or --tcp-method connect) does
 * where engine_syn.c sends raw SYNs.
 *
 * How: a pool of plain non-blocking sockets in one private epoll set (edge-triggered), watched
 * by one uv_poll_t, and one uv_timer_t for the earliest deadline of the connects in flight (a
 * min-heap). A socket is reused from port to port: Linux lets a TCP socket whose connect()
 * failed, or that was disconnected with connect(AF_UNSPEC), connect again. So a closed port
 * costs two system calls: connect() that starts it, and connect() again once epoll says
 * something happened, which reports how it ended (ECONNREFUSED: a RST; EALREADY: still
 * waiting; 0: accepted) and makes the socket ready for the next port. An accepted connection
 * is reset (connect(AF_UNSPEC) sends a RST: no TIME_WAIT, as attempt_tcp.c's close-with-RST);
 * an ICMP error is read from the socket's error queue (IP_RECVERR), with the same state and
 * evidence as an attempt gets. Sockets left without a port at the end of a callback are
 * closed: between loop iterations the sweep holds exactly one socket per connect in flight.
 *
 * Contract with the engine (engine.c calls these; only from the loop thread):
 *   tcpsweep_setup(e)      after resolution, after syn_setup(): marks hs->tsweep on every ready
 *                          target with TCP spans and no raw SYN probes. Opens only its epoll
 *                          set; nothing when that fails (the targets keep attempt_tcp.c).
 *   tcpsweep_start(e,hs,w) from engine_pump, for a span port (w->check NULL) of a marked
 *                          target: true when its connect went out. The port then holds one of
 *                          the engine's socket slots (e->inflight, hs->inflight) until its
 *                          outcome; engine_probe_sent() counted it. False when the port could
 *                          not start here (no socket, or connect() failed at once): nothing
 *                          changed, and the caller starts an attempt_tcp.c attempt, which meets
 *                          the same error and handles it as it always did (resource back-off,
 *                          an unreachable network, a --source of the other family).
 *   tcpsweep_stop(e)       engine_stop: every connect in flight ends unrecorded (its socket
 *                          reset and closed, its slot given back), before it returns.
 *   tcpsweep_close(e)      engine_free: closes the epoll set and the two handles (the
 *                          engine's handle group counts them).
 * Outcomes go through engine_attempt_done() as an attempt's would (retries with their
 * backed-off deadlines, the silent-host rule, resource back-off, results_span_port), with
 * deadlines from rtt_deadline_ms() counted from the port's own connect(); connects that were
 * answered or refused feed the target's RTT estimate.
 *
 *   tcpsweep_owns_answer(hs, port)  true when a captured answer from hs's port belongs to the
 *                          sweep only (a TCP span port of a swept target that no single TCP
 *                          check shares): evidence.c keeps such answers out of its table, where
 *                          nothing would take them. */
#ifndef UC_TCP_SWEEP_H
#define UC_TCP_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct engine;
struct host_sched;
struct work;
struct tsw_slot;

struct tcp_sweep {
  bool open;        /* epfd, poll and timer exist (tcpsweep_close closes them) */
  int epfd;         /* every pooled socket, edge-triggered, data = slot index */
  uv_poll_t poll;   /* epfd in the loop: started while a connect is in flight */
  uv_timer_t timer; /* the heap's earliest deadline */
  uint64_t timer_due_ns;
  bool timer_armed;
  unsigned batch;        /* events per epoll_wait (bounds the sockets idle during a pump) */
  uint64_t drained_ns;   /* the last epoll_wait that left nothing ready began then */
  uint64_t sockets;      /* sockets made so far (each serves many ports) */
  struct tsw_slot *slot; /* one per socket the pool may hold */
  uint32_t nslots;       /* capacity of every array below */
  uint32_t *spare;       /* slots without a socket */
  uint32_t nspare;
  uint32_t *idle[2]; /* slots whose socket waits for a port, per family (AF_INET, AF_INET6) */
  uint32_t nidle[2];
  uint32_t *heap; /* slots in flight, a min-heap on deadline */
  uint32_t heap_len;
};

void tcpsweep_setup(struct engine *e);
bool tcpsweep_start(struct engine *e, struct host_sched *hs, const struct work *w);
void tcpsweep_stop(struct engine *e);
void tcpsweep_close(struct engine *e);
bool tcpsweep_owns_answer(const struct host_sched *hs, uint16_t port);

#endif
