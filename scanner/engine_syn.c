/* scanner/engine_syn.c - raw SYN probes for TCP range ports (answers come through the
 * capture subscriber, scanner/evidence.c).
 *
 * Each host with IPv4 TCP spans gets two bits a port (SYN_INFLIGHT | SYN_DONE, portbits.h):
 * no structure per port. SYNs in flight sit in a min-heap with their deadlines and attempt
 * numbers; a single timer expires them (retry, or filtered after the last attempt).
 * Answers arrive through the capture; a duplicate or a late answer to a retried SYN
 * finds SYN_DONE and is ignored. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/icmp.h"
#include "scanner/engine_int.h"

/* Room for one more entry, so that a SYN, once queued on the raw socket, always gets its
 * deadline (a SYN without one would leave its port undecided, or decided twice). */
static int heap_reserve(struct syn_heap *h)
{
  if (h->len < h->cap)
    return 0;
  size_t ncap = h->cap ? h->cap * 2 : 1024;
  struct syn_entry *nv = realloc(h->v, ncap * sizeof(*nv));
  if (!nv)
    return -1;
  h->v = nv;
  h->cap = ncap;
  return 0;
}

/* After heap_reserve. */
static void heap_push(struct syn_heap *h, const struct syn_entry *en)
{
  size_t i = h->len++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (h->v[parent].deadline_ns <= en->deadline_ns)
      break;
    h->v[i] = h->v[parent];
    i = parent;
  }
  h->v[i] = *en;
}

static struct syn_entry heap_pop(struct syn_heap *h)
{
  struct syn_entry top = h->v[0];
  struct syn_entry last = h->v[--h->len];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    uint64_t md = last.deadline_ns;
    if (l < h->len && h->v[l].deadline_ns < md) {
      m = l;
      md = h->v[l].deadline_ns;
    }
    if (r < h->len && h->v[r].deadline_ns < md)
      m = r;
    if (m == i)
      break;
    h->v[i] = h->v[m];
    i = m;
  }
  if (h->len)
    h->v[i] = last;
  return top;
}

static void arm_timer(struct engine *e);

/* What the capture saw of a port's answer, for its single checks' evidence. */
struct syn_seen {
  int ttl;                      /* of the SYN-ACK or RST; -1: none (an ICMP error, or silence) */
  int64_t rx_ns;                /* the capture's receive time (CLOCK_REALTIME); 0: unknown */
  const struct icmp_info *icmp; /* the ICMP error that decided it, or NULL */
};

/* The single check at port whose SYN the prober sent (or joined) and that is not decided. The
 * target's checks are sorted by first port (plan.c): a binary search, then the few on it. */
static struct plan_check *syn_check_at(const struct host_sched *hs, uint16_t port)
{
  if (!hs->syn_checks)
    return NULL;
  size_t lo = 0, hi = hs->nchecks;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (hs->checks[mid].first < port)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t k = lo; k < hs->nchecks && hs->checks[k].first == port; k++) {
    struct plan_check *c = &hs->checks[k];
    if (!c->is_range && c->transport == UC_TCP && hs->syn_chk[k].attempts && !c->res.done)
      return c;
  }
  return NULL;
}

/* A single check's result from its port's answer, worded as a connect's (tcp_sweep.c). */
static void check_result(const struct syn_check *sc, enum uc_state st, const struct syn_seen *seen,
                         struct attempt_result *r)
{
  memset(r, 0, sizeof(*r));
  r->status = ATT_FINAL;
  r->state = st;
  r->rtt_ms = -1;
  r->evidence = json_object();
  if (seen->icmp) {
    icmp_reason(seen->icmp, r->reason, sizeof(r->reason));
    json_object_set_new(r->evidence, "icmp", icmp_evidence(seen->icmp));
  } else if (st == UC_ST_OPEN) {
    snprintf(r->reason, sizeof(r->reason),
             "SYN answered with SYN-ACK: the port accepts connections (raw SYN probe, no "
             "connection made)");
  } else if (st == UC_ST_CLOSED) {
    snprintf(r->reason, sizeof(r->reason), "connection refused (RST)");
  } else {
    snprintf(r->reason, sizeof(r->reason), "no answer to %u SYN probe%s (last waited %u ms)",
             sc->attempts, sc->attempts == 1 ? "" : "s", sc->waited_ms);
  }
  json_object_set_new(r->evidence, "tcp_method", json_string("syn"));
  /* No round trip for silence; nor after a retry (every SYN to the port carries the same
   * sequence number: the answer may be to an earlier one, Karn's ambiguity), nor when the
   * check joined a SYN it did not send (sent_rt_ns 0). */
  if ((st == UC_ST_FILTERED && !seen->icmp) || sc->attempts > 1 || !sc->sent_rt_ns)
    return;
  int64_t rx = seen->rx_ns > 0 ? seen->rx_ns : evidence_realtime_ns();
  if (rx >= sc->sent_rt_ns) {
    r->rtt_ms = (double)(rx - sc->sent_rt_ns) / 1e6;
    json_object_set_new(r->evidence, "rtt_source",
                        json_string(seen->rx_ns > 0 ? "kernel" : "loop"));
  }
  if (seen->ttl >= 0)
    json_object_set_new(r->evidence, "ttl", json_integer(seen->ttl));
}

