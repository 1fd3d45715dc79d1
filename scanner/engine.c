/* scanner/engine.c - lifecycle, resolution and scheduling of the scan.
 *
 * Scheduling: hosts are served round-robin; each host hands out its retries first,
 * then its single checks, then the ports of its spans in order, one work item at a time
 * (nothing is expanded ahead). A work item starts only while the global in-flight count
 * is under the effective cap, the host is under --per-host, and the rate bucket has a
 * token. Local resource errors (EMFILE, ENOBUFS, EADDRNOTAVAIL) lower the effective cap
 * and retry the same work after a short pause; successes raise it back. */
#include "scanner/engine.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/platform.h"
#include "probes/probe.h"
#include "probes/tls.h"
#include "scanner/engine_int.h"

#define RESOURCE_PAUSE_MS 20
/* Resource waits in a row with nothing in flight before the scan gives up: when not even one
 * socket can be opened and no probe holds one, waiting cannot help (the process's own
 * descriptors fill the open-file limit). 100 x 20 ms = 2 s. */
#define STARVE_LIMIT 100

bool engine_is_resource_error(int uv_err)
{
  return uv_err == UV_EMFILE || uv_err == UV_ENFILE || uv_err == UV_ENOBUFS ||
         uv_err == UV_EADDRNOTAVAIL || uv_err == UV_EAGAIN || uv_err == UV_ENOMEM;
}

void engine_connect_failure(int status, unsigned attempts, struct attempt_result *r)
{
  r->status = ATT_FINAL;
  switch (status) {
  case UV_ECONNREFUSED:
    r->state = UC_ST_CLOSED;
    snprintf(r->reason, sizeof(r->reason), "connection refused (RST)");
    return;
  case UV_EHOSTUNREACH:
    r->state = UC_ST_UNREACHABLE;
    snprintf(r->reason, sizeof(r->reason),
             "host unreachable or administratively prohibited (EHOSTUNREACH)");
    return;
  case UV_ENETUNREACH:
    r->state = UC_ST_UNREACHABLE;
    snprintf(r->reason, sizeof(r->reason), "network unreachable");
    return;
  case UV_ETIMEDOUT:
    r->status = ATT_NO_ANSWER;
    r->state = UC_ST_FILTERED;
    snprintf(r->reason, sizeof(r->reason), "no answer to %u connection attempts", attempts);
    return;
  default:
    r->state = UC_ST_ERROR;
    if (engine_is_resource_error(status)) {
      r->status = ATT_RESOURCE;
      r->sys_err = status;
      snprintf(r->reason, sizeof(r->reason), "%s", uv_strerror(status));
      return;
    }
    snprintf(r->reason, sizeof(r->reason), "connect failed: %s", uv_strerror(status));
  }
}

void engine_random(uint8_t out[32])
{
  if (RAND_bytes(out, 32) != 1) {
    /* Not for security: ids only need to be unpredictable enough to match replies. */
    uint64_t t = uv_hrtime();
    for (int i = 0; i < 32; i++)
      out[i] = (uint8_t)(t >> ((i % 8) * 8)) ^ (uint8_t)(i * 151);
  }
}

/* File descriptors we may use for probes: raise the soft limit to the hard one, keep a
 * reserve for the loop, stdio, capture and output files. */
static unsigned fd_budget(unsigned want)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return want;
  rlim_t need = (rlim_t)want + 64;
  if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  rlim_t reserve = rl.rlim_cur > 256 ? 48 : rl.rlim_cur / 4;
  if (reserve < 12)
    reserve = 12;
  rlim_t avail = rl.rlim_cur > reserve ? rl.rlim_cur - reserve : 1;
  return avail < want ? (unsigned)avail : want;
}

/* One scheduler entry per target with something to probe; `out` NULL: only counts them. */
static size_t make_scheds(struct engine *e, struct plan *plan, struct host_sched *out)
{
  size_t n = 0;
  for (size_t i = 0; i < plan->nhosts; i++) {
    struct plan_host *h = &plan->hosts[i];
    size_t k = 0;
    for (size_t t = 0; t < h->ntargets; t++) {
      size_t first = k;
      while (k < h->nchecks && h->checks[k].target == t)
        k++;
      if (!h->targets[t].probe)
        continue;
      if (out) {
        out[n].eng = e;
        out[n].h = h;
        out[n].tg = &h->targets[t];
        out[n].checks = &h->checks[first];
        out[n].nchecks = k - first;
        workq_init(&out[n].q, out[n].checks, out[n].nchecks, h->targets[t].spans,
                   h->targets[t].nspans);
      }
      n++;
    }
  }
  return n;
}

int engine_source_for(const struct engine *e, int family, struct sockaddr_storage *out,
                      socklen_t *len)
{
  if (e->source.ss_family == AF_UNSPEC)
    return 0;
  if (e->source.ss_family != family)
    return UV_EAFNOSUPPORT;
  *out = e->source;
  *len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
  return 1;
}

