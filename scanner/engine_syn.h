/* scanner/engine_syn.h - raw SYN probes for the TCP span ports of targets the capture can
 * see (engine_syn.c), and with --tcp-method syn for their single checks that are a plain
 * connect (workq_plain_connect: only the port's state counts): the prober's state, owned by
 * it, and what the engine calls.
 *
 * A port has one SYN at a time, whoever asked for it: a range and a single check on the same
 * port share its answer. A single check's result reads as a connect's (the same states, the
 * ICMP error's reason and evidence, the answer's TTL, the kernel's round trip from the
 * capture's timestamps) and says how it was probed (evidence.tcp_method "syn"); its attempts
 * are its SYNs, retried as a connect is.
 *
 * A SYN holds no socket: SYNs in flight are bounded by a window (--concurrency x 16), not by
 * the socket slots, and paced by the rates like any probe. The capture (evidence.c) hands
 * the prober every SYN-ACK, RST and ICMP error about its SYNs; deadlines are a min-heap with
 * one timer. */
#ifndef UC_ENGINE_SYN_H
#define UC_ENGINE_SYN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/count.h"
#include "common/icmp.h"
#include "scanner/pktparse.h"
#include "scanner/synscan.h"
#include "scanner/workq.h"

struct engine;
struct host_sched;

/* A TCP span port's two bits in a target's syn_bits (portbits.h): SYN_INFLIGHT (a SYN
 * waits for its answer; its attempt number is in its heap entry, the only one the port has
 * while it waits) | SYN_DONE (decided). */
#define SYN_INFLIGHT 0x1
#define SYN_DONE 0x2
#define SYN_MAX_ATTEMPTS 21

/* A single check's SYN state (host_sched.syn_chk, one per check of the target's slice). */
struct syn_check {
  int64_t sent_rt_ns; /* when its latest SYN was queued (CLOCK_REALTIME); 0: the prober has not
                         taken it (it connects, or is not a plain connect) */
  uint32_t waited_ms; /* the deadline of its latest SYN */
  uint16_t attempts;  /* SYNs sent for it so far */
};

struct syn_entry {
  uint64_t deadline_ns;
  uint32_t host;
  uint16_t port;
  uint8_t attempt;
};

/* SYNs in flight, a min-heap on deadline. Answered ones stay until their deadline and
 * are dropped then (the port's state says it is done). A port has one entry at a time: its
 * retry is sent only after its entry has expired. */
struct syn_heap {
  struct syn_entry *v;
  size_t len, cap;
};

struct syn_prober {
  bool on;                  /* the raw socket is open and the capture sees the answers */
  struct synscan raw;       /* the raw socket (synscan.c) */
  struct syn_heap heap;     /* deadlines of the SYNs in flight */
  struct uc_count inflight; /* SYNs awaiting an answer (no socket: a window, not slots) */
  unsigned window;          /* the cap on them */
  uv_timer_t timer;         /* the earliest deadline */
  bool timer_armed;
  uint64_t timer_due;
  struct { /* recent first SYNs, for round-trip samples */
    uint16_t port;
    uint32_t host;
    uint64_t sent_ns;
  } rtt[64];
};

/* syn_prober_init from engine_new: the prober's window and timer (counted in the engine's
 * handle group); syn_prober_close from engine_free: closes the timer (the engine is freed
 * after its close callback). syn_prober_active: the raw socket is open and the capture sees
 * the answers (syn_open succeeded, no teardown since). */
void syn_prober_init(struct engine *e);
void syn_prober_close(struct engine *e);
bool syn_prober_active(const struct engine *e);
/* SYNs awaiting an answer, and the window that caps them (the scheduler's admission). */
unsigned syn_prober_inflight(const struct engine *e);
unsigned syn_prober_window(const struct engine *e);
/* syn_open opens the raw socket (privileged, before the scan starts); syn_setup prepares
 * the targets once their addresses are known. */
void syn_open(struct engine *e);
void syn_setup(struct engine *e);
/* Capture packets for the SYN prober: an answer or an ICMP error about one of our SYNs.
 * True when it was one (and has been recorded). */
bool syn_on_answer(struct engine *e, struct host_sched *hs, const struct pkt_info *p);
bool syn_on_icmp(struct engine *e, struct host_sched *hs, const struct pkt_info *p,
                 const struct icmp_info *ii, enum uc_state st);
/* Whether the prober takes work of transport t for hs: a TCP span port (c NULL) of a raw-SYN
 * target, or a single check that is a plain connect on a target with syn_checks. */
bool syn_takes(const struct host_sched *hs, const struct plan_check *c, enum uc_transport t);
/* Sends w's SYN, or joins the SYN its port already has in flight (true). False: w goes by
 * connect (not the prober's, or w->connect). When the prober cannot send it (no memory for its
 * deadline, the raw socket pushes back) or a single check's port was decided by a range's SYN
 * whose state is not kept, it lets go of w: marks it w->connect (the connect and its retries
 * are the connect's) and puts it back at the front of hs's queue, to be admitted as a connect
 * (true); false, connect now, if it cannot be queued. */
bool syn_start(struct engine *e, struct host_sched *hs, struct work *w);
/* Sends the SYNs batched so far. */
void syn_flush(struct engine *e);
/* A stop: SYNs in flight are forgotten (their ports stay unfinished). */
void syn_stop(struct engine *e);
void syn_teardown(struct engine *e);

#endif
