/* scanner/tcp_sweep.c - TCP range ports and plain single checks by connect(): the loop thread's
 * half (the contract and the how are in tcp_sweep.h; the workers' half is tcp_sweep_worker.c). */
#include "scanner/tcp_sweep.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scanner/engine_int.h"

#define BATCH 64 /* events per epoll_wait in a worker */
/* Requests a worker gets at once: a pump that hands out more wakes it for every so many, so
 * the connects start while the loop is still making sockets */
#define SUBMIT_BATCH 128

enum { SLOT_SPARE, SLOT_IDLE, SLOT_ACTIVE };

struct tsw_slot {
  int fd;
  uint32_t host;            /* index in e->hosts, while active */
  struct plan_check *check; /* a single check's port, or NULL for a span port */
  uint64_t start_ns;        /* handed out (uv_hrtime): the capture's answers are newer */
  uint32_t deadline_ms;
  uint16_t port;
  uint8_t attempt;
  uint8_t state;
  uint8_t family_index; /* 0: AF_INET, 1: AF_INET6 */
  uint8_t worker;       /* whose epoll set the socket is in */
};

static int family_index(int family)
{
  return family == AF_INET6 ? 1 : 0;
}

/* --- the socket pool --- */

static int grow(struct tcp_sweep *s)
{
  uint32_t n = s->nslots ? s->nslots * 2 : 64;
  struct tsw_slot *slot = realloc(s->slot, n * sizeof(*slot));
  if (!slot)
    return -1;
  s->slot = slot;
  uint32_t **arrays[] = {&s->spare, &s->idle[0], &s->idle[1]};
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
    close(sl->fd); /* leaves its worker's epoll set with it */
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

/* A socket for `family`: an idle one, or a new one in the next worker's epoll set. False:
 * none (the caller falls back to an attempt, which meets the same limit and backs off). */
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
  /* ICMP errors about our SYNs are queued on the socket, with their receive time (the worker
   * reads them) */
  evidence_socket_opts(fd, family);
  /* --source: the address is kept across reconnects; each connect() picks the port */
  if (has_src && (setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)),
                  bind(fd, (struct sockaddr *)&src, srclen) != 0)) {
    close(fd);
    return false;
  }
  uint32_t i = s->spare[--s->nspare];
  unsigned wk = s->next_worker++ % s->nworkers;
  struct epoll_event ev;
  memset(&ev, 0, sizeof(ev)); /* the whole union: valgrind reads every byte epoll_ctl gets */
  ev.events = EPOLLOUT | EPOLLET;
  ev.data.u32 = i;
  if (epoll_ctl(tsw_worker_epfd(s->worker[wk]), EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(fd);
    s->spare[s->nspare++] = i;
    return false;
  }
  s->sockets++;
  s->slot[i].fd = fd;
  s->slot[i].family_index = (uint8_t)fi;
  s->slot[i].worker = (uint8_t)wk;
  s->slot[i].state = SLOT_IDLE;
  *out = i;
  return true;
}

/* Sockets no port took by the end of a callback: closed, so that between callbacks the sweep
 * holds one descriptor per port in flight and no more (the engine's budget). */
static void close_idle(struct tcp_sweep *s)
{
  for (int fi = 0; fi < 2; fi++)
    while (s->nidle[fi])
      to_spare(s, s->idle[fi][--s->nidle[fi]]);
}

/* The async handle keeps the loop alive exactly while ports are in flight. */
static void update_ref(struct tcp_sweep *s)
{
  if (s->active)
    uv_ref((uv_handle_t *)&s->async);
  else
    uv_unref((uv_handle_t *)&s->async);
}

/* --- outcomes --- */

/* The libuv status a connect with this outcome would have ended with. */
static int connect_status(const struct tsw_result *r)
{
  if (r->status == TSW_NO_ANSWER)
    return UV_ETIMEDOUT;
  if (r->state == UC_ST_OPEN)
    return 0;
  if (r->sys_err)
    return r->sys_err;
  return r->state == UC_ST_CLOSED ? UV_ECONNREFUSED : UV_EHOSTUNREACH; /* an ICMP error */
}