/* The local address the kernel sends from to reach hs's target (a UDP socket's connect()
 * picks it from the routing table and sends nothing), recorded once per distinct address. */
static void note_source(struct host_sched *hs)
{
  struct engine *e = hs->eng;
  struct sockaddr_storage dst = hs->tg->addr, local, src;
  socklen_t len = sizeof(local), srclen;
  char text[64];
  int fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  if (dst.ss_family == AF_INET)
    ((struct sockaddr_in *)&dst)->sin_port = htons(9);
  else
    ((struct sockaddr_in6 *)&dst)->sin6_port = htons(9);
  socklen_t dlen =
      dst.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
  bool ok = (engine_source_for(e, dst.ss_family, &src, &srclen) != 1 ||
             bind(fd, (struct sockaddr *)&src, srclen) == 0) &&
            connect(fd, (struct sockaddr *)&dst, dlen) == 0 &&
            getsockname(fd, (struct sockaddr *)&local, &len) == 0;
  plat_sock_close(fd);
  if (!ok)
    return; /* no route: the probes will say so */
  if (local.ss_family == AF_INET)
    ((struct sockaddr_in *)&local)->sin_port = 0;
  else
    ((struct sockaddr_in6 *)&local)->sin6_port = 0;
  probe_addr_str((struct sockaddr *)&local, text, sizeof(text));
  for (size_t i = 0; i < e->nsources; i++)
    if (strcmp(e->sources[i], text) == 0)
      return;
  if (e->nsources < ENGINE_MAX_SOURCES)
    snprintf(e->sources[e->nsources++], sizeof(e->sources[0]), "%s", text);
}

size_t engine_sources(const struct engine *e, const char *out[], size_t cap)
{
  size_t n = e->nsources < cap ? e->nsources : cap;
  for (size_t i = 0; i < n; i++)
    out[i] = e->sources[i];
  return n;
}

/* --source as a socket address (the command line checked it is one of ours). */
static void parse_source(struct engine *e, const char *text)
{
  struct sockaddr_in s4;
  struct sockaddr_in6 s6;
  if (!text)
    return;
  if (uv_ip4_addr(text, 0, &s4) == 0)
    memcpy(&e->source, &s4, sizeof(s4));
  else if (uv_ip6_addr(text, 0, &s6) == 0)
    memcpy(&e->source, &s6, sizeof(s6));
}

struct engine *engine_new(uv_loop_t *loop, struct plan *plan, const struct scan_conf *conf)
{
  struct engine *e = calloc(1, sizeof(*e));
  if (!e)
    return NULL;
  e->loop = loop;
  e->plan = plan;
  e->conf = conf;
  e->nhosts = make_scheds(e, plan, NULL);
  e->hosts = calloc(e->nhosts ? e->nhosts : 1, sizeof(*e->hosts));
  if (!e->hosts) {
    free(e);
    return NULL;
  }
  make_scheds(e, plan, e->hosts);
  parse_source(e, conf->source_addr);
  e->bo.max_inflight = fd_budget(conf->concurrency ? conf->concurrency : 1);
  e->bo.eff_inflight = e->bo.max_inflight;
  e->max_sessions = e->bo.max_inflight < MAX_SESSIONS ? e->bo.max_inflight : MAX_SESSIONS;
  e->sweep.fd[0] = e->sweep.fd[1] = -1;
  uv_timer_init(loop, &e->pump_timer);
  e->pump_timer.data = e;
  uv_timer_init(loop, &e->sweep.settle);
  e->sweep.settle.data = e;
  uv_check_init(loop, &e->stop_check);
  e->stop_check.data = e;
  engine_handles_opened(e, 3);
  syn_prober_init(e);
  return e;
}

/* --- counters: the engine changes them, through these --- */

void engine_probe_sent(struct engine *e)
{
  uc_count64_inc(&e->sent);
}

void engine_probe_done(struct engine *e)
{
  uc_count64_inc(&e->done);
}

void engine_probe_undone(struct engine *e)
{
  uc_count64_dec(&e->done);
}

void engine_target_answered(struct host_sched *hs)
{
  hs->answers++;
}

void engine_target_silent(struct host_sched *hs)
{
  hs->silences++;
}

bool engine_retry_silence(const struct host_sched *hs, const struct work *w)
{
  if (w->attempt >= hs->eng->conf->retries)
    return false;
  /* range ports of a target that has answered nothing at all: another attempt cannot
   * change the verdict (single checks always get theirs) */
  return w->check || hs->answers > 0 || hs->silences < SILENT_HOST_PROBES;
}

/* --- work queues --- */

static bool host_has_work(const struct host_sched *hs)
{
  bool single;
  enum uc_transport t;
  return hs->ready && !hs->failed && hs->eng->probing && workq_peek(&hs->q, &single, &t);
}

