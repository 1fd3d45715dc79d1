/* scanner/engine_int.h - engine internals shared by engine.c, results.c and the attempt
 * implementations (attempt_tcp.c, attempt_udp.c). Not for other modules. */
#ifndef UC_ENGINE_INT_H
#define UC_ENGINE_INT_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/count.h"
#include "common/icmp.h"
#include "probes/registry.h"
#include "scanner/capture.h"
#include "scanner/evidence.h"
#include "scanner/engine_syn.h"
#include "scanner/portbits.h"
#include "scanner/synscan.h"
#include "scanner/engine.h"
#include "scanner/ratelimit.h"
#include "scanner/rtt.h"
#include "scanner/tcp_sweep.h"
#include "scanner/workq.h"

#define ENGINE_MAX_SOURCES 8
/* Work items one engine_pump call hands out before it lets the loop turn (engine.c). */
#define PUMP_BUDGET 4096
/* TLS handshakes and application exchanges in flight at once, all targets (README, "Speed and
 * politeness"): each holds tens of KiB (an SSL object, its handshake buffer, a read buffer)
 * and costs CPU, so more at once is not faster; --fast's 4,096 sockets held 150 MB of them on
 * a 1,000-host scan. Plain connects keep the whole socket budget. */
#define MAX_SESSIONS 256

/* One unit of work: a single check, or one port of a host's span. */
/* One target being probed: a host's address, or one of an Edge's interfaces. Its checks are
 * the slice of the host's checks on that target (plan.h sorts them by target). */
struct host_sched {
  struct engine *eng;
  struct plan_host *h;
  struct plan_target *tg;
  struct plan_check *checks;
  size_t nchecks;
  bool ready;    /* address known */
  bool failed;   /* name did not resolve */
  bool bad_name; /* ... because it does not exist (an input error) */
  bool resolving;
  uv_getaddrinfo_t gai;
  struct workq q;           /* what is left to send, in order (workq.h) */
  struct uc_count inflight; /* attempts holding a socket (connect, TLS, a UDP exchange) */
  struct ratelimit rl;      /* --rate: new probes per second to this target */
  uint64_t answers;         /* probes the target answered (anything but silence) */
  uint64_t silences;        /* probes that got nothing back */
  struct rtt_est rtt;
  bool udp_listener;           /* a ucscan listener answered on one of its UDP ports */
  struct port_list udp_silent; /* span UDP ports silent so far, before any listener */
  uint32_t udp_span_closed;    /* span UDP ports that answered port unreachable */
  /* UDP span ports swept from one socket (scanner/udp_sweep.c) */
  struct portbits udp_bits;    /* SWEEP_SENT | SWEEP_DONE a port (udp_sweep.c) */
  struct uc_count udp_waiting; /* sent, neither answered nor settled */
  uint32_t udp_closed;         /* port unreachable answers */
  unsigned udp_pass;           /* resend passes so far */
  /* Raw SYN probes for the TCP span ports (scanner/engine_syn.c), and with --tcp-method syn
   * for the single checks that are a plain connect (syn_checks). */
  bool syn;
  bool syn_checks;
  uint32_t saddr_be, daddr_be;
  struct portbits syn_bits;  /* SYN_DONE | SYN_INFLIGHT a port (engine_syn.h) */
  struct syn_check *syn_chk; /* syn_checks: one per check of the slice (engine_syn.h) */
  struct host_ttl ttl;       /* TTLs of the host's SYN-ACKs and RSTs (evidence.c) */
  uint8_t range_icmp_full;   /* bit per transport: every range check has its first ICMP */
  bool tsweep; /* its TCP span ports (unless raw SYNs take them) and its plain single TCP
                  checks go through the connect sweep (tcp_sweep.h) */
};

/* A UDP span port's two bits in udp_bits. */
#define SWEEP_SENT 0x01 /* its datagram went out in the current pass */
#define SWEEP_DONE 0x02 /* decided: answered, an ICMP error, or settled silent */

/* A target that has answered nothing to this many probes is silent as a whole (a dead
 * address, or a firewall dropping everything): its range ports get no retries, which would
 * only multiply the wait without changing the verdict. */
#define SILENT_HOST_PROBES 64

