/* scanner/evidence.c - the answer table, TTL histograms, and the capture subscriber that
 * feeds them (and the raw SYN prober).
 *
 * Per packet (a full-range scan sees one answer per port): one host look-up in a small
 * open-addressing index, a TTL histogram update, and either the SYN prober's check or one
 * answer-table insert. No allocation. */
#include "scanner/evidence.h"

#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which uses struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/icmp.h"
#include "scanner/engine_int.h"

/* --- answer table --- */

static uint32_t key_hash(const struct ev_key *k)
{
  uint64_t h = ((uint64_t)k->lport << 40) ^ ((uint64_t)k->rport << 24) ^ ((uint64_t)k->proto << 8) ^
               k->family;
  for (int i = 0; i < 16; i += 8) {
    uint64_t w;
    memcpy(&w, k->raddr + i, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return (uint32_t)h;
}

static bool key_eq(const struct ev_key *a, const struct ev_key *b)
{
  return a->lport == b->lport && a->rport == b->rport && a->proto == b->proto &&
         a->family == b->family && memcmp(a->raddr, b->raddr, 16) == 0;
}

int ev_table_init(struct ev_table *t, uint32_t min_slots, uint64_t max_age_ns)
{
  uint32_t n = 64;
  while (n < min_slots && n < (1u << 16)) /* 4 MiB at most */
    n <<= 1;
  memset(t, 0, sizeof(*t));
  t->slot = calloc(n, sizeof(*t->slot));
  if (!t->slot)
    return -1;
  t->mask = n - 1;
  t->max_age_ns = max_age_ns;
  return 0;
}

void ev_table_free(struct ev_table *t)
{
  free(t->slot);
  t->slot = NULL;
  t->mask = 0;
}

static bool expired(const struct ev_table *t, const struct ev_answer *s, uint64_t now)
{
  return now > s->seen_ns && now - s->seen_ns > t->max_age_ns;
}

void ev_table_put(struct ev_table *t, const struct ev_answer *a)
{
  if (!t->slot || !a->seen_ns)
    return;
  uint32_t h = key_hash(&a->key);
  struct ev_answer *free_slot = NULL, *oldest = NULL;
  for (uint32_t j = 0; j < EV_WINDOW; j++) {
    struct ev_answer *s = &t->slot[(h + j) & t->mask];
    if (s->seen_ns && key_eq(&s->key, &a->key)) {
      *s = *a; /* the newer answer for the same probe wins */
      return;
    }
    if (!s->seen_ns || expired(t, s, a->seen_ns)) {
      if (!free_slot)
        free_slot = s;
    } else if (!oldest || s->seen_ns < oldest->seen_ns) {
      oldest = s;
    }
  }
  if (!free_slot) {
    free_slot = oldest;
    t->evicted++;
  }
  *free_slot = *a;
}

bool ev_table_take(struct ev_table *t, const struct ev_key *k, uint64_t since_ns, uint64_t now_ns,
                   struct ev_answer *out)
{
  if (!t->slot)
    return false;
  uint32_t h = key_hash(k);
  for (uint32_t j = 0; j < EV_WINDOW; j++) {
    struct ev_answer *s = &t->slot[(h + j) & t->mask];
    if (!s->seen_ns || !key_eq(&s->key, k))
      continue;
    bool fresh = s->seen_ns >= since_ns && !expired(t, s, now_ns);
    if (fresh)
      *out = *s;
    s->seen_ns = 0; /* taken, or stale (an earlier probe with the same ports) */
    if (fresh)
      return true;
  }
  return false;
}

bool ev_key_of_answer(const struct pkt_info *p, struct ev_key *k)
{
  const struct pkt_l4 *l = &p->l4;
  if (p->icmp_error || !l->has_ports || l->proto != IPPROTO_TCP)
    return false;
  memset(k, 0, sizeof(*k));
  k->family = (uint8_t)l->src.family;
  k->proto = l->proto;
  k->lport = l->dport;
  k->rport = l->sport;
  memcpy(k->raddr, l->src.a, l->src.family == AF_INET ? 4 : 16);
  return true;
}

bool ev_key_of_quote(const struct pkt_info *p, struct ev_key *k)
{
  const struct pkt_l4 *q = &p->quoted;
  if (!p->icmp_error || !q->has_ports || q->proto != IPPROTO_TCP)
    return false;
  memset(k, 0, sizeof(*k));
  k->family = (uint8_t)q->dst.family;
  k->proto = q->proto;
  k->lport = q->sport;
  k->rport = q->dport;
  memcpy(k->raddr, q->dst.a, q->dst.family == AF_INET ? 4 : 16);
  return true;
}

/* --- TTL histograms --- */

void ttl_hist_add(struct ttl_hist *h, uint8_t ttl)
{
  for (int i = 0; i < TTL_SLOTS; i++)
    if (h->n[i] && h->ttl[i] == ttl) {
      h->n[i]++;
      return;
    }
  for (int i = 0; i < TTL_SLOTS; i++)
    if (!h->n[i]) {
      h->ttl[i] = ttl;
      h->n[i] = 1;
      return;
    }
  h->other++;
}

uint32_t ttl_hist_count(const struct ttl_hist *h, uint8_t ttl)
{
  for (int i = 0; i < TTL_SLOTS; i++)
    if (h->n[i] && h->ttl[i] == ttl)
      return h->n[i];
  return 0;
}

bool ttl_hist_top(const struct ttl_hist *h, uint8_t *ttl, uint32_t *n)
{
  int best = -1;
  for (int i = 0; i < TTL_SLOTS; i++) {
    if (!h->n[i])
      continue;
    if (best < 0 || h->n[i] > h->n[best] || (h->n[i] == h->n[best] && h->ttl[i] < h->ttl[best]))
      best = i;
  }
  if (best < 0)
    return false;
  *ttl = h->ttl[best];
  *n = h->n[best];
  return true;
}

void host_ttl_note(struct host_ttl *h, uint8_t tcp_flags, uint8_t ttl)
{
  if (tcp_flags & PKT_TCP_RST)
    ttl_hist_add(&h->rst, ttl);
  else if ((tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == (PKT_TCP_SYN | PKT_TCP_ACK))
    ttl_hist_add(&h->synack, ttl);
}

bool host_ttl_odd_rst(const struct host_ttl *h, uint8_t ttl, uint8_t *usual)
{
  uint8_t top;
  uint32_t n;
  if (ttl_hist_top(&h->synack, &top, &n)) {
    if (ttl_hist_count(&h->synack, ttl) > 0)
      return false;
    *usual = top;
    return true;
  }
  if (!ttl_hist_top(&h->rst, &top, &n) || top == ttl)
    return false;
  if (n >= 3 && n > 2 * ttl_hist_count(&h->rst, ttl)) {
    *usual = top;
    return true;
  }
  return false;
}

/* --- hosts by address --- */

static uint32_t addr_hash(const struct pkt_addr *a)
{
  struct ev_key k;
  memset(&k, 0, sizeof(k));
  k.family = (uint8_t)a->family;
  memcpy(k.raddr, a->a, a->family == AF_INET ? 4 : 16);
  return key_hash(&k);
}

static bool addr_eq(const struct pkt_addr *a, const struct pkt_addr *b)
{
  return a->family == b->family && memcmp(a->a, b->a, a->family == AF_INET ? 4 : 16) == 0;
}

static bool sockaddr_to_pkt(const struct sockaddr_storage *ss, struct pkt_addr *out)
{
  memset(out, 0, sizeof(*out));
  if (ss->ss_family == AF_INET) {
    out->family = AF_INET;
    memcpy(out->a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    return true;
  }
  if (ss->ss_family == AF_INET6) {
    out->family = AF_INET6;
    memcpy(out->a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    return true;
  }
  return false;
}

struct host_sched *evidence_host(struct engine *e, const struct pkt_addr *a)
{
  if (!e->ev.by_addr)
    return NULL;
  for (uint32_t i = addr_hash(a);; i++) {
    const struct ev_host_slot *s = &e->ev.by_addr[i & e->ev.by_addr_mask];
    if (!s->host1)
      return NULL;
    if (addr_eq(&s->addr, a))
      return &e->hosts[s->host1 - 1];
  }
}

bool evidence_owns(struct engine *e, const struct host_sched *hs)
{
  struct pkt_addr a;
  return sockaddr_to_pkt(&hs->tg->addr, &a) && evidence_host(e, &a) == hs;
}

int evidence_setup(struct engine *e)
{
  uint32_t n = 16;
  while (n < 2 * e->nhosts + 2)
    n <<= 1;
  e->ev.by_addr = calloc(n, sizeof(*e->ev.by_addr));
  if (!e->ev.by_addr)
    return -1;
  e->ev.by_addr_mask = n - 1;
  for (size_t i = 0; i < e->nhosts; i++) {
    struct pkt_addr a;
    if (!e->hosts[i].ready || !sockaddr_to_pkt(&e->hosts[i].tg->addr, &a) || evidence_host(e, &a))
      continue; /* two names for one address: the first gets the evidence */
    uint32_t k = addr_hash(&a);
    while (e->ev.by_addr[k & e->ev.by_addr_mask].host1)
      k++;
    e->ev.by_addr[k & e->ev.by_addr_mask].addr = a;
    e->ev.by_addr[k & e->ev.by_addr_mask].host1 = (uint32_t)i + 1;
  }
  /* An entry lives from its packet to the socket callback that follows; but one drain
   * can bring the answers of every probe in flight before any of their callbacks runs.
   * Four slots per probe in flight keep the table at most a quarter full, where a
   * 16-slot window practically never overflows (a full-speed connect scan of 10,000
   * rejected ports: no eviction; with 2x and 8 slots, about 1%). */
  const struct scan_conf *c = e->conf;
  uint64_t age = (uint64_t)(c->timeout_ms ? c->timeout_ms : 1000) * 4 * 1000000ull;
  if (ev_table_init(&e->ev.answers, 4 * e->bo.max_inflight, age) < 0) {
    free(e->ev.by_addr);
    e->ev.by_addr = NULL;
    return -1;
  }
  return 0;
}

void evidence_teardown(struct engine *e)
{
  free(e->ev.by_addr);
  e->ev.by_addr = NULL;
  e->ev.by_addr_mask = 0;
  ev_table_free(&e->ev.answers);
}

/* --- the capture subscriber --- */

static void icmp_info_of(const struct pkt_info *p, struct icmp_info *ii)
{
  memset(ii, 0, sizeof(*ii));
  ii->v6 = p->icmp_v6;
  ii->type = p->icmp_type;
  ii->code = p->icmp_code;
  pkt_addr_str(&p->l4.src, ii->from, sizeof(ii->from));
  ii->from_target = addr_eq(&p->l4.src, &p->quoted.dst);
}

static void on_icmp(struct engine *e, const struct pkt_info *p)
{
  struct host_sched *hs = evidence_host(e, &p->quoted.dst);
  if (!hs)
    return; /* about a packet to somewhere we do not scan */
  if (syn_prober_active(e) && hs->syn && p->quoted.proto == IPPROTO_TCP) {
    struct icmp_info ii;
    const char *meaning;
    enum uc_state st = icmp_classify(p->icmp_v6, p->icmp_type, p->icmp_code, &meaning);
    icmp_info_of(p, &ii);
    if (syn_on_icmp(e, hs, p, &ii, st))
      return;
  }
  if (hs->tsweep && p->quoted.proto == IPPROTO_TCP && tcpsweep_owns_answer(hs, p->quoted.dport))
    return; /* the sweep reads its ICMP errors from its sockets */
  struct ev_answer a;
  if (!ev_key_of_quote(p, &a.key))
    return;
  a.seen_ns = uv_hrtime();
  a.rx_ns = p->ts_ns;
  a.kind = EV_ICMP;
  a.ttl = p->ttl;
  a.tcp_flags = 0;
  a.icmp_v6 = p->icmp_v6;
  a.icmp_type = (uint8_t)p->icmp_type;
  a.icmp_code = (uint8_t)p->icmp_code;
  a.from = p->l4.src;
  ev_table_put(&e->ev.answers, &a);
}

void evidence_on_packet(void *arg, const struct pkt_info *p)
{
  struct engine *e = arg;
  if (p->outgoing || e->stopping) /* our own packets only go to the dump file */
    return;
  if (p->icmp_error) {
    on_icmp(e, p);
    return;
  }
  const struct pkt_l4 *l = &p->l4;
  if (l->proto != IPPROTO_TCP || !l->has_ports || !(l->tcp_flags & (PKT_TCP_SYN | PKT_TCP_RST)))
    return;
  struct host_sched *hs = evidence_host(e, &l->src);
  if (!hs)
    return;
  host_ttl_note(&hs->ttl, l->tcp_flags, p->ttl);
  if (syn_prober_active(e) && hs->syn && syn_on_answer(e, hs, p))
    return;
  if (hs->tsweep && tcpsweep_owns_answer(hs, l->sport))
    return; /* nothing would take it from the table */
  struct ev_answer a;
  if (!ev_key_of_answer(p, &a.key))
    return;
  a.seen_ns = uv_hrtime();
  a.rx_ns = p->ts_ns;
  a.kind = EV_TCP;
  a.ttl = p->ttl;
  a.tcp_flags = l->tcp_flags;
  a.icmp_v6 = 0;
  a.icmp_type = a.icmp_code = 0;
  a.from = l->src;
  ev_table_put(&e->ev.answers, &a);
}

/* --- socket error queues --- */
#ifndef _WIN32 /* Windows has none: scanner/errqueue_win.c */

void evidence_socket_opts(int fd, int family)
{
  int one = 1;
  if (family == AF_INET)
    setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
  else
    setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
}

int64_t evidence_realtime_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ii->from_target: the ICMP error came from the target itself (its port not compared). */
static void judge_from_target(const struct sockaddr_storage *dst, struct icmp_info *ii)
{
  struct sockaddr_storage target = *dst;
  if (target.ss_family == AF_INET)
    ((struct sockaddr_in *)&target)->sin_port = 0;
  else
    ((struct sockaddr_in6 *)&target)->sin6_port = 0;
  char tstr[64];
  probe_addr_str((struct sockaddr *)&target, tstr, sizeof(tstr));
  ii->from_target = strcmp(tstr, ii->from) == 0;
}

bool evidence_errqueue_any(int fd, struct sockaddr_storage *orig, struct icmp_info *ii,
                           int64_t *rx_ns)
{
  uint8_t data[512], ctrl[512];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
  struct msghdr mh = {.msg_name = orig,
                      .msg_namelen = sizeof(*orig),
                      .msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = ctrl,
                      .msg_controllen = sizeof(ctrl)};
  *rx_ns = 0;
  memset(orig, 0, sizeof(*orig));
  ssize_t n;
  do
    n = recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return false;
  const struct sock_extended_err *ee = NULL;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
      *rx_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    bool v4 = cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR;
    bool v6 = cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR;
    if (v4 || v6) {
      const struct sock_extended_err *e = (const struct sock_extended_err *)CMSG_DATA(cm);
      if (e->ee_origin == SO_EE_ORIGIN_ICMP || e->ee_origin == SO_EE_ORIGIN_ICMP6)
        ee = e;
    }
  }
  if (!ee)
    return false;
  memset(ii, 0, sizeof(*ii));
  ii->v6 = ee->ee_origin == SO_EE_ORIGIN_ICMP6;
  ii->type = ee->ee_type;
  ii->code = ee->ee_code;
  probe_addr_str(SO_EE_OFFENDER(ee), ii->from, sizeof(ii->from));
  judge_from_target(orig, ii);
  return true;
}

bool evidence_errqueue(int fd, const struct sockaddr_storage *dst, struct icmp_info *ii,
                       int64_t *rx_ns)
{
  struct sockaddr_storage orig;
  if (!evidence_errqueue_any(fd, &orig, ii, rx_ns))
    return false;
  judge_from_target(dst, ii); /* a connected socket's: its destination, whatever the name */
  return true;
}
#endif

/* --- attempts --- */

bool evidence_connect(struct attempt *a, uint16_t lport, int status, bool drained,
                      struct attempt_result *r)
{
  struct engine *e = a->eng;
  if (!e->capture || !lport || !e->ev.answers.slot)
    return false;
  /* The packet that caused this result reached the capture's ring before the socket
   * reported it: process what is waiting, then look. */
  if (!drained)
    capture_drain(e->capture);
  struct ev_key k;
  memset(&k, 0, sizeof(k));
  struct pkt_addr ra;
  if (!sockaddr_to_pkt(&a->hs->tg->addr, &ra))
    return false;
  k.family = (uint8_t)ra.family;
  k.proto = IPPROTO_TCP;
  k.lport = lport;
  k.rport = a->w.port;
  memcpy(k.raddr, ra.a, 16);
  struct ev_answer ans;
  if (!ev_table_take(&e->ev.answers, &k, a->start_ns, uv_hrtime(), &ans))
    return false;
  a->answer_rx_ns = ans.rx_ns;
  if (ans.kind == EV_TCP) {
    a->answer_ttl = ans.ttl;
    if (status != UV_ETIMEDOUT || !(ans.tcp_flags & PKT_TCP_RST))
      return false;
    /* Our deadline fired in the same loop iteration as the RST arrived (timers run
     * before I/O): the port answered, it is closed; no retry. */
    memset(r, 0, sizeof(*r));
    r->status = ATT_FINAL;
    r->state = UC_ST_CLOSED;
    r->rtt_ms = -1;
    snprintf(r->reason, sizeof(r->reason), "connection refused (RST)");
    return true;
  }
  if (status == 0)
    return false; /* connected after all: whatever the ICMP said, it was not the end */
  struct icmp_info ii;
  memset(&ii, 0, sizeof(ii));
  ii.v6 = ans.icmp_v6;
  ii.type = ans.icmp_type;
  ii.code = ans.icmp_code;
  pkt_addr_str(&ans.from, ii.from, sizeof(ii.from));
  ii.from_target = addr_eq(&ans.from, &ra);
  const char *meaning;
  enum uc_state st = icmp_classify(ii.v6, ii.type, ii.code, &meaning);
  if (st == UC_ST_NONE)
    return false;
  memset(r, 0, sizeof(*r));
  r->status = ATT_FINAL;
  r->state = st;
  r->outcome = UC_OUT_NONE;
  r->rtt_ms = -1;
  icmp_reason(&ii, r->reason, sizeof(r->reason));
  r->evidence = json_pack("{s:o}", "icmp", icmp_evidence(&ii));
  r->has_icmp = true;
  r->icmp = ii;
  return true;
}

void evidence_result(struct attempt *a, struct attempt_result *r)
{
  if (r->status == ATT_FINAL && r->rtt_ms >= 0) {
    /* which clock measured rtt_ms: the kernel's (TCP_INFO, socket or capture timestamps), or
     * the event loop's, which adds the scanner's own delays under load */
    if (!r->evidence)
      r->evidence = json_object();
    if (json_is_object(r->evidence))
      json_object_set_new(r->evidence, "rtt_source",
                          json_string(r->rtt_kernel ? "kernel" : "loop"));
  }
  if (a->answer_ttl < 0 || r->has_icmp || r->status != ATT_FINAL ||
      (r->state != UC_ST_OPEN && r->state != UC_ST_CLOSED))
    return;
  if (!r->evidence)
    r->evidence = json_object();
  if (json_is_object(r->evidence) && !json_object_get(r->evidence, "ttl"))
    json_object_set_new(r->evidence, "ttl", json_integer(a->answer_ttl));
}

void evidence_range_icmp(struct host_sched *hs, enum uc_transport t, uint16_t port,
                         const struct icmp_info *ii)
{
  const char *meaning;
  if (hs->range_icmp_full & (1u << t))
    return; /* a router rejecting a whole range: one look per host, not one per port */
  if (icmp_classify(ii->v6, ii->type, ii->code, &meaning) == UC_ST_CLOSED)
    return; /* a closed port is reachable: nothing to explain */
  bool missing = false;
  for (size_t i = 0; i < hs->nchecks; i++) {
    struct plan_check *c = &hs->checks[i];
    if (!c->is_range || !c->probe || c->transport != t)
      continue;
    if (c->res.evidence && json_object_get(c->res.evidence, "icmp"))
      continue;
    if (port < c->first || port > c->last) {
      missing = true;
      continue;
    }
    json_t *icmp = icmp_evidence(ii);
    json_object_set_new(icmp, "port", json_integer(port));
    if (!c->res.evidence)
      c->res.evidence = json_object();
    json_object_set_new(c->res.evidence, "icmp", icmp);
  }
  if (!missing)
    hs->range_icmp_full |= (uint8_t)(1u << t);
}

/* --- finishing --- */

void evidence_finalize_checks(struct engine *e)
{
  for (size_t i = 0; i < e->nhosts; i++) {
    struct host_sched *hs = &e->hosts[i];
    for (size_t k = 0; k < hs->nchecks; k++) {
      struct plan_check *c = &hs->checks[k];
      struct check_result *res = &c->res;
      if (c->is_range || !res->done || c->transport != UC_TCP || res->state != UC_ST_CLOSED ||
          !res->evidence || json_object_get(res->evidence, "icmp"))
        continue;
      json_t *jt = json_object_get(res->evidence, "ttl");
      if (!json_is_integer(jt))
        continue;
      uint8_t ttl = (uint8_t)json_integer_value(jt), usual;
      if (!host_ttl_odd_rst(&hs->ttl, ttl, &usual))
        continue;
      check_reason_set(
          res,
          "connection refused (RST with TTL %u, while the host's other answers have TTL "
          "%u: likely sent by a middlebox)",
          ttl, usual);
    }
  }
}

void evidence_finalize_ranges(struct engine *e)
{
  for (size_t i = 0; i < e->nhosts; i++) {
    const struct plan_target *tg = e->hosts[i].tg;
    for (size_t k = 0; k < e->hosts[i].nchecks; k++) {
      struct plan_check *c = &e->hosts[i].checks[k];
      json_t *icmp =
          c->is_range && c->res.evidence ? json_object_get(c->res.evidence, "icmp") : NULL;
      if (!icmp || !c->res.done)
        continue;
      struct icmp_info ii;
      memset(&ii, 0, sizeof(ii));
      const char *from = json_string_value(json_object_get(icmp, "from"));
      snprintf(ii.from, sizeof(ii.from), "%s", from ? from : "?");
      ii.v6 = strchr(ii.from, ':') != NULL;
      ii.type = (int)json_integer_value(json_object_get(icmp, "type"));
      ii.code = (int)json_integer_value(json_object_get(icmp, "code"));
      ii.from_target = tg->resolved && strcmp(ii.from, tg->addr_text) == 0;
      char why[UC_REASON_MAX];
      icmp_reason(&ii, why, sizeof(why));
      check_reason_set(&c->res, "%s; first ICMP error: %s, port %d", check_reason(&c->res), why,
                       (int)json_integer_value(json_object_get(icmp, "port")));
    }
  }
}