int engine_push_retry(struct host_sched *hs, const struct work *w, bool front)
{
  return workq_push(&hs->q, w, front);
}

/* --- finishing --- */

static bool any_work(const struct engine *e)
{
  for (size_t i = 0; i < e->nhosts; i++)
    if (host_has_work(&e->hosts[i]))
      return true;
  return false;
}

static void maybe_done(struct engine *e)
{
  if (e->finished || !e->started || uc_count_get(&e->inflight) || syn_prober_inflight(e))
    return;
  /* A running getaddrinfo() cannot be cancelled (a DNS server that never answers holds it
   * for timeout x attempts): a stopped scan does not wait for it. engine_progress() still
   * counts it in hosts_resolving; the caller must not free the engine or run the loop
   * until it completes, and normally just exits. */
  if (e->resolving && !e->stopping)
    return;
  if (!e->stopping && (any_work(e) || sweep_busy(e)))
    return;
  e->finished = true;
  uv_timer_stop(&e->pump_timer);
  e->pump_timer_armed = false;
  syn_stop(e);
  sweep_stop(e);
  if (e->capture) {
    /* The last answers count and go to the dump file; the count is the file's. */
    capture_drain(e->capture);
    e->capture_packets = capture_packets(e->capture);
    e->capture_drops = capture_drops(e->capture);
    capture_close(e->capture); /* flushes the dump file; frees itself */
    e->capture = NULL;
  }
  syn_teardown(e);
  evidence_teardown(e);
  if (e->done_cb)
    e->done_cb(e, e->done_arg);
}

/* Appends to buf at *used (snprintf-like; *used may pass cap, which the caller tests). */
static void filter_put(char *buf, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void filter_put(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + (*used < cap ? *used : cap), *used < cap ? cap - *used : 0, fmt, ap);
  va_end(ap);
  *used += n > 0 ? (size_t)n : 0;
}

/* The address of host i's target without its port; false when it did not resolve. */
static bool filter_target(const struct engine *e, size_t i, struct sockaddr_storage *a)
{
  const struct plan_target *tg = e->hosts[i].tg;
  if (!tg->resolved)
    return false;
  *a = tg->addr;
  if (a->ss_family == AF_INET)
    ((struct sockaddr_in *)a)->sin_port = 0;
  else
    ((struct sockaddr_in6 *)a)->sin6_port = 0;
  return true;
}

enum filter_list { FL_HOSTS, FL_ICMP4, FL_ICMP6 };

/* Appends one clause per target of the list's kind, joined by " or ": "[src ]host A" for
 * every target; for ICMP errors, the quoted header's destination: at ICMP offset 8 + 16
 * (IPv4), at IPv6 offset 40 + 8 + 24 for ICMPv6 (no extension headers). Returns how many. */
static size_t filter_list(const struct engine *e, enum filter_list kind, char *buf, size_t cap,
                          size_t *used)
{
  size_t n = 0;
  for (size_t i = 0; i < e->nhosts && *used < cap; i++) {
    struct sockaddr_storage a;
    if (!filter_target(e, i, &a) || (kind == FL_ICMP4 && a.ss_family != AF_INET) ||
        (kind == FL_ICMP6 && a.ss_family != AF_INET6))
      continue;
    const char *sep = n++ ? " or " : "";
    if (kind == FL_HOSTS) {
      char ip[64];
      probe_addr_str((struct sockaddr *)&a, ip, sizeof(ip));
      if (ip[0] == '[') { /* probe_addr_str brackets IPv6 only with a port */
        memmove(ip, ip + 1, strlen(ip));
        ip[strlen(ip) - 1] = '\0';
      }
      filter_put(buf, cap, used, "%s%shost %s", sep, e->conf->capture_file ? "" : "src ", ip);
    } else if (kind == FL_ICMP4) {
      const uint8_t *b = (const uint8_t *)&((const struct sockaddr_in *)&a)->sin_addr;
      filter_put(buf, cap, used, "%sicmp[24:4] == 0x%02x%02x%02x%02x", sep, b[0], b[1], b[2], b[3]);
    } else {
      const uint8_t *b = ((const struct sockaddr_in6 *)&a)->sin6_addr.s6_addr;
      filter_put(buf, cap, used, "%s(", sep);
      for (int w = 0; w < 4; w++)
        filter_put(buf, cap, used, "%sip6[%d:4] == 0x%02x%02x%02x%02x", w ? " and " : "",
                   72 + 4 * w, b[4 * w], b[4 * w + 1], b[4 * w + 2], b[4 * w + 3]);
      filter_put(buf, cap, used, ")");
    }
  }
  return n;
}

#define FILTER_ICMP4_ERROR "icmp and (icmp[0] == 3 or icmp[0] == 11)"
#define FILTER_ICMP6_ERROR "icmp6 and (ip6[40] == 1 or ip6[40] == 3)"