/* The port's single checks that went by SYN take its state. */
static void record_checks(struct engine *e, struct host_sched *hs, uint16_t port, enum uc_state st,
                          const struct syn_seen *seen)
{
  struct plan_check *c;
  while ((c = syn_check_at(hs, port))) {
    const struct syn_check *sc = &hs->syn_chk[c - hs->checks];
    struct attempt_result r;
    check_result(sc, st, seen, &r);
    results_single(hs, c, &r, sc->attempts); /* takes r.evidence */
    engine_probe_done(e);
  }
}

static void syn_record(struct engine *e, struct host_sched *hs, uint16_t port, enum uc_state st,
                       const struct syn_seen *seen)
{
  int32_t i = portbits_index(&hs->syn_bits, port);
  if (i < 0)
    return;
  unsigned b = portbits_get(&hs->syn_bits, (uint32_t)i);
  if (b & SYN_DONE)
    return;
  portbits_set(&hs->syn_bits, (uint32_t)i, SYN_DONE);
  if (plan_target_spans(hs->tg, UC_TCP, port)) {
    results_span_port(hs, UC_TCP, port, st);
    engine_probe_done(e);
  }
  record_checks(e, hs, port, st, seen);
  if (st != UC_ST_FILTERED)
    engine_target_answered(hs);
  if (b & SYN_INFLIGHT)
    uc_count_dec(&e->sp.inflight);
}

bool syn_on_answer(struct engine *e, struct host_sched *hs, const struct pkt_info *p)
{
  uint16_t port;
  enum syn_answer a = synscan_classify(&e->sp.raw, p, &port);
  if (a == SYN_NOT_OURS)
    return false;
  /* RTT from the sample table, when this port's send time is still there. */
  unsigned slot = port % 64;
  if (e->sp.rtt[slot].port == port && e->sp.rtt[slot].host == (uint32_t)(hs - e->hosts)) {
    rtt_sample(&hs->rtt, (double)(uv_hrtime() - e->sp.rtt[slot].sent_ns) / 1e6);
    e->sp.rtt[slot].port = 0;
  }
  struct syn_seen seen = {.ttl = p->ttl, .rx_ns = p->ts_ns};
  syn_record(e, hs, port, a == SYN_OPEN ? UC_ST_OPEN : UC_ST_CLOSED, &seen);
  return true;
}

bool syn_on_icmp(struct engine *e, struct host_sched *hs, const struct pkt_info *p,
                 const struct icmp_info *ii, enum uc_state st)
{
  uint16_t port;
  if (!synscan_icmp_ours(&e->sp.raw, p, &port))
    return false;
  if (st != UC_ST_NONE) {
    struct syn_seen seen = {.ttl = -1, .rx_ns = p->ts_ns, .icmp = ii};
    syn_record(e, hs, port, st, &seen);
    evidence_range_icmp(hs, UC_TCP, port, ii);
  }
  return true;
}