/* How an attempt ended, as the attempt implementations report it. */
enum attempt_status {
  ATT_FINAL,     /* an answer (or a definite error): record it */
  ATT_NO_ANSWER, /* nothing came back: retry while attempts remain */
  ATT_RESOURCE   /* a local limit (EMFILE, ENOBUFS, EADDRNOTAVAIL): back off, try again */
};

struct attempt_result {
  enum attempt_status status;
  enum uc_state state;
  enum uc_outcome outcome;
  char reason[UC_REASON_MAX];
  double rtt_ms;    /* < 0: none */
  json_t *evidence; /* handed over */
  bool listener;
  unsigned sends;  /* times the request went out within this attempt (UDP retransmits; 0: once) */
  int sys_err;     /* ATT_RESOURCE: the libuv error */
  bool rtt_kernel; /* rtt_ms is the kernel's measure (TCP_INFO, receive timestamps), not the
                      event loop's time from the request to the callback that saw the answer */
  bool has_icmp;   /* the result is an ICMP error's: */
  struct icmp_info icmp; /* which (a range check keeps the first that blocked a port) */
};

struct attempt {
  struct attempt *prev, *next; /* the engine's in-flight list */
  struct engine *eng;
  struct host_sched *hs;
  struct work w;
  uint64_t start_ns;
  bool reported;        /* engine_attempt_done() was called (or the attempt was cancelled) */
  bool session;         /* counted in the engine's sessions until released */
  int answer_ttl;       /* TTL of the SYN-ACK or RST that answered the connect, or -1 */
  int64_t answer_rx_ns; /* when the capture saw that answer (CLOCK_REALTIME), or 0 */
  void (*cancel)(struct attempt *a);
};

/* UDP range ports without a socket per port (scanner/udp_sweep.c). */
struct udp_sweep {
  int fd[2]; /* AF_INET, AF_INET6; -1: not open */
  uv_poll_t poll[2];
  uv_timer_t settle; /* one settle interval after the last datagram */
  bool settling;
  uint64_t last_answer_ns;     /* when an answer last decided a port (uv_hrtime), or 0 */
  struct uc_count waiting;     /* ports sent and not decided, all targets (each host's too) */
  struct host_sched **targets; /* swept targets, sorted by address */
  size_t ntargets;
  void *mod_state; /* the generic UDP probe's state: one nonce for the sweep */
  uint8_t payload[64];
  size_t payload_len;
};

struct engine {
  uv_loop_t *loop;
  struct plan *plan;
  const struct scan_conf *conf;
  struct host_sched *hosts;
  size_t nhosts;
  size_t rr;                /* round-robin cursor over hosts */
  struct uc_count inflight; /* attempts holding a socket, all targets */
  struct uc_count sessions; /* of them, those with a TLS session or an application exchange
                               (workq_session), at most max_sessions */
  unsigned max_sessions;
  bool sockless;       /* some target may have work that holds no socket (raw SYN, swept UDP port):
                          set when probing starts; pick() stops at a full socket budget without it */
  struct backoff bo;   /* the cap on attempts holding a socket: configured (capped by
                          the fd limit), lowered on local resource errors (workq.h) */
  struct ratelimit rl; /* --max-rate: new probes per second, all targets */
  uv_timer_t pump_timer; /* rate cap and resource back-off */
  bool pump_timer_armed;
  uv_check_t stop_check; /* engine_request_stop: the stop, after this turn's answers */
  bool stop_requested;
  bool started, stopping, finished;
  unsigned resolving;
  uint64_t total;          /* probes the plan needs, set by engine_start */
  struct uc_count64 done;  /* of them, decided (engine_probe_done, engine_probe_undone) */
  struct uc_count64 sent;  /* probes that went out, retries included (engine_probe_sent) */
  uint64_t resource_waits; /* local resource errors met (resource_wait): back-offs */
  char stop_why[200];      /* set when the engine stops itself (no descriptor can ever be had) */
  struct attempt *attempts;
  engine_done_cb done_cb;
  void *done_arg;
  SSL_CTX *tls_ctx;
  char tls_ctx_error[160];
  struct capture *capture;
  char capture_why[200];
  bool capture_used;
  bool prepared;      /* engine_prepare() ran */
  struct ev_index ev; /* evidence.c's: answers the capture saw, targets by address */
  unsigned long capture_packets;
  unsigned capture_drops;
  struct uc_handles handles; /* the engine's own timers and polls, until closed */
  bool probing;              /* resolution finished, probes may start */
  struct syn_prober sp;      /* raw SYN probes (engine_syn.h) */
  /* --source: the local address every probe is bound to (ss_family AF_UNSPEC: none) */
  struct sockaddr_storage source;
  /* local addresses probes went out from, for the report's vantage.source_addresses */
  char sources[ENGINE_MAX_SOURCES][64];
  size_t nsources;
  struct udp_sweep sweep;
  struct tcp_sweep tsweep; /* TCP span ports by connect() (tcp_sweep.h) */
  uint8_t readbuf[65536];  /* shared: read callbacks consume it before returning */
};