/* The targets' packets and the ICMP errors: only those about the targets (`scoped`), or
 * every one. Returns the length it needed (>= cap: it did not fit). */
static size_t filter_of_targets(const struct engine *e, bool scoped, char *buf, size_t cap)
{
  size_t used = 0;
  filter_put(buf, cap, &used, "(ip or ip6) and (");
  if (filter_list(e, FL_HOSTS, buf, cap, &used) == 0)
    filter_put(buf, cap, &used, "less 0"); /* nothing resolved: nothing to take */
  if (!scoped) {
    filter_put(buf, cap, &used, " or (" FILTER_ICMP4_ERROR ") or (" FILTER_ICMP6_ERROR "))");
    return used;
  }
  size_t mark = used;
  filter_put(buf, cap, &used, " or (" FILTER_ICMP4_ERROR " and (");
  if (filter_list(e, FL_ICMP4, buf, cap, &used) == 0)
    used = mark; /* no IPv4 target: no clause */
  else
    filter_put(buf, cap, &used, "))");
  mark = used;
  filter_put(buf, cap, &used, " or (" FILTER_ICMP6_ERROR " and (");
  if (filter_list(e, FL_ICMP6, buf, cap, &used) == 0)
    used = mark;
  else
    filter_put(buf, cap, &used, "))");
  filter_put(buf, cap, &used, ")");
  return used;
}

void engine_capture_filter(const struct engine *e, char *buf, size_t cap)
{
  /* Everything the targets send us, the ICMP errors about what we sent them (from them or
   * any router on the way; never another program's), and with a dump file what we send
   * them too. Past about 150 targets the list of ICMP errors goes (every ICMP error
   * then), past about 300 the list of targets: every packet of the kinds we probe with. */
  if (filter_of_targets(e, true, buf, cap) < cap || filter_of_targets(e, false, buf, cap) < cap)
    return;
  /* Without a dump file only the answers count: "inbound" keeps our own packets (three of
   * the four of an accepted connect) out of the kernel's copy to the capture. */
  snprintf(buf, cap, "%s",
           e->conf->capture_file ? "tcp or udp or icmp or icmp6"
                                 : "inbound and (tcp or udp or icmp or icmp6)");
}

void engine_capture_status(const struct engine *e, bool *available, const char **why,
                           unsigned long *packets, unsigned *drops)
{
  *available = e->capture_used;
  *why = e->capture_used ? NULL : (e->capture_why[0] ? e->capture_why : "not requested");
  *packets = e->capture_packets;
  *drops = e->capture_drops;
}

bool engine_finished(const struct engine *e)
{
  return e->finished;
}

const char *engine_error(const struct engine *e)
{
  return e->tls_ctx_error[0] ? e->tls_ctx_error : "unknown error";
}

bool engine_complete(const struct engine *e)
{
  return e->finished && !e->stopping;
}

/* --- pumping --- */

static void on_pump_timer(uv_timer_t *t)
{
  struct engine *e = t->data;
  e->pump_timer_armed = false;
  engine_pump(e);
}

static void arm_pump(struct engine *e, uint64_t ms)
{
  if (e->pump_timer_armed)
    return;
  e->pump_timer_armed = true;
  uv_timer_start(&e->pump_timer, on_pump_timer, ms ? ms : 1, 0);
}

/* The pump goes on a millisecond later, once the loop has read what came in (answers, ICMP
 * errors, the capture, a Ctrl-C): probes that hold no socket slot (raw SYNs, swept UDP
 * ports) under no rate cap (--fast) would otherwise all go out in one callback, and a scan of
 * 1,000 hosts' ranges (16 million datagrams) would not even hear a Ctrl-C. Not a 0 ms timer:
 * libuv before 1.45 runs a timer re-armed with 0 in the same pass, without polling. */
static void yield_pump(struct engine *e)
{
  arm_pump(e, 1);
}

/* Whether work of this kind holds a socket while it waits for its answer: an attempt
 * (attempt_tcp.c, attempt_udp.c) does; a raw SYN and a swept UDP port do not. c: the single
 * check, NULL for a span port. */
static bool needs_socket(const struct host_sched *hs, const struct plan_check *c,
                         enum uc_transport t)
{
  if (syn_takes(hs, c, t))
    return false;
  if (c)
    return true;
  return t == UC_TCP || !hs->udp_bits.v;
}

/* Round robin over the targets: the next whose next work fits (a free socket slot of its
 * own, --per-host, and of the engine's for work that holds one; room in the SYN window for a
 * SYN) and whose own rate bucket (--rate) has a token; the work is taken. *wait_ms: how long
 * until a target held back by its rate has a token (0: none is). */
