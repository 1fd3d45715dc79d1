/* scanner/tcp_sweep.c - TCP range ports by connect() from a pool of reused sockets (the
 * contract and the how are in tcp_sweep.h). */
#include "scanner/tcp_sweep.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/icmp.h"
#include "scanner/engine_int.h"

#define BATCH_MAX 32 /* events per epoll_wait; idle sockets during a pump are at most this */
#define ROUNDS 16    /* batches per callback, then the loop's other handles get their turn */
#define ERRQUEUE_READS 4

enum { SLOT_SPARE, SLOT_IDLE, SLOT_ACTIVE };

struct tsw_slot {
  int fd;
  uint32_t host; /* index in e->hosts */
  uint32_t heap_pos;
  uint16_t port;
  uint8_t attempt;
  uint8_t state;
  uint8_t family_index; /* 0: AF_INET, 1: AF_INET6 */
  uint64_t start_ns, deadline_ns;
};

static int family_index(int family)
{
  return family == AF_INET6 ? 1 : 0;
}

/* hs's address with `port`; returns its length. */
static socklen_t dst_of(const struct host_sched *hs, uint16_t port, struct sockaddr_storage *dst)
{
  *dst = hs->tg->addr;
  if (dst->ss_family == AF_INET) {
    ((struct sockaddr_in *)dst)->sin_port = htons(port);
    return sizeof(struct sockaddr_in);
  }
  ((struct sockaddr_in6 *)dst)->sin6_port = htons(port);
  return sizeof(struct sockaddr_in6);
}

/* --- the deadline heap (slot indices; each slot knows its position) --- */

static bool earlier(const struct tcp_sweep *s, uint32_t a, uint32_t b)
{
  return s->slot[a].deadline_ns < s->slot[b].deadline_ns;
}

static void heap_set(struct tcp_sweep *s, uint32_t pos, uint32_t i)
{
  s->heap[pos] = i;
  s->slot[i].heap_pos = pos;
}

static void heap_up(struct tcp_sweep *s, uint32_t pos)
{
  uint32_t i = s->heap[pos];
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (!earlier(s, i, s->heap[parent]))
      break;
    heap_set(s, pos, s->heap[parent]);
    pos = parent;
  }
  heap_set(s, pos, i);
}

static void heap_down(struct tcp_sweep *s, uint32_t pos)
{
  uint32_t i = s->heap[pos];
  for (;;) {
    uint32_t l = 2 * pos + 1, r = l + 1, m = pos;
    uint32_t best = i;
    if (l < s->heap_len && earlier(s, s->heap[l], best)) {
      m = l;
      best = s->heap[l];
    }
    if (r < s->heap_len && earlier(s, s->heap[r], best))
      m = r;
    if (m == pos)
      break;
    heap_set(s, pos, s->heap[m]);
    pos = m;
  }
  heap_set(s, pos, i);
}

static void heap_push(struct tcp_sweep *s, uint32_t i)
{
  heap_set(s, s->heap_len++, i);
  heap_up(s, s->heap_len - 1);
}

static void heap_remove(struct tcp_sweep *s, uint32_t i)
{
  uint32_t pos = s->slot[i].heap_pos;
  uint32_t last = s->heap[--s->heap_len];
  if (pos == s->heap_len)
    return;
  heap_set(s, pos, last);
  if (pos > 0 && earlier(s, last, s->heap[(pos - 1) / 2]))
    heap_up(s, pos);
  else
    heap_down(s, pos);
}

/* --- the socket pool --- */

static int grow(struct tcp_sweep *s)
{
  uint32_t n = s->nslots ? s->nslots * 2 : 64;
  struct tsw_slot *slot = realloc(s->slot, n * sizeof(*slot));
  if (!slot)
    return -1;
  s->slot = slot;
  uint32_t **arrays[] = {&s->spare, &s->idle[0], &s->idle[1], &s->heap};
  for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
    uint32_t *a = realloc(*arrays[k], n * sizeof(uint32_t));
    if (!a)
      return -1; /* the arrays grown so far are only bigger than they need to be */
    *arrays[k] = a;
  }
  for (uint32_t i = s->nslots; i < n; i++) {
    memset(&s->slot[i], 0, sizeof(s->slot[i]));
    s->slot[i].fd = -1;
    s->spare[s->nspare++] = n - 1 - (i - s->nslots); /* lowest index on top */
  }
  s->nslots = n;
  return 0;
}