/* The attempt implementations. Return 0 when started (a result will follow through
 * engine_attempt_done), or a libuv error when nothing was started and nothing needs
 * closing (the engine treats UV_EMFILE and friends as a resource wait). */
int attempt_tcp_start(struct engine *e, struct host_sched *hs, const struct work *w);
int attempt_udp_start(struct engine *e, struct host_sched *hs, const struct work *w);

/* Called by an attempt once, with its outcome. The attempt then closes its handles. */
void engine_attempt_done(struct attempt *a, struct attempt_result *r);
/* Called by an attempt when its handles are closed; frees it and starts more work. */
void engine_attempt_release(struct attempt *a);
/* Links a new attempt into the in-flight list; it holds a socket slot until released. */
void engine_attempt_link(struct engine *e, struct attempt *a, struct host_sched *hs,
                         const struct work *w);
/* A socket slot: one probe holding a socket, counted in the engine's and hs's in-flight
 * counts (the --concurrency and --per-host caps). Taken when the probe starts, released once
 * when it ends; the attempts (engine_attempt_link/release) and the connect sweep
 * (tcp_sweep.c) count only through these, and a release without a take asserts. */
void engine_slot_take(struct engine *e, struct host_sched *hs);
void engine_slot_release(struct engine *e, struct host_sched *hs);
/* The engine's progress counters, changed only through these: a probe went out (first
 * attempt or retry), a planned probe is decided. */
void engine_probe_sent(struct engine *e);
void engine_probe_done(struct engine *e);
/* A probe counted done goes out again (a UDP port that was silent before a listener was
 * known): it is counted done again when decided. */
void engine_probe_undone(struct engine *e);
/* A target answered (anything but silence) / stayed silent: the silent-host rule. */
void engine_target_answered(struct host_sched *hs);
void engine_target_silent(struct host_sched *hs);
/* Whether a probe to hs that got no answer deserves another attempt. */
bool engine_retry_silence(const struct host_sched *hs, const struct work *w);
/* The engine's own handles (its timers, the sweeps' polls and async, the SYN prober's timer)
 * are counted from their init until their close callbacks ran; the engine is freed with the
 * last. engine_handles_opened after n uv_*_init succeeded; engine_handle_closed from each
 * one's close callback. */
void engine_handles_opened(struct engine *e, unsigned n);
void engine_handle_closed(struct engine *e);
/* 32 random bytes for probe modules (transaction ids, nonces). */
void engine_random(uint8_t out[32]);
bool engine_is_resource_error(int uv_err);
/* A connect that failed with libuv status `status` (not 0), as a result: status, state and
 * reason, the rest left as *r had it. attempt_tcp.c and the connect sweep (tcp_sweep.c) word
 * the same failure alike. `attempts`: connects made for this check so far, this one included. */
void engine_connect_failure(int status, unsigned attempts, struct attempt_result *r);
/* The --source address for a socket of `family` (port 0). Returns 1 with *out filled, 0 when
 * no --source was given, or UV_EAFNOSUPPORT when --source is of the other family. */
int engine_source_for(const struct engine *e, int family, struct sockaddr_storage *out,
                      socklen_t *len);