static struct host_sched *pick(struct engine *e, struct work *w, uint64_t *wait_ms)
{
  struct admit_view v = {.per_host = e->conf->per_host,
                         .inflight = uc_count_get(&e->inflight),
                         .max_inflight = e->bo.eff_inflight,
                         .syn_inflight = syn_prober_inflight(e),
                         .syn_window = syn_prober_window(e),
                         .sessions = uc_count_get(&e->sessions),
                         .max_sessions = e->max_sessions};
  uint64_t now = uv_hrtime();
  *wait_ms = 0;
  if (!e->sockless && v.inflight >= v.max_inflight)
    return NULL; /* every target's work needs a socket and none is free: no need to look at
                    each (a 1,000-host scan spent an eighth of its CPU finding that out) */
  for (size_t k = 0; k < e->nhosts; k++) {
    size_t i = (e->rr + k) % e->nhosts;
    struct host_sched *hs = &e->hosts[i];
    bool single;
    enum uc_transport t;
    if (!host_has_work(hs) || !workq_peek(&hs->q, &single, &t))
      continue;
    const struct plan_check *c = single ? workq_peek_check(&hs->q) : NULL;
    bool by_connect = workq_peek_connect(&hs->q); /* a probe the SYN prober let go of */
    v.needs_socket = by_connect || needs_socket(hs, c, t);
    v.session = workq_session(c);
    v.syn = !by_connect && syn_takes(hs, c, t);
    v.target_inflight = uc_count_get(&hs->inflight);
    if (!workq_admit(&v))
      continue;
    if (!ratelimit_take(&hs->rl, now)) {
      uint64_t ms = ratelimit_wait_ms(&hs->rl, now);
      if (!*wait_ms || ms < *wait_ms)
        *wait_ms = ms;
      continue;
    }
    if (!workq_take(&hs->q, w)) {
      ratelimit_give_back(&hs->rl);
      continue;
    }
    e->rr = (i + 1) % e->nhosts;
    return hs;
  }
  return NULL;
}

static void resource_wait(struct engine *e, int err)
{
  e->resource_waits++;
  enum backoff_action act = workq_backoff(&e->bo, uc_count_get(&e->inflight), err, STARVE_LIMIT);
  if (act == BACKOFF_STARVED && !e->stop_why[0])
    snprintf(e->stop_why, sizeof(e->stop_why),
             "no socket could be opened for %u ms with no probe in flight (%s): raise the "
             "open-file limit (ulimit -n)",
             STARVE_LIMIT * RESOURCE_PAUSE_MS, err ? uv_strerror(err) : "resource error");
  if (act != BACKOFF_GO_ON)
    arm_pump(e, RESOURCE_PAUSE_MS);
}

void engine_pump(struct engine *e)
{
  if (e->stopping || e->finished || e->stop_requested) { /* nothing new once a stop is asked */
    maybe_done(e);
    return;
  }
  unsigned budget = PUMP_BUDGET;
  while (!e->pump_timer_armed) {
    if (budget-- == 0) {
      yield_pump(e);
      break;
    }
    if (!ratelimit_take(&e->rl, uv_hrtime())) {
      arm_pump(e, ratelimit_wait_ms(&e->rl, uv_hrtime()));
      break;
    }
    struct work w;
    uint64_t wait_ms;
    struct host_sched *hs = pick(e, &w, &wait_ms);
    if (!hs) {
      ratelimit_give_back(&e->rl);
      if (wait_ms)
        arm_pump(e, wait_ms); /* every target with work waits for its own rate */
      break;
    }
    if (syn_start(e, hs, &w))
      continue;
    if (w.transport == UC_TCP && hs->tsweep && tcpsweep_start(e, hs, &w)) {
      workq_backoff_started(&e->bo); /* a socket could be had */
      continue;
    }
    if (!w.check && w.transport == UC_UDP && sweep_start(e, hs, &w))
      continue;
    int rc = w.transport == UC_TCP ? attempt_tcp_start(e, hs, &w) : attempt_udp_start(e, hs, &w);
    if (rc == 0) {
      engine_probe_sent(e);
      workq_backoff_started(&e->bo);
      continue;
    }
    if (engine_is_resource_error(rc)) {
      engine_push_retry(hs, &w, true);
      resource_wait(e, rc);
      break;
    }
    /* Could not even start, and nothing to close: record it as an error. */
    struct attempt_result r = {.status = ATT_FINAL, .state = UC_ST_ERROR, .rtt_ms = -1};
    if (rc == UV_EAFNOSUPPORT && e->source.ss_family != AF_UNSPEC)
      snprintf(r.reason, sizeof(r.reason),
               "no probe can go from --source %s to this target: the addresses are of "
               "different families (IPv4, IPv6)",
               e->conf->source_addr);
    else
      snprintf(r.reason, sizeof(r.reason), "could not start the probe: %s", uv_strerror(rc));
    if (w.check)
      results_single(hs, w.check, &r, w.attempt + 1);
    else
      results_span_port(hs, w.transport, w.port, UC_ST_ERROR);
    engine_probe_done(e);
  }
  if (e->stop_why[0]) {
    engine_stop(e); /* a partial report says what was done; the session says why */
    return;
  }
  syn_flush(e);
  tcpsweep_flush(e);
  maybe_done(e);
}