static void expire(struct engine *e)
{
  uint64_t now = uv_hrtime();
  struct syn_heap *hp = &e->sp.heap;
  while (hp->len && hp->v[0].deadline_ns <= now) {
    struct syn_entry en = heap_pop(hp);
    unsigned k = en.attempt;
    struct host_sched *hs = &e->hosts[en.host];
    uint32_t i = (uint32_t)portbits_index(&hs->syn_bits, en.port);
    if (portbits_get(&hs->syn_bits, i) != SYN_INFLIGHT)
      continue; /* answered while it waited */
    portbits_set(&hs->syn_bits, i, 0);
    uc_count_dec(&e->sp.inflight);
    engine_target_silent(hs);
    /* a single check's port retries as its connect would (engine_retry_silence) */
    struct work w = {
        .check = syn_check_at(hs, en.port), .port = en.port, .transport = UC_TCP, .attempt = k};
    if (w.check) /* an answer from now on may be to this SYN or to the next: no round trip */
      hs->syn_chk[w.check - hs->checks].sent_rt_ns = 0;
    if (engine_retry_silence(hs, &w)) {
      w.attempt = k + 1;
      engine_push_retry(hs, &w, false);
    } else {
      syn_record(e, hs, en.port, UC_ST_FILTERED, &(struct syn_seen){.ttl = -1});
    }
  }
}

static void on_timer(uv_timer_t *t)
{
  struct engine *e = t->data;
  e->sp.timer_armed = false;
  /* Answers that are already in the capture buffer count before deadlines do. */
  capture_drain(e->capture);
  expire(e);
  arm_timer(e);
  engine_pump(e);
}

static void arm_timer(struct engine *e)
{
  if (!e->sp.heap.len || e->stopping)
    return;
  uint64_t next = e->sp.heap.v[0].deadline_ns;
  uint64_t now = uv_hrtime();
  uint64_t ms = next > now ? (next - now + 999999) / 1000000 : 0;
  uv_timer_start(&e->sp.timer, on_timer, ms ? ms : 1, 0);
  e->sp.timer_armed = true;
  e->sp.timer_due = now + (ms ? ms : 1) * 1000000ull;
}

static void on_timer_closed(uv_handle_t *h)
{
  engine_handle_closed(h->data);
}

void syn_prober_init(struct engine *e)
{
  unsigned conc = e->conf->concurrency ? e->conf->concurrency : 1;
  /* SYNs hold no socket: their window only bounds the deadline heap; --rate paces them */
  e->sp.window = conc * 16u;
  uv_timer_init(e->loop, &e->sp.timer);
  e->sp.timer.data = e;
  engine_handles_opened(e, 1);
}

void syn_prober_close(struct engine *e)
{
  uv_close((uv_handle_t *)&e->sp.timer, on_timer_closed);
}

bool syn_prober_active(const struct engine *e)
{
  return e->sp.on;
}

unsigned syn_prober_inflight(const struct engine *e)
{
  return uc_count_get(&e->sp.inflight);
}

unsigned syn_prober_window(const struct engine *e)
{
  return e->sp.window;
}

void syn_open(struct engine *e)
{
  if (!e->capture || strcmp(e->conf->tcp_method, "connect") == 0)
    return;
  uint8_t key[32];
  engine_random(key);
  char why[160];
  if (synscan_open(&e->sp.raw, key, why, sizeof(why)) < 0) {
    snprintf(e->capture_why, sizeof(e->capture_why), "raw SYN probes unavailable: %s", why);
    return;
  }
  e->sp.on = true;
}

/* Widens [*lo, *hi] to hs's single checks that are a plain connect; false when it has none. */
static bool plain_check_bounds(const struct host_sched *hs, uint32_t *lo, uint32_t *hi)
{
  bool any = false;
  for (size_t k = 0; k < hs->nchecks; k++) {
    const struct plan_check *c = &hs->checks[k];
    if (!c->probe || !workq_plain_connect(c))
      continue;
    any = true;
    *lo = c->first < *lo ? c->first : *lo;
    *hi = c->first > *hi ? c->first : *hi;
  }
  return any;
}

/* Raw SYNs for hs (an IPv4 target whose packets the capture attributes to it): its TCP span
 * ports, and with --tcp-method syn its plain single checks. */
static void setup_target(struct engine *e, struct host_sched *hs, bool checks)
{
  const struct plan_target *tg = hs->tg;
  uint32_t lo = 65536, hi = 0;
  portbits_span_bounds(tg->spans, tg->nspans, UC_TCP, &lo, &hi);
  checks = checks && plain_check_bounds(hs, &lo, &hi);
  if (lo > hi)
    return; /* nothing for SYNs */
  hs->daddr_be = ((const struct sockaddr_in *)&tg->addr)->sin_addr.s_addr;
  if (e->source.ss_family == AF_INET)
    hs->saddr_be = ((struct sockaddr_in *)&e->source)->sin_addr.s_addr;
  else if (e->source.ss_family != AF_UNSPEC || synscan_source_for(hs->daddr_be, &hs->saddr_be) < 0)
    return; /* no route (connect() will say so), or an IPv6 --source */
  if (checks && !(hs->syn_chk = calloc(hs->nchecks, sizeof(*hs->syn_chk))))
    return; /* out of memory: everything connects */
  if (portbits_init_bounds(&hs->syn_bits, lo, hi) <= 0) {
    free(hs->syn_chk);
    hs->syn_chk = NULL;
    return;
  }
  hs->syn = true;
  hs->syn_checks = checks;
}