/* A single check's connect, worded and evidenced as attempt_tcp.c does a plain connect: what
 * the capture saw of it first (an ICMP error; the TTL and time of its RST or SYN-ACK), then
 * the socket's word; the round trip the kernel's where it has one (TCP_INFO, the ICMP error's
 * or the capture's receive time), else the worker's. */
static void single_result(struct attempt *a, const struct tsw_slot *sl, const struct tsw_result *r,
                          struct attempt_result *ar)
{
  int status = connect_status(r);
  bool captured = evidence_connect(a, r->lport, status, true, ar); /* collect() drained */
  if (!captured) {
    memset(ar, 0, sizeof(*ar));
    if (r->has_icmp) {
      ar->status = ATT_FINAL;
      ar->state = (enum uc_state)r->state;
      icmp_reason(&r->icmp, ar->reason, sizeof(ar->reason));
      ar->evidence = json_pack("{s:o}", "icmp", icmp_evidence(&r->icmp));
      ar->has_icmp = true;
      ar->icmp = r->icmp;
    } else if (status == 0) {
      ar->status = ATT_FINAL;
      ar->state = UC_ST_OPEN;
      snprintf(ar->reason, sizeof(ar->reason), "TCP connection accepted");
    } else {
      engine_connect_failure(status, sl->attempt + 1u, ar);
      if (status == UV_ETIMEDOUT)
        snprintf(ar->reason, sizeof(ar->reason),
                 "no answer to %u connection attempts (last waited %u ms)", sl->attempt + 1u,
                 sl->deadline_ms);
    }
  }
  /* the round trip as attempt_tcp.c takes it: none for silence; else the kernel's where it
   * has one, or the time from the connect to the worker's look (an upper bound) */
  ar->rtt_kernel = false;
  ar->rtt_ms = ar->status == ATT_NO_ANSWER && !captured ? -1 : r->elapsed_ms;
  if (captured || status == UV_ECONNREFUSED) {
    if (a->answer_rx_ns > 0 && r->sent_rt_ns > 0 && a->answer_rx_ns >= r->sent_rt_ns) {
      ar->rtt_ms = (double)(a->answer_rx_ns - r->sent_rt_ns) / 1e6;
      ar->rtt_kernel = true;
    }
  } else if ((status == 0 || r->has_icmp) && r->kernel_rtt_ms >= 0 &&
             (ar->rtt_ms < 0 || r->kernel_rtt_ms <= ar->rtt_ms)) {
    ar->rtt_ms = r->kernel_rtt_ms; /* TCP_INFO, or the ICMP error's receive timestamp */
    ar->rtt_kernel = true;
  }
}

/* Slot i is back from its worker: the socket waits for another port, the engine records the
 * outcome (nothing after a stop). */
static void outcome(struct engine *e, struct tcp_sweep *s, const struct tsw_result *r)
{
  if (r->slot >= s->nslots || s->slot[r->slot].state != SLOT_ACTIVE)
    return;
  struct tsw_slot done = s->slot[r->slot]; /* the slot may take another port from here on */
  const struct tsw_slot *sl = &done;
  struct host_sched *hs = &e->hosts[sl->host];
  s->active--;
  to_idle(s, r->slot);
  if (r->status != TSW_CANCELLED) {
    if (r->rtt_ms >= 0)
      rtt_sample(&hs->rtt, r->rtt_ms);
    struct attempt a = {
        .eng = e,
        .hs = hs,
        .w = {.check = sl->check, .port = sl->port, .transport = UC_TCP, .attempt = sl->attempt},
        .start_ns = sl->start_ns,
        .answer_ttl = -1};
    struct attempt_result ar = {.status = r->status == TSW_NO_ANSWER  ? ATT_NO_ANSWER
                                          : r->status == TSW_RESOURCE ? ATT_RESOURCE
                                                                      : ATT_FINAL,
                                .state = (enum uc_state)r->state,
                                .rtt_ms = -1,
                                .sys_err = r->sys_err,
                                .has_icmp = r->has_icmp,
                                .icmp = r->icmp};
    if (sl->check && r->status != TSW_RESOURCE)
      single_result(&a, sl, r, &ar);
    engine_attempt_done(&a, &ar);
  }
  engine_slot_release(e, hs);
}