const char *engine_stop_reason(const struct engine *e)
{
  return e->stop_why[0] ? e->stop_why : NULL;
}

/* --- socket slots --- */

void engine_slot_take(struct engine *e, struct host_sched *hs)
{
  uc_count_inc(&e->inflight);
  uc_count_inc(&hs->inflight);
}

void engine_slot_release(struct engine *e, struct host_sched *hs)
{
  uc_count_dec(&e->inflight);
  uc_count_dec(&hs->inflight);
}

/* --- attempts --- */

void engine_attempt_link(struct engine *e, struct attempt *a, struct host_sched *hs,
                         const struct work *w)
{
  a->eng = e;
  a->hs = hs;
  a->w = *w;
  a->w.next = NULL;
  /* The loop reads its clock once per iteration: an attempt started late in a long one (a
   * busy machine, many handshakes at once) would arm its deadline from a time already past,
   * and it would fire at once ("last waited 0 ms"). Its deadline counts from now. */
  uv_update_time(e->loop);
  a->start_ns = uv_hrtime();
  a->answer_ttl = -1;
  a->next = e->attempts;
  a->prev = NULL;
  if (e->attempts)
    e->attempts->prev = a;
  e->attempts = a;
  engine_slot_take(e, hs);
  a->session = workq_session(w->check);
  if (a->session)
    uc_count_inc(&e->sessions);
}

void engine_attempt_release(struct attempt *a)
{
  struct engine *e = a->eng;
  if (a->prev)
    a->prev->next = a->next;
  else
    e->attempts = a->next;
  if (a->next)
    a->next->prev = a->prev;
  engine_slot_release(e, a->hs);
  if (a->session)
    uc_count_dec(&e->sessions);
  free(a);
  engine_pump(e);
}

static void listener_found(struct engine *e, struct host_sched *hs)
{
  /* A ucscan listener answers every UDP port it opened: silence is now evidence.
   * Probe again, with retransmits, the ports that were silent before we knew. Each port in
   * udp_silent was counted done once, when it was put there (engine_attempt_done): it is no
   * longer done until its retry is decided. */
  hs->udp_listener = true;
  for (size_t i = 0; i < hs->udp_silent.n; i++) {
    struct work w = {.port = hs->udp_silent.v[i], .transport = UC_UDP, .attempt = 1};
    if (engine_push_retry(hs, &w, false) == 0)
      engine_probe_undone(e);
  }
  port_list_free(&hs->udp_silent);
}

void engine_attempt_done(struct attempt *a, struct attempt_result *r)
{
  struct engine *e = a->eng;
  struct host_sched *hs = a->hs;
  struct work w = a->w;
  if (a->reported || e->stopping) {
    a->reported = true;
    json_decref(r->evidence);
    return;
  }
  a->reported = true;
  if (w.check)
    evidence_result(a, r);
  else if (r->has_icmp && r->status == ATT_FINAL)
    evidence_range_icmp(hs, w.transport, w.port, &r->icmp);
  switch (r->status) {
  case ATT_RESOURCE:
    engine_push_retry(hs, &w, true);
    resource_wait(e, r->sys_err);
    json_decref(r->evidence);
    return;
  case ATT_NO_ANSWER:
    engine_target_silent(hs);
    if (w.transport == UC_TCP && engine_retry_silence(hs, &w)) {
      w.attempt++;
      engine_push_retry(hs, &w, true);
      json_decref(r->evidence);
      return;
    }
    if (!w.check && w.transport == UC_UDP && !hs->udp_listener) {
      if (w.attempt == 0 && hs->udp_span_closed > 0 && hs->udp_span_closed >= hs->udp_silent.n) {
        /* A host that answers port unreachable at least as often as it is silent: a silent
         * port's answer may be what got lost. One more datagram, after the rest. */
        w.attempt = 1;
        engine_push_retry(hs, &w, false);
        json_decref(r->evidence);
        return;
      }
      port_list_add(&hs->udp_silent, w.port);
      engine_probe_done(e);
      json_decref(r->evidence);
      return;
    }
    if (!w.check && w.transport == UC_UDP && w.attempt == 0) {
      /* Sent as a single datagram before the listener was known: it deserves the
       * retransmits that make silence evidence. */
      w.attempt = 1;
      engine_push_retry(hs, &w, false);
      json_decref(r->evidence);
      return;
    }
    break;
  case ATT_FINAL:
    if (r->state != UC_ST_ERROR)
      engine_target_answered(hs);
    if (r->listener && w.transport == UC_UDP && !hs->udp_listener)
      listener_found(e, hs);
    if (!w.check && w.transport == UC_UDP && r->state == UC_ST_CLOSED)
      hs->udp_span_closed++;
    break;
  }
  workq_backoff_recovered(&e->bo);
  if (w.check) {
    results_single(hs, w.check, r, w.attempt + (r->sends > 1 ? r->sends : 1));
  } else {
    enum uc_state st = r->state;
    if (r->status == ATT_NO_ANSWER)
      st = UC_ST_FILTERED; /* TCP after every retry, or UDP where a listener should answer */
    results_span_port(hs, w.transport, w.port, st);
    json_decref(r->evidence);
  }
  engine_probe_done(e);
}