void syn_setup(struct engine *e)
{
  if (!e->sp.on)
    return;
  /* auto: single checks connect (a listener on the far side sees the connection, and the
   * report keeps a connect's evidence); syn: every check that needs only the port's state */
  bool checks = strcmp(e->conf->tcp_method, "syn") == 0;
  for (size_t i = 0; i < e->nhosts; i++) {
    struct host_sched *hs = &e->hosts[i];
    /* Answers are matched by address: a second target on the same address (two Edge
     * interface names for one address) uses connect(). */
    if (hs->ready && hs->tg->addr.ss_family == AF_INET && evidence_owns(e, hs))
      setup_target(e, hs, checks);
  }
}

bool syn_takes(const struct host_sched *hs, const struct plan_check *c, enum uc_transport t)
{
  if (t != UC_TCP || !hs->syn)
    return false;
  return !c || (hs->syn_checks && workq_plain_connect(c));
}

/* A single check whose port already has its SYN in flight (a range's) waits for that one: no
 * round trip of its own (the SYN was not sent for it), and the deadline its own SYN would have
 * had for the reason should the port stay silent. */
static bool join_inflight(struct engine *e, struct host_sched *hs, const struct work *w)
{
  struct syn_check *sc = &hs->syn_chk[w->check - hs->checks];
  if (!sc->attempts) {
    sc->attempts = 1;
    sc->waited_ms = rtt_deadline_ms(&hs->rtt, w->attempt, e->conf->min_rto_ms, e->conf->timeout_ms);
  }
  sc->sent_rt_ns = 0;
  return true;
}

/* w goes by connect() after all (no memory for its deadline, the raw socket pushes back, or a
 * single check whose port a range's SYN decided without keeping the state): the prober lets
 * go of it for good (w->connect: its retries connect too), so that nothing the connect records
 * is recorded again. A span port becomes SYN_DONE: a late answer to one of its earlier SYNs is
 * ignored, and another work item of the port (see below) finds it decided. A single check
 * leaves the prober; if its SYN carried a span port whose own work item found that SYN
 * waiting and was spent, the span port is queued again (with the check's attempt number: the
 * same probe, not a new one). Then w goes back to the front of its queue, and the scheduler
 * admits it as a connect, which holds a socket (--concurrency, --per-host): it took it for a
 * SYN, which holds none. True when queued; false (connect now) when the queue has no memory. */
static bool let_go(struct host_sched *hs, struct work *w, uint32_t i)
{
  w->connect = true;
  if (!w->check) {
    portbits_set(&hs->syn_bits, i, SYN_DONE);
  } else {
    hs->syn_chk[w->check - hs->checks].attempts = 0;
    if (portbits_get(&hs->syn_bits, i) == 0 && plan_target_spans(hs->tg, UC_TCP, w->port))
      engine_push_retry(
          hs, &(struct work){.port = w->port, .transport = UC_TCP, .attempt = w->attempt}, false);
  }
  return engine_push_retry(hs, w, true) == 0;
}

/* The port's bits say what becomes of w: 0, send a SYN; SYN_INFLIGHT, wait for that one (a
 * single check joins it); SYN_DONE, nothing for a span port (decided), connect() for a single
 * check (a range's SYN decided it and the state is not kept). -1: send; else the answer. */
static int by_bits(struct engine *e, struct host_sched *hs, struct work *w, uint32_t i)
{
  if (w->check && w->check->res.done)
    return true; /* a retry whose port a late answer decided meanwhile */
  unsigned bits = portbits_get(&hs->syn_bits, i);
  if (bits == 0)
    return -1;
  if (!w->check)
    return true; /* answered meanwhile (a late answer to an earlier attempt), or its SYN still
                    waits (a port has one in flight at a time) */
  return bits == SYN_INFLIGHT ? join_inflight(e, hs, w) : let_go(hs, w, i);
}