static void to_spare(struct tcp_sweep *s, uint32_t i)
{
  struct tsw_slot *sl = &s->slot[i];
  if (sl->fd >= 0)
    close(sl->fd); /* leaves the epoll set with it */
  sl->fd = -1;
  sl->state = SLOT_SPARE;
  s->spare[s->nspare++] = i;
}

static void to_idle(struct tcp_sweep *s, uint32_t i)
{
  struct tsw_slot *sl = &s->slot[i];
  sl->state = SLOT_IDLE;
  s->idle[sl->family_index][s->nidle[sl->family_index]++] = i;
}

/* A socket for `family`: an idle one, or a new one in the epoll set. False: none (the caller
 * falls back to an attempt, which meets the same limit and backs off). */
static bool take_socket(struct engine *e, struct tcp_sweep *s, int family, uint32_t *out)
{
  int fi = family_index(family);
  if (s->nidle[fi]) {
    *out = s->idle[fi][--s->nidle[fi]];
    return true;
  }
  struct sockaddr_storage src;
  socklen_t srclen;
  int has_src = engine_source_for(e, family, &src, &srclen);
  if (has_src < 0 || (!s->nspare && grow(s) < 0))
    return false;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  int one = 1;
  /* ICMP errors about our SYNs are queued on the socket (evidence.c reads them) */
  if (family == AF_INET)
    setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
  else
    setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof(one));
  /* --source: the address is kept across reconnects; the port is picked by each connect() */
  if (has_src && (setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)),
                  bind(fd, (struct sockaddr *)&src, srclen) != 0)) {
    close(fd);
    return false;
  }
  uint32_t i = s->spare[--s->nspare];
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.u32 = i};
  if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(fd);
    s->spare[s->nspare++] = i;
    return false;
  }
  s->sockets++;
  s->slot[i].fd = fd;
  s->slot[i].family_index = (uint8_t)fi;
  s->slot[i].state = SLOT_IDLE;
  *out = i;
  return true;
}

/* Ends whatever connection the socket holds (a RST for an accepted one), so that it can
 * connect again; closes it when it cannot. */
static void reset_socket(struct tcp_sweep *s, uint32_t i)
{
  struct sockaddr un = {.sa_family = AF_UNSPEC};
  if (connect(s->slot[i].fd, &un, sizeof(un)) != 0)
    to_spare(s, i);
  else
    to_idle(s, i);
}

/* Sockets no port took by the end of a callback: closed, so that between loop iterations the
 * sweep holds one descriptor per connect in flight and no more (the engine's budget). */
static void close_idle(struct tcp_sweep *s)
{
  for (int fi = 0; fi < 2; fi++)
    while (s->nidle[fi])
      to_spare(s, s->idle[fi][--s->nidle[fi]]);
}

/* --- handles --- */

static void on_poll(uv_poll_t *p, int status, int events);
static void on_timer(uv_timer_t *t);

/* The poll runs while a connect is in flight, the timer for the earliest deadline: an idle
 * sweep keeps the loop alive with neither. */
static void arm(struct engine *e, struct tcp_sweep *s)
{
  if (!s->open)
    return;
  if (!s->heap_len || e->stopping) {
    uv_poll_stop(&s->poll);
    uv_timer_stop(&s->timer);
    s->timer_armed = false;
    return;
  }
  if (!uv_is_active((uv_handle_t *)&s->poll))
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
  uint64_t due = s->slot[s->heap[0]].deadline_ns;
  if (s->timer_armed && s->timer_due_ns <= due)
    return; /* fires first; it re-arms for the rest */
  uint64_t now = uv_hrtime();
  uint64_t ms = due > now ? (due - now + 999999) / 1000000 : 0;
  uv_update_time(e->loop); /* from now, not from the start of a long iteration */
  uv_timer_start(&s->timer, on_timer, ms ? ms : 1, 0);
  s->timer_armed = true;
  s->timer_due_ns = due;
}