/* --- resolution --- */

static void host_resolved(struct host_sched *hs, const struct sockaddr *sa, socklen_t len)
{
  struct plan_target *tg = hs->tg;
  memcpy(&tg->addr, sa, len);
  tg->resolved = true;
  probe_addr_str(sa, tg->addr_text, sizeof(tg->addr_text));
  hs->ready = true;
  note_source(hs);
}

size_t engine_unresolved(const struct engine *e)
{
  size_t n = 0;
  for (size_t i = 0; i < e->nhosts; i++)
    n += e->hosts[i].bad_name;
  return n;
}

static void on_capture_batch(void *arg)
{
  engine_pump(arg);
}

int engine_prepare(struct engine *e)
{
  const struct scan_conf *c = e->conf;
  if (e->prepared)
    return e->capture ? 0 : -1;
  e->prepared = true;
  if (c->evidence_capture || c->capture_file) {
    e->capture = capture_open(e->loop, c->capture_file, e->capture_why, sizeof(e->capture_why));
    e->capture_used = e->capture != NULL;
  } else {
    snprintf(e->capture_why, sizeof(e->capture_why), "evidence capture turned off");
  }
  syn_open(e);
  return e->capture ? 0 : -1;
}

int engine_capture_chown(struct engine *e, uid_t uid, gid_t gid, char *why, size_t whycap)
{
  return capture_dump_chown(e->capture, uid, gid, why, whycap);
}

void engine_capture_flush(struct engine *e)
{
  capture_flush(e->capture);
}

static void capture_lost(struct engine *e)
{
  syn_teardown(e);
  evidence_teardown(e);
  capture_close(e->capture);
  e->capture = NULL;
  e->capture_used = false;
}

/* Every name is resolved: point the capture at the targets, set up the evidence tables
 * and raw SYN probing, and start. A name that does not exist is an input error (a typo in
 * the topology): then nothing is probed at all, and the caller reports it. */
static void begin_probing(struct engine *e)
{
  if (engine_unresolved(e) > 0) {
    maybe_done(e);
    return;
  }
  if (e->capture) {
    char filter[8192];
    engine_capture_filter(e, filter, sizeof(filter));
    if (capture_set_filter(e->capture, filter, e->capture_why, sizeof(e->capture_why)) < 0) {
      capture_lost(e);
    } else if (evidence_setup(e) < 0) {
      snprintf(e->capture_why, sizeof(e->capture_why), "out of memory for evidence tables");
      capture_lost(e);
    } else {
      capture_subscribe(e->capture, evidence_on_packet, on_capture_batch, e);
      syn_setup(e);
    }
  }
  sweep_setup(e);
  tcpsweep_setup(e);
  for (size_t i = 0; i < e->nhosts; i++)
    e->sockless |= e->hosts[i].syn || e->hosts[i].udp_bits.v;
  e->probing = true;
  engine_pump(e);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
  struct host_sched *hs = req->data;
  struct engine *e = hs->eng;
  hs->resolving = false;
  e->resolving--;
  if (status == 0 && res) {
    host_resolved(hs, res->ai_addr, res->ai_addrlen);
  } else if (status != UV_ECANCELED) {
    snprintf(hs->tg->resolve_error, sizeof(hs->tg->resolve_error),
             "name \"%s\" does not resolve: %s", hs->tg->spec, uv_strerror(status));
    hs->failed = true;
    /* A name that does not exist is bad input; a resolver that cannot answer right now
     * (EAI_AGAIN: DNS down or slow) is this host's problem: it is reported unreachable
     * and the other hosts are scanned. */
    hs->bad_name = status != UV_EAI_AGAIN;
    results_host_unresolved(hs);
  }
  uv_freeaddrinfo(res);
  if (e->resolving == 0 && !e->stopping)
    begin_probing(e);
  else
    maybe_done(e);
}

