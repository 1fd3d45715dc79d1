/* scanner/tcp_sweep_worker.h - the connect sweep's worker threads: the contract between the
 * sweep's two halves (tcp_sweep.h is the sweep's contract with the engine).
 *
 * Why threads: a connect() to a host behind a local link (a veth, a LAN) does the whole round
 * trip in the caller's system call (the SYN goes out, the target's kernel answers, the RST or
 * SYN-ACK is processed, all in softirq context before connect() returns). One thread doing
 * the connects is one core, whatever the machine has.
 *
 * Ownership: the loop thread owns the sockets. It makes them (non-blocking, IP_RECVERR and
 * SO_TIMESTAMPNS, bound to --source), adds each to one worker's epoll set (tsw_worker_epfd), closes
 * them, and hands a worker one port per socket at a time (a request). The worker owns the socket
 * from the request to its result, and only then: it sends the SYN (connect()), waits for epoll or
 * the deadline, asks the socket how the connect ended (connect() again: ECONNREFUSED, EALREADY for
 * still waiting, 0 for accepted), leaves it ready for its next port (connect(AF_UNSPEC) where a
 * connection or a SYN is still pending: an accepted one ends with a RST), and posts the result.
 * Nothing else is shared: requests and results move through vectors under the worker's mutex; the
 * worker wakes on its eventfd, the loop on the uv_async_t it gave.
 *
 * Deadlines count from the worker's connect(). When a deadline passes, a port whose answer
 * could be unread (epoll's ready list was not found empty after the deadline) is asked once
 * more before it is called silent. RTT samples are lower bounds: the answer came after the
 * connect and after the last look that found the ready list empty (a full list is our own
 * backlog, which no deadline needs to wait for). */
#ifndef UC_TCP_SWEEP_WORKER_H
#define UC_TCP_SWEEP_WORKER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "common/icmp.h"
#include "common/uc.h"

union tsw_addr {
  struct sockaddr sa;
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
};

struct tsw_request {
  uint32_t slot; /* the loop's index for the socket; the result names it */
  int fd;
  uint32_t deadline_ms; /* from the worker's connect() */
  bool detail;          /* a single check's port: the result carries the evidence below */
  socklen_t dst_len;
  union tsw_addr dst;
};

/* How a port's connect ended, as the engine's attempt_result has it. */
enum tsw_status {
  TSW_FINAL,     /* state says what the port answered */
  TSW_NO_ANSWER, /* its deadline passed in silence */
  TSW_RESOURCE,  /* a local limit (sys_err): back off and try again */
  TSW_CANCELLED  /* tsw_worker_cancel() came first: nothing to record */
};

struct tsw_result {
  uint32_t slot;
  uint8_t status; /* enum tsw_status */
  uint8_t state;  /* enum uc_state (TSW_FINAL) */
  bool has_icmp;  /* state comes from this ICMP error on the socket's queue */
  int sys_err;    /* the connect's error (libuv form) when it failed; for TSW_RESOURCE the
                     local limit met */
  double rtt_ms;  /* a round-trip sample (a lower bound), or -1 */
  struct icmp_info icmp;
  /* detail requests only (0 or -1 otherwise): */
  uint16_t lport;       /* the connect's local port, to find its answer in the capture */
  int64_t sent_rt_ns;   /* when the SYN went (CLOCK_REALTIME, the capture's clock) */
  double kernel_rtt_ms; /* the kernel's round trip: the handshake's (TCP_INFO) for an
                           accepted port, an ICMP error's receive timestamp less sent_rt_ns */
  double elapsed_ms;    /* from the connect to the look that found the outcome: an upper
                           bound of the round trip, as an attempt's event loop measures it */
};

struct tsw_results {
  struct tsw_result *v;
  size_t n, cap;
};

struct tsw_worker;

/* Starts a worker thread; results are announced on `notify` (uv_async_send, from the worker).
 * `batch`: events per epoll_wait. NULL when a thread, an epoll set or an eventfd could not be
 * had. */
struct tsw_worker *tsw_worker_start(uv_async_t *notify, unsigned batch);
/* The epoll set the loop adds this worker's sockets to: EPOLLOUT | EPOLLET, data.u32 = slot. */
int tsw_worker_epfd(const struct tsw_worker *w);
/* Hands over n requests (copied) and wakes the worker. */
void tsw_worker_submit(struct tsw_worker *w, const struct tsw_request *r, size_t n);
/* Swaps the worker's posted results into *into (emptied first: the caller reuses it). */
void tsw_worker_take(struct tsw_worker *w, struct tsw_results *into);
/* Every request the worker holds or has queued ends as TSW_CANCELLED, its socket ready for
 * another connect, without waiting for answers. Requests submitted later run normally. */
void tsw_worker_cancel(struct tsw_worker *w);
/* Waits (at most a couple of seconds) while the worker asks each socket it holds how its
 * connect stands: those with an answer end with it (their results are posted before this
 * returns), the rest stay held. A stop calls it so that answers already in are kept. */
void tsw_worker_look(struct tsw_worker *w);
/* Cancels what it holds, stops the thread, joins it and frees the worker; its epoll set and
 * eventfd are closed (the loop's sockets are not). Results not taken are dropped. */
void tsw_worker_stop(struct tsw_worker *w);
void tsw_results_free(struct tsw_results *r);

#endif