static void collect(struct engine *e)
{
  struct tcp_sweep *s = &e->tsweep;
  for (unsigned k = 0; k < s->nworkers; k++) {
    tsw_worker_take(s->worker[k], &s->results);
    /* what answered these connects reached the capture before their sockets said so: one
     * drain for the batch (evidence_connect looks without draining) */
    for (size_t i = 0; e->capture && i < s->results.n; i++)
      if (s->results.v[i].lport) { /* a single check's */
        capture_drain(e->capture);
        break;
      }
    for (size_t i = 0; i < s->results.n; i++)
      outcome(e, s, &s->results.v[i]);
  }
}

void tcpsweep_harvest(struct engine *e)
{
  struct tcp_sweep *s = &e->tsweep;
  if (!s->active)
    return;
  for (unsigned k = 0; k < s->nworkers; k++)
    tsw_worker_look(s->worker[k]);
  collect(e);
}

static void on_async(uv_async_t *h)
{
  struct engine *e = h->data;
  struct tcp_sweep *s = &e->tsweep;
  collect(e);
  engine_pump(e); /* more work first: it takes the idle sockets */
  close_idle(s);
  update_ref(s);
}

/* --- the engine's side --- */

/* Whether hs has work for the sweep: TCP span ports (unless raw SYNs take them), or single
 * checks that are plain connects (unless raw SYNs take those too, --tcp-method syn). */
static bool sweepable(const struct host_sched *hs)
{
  for (size_t k = 0; k < hs->tg->nspans && !hs->syn; k++)
    if (hs->tg->spans[k].transport == UC_TCP)
      return true;
  for (size_t k = 0; k < hs->nchecks; k++)
    if (hs->checks[k].probe && workq_plain_connect(&hs->checks[k]) && !hs->syn_checks)
      return true;
  return false;
}

static unsigned worker_count(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > TSW_MAX_WORKERS ? TSW_MAX_WORKERS : (unsigned)n;
}

void tcpsweep_setup(struct engine *e)
{
  struct tcp_sweep *s = &e->tsweep;
  bool any = false;
  for (size_t i = 0; i < e->nhosts && !any; i++)
    any = e->hosts[i].ready && sweepable(&e->hosts[i]);
  struct rlimit rl;
  if (!any || s->open || getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < TSW_MIN_FILES)
    return;
  if (uv_async_init(e->loop, &s->async, on_async) != 0)
    return;
  s->async.data = e;
  engine_handles_opened(e, 1);
  s->open = true;
  update_ref(s);
  for (unsigned n = worker_count(); s->nworkers < n; s->nworkers++)
    if (!(s->worker[s->nworkers] = tsw_worker_start(&s->async, BATCH)))
      break;
  if (!s->nworkers)
    return; /* ranges and single checks go port by port, attempt_tcp.c */
  for (size_t i = 0; i < e->nhosts; i++) {
    struct host_sched *hs = &e->hosts[i];
    hs->tsweep = hs->ready && !hs->failed && sweepable(hs);
  }
}

/* Hands worker k what was staged for it, and wakes it. */
static void submit(struct tcp_sweep *s, unsigned k)
{
  tsw_worker_submit(s->worker[k], s->staged[k].v, s->staged[k].n);
  s->staged[k].n = 0;
}