/* --- outcomes --- */

/* The first ICMP error on the socket's queue about this port (earlier ones, about a port the
 * socket connected to before, are dropped). */
static bool icmp_result(const struct tsw_slot *sl, struct attempt_result *r)
{
  for (int k = 0; k < ERRQUEUE_READS; k++) {
    struct sockaddr_storage orig;
    struct icmp_info ii;
    int64_t rx_ns;
    const char *meaning;
    if (!evidence_errqueue_any(sl->fd, &orig, &ii, &rx_ns))
      return false;
    uint16_t oport = ntohs(orig.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&orig)->sin6_port
                                                      : ((struct sockaddr_in *)&orig)->sin_port);
    if (orig.ss_family != AF_UNSPEC && oport != sl->port)
      continue;
    enum uc_state st = icmp_classify(ii.v6, ii.type, ii.code, &meaning);
    if (st == UC_ST_NONE)
      continue;
    r->status = ATT_FINAL;
    r->state = st;
    r->has_icmp = true;
    r->icmp = ii;
    return true;
  }
  return false;
}

/* What a connect() that failed with `err` (no ICMP details) means, as attempt_tcp.c maps it. */
static void errno_result(int err, struct attempt_result *r)
{
  switch (err) {
  case EHOSTUNREACH:
  case ENETUNREACH:
    r->state = UC_ST_UNREACHABLE;
    return;
  case ETIMEDOUT:
    r->status = ATT_NO_ANSWER;
    r->state = UC_ST_FILTERED;
    return;
  default:
    if (engine_is_resource_error(-err)) {
      r->status = ATT_RESOURCE;
      r->sys_err = -err;
    }
    r->state = UC_ST_ERROR;
  }
}

/* How slot i's connect stands. `events`: what epoll said (EPOLLERR: look for an ICMP error).
 * False: still waiting. True: *r is its outcome, *reset whether the socket still holds a
 * connection (accepted, or still trying) to end before it is reused. */
static bool judge(struct engine *e, struct tcp_sweep *s, uint32_t i, uint32_t events,
                  struct attempt_result *r, bool *reset)
{
  struct tsw_slot *sl = &s->slot[i];
  struct host_sched *hs = &e->hosts[sl->host];
  struct sockaddr_storage dst;
  socklen_t len = dst_of(hs, sl->port, &dst);
  /* connect() again on a connecting socket reports how the first one ended, and on a failed
   * one also makes the socket ready for the next (Linux: sock_error, then disconnect) */
  int err = connect(sl->fd, (struct sockaddr *)&dst, len) == 0 ? 0 : errno;
  memset(r, 0, sizeof(*r));
  r->status = ATT_FINAL;
  r->rtt_ms = -1;
  *reset = false;
  /* The round trip, at least: the answer came after the connect, and after the last look
   * that emptied epoll's ready list without it (a lower bound: a full list only says that
   * answers queue up on our side, which the deadline need not wait for, as the deadline asks
   * the socket itself before it calls a port silent). */
  double ms = s->drained_ns > sl->start_ns ? (double)(s->drained_ns - sl->start_ns) / 1e6 : 0;
  switch (err) {
  case 0:
  case EISCONN:
    r->state = UC_ST_OPEN;
    *reset = true;
    rtt_sample(&hs->rtt, ms);
    return true;
  case ECONNREFUSED:
    r->state = UC_ST_CLOSED;
    rtt_sample(&hs->rtt, ms);
    return true;
  case ECONNRESET: /* accepted, then reset by the peer before we looked */
    r->state = UC_ST_OPEN;
    return true;
  case EALREADY:
  case EINPROGRESS:
    /* still connecting: an ICMP error that came while the socket was busy is only queued */
    if (!(events & EPOLLERR) || !icmp_result(sl, r))
      return false;
    *reset = true;
    return true;
  default:
    if (!icmp_result(sl, r))
      errno_result(err, r);
    return true;
  }
}