static int start_resolution(struct engine *e, struct host_sched *hs)
{
  struct plan_target *tg = hs->tg;
  const char *literal = tg->literal ? tg->spec : NULL;
  struct sockaddr_in6 s6;
  struct sockaddr_in s4;
  if (literal) {
    if (uv_ip4_addr(literal, 0, &s4) == 0)
      host_resolved(hs, (struct sockaddr *)&s4, sizeof(s4));
    else if (uv_ip6_addr(literal, 0, &s6) == 0)
      host_resolved(hs, (struct sockaddr *)&s6, sizeof(s6));
    else
      return UV_EINVAL;
    return 0;
  }
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = e->source.ss_family; /* AF_UNSPEC without --source */
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  hs->gai.data = hs;
  hs->resolving = true;
  e->resolving++;
  int rc = uv_getaddrinfo(e->loop, &hs->gai, on_resolved, tg->spec, NULL, &hints);
  if (rc != 0) {
    hs->resolving = false;
    e->resolving--;
    snprintf(tg->resolve_error, sizeof(tg->resolve_error), "cannot resolve \"%s\": %s", tg->spec,
             uv_strerror(rc));
    hs->failed = true;
    results_host_unresolved(hs);
  }
  return 0;
}

static bool plan_needs_tls(const struct plan *p)
{
  for (size_t i = 0; i < p->nhosts; i++)
    for (size_t k = 0; k < p->hosts[i].nchecks; k++) {
      const struct plan_check *c = &p->hosts[i].checks[k];
      if (c->probe && !c->is_range && c->transport == UC_TCP && uc_proto_uses_tls(c->protocol))
        return true;
    }
  return false;
}

int engine_start(struct engine *e, engine_done_cb done_cb, void *arg)
{
  e->done_cb = done_cb;
  e->done_arg = arg;
  e->total = plan_probe_count(e->plan);
  uint64_t now = uv_hrtime();
  ratelimit_init(&e->rl, e->conf->max_rate, now);
  for (size_t i = 0; i < e->nhosts; i++)
    ratelimit_init(&e->hosts[i].rl, e->conf->rate, now);
  if (plan_needs_tls(e->plan)) {
    e->tls_ctx = tls_client_ctx_new(e->conf->ca_file, e->tls_ctx_error, sizeof(e->tls_ctx_error));
    if (!e->tls_ctx)
      return -1;
  }
  if (!e->prepared)
    engine_prepare(e);
  e->started = true;
  for (size_t i = 0; i < e->nhosts; i++)
    start_resolution(e, &e->hosts[i]);
  if (e->resolving == 0)
    begin_probing(e);
  return 0;
}

void engine_stop(struct engine *e)
{
  if (e->stopping)
    return;
  tcpsweep_harvest(e); /* answers already in are kept, as an attempt's are */
  e->stopping = true;
  for (size_t i = 0; i < e->nhosts; i++)
    if (e->hosts[i].resolving)
      uv_cancel((uv_req_t *)&e->hosts[i].gai);
  for (struct attempt *a = e->attempts; a; a = a->next) {
    if (!a->reported) {
      a->reported = true;
      a->cancel(a);
    }
  }
  uv_timer_stop(&e->pump_timer);
  e->pump_timer_armed = false;
  syn_stop(e);
  sweep_stop(e);
  tcpsweep_stop(e);
  maybe_done(e);
}

static void on_stop_check(uv_check_t *c)
{
  struct engine *e = c->data;
  uv_check_stop(c);
  if (!e->finished)
    engine_stop(e);
}

void engine_request_stop(struct engine *e)
{
  if (e->stop_requested || e->stopping || e->finished)
    return;
  e->stop_requested = true;
  uv_check_start(&e->stop_check, on_stop_check);
}

void engine_progress(const struct engine *e, struct engine_progress *out)
{
  out->total = e->total;
  out->done = uc_count64_get(&e->done);
  out->sent = uc_count64_get(&e->sent);
  out->inflight = uc_count_get(&e->inflight) + syn_prober_inflight(e);
  out->hosts_resolving = e->resolving;
}

void engine_finalize(struct engine *e)
{
  evidence_finalize_checks(e);
  results_finalize(e);
  evidence_finalize_ranges(e);
}

void engine_handles_opened(struct engine *e, unsigned n)
{
  uc_handles_open(&e->handles, n);
}

void engine_handle_closed(struct engine *e)
{
  if (uc_handles_closed(&e->handles))
    free(e);
}

static void on_engine_closed(uv_handle_t *h)
{
  engine_handle_closed(h->data);
}

void engine_free(struct engine *e)
{
  if (!e)
    return;
  syn_teardown(e);
  evidence_teardown(e);
  sweep_close(e); /* its polls close with the timers below; the engine goes with the last */
  tcpsweep_close(e);
  for (size_t i = 0; i < e->nhosts; i++) {
    workq_free(&e->hosts[i].q);
    port_list_free(&e->hosts[i].udp_silent);
  }
  free(e->hosts);
  e->hosts = NULL;
  e->nhosts = 0;
  if (e->tls_ctx)
    SSL_CTX_free(e->tls_ctx);
  if (e->capture)
    capture_close(e->capture);
  e->capture = NULL;
  uv_close((uv_handle_t *)&e->pump_timer, on_engine_closed);
  uv_close((uv_handle_t *)&e->sweep.settle, on_engine_closed);
  uv_close((uv_handle_t *)&e->stop_check, on_engine_closed);
  syn_prober_close(e);
}