bool tcpsweep_start(struct engine *e, struct host_sched *hs, const struct work *w)
{
  struct tcp_sweep *s = &e->tsweep;
  if (!s->nworkers || !hs->tsweep || w->transport != UC_TCP || e->stopping ||
      (w->check ? !workq_plain_connect(w->check) : hs->syn))
    return false;
  struct tsw_request q = {.dst.sa.sa_family = AF_UNSPEC};
  int family = hs->tg->addr.ss_family;
  if (family == AF_INET) {
    q.dst.v4 = *(const struct sockaddr_in *)&hs->tg->addr;
    q.dst.v4.sin_port = htons(w->port);
    q.dst_len = sizeof(q.dst.v4);
  } else {
    q.dst.v6 = *(const struct sockaddr_in6 *)&hs->tg->addr;
    q.dst.v6.sin6_port = htons(w->port);
    q.dst_len = sizeof(q.dst.v6);
  }
  uint32_t i;
  if (!take_socket(e, s, family, &i))
    return false;
  struct tsw_slot *sl = &s->slot[i];
  struct tsw_staged *st = &s->staged[sl->worker];
  if (st->n == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 64;
    struct tsw_request *v = realloc(st->v, cap * sizeof(*v));
    if (!v) {
      to_spare(s, i); /* closed now: no on_async may come to close an idle one */
      return false;
    }
    st->v = v;
    st->cap = cap;
  }
  const struct scan_conf *c = e->conf;
  q.slot = i;
  q.fd = sl->fd;
  q.deadline_ms = rtt_deadline_ms(&hs->rtt, w->attempt, c->min_rto_ms, c->timeout_ms);
  q.detail = w->check != NULL;
  st->v[st->n++] = q;
  sl->state = SLOT_ACTIVE;
  sl->host = (uint32_t)(hs - e->hosts);
  sl->check = w->check;
  sl->start_ns = uv_hrtime();
  sl->deadline_ms = q.deadline_ms;
  sl->port = w->port;
  sl->attempt = (uint8_t)(w->attempt < 255 ? w->attempt : 255);
  s->active++;
  engine_slot_take(e, hs);
  engine_probe_sent(e);
  update_ref(s);
  if (st->n >= SUBMIT_BATCH) /* a long pump (the first makes thousands of sockets) */
    submit(s, sl->worker);
  return true;
}

void tcpsweep_flush(struct engine *e)
{
  struct tcp_sweep *s = &e->tsweep;
  for (unsigned k = 0; k < s->nworkers; k++)
    submit(s, k);
}

void tcpsweep_stop(struct engine *e)
{
  struct tcp_sweep *s = &e->tsweep;
  for (unsigned k = 0; k < s->nworkers; k++) {
    /* handed out but never submitted: back at once */
    for (size_t q = 0; q < s->staged[k].n; q++) {
      struct tsw_result r = {.slot = s->staged[k].v[q].slot, .status = TSW_CANCELLED};
      outcome(e, s, &r);
    }
    s->staged[k].n = 0;
    tsw_worker_cancel(s->worker[k]); /* the rest come back through on_async */
  }
  close_idle(s);
  if (s->open)
    update_ref(s);
}

static void on_closed(uv_handle_t *h)
{
  engine_handle_closed(h->data);
}

void tcpsweep_close(struct engine *e)
{
  struct tcp_sweep *s = &e->tsweep;
  for (unsigned k = 0; k < s->nworkers; k++) {
    tsw_worker_stop(s->worker[k]); /* joined: no thread touches a socket any more */
    s->worker[k] = NULL;
    free(s->staged[k].v);
    s->staged[k].v = NULL;
    s->staged[k].n = s->staged[k].cap = 0;
  }
  s->nworkers = 0;
  for (uint32_t i = 0; i < s->nslots; i++)
    if (s->slot[i].fd >= 0)
      close(s->slot[i].fd);
  if (s->open)
    uv_close((uv_handle_t *)&s->async, on_closed);
  s->open = false;
  tsw_results_free(&s->results);
  free(s->slot);
  free(s->spare);
  free(s->idle[0]);
  free(s->idle[1]);
  s->slot = NULL; /* the handle stays where it is until its close callback */
  s->spare = s->idle[0] = s->idle[1] = NULL;
  s->nslots = s->nspare = s->nidle[0] = s->nidle[1] = s->active = 0;
}

bool tcpsweep_owns_answer(const struct host_sched *hs, uint16_t port)
{
  if (hs->syn)
    return false; /* its span ports are raw SYNs' (engine_syn.c) */
  if (!plan_target_spans(hs->tg, UC_TCP, port))
    return false;
  for (size_t k = 0; k < hs->nchecks; k++) {
    const struct plan_check *c = &hs->checks[k];
    if (c->probe && !c->is_range && c->transport == UC_TCP && c->first == port)
      return false; /* a single check's attempt may look for it */
  }
  return true;
}