/* Slot i's port has its outcome: the socket goes back to the pool, the engine records it. */
static void finish(struct engine *e, struct tcp_sweep *s, uint32_t i, struct attempt_result *r,
                   bool reset)
{
  struct tsw_slot *sl = &s->slot[i];
  struct host_sched *hs = &e->hosts[sl->host];
  struct attempt a = {.eng = e,
                      .hs = hs,
                      .w = {.port = sl->port, .transport = UC_TCP, .attempt = sl->attempt},
                      .start_ns = sl->start_ns,
                      .answer_ttl = -1};
  heap_remove(s, i);
  if (reset)
    reset_socket(s, i);
  else
    to_idle(s, i);
  engine_attempt_done(&a, r);
  uc_count_dec(&e->inflight);
  uc_count_dec(&hs->inflight);
}

/* Results are in: more work, then the sockets no port took are closed. */
static void after_results(struct engine *e, struct tcp_sweep *s)
{
  engine_pump(e);
  close_idle(s);
  arm(e, s);
}

/* Reads what epoll has, a batch at a time, pumping after each. */
static void run_batches(struct engine *e, struct tcp_sweep *s)
{
  struct epoll_event ev[BATCH_MAX];
  for (int round = 0; round < ROUNDS && s->heap_len && !e->stopping && !e->finished; round++) {
    uint64_t before = uv_hrtime();
    int n = epoll_wait(s->epfd, ev, (int)s->batch, 0);
    if (n <= 0) {
      s->drained_ns = before;
      break;
    }
    for (int k = 0; k < n; k++) {
      uint32_t i = ev[k].data.u32;
      struct attempt_result r;
      bool reset;
      if (i >= s->nslots || s->slot[i].state != SLOT_ACTIVE)
        continue; /* an idle socket's own disconnect */
      if (judge(e, s, i, ev[k].events, &r, &reset))
        finish(e, s, i, &r, reset);
    }
    if (n < (int)s->batch)
      s->drained_ns = before; /* nothing else was ready then */
    after_results(e, s);
    if (n < (int)s->batch)
      break;
  }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
  struct engine *e = p->data;
  (void)status;
  (void)events;
  run_batches(e, &e->tsweep);
}

/* The earliest deadlines have passed: what came meanwhile counts first, then each port whose
 * deadline passed is asked once more (its answer may be waiting unread) before it is silent. */
static void on_timer(uv_timer_t *t)
{
  struct engine *e = t->data;
  struct tcp_sweep *s = &e->tsweep;
  s->timer_armed = false;
  run_batches(e, s);
  if (e->stopping || e->finished)
    return;
  uint64_t now = uv_hrtime();
  while (s->heap_len && s->slot[s->heap[0]].deadline_ns <= now) {
    uint32_t i = s->heap[0];
    struct attempt_result r;
    bool reset;
    if (!judge(e, s, i, EPOLLERR, &r, &reset)) {
      memset(&r, 0, sizeof(r));
      r.status = ATT_NO_ANSWER;
      r.state = UC_ST_FILTERED;
      r.rtt_ms = -1;
      reset = true;
    }
    finish(e, s, i, &r, reset);
  }
  after_results(e, s);
}

/* --- the engine's side --- */

static bool has_tcp_spans(const struct host_sched *hs)
{
  for (size_t k = 0; k < hs->tg->nspans; k++)
    if (hs->tg->spans[k].transport == UC_TCP)
      return true;
  return false;
}

void tcpsweep_setup(struct engine *e)
{
  struct tcp_sweep *s = &e->tsweep;
  bool any = false;
  for (size_t i = 0; i < e->nhosts && !any; i++)
    any = e->hosts[i].ready && !e->hosts[i].syn && has_tcp_spans(&e->hosts[i]);
  if (!any || s->open)
    return;
  s->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (s->epfd < 0)
    return; /* the ranges go port by port, attempt_tcp.c */
  if (uv_poll_init(e->loop, &s->poll, s->epfd) != 0) {
    close(s->epfd);
    return;
  }
  uv_timer_init(e->loop, &s->timer);
  s->poll.data = s->timer.data = e;
  uc_handles_open(&e->handles, 2);
  s->open = true;
  /* sockets idle during a pump are not in the engine's count: a small budget (ulimit -n) gets
   * small batches */
  unsigned b = e->max_inflight / 8;
  s->batch = b < 1 ? 1 : b > BATCH_MAX ? BATCH_MAX : b;
  for (size_t i = 0; i < e->nhosts; i++) {
    struct host_sched *hs = &e->hosts[i];
    hs->tsweep = hs->ready && !hs->failed && !hs->syn && has_tcp_spans(hs);
  }
}