/* udp_sweep.c: UDP range ports from one socket per family. sweep_setup after resolution
 * (targets without a sweep go port by port, attempt_udp.c); sweep_start sends one port's
 * datagram (false: not swept, use an attempt); sweep_busy while a pass settles;
 * sweep_queued: hs still has UDP span ports to hand out; sweep_finish_stopped decides the
 * silent ports of a stopped scan; sweep_close before the engine is freed. */
void sweep_setup(struct engine *e);
void sweep_off(struct engine *e);
bool sweep_start(struct engine *e, struct host_sched *hs, const struct work *w);
bool sweep_busy(const struct engine *e);
bool sweep_queued(const struct host_sched *hs);
void sweep_stop(struct engine *e);
void sweep_finish_stopped(struct engine *e);
void sweep_close(struct engine *e);

/* evidence.c: the capture subscriber, and what it proves for attempts and checks. */
int evidence_setup(struct engine *e); /* after resolution: host index, answer table */
void evidence_teardown(struct engine *e);
void evidence_on_packet(void *arg, const struct pkt_info *p);
struct host_sched *evidence_host(struct engine *e, const struct pkt_addr *a);
/* Whether captured packets of hs's address are attributed to hs (false for a second target
 * on an address another target already has). */
bool evidence_owns(struct engine *e, const struct host_sched *hs);
/* A connect attempt ended (status: 0, or the libuv error; UV_ETIMEDOUT for our own
 * deadline). Drains the capture (unless `drained`: the caller did since the connect's outcome
 * was known) and looks for the packet that answered: a SYN-ACK or RST sets a->answer_ttl; an
 * ICMP error fills r (state, reason naming who sent it, evidence.icmp) and returns true, and
 * so does a RST that our deadline beat to the socket. lport: the attempt's local port (0:
 * unknown). */
bool evidence_connect(struct attempt *a, uint16_t lport, int status, bool drained,
                      struct attempt_result *r);
/* The result of a single check is being recorded: adds evidence.ttl. */
void evidence_result(struct attempt *a, struct attempt_result *r);
/* Asks the kernel for ICMP details on a socket: IP_RECVERR / IPV6_RECVERR (an ICMP error about
 * this socket's packets is queued with its type, code and sender; for a TCP connect() as for
 * UDP, and without privileges) and SO_TIMESTAMPNS (answers and queued errors carry the time
 * the kernel received them). Best effort: a kernel that refuses just gives less evidence. */
void evidence_socket_opts(int fd, int family);
/* Reads one ICMP error from fd's error queue. True with *ii filled (from_target judged against
 * dst, whose port is ignored) and *rx_ns the kernel's receive time (CLOCK_REALTIME, ns; 0 when
 * unknown); false when the queue holds no ICMP error. */
bool evidence_errqueue(int fd, const struct sockaddr_storage *dst, struct icmp_info *ii,
                       int64_t *rx_ns);
/* CLOCK_REALTIME in ns, to pair with kernel receive times. */
int64_t evidence_realtime_ns(void);
/* An ICMP error on fd's error queue, whatever the destination: *orig is the destination
 * (address and port) of the datagram that caused it. False when none is queued. */
bool evidence_errqueue_any(int fd, struct sockaddr_storage *orig, struct icmp_info *ii,
                           int64_t *rx_ns);
/* A port of a range was blocked by an ICMP error: the range's first one becomes evidence. */
void evidence_range_icmp(struct host_sched *hs, enum uc_transport t, uint16_t port,
                         const struct icmp_info *ii);
/* Before verdicts: a RST with an unusual TTL is called out in its check's reason. */
void evidence_finalize_checks(struct engine *e);
/* After verdicts: a range's reason names its first blocking ICMP error. */
void evidence_finalize_ranges(struct engine *e);

/* Shared with engine.c */
void engine_pump(struct engine *e);
int engine_push_retry(struct host_sched *hs, const struct work *w, bool front);

/* results.c: recording answers into the plan. */
void results_single(struct host_sched *hs, struct plan_check *c, const struct attempt_result *r,
                    unsigned attempts);
void results_span_port(struct host_sched *hs, enum uc_transport t, uint16_t port, enum uc_state st);
void results_host_unresolved(struct host_sched *hs);
void results_finalize(struct engine *e);

#endif