bool syn_start(struct engine *e, struct host_sched *hs, struct work *w)
{
  if (w->connect || !syn_takes(hs, w->check, w->transport))
    return false;
  unsigned k = w->attempt < SYN_MAX_ATTEMPTS ? w->attempt : SYN_MAX_ATTEMPTS - 1;
  int32_t pi = portbits_index(&hs->syn_bits, w->port);
  if (pi < 0)
    return false; /* not a port of this target's SYNs: connect() */
  uint32_t i = (uint32_t)pi;
  int rc = by_bits(e, hs, w, i);
  if (rc >= 0)
    return rc;
  if (heap_reserve(&e->sp.heap) < 0)
    return let_go(hs, w, i); /* out of memory for its deadline: connect() */
  if (!synscan_add(&e->sp.raw, hs->saddr_be, hs->daddr_be, w->port)) {
    syn_flush(e); /* reads the capture too: a late answer may decide the port */
    if ((rc = by_bits(e, hs, w, i)) >= 0)
      return rc;
    if (!synscan_add(&e->sp.raw, hs->saddr_be, hs->daddr_be, w->port))
      return let_go(hs, w, i); /* the socket pushes back: use connect() for this one */
  }
  const struct scan_conf *c = e->conf;
  uint64_t now = uv_hrtime();
  struct syn_entry en = {
      .deadline_ns =
          now + (uint64_t)rtt_deadline_ms(&hs->rtt, k, c->min_rto_ms, c->timeout_ms) * 1000000ull,
      .host = (uint32_t)(hs - e->hosts),
      .port = w->port,
      .attempt = (uint8_t)k};
  heap_push(&e->sp.heap, &en);
  portbits_set(&hs->syn_bits, i, SYN_INFLIGHT);
  if (w->check) {
    struct syn_check *sc = &hs->syn_chk[w->check - hs->checks];
    sc->sent_rt_ns = evidence_realtime_ns();
    sc->waited_ms = (uint32_t)((en.deadline_ns - now) / 1000000u);
    sc->attempts++;
  }
  unsigned slot = w->port % 64;
  e->sp.rtt[slot].port = w->port;
  e->sp.rtt[slot].host = en.host;
  e->sp.rtt[slot].sent_ns = now;
  uc_count_inc(&e->sp.inflight);
  engine_probe_sent(e);
  if (!e->sp.timer_armed || en.deadline_ns < e->sp.timer_due)
    arm_timer(e);
  return true;
}

void syn_flush(struct engine *e)
{
  if (!e->sp.on)
    return;
  while (e->sp.raw.n) {
    int sent = synscan_flush(&e->sp.raw);
    if (sent <= 0) {
      /* ENOBUFS/EAGAIN: the unsent SYNs stay queued; their deadlines retry them if the
       * queue never drains. Try again on the next pump. */
      if (sent < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EPERM)
        e->sp.raw.n = 0;
      break;
    }
  }
  /* The answers of a batch may be in the capture's ring already (a near target answers
   * within the send): read them now, or a pump that fills a large window overruns the ring
   * and the dropped answers come back only as retries. */
  capture_drain(e->capture);
}

void syn_stop(struct engine *e)
{
  struct syn_heap *hp = &e->sp.heap;
  for (size_t i = 0; i < hp->len; i++) {
    const struct syn_entry *en = &hp->v[i];
    struct host_sched *hs = &e->hosts[en->host];
    uint32_t pi = (uint32_t)portbits_index(&hs->syn_bits, en->port);
    if (portbits_get(&hs->syn_bits, pi) == SYN_INFLIGHT) {
      portbits_set(&hs->syn_bits, pi, 0);
      uc_count_dec(&e->sp.inflight);
    }
  }
  hp->len = 0;
  if (e->sp.timer_armed)
    uv_timer_stop(&e->sp.timer);
  e->sp.timer_armed = false;
}

void syn_teardown(struct engine *e)
{
  free(e->sp.heap.v);
  memset(&e->sp.heap, 0, sizeof(e->sp.heap));
  if (e->sp.on)
    synscan_close(&e->sp.raw);
  e->sp.on = false;
  for (size_t i = 0; i < e->nhosts; i++) {
    portbits_free(&e->hosts[i].syn_bits);
    free(e->hosts[i].syn_chk);
    e->hosts[i].syn_chk = NULL;
    e->hosts[i].syn = e->hosts[i].syn_checks = false;
  }
}