bool tcpsweep_start(struct engine *e, struct host_sched *hs, const struct work *w)
{
  struct tcp_sweep *s = &e->tsweep;
  if (!s->open || !hs->tsweep || w->check || w->transport != UC_TCP || e->stopping)
    return false;
  struct sockaddr_storage dst;
  socklen_t len = dst_of(hs, w->port, &dst);
  uint32_t i;
  if (!take_socket(e, s, dst.ss_family, &i))
    return false;
  struct tsw_slot *sl = &s->slot[i];
  if (connect(sl->fd, (struct sockaddr *)&dst, len) != 0 && errno != EINPROGRESS) {
    to_spare(s, i); /* an attempt says what this error means */
    return false;
  }
  const struct scan_conf *c = e->conf;
  sl->state = SLOT_ACTIVE;
  sl->host = (uint32_t)(hs - e->hosts);
  sl->port = w->port;
  sl->attempt = (uint8_t)(w->attempt < 255 ? w->attempt : 255);
  sl->start_ns = uv_hrtime();
  sl->deadline_ns =
      sl->start_ns +
      (uint64_t)rtt_deadline_ms(&hs->rtt, w->attempt, c->min_rto_ms, c->timeout_ms) * 1000000ull;
  heap_push(s, i);
  uc_count_inc(&e->inflight);
  uc_count_inc(&hs->inflight);
  engine_probe_sent(e);
  arm(e, s);
  return true;
}

void tcpsweep_stop(struct engine *e)
{
  struct tcp_sweep *s = &e->tsweep;
  if (!s->open)
    return;
  while (s->heap_len) {
    uint32_t i = s->heap[--s->heap_len];
    struct host_sched *hs = &e->hosts[s->slot[i].host];
    struct sockaddr un = {.sa_family = AF_UNSPEC};
    connect(s->slot[i].fd, &un, sizeof(un)); /* an accepted connection ends with a RST */
    to_spare(s, i);
    uc_count_dec(&e->inflight);
    uc_count_dec(&hs->inflight);
  }
  close_idle(s);
  arm(e, s);
}

static void on_closed(uv_handle_t *h)
{
  engine_handle_closed(h->data);
}

void tcpsweep_close(struct engine *e)
{
  struct tcp_sweep *s = &e->tsweep;
  if (s->open) {
    tcpsweep_stop(e);
    uv_close((uv_handle_t *)&s->poll, on_closed);
    uv_close((uv_handle_t *)&s->timer, on_closed);
    close(s->epfd);
    s->open = false;
  }
  free(s->slot);
  free(s->spare);
  free(s->idle[0]);
  free(s->idle[1]);
  free(s->heap);
  s->slot = NULL; /* the handles stay where they are until their close callbacks */
  s->spare = s->idle[0] = s->idle[1] = s->heap = NULL;
  s->nslots = s->nspare = s->nidle[0] = s->nidle[1] = s->heap_len = 0;
}

bool tcpsweep_owns_answer(const struct host_sched *hs, uint16_t port)
{
  bool in_span = false;
  for (size_t k = 0; k < hs->tg->nspans && !in_span; k++) {
    const struct plan_span *sp = &hs->tg->spans[k];
    in_span = sp->transport == UC_TCP && port >= sp->first && port <= sp->last;
  }
  if (!in_span)
    return false;
  for (size_t k = 0; k < hs->nchecks; k++) {
    const struct plan_check *c = &hs->checks[k];
    if (c->probe && !c->is_range && c->transport == UC_TCP && c->first == port)
      return false; /* a single check's attempt may look for it */
  }
  return true;
}
