/* scanner/tcp_sweep_worker.c - the connect sweep's worker threads (the contract is in
 * tcp_sweep_worker.h). A worker touches nothing of the engine: it gets sockets with a
 * destination and a deadline, and gives back how each connect ended. */
#include "scanner/tcp_sweep_worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/platform.h"
#include "scanner/engine_int.h" /* evidence_errqueue_any, engine_is_resource_error */

#define WAKE UINT32_MAX /* the eventfd's data in the epoll set */
#define BATCH_MAX 64
#define ERRQUEUE_READS 4
#define STACK_SIZE (256u * 1024u)
#define LOOK_WAIT_S 2 /* tsw_worker_look's bound: a look is a system call per held port */

/* A slot as the worker sees it: held from its request to its result. */
struct wslot {
  bool held;
  bool detail; /* the request's */
  int fd;
  uint16_t port;      /* destination port, to match queued ICMP errors */
  uint16_t lport;     /* detail: the connect's local port */
  int64_t sent_rt_ns; /* detail: CLOCK_REALTIME at the connect */
  uint32_t heap_pos;
  uint64_t start_ns, deadline_ns;
  socklen_t dst_len;
  union tsw_addr dst;
};

struct reqs {
  struct tsw_request *v;
  size_t n, cap;
};

struct tsw_worker {
  pthread_t thread;
  int epfd, wakefd;
  uv_async_t *notify;
  unsigned batch;
  pthread_mutex_t mu;
  /* under mu */
  struct reqs inbox;
  struct tsw_results out;
  unsigned cancel_gen;
  unsigned look_gen, looked_gen; /* tsw_worker_look: asked, and done by the thread */
  pthread_cond_t looked;         /* signalled when looked_gen moves */
  bool quit;
  /* the thread's own */
  struct reqs work;
  struct tsw_results posted;
  unsigned seen_cancel;
  struct wslot *slot; /* indexed by the loop's slot number */
  uint32_t nslot;
  uint32_t *heap; /* held slots, a min-heap on deadline */
  uint32_t heap_len, heap_cap;
  uint64_t drained_ns; /* the last epoll_wait that left nothing ready began then */
  uint64_t answer_ns;  /* what came in the current epoll_wait came at or after this */
};

/* --- vectors --- */

/* `v` (capacity *cap elements of `size` bytes) with room for `need`: grown by doubling from
 * 64, or NULL when memory ran out (v is then left as it was). */
static void *reserve(void *v, size_t *cap, size_t need, size_t size)
{
  if (need <= *cap)
    return v;
  size_t n = *cap ? *cap : 64;
  while (n < need)
    n *= 2;
  void *nv = realloc(v, n * size);
  if (nv)
    *cap = n;
  return nv;
}

static bool reqs_append(struct reqs *q, const struct tsw_request *r, size_t n)
{
  if (n == 0)
    return true;
  struct tsw_request *v = reserve(q->v, &q->cap, q->n + n, sizeof(*v));
  if (!v)
    return false;
  q->v = v;
  memcpy(q->v + q->n, r, n * sizeof(*r));
  q->n += n;
  return true;
}

static bool results_append(struct tsw_results *q, const struct tsw_result *r, size_t n)
{
  if (n == 0)
    return true;
  struct tsw_result *v = reserve(q->v, &q->cap, q->n + n, sizeof(*v));
  if (!v)
    return false;
  q->v = v;
  memcpy(q->v + q->n, r, n * sizeof(*r));
  q->n += n;
  return true;
}

void tsw_results_free(struct tsw_results *r)
{
  free(r->v);
  memset(r, 0, sizeof(*r));
}

/* --- the deadline heap --- */

static bool earlier(const struct tsw_worker *w, uint32_t a, uint32_t b)
{
  return w->slot[a].deadline_ns < w->slot[b].deadline_ns;
}

static void heap_set(struct tsw_worker *w, uint32_t pos, uint32_t i)
{
  w->heap[pos] = i;
  w->slot[i].heap_pos = pos;
}

static void heap_up(struct tsw_worker *w, uint32_t pos)
{
  uint32_t i = w->heap[pos];
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (!earlier(w, i, w->heap[parent]))
      break;
    heap_set(w, pos, w->heap[parent]);
    pos = parent;
  }
  heap_set(w, pos, i);
}

static void heap_down(struct tsw_worker *w, uint32_t pos)
{
  uint32_t i = w->heap[pos];
  for (;;) {
    uint32_t l = 2 * pos + 1, r = l + 1, m = pos, best = i;
    if (l < w->heap_len && earlier(w, w->heap[l], best)) {
      m = l;
      best = w->heap[l];
    }
    if (r < w->heap_len && earlier(w, w->heap[r], best))
      m = r;
    if (m == pos)
      break;
    heap_set(w, pos, w->heap[m]);
    pos = m;
  }
  heap_set(w, pos, i);
}

static bool heap_push(struct tsw_worker *w, uint32_t i)
{
  if (w->heap_len == w->heap_cap) {
    uint32_t cap = w->heap_cap ? w->heap_cap * 2 : 256;
    uint32_t *h = realloc(w->heap, cap * sizeof(*h));
    if (!h)
      return false;
    w->heap = h;
    w->heap_cap = cap;
  }
  heap_set(w, w->heap_len++, i);
  heap_up(w, w->heap_len - 1);
  return true;
}

static void heap_remove(struct tsw_worker *w, uint32_t i)
{
  uint32_t pos = w->slot[i].heap_pos;
  uint32_t last = w->heap[--w->heap_len];
  if (pos == w->heap_len)
    return;
  heap_set(w, pos, last);
  if (pos > 0 && earlier(w, last, w->heap[(pos - 1) / 2]))
    heap_up(w, pos);
  else
    heap_down(w, pos);
}

/* --- outcomes --- */

static void post(struct tsw_worker *w, const struct tsw_result *r)
{
  if (!results_append(&w->posted, r, 1)) {
    /* out of memory: the loop must still hear of the slot, or its port stays in flight */
    pthread_mutex_lock(&w->mu);
    results_append(&w->out, r, 1);
    pthread_mutex_unlock(&w->mu);
    uv_async_send(w->notify); /* publish() has nothing posted to announce it */
  }
}

/* The slot's port has its outcome: the socket is made ready for its next port (a connection
 * or a SYN still pending is ended: connect(AF_UNSPEC)), and the loop hears of it. */
static void finish(struct tsw_worker *w, uint32_t i, struct tsw_result *r, bool reset)
{
  struct wslot *ws = &w->slot[i];
  heap_remove(w, i);
  ws->held = false;
  if (reset) {
    struct sockaddr un = {.sa_family = AF_UNSPEC};
    connect(ws->fd, &un, sizeof(un));
  }
  r->slot = i;
  if (ws->detail) {
    r->lport = ws->lport;
    r->sent_rt_ns = ws->sent_rt_ns;
    r->elapsed_ms = (double)(uv_hrtime() - ws->start_ns) / 1e6;
  }
  post(w, r);
}

static bool same_host(const struct sockaddr_storage *a, const union tsw_addr *dst)
{
  if (a->ss_family != dst->sa.sa_family)
    return false;
  if (a->ss_family == AF_INET6)
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &dst->v6.sin6_addr,
                  sizeof(dst->v6.sin6_addr)) == 0;
  return ((const struct sockaddr_in *)a)->sin_addr.s_addr == dst->v4.sin_addr.s_addr;
}

/* The first ICMP error on the socket's queue about this port (older ones, about a port the
 * socket connected to before, are dropped). */
static bool icmp_result(const struct wslot *ws, struct tsw_result *r)
{
  for (int k = 0; k < ERRQUEUE_READS; k++) {
    struct sockaddr_storage orig;
    struct icmp_info ii;
    int64_t rx_ns;
    const char *meaning;
    if (!evidence_errqueue_any(ws->fd, &orig, &ii, &rx_ns))
      return false;
    uint16_t oport = ntohs(orig.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&orig)->sin6_port
                                                      : ((struct sockaddr_in *)&orig)->sin_port);
    if (orig.ss_family != AF_UNSPEC && (oport != ws->port || !same_host(&orig, &ws->dst)))
      continue; /* about an earlier connect of this socket (another port or host) */
    enum uc_state st = icmp_classify(ii.v6, ii.type, ii.code, &meaning);
    if (st == UC_ST_NONE)
      continue;
    r->status = TSW_FINAL;
    r->state = (uint8_t)st;
    r->has_icmp = true;
    r->icmp = ii;
    if (ws->detail && rx_ns > 0 && ws->sent_rt_ns > 0 && rx_ns >= ws->sent_rt_ns)
      r->kernel_rtt_ms = (double)(rx_ns - ws->sent_rt_ns) / 1e6;
    return true;
  }
  return false;
}

/* What a connect() that failed with `err` means without ICMP details, as attempt_tcp.c maps
 * a failed connect. */
static void errno_result(int err, struct tsw_result *r)
{
  r->sys_err = -err;
  switch (err) {
  case ECONNREFUSED:
    r->state = UC_ST_CLOSED;
    return;
  case EHOSTUNREACH:
  case ENETUNREACH:
    r->state = UC_ST_UNREACHABLE;
    return;
  case ETIMEDOUT:
    r->status = TSW_NO_ANSWER;
    r->state = UC_ST_FILTERED;
    return;
  default:
    if (engine_is_resource_error(-err))
      r->status = TSW_RESOURCE;
    r->state = UC_ST_ERROR;
  }
}

static void result_init(struct tsw_result *r)
{
  memset(r, 0, sizeof(*r));
  r->status = TSW_FINAL;
  r->rtt_ms = -1;
  r->kernel_rtt_ms = -1;
  r->elapsed_ms = -1;
}

/* How slot i's connect stands. `events`: what epoll said (EPOLLERR: look for an ICMP error).
 * False: still waiting. True: *r is its outcome, *reset whether the socket still holds a
 * connection or a SYN to end before it is reused. */
static bool judge(struct tsw_worker *w, uint32_t i, uint32_t events, struct tsw_result *r,
                  bool *reset)
{
  struct wslot *ws = &w->slot[i];
  /* connect() again on a connecting socket reports how the first one ended, and on a failed
   * one also makes the socket ready for the next (Linux: sock_error, then disconnect) */
  int err = connect(ws->fd, &ws->dst.sa, ws->dst_len) == 0 ? 0 : errno;
  result_init(r);
  *reset = false;
  double ms = w->answer_ns > ws->start_ns ? (double)(w->answer_ns - ws->start_ns) / 1e6 : 0;
  switch (err) {
  case 0:
  case EISCONN:
    r->state = UC_ST_OPEN;
    r->rtt_ms = ms;
    if (ws->detail)
      r->kernel_rtt_ms = plat_tcp_rtt_ms(ws->fd); /* TCP_INFO */
    *reset = true;
    return true;
  case ECONNREFUSED:
    r->state = UC_ST_CLOSED;
    r->rtt_ms = ms;
    return true;
  case ECONNRESET: /* accepted, then reset by the peer before we looked */
    r->state = UC_ST_OPEN;
    return true;
  case EALREADY:
  case EINPROGRESS:
    /* still connecting: an ICMP error that came while the socket was busy is only queued */
    if (!(events & EPOLLERR) || !icmp_result(ws, r))
      return false;
    *reset = true;
    return true;
  default:
    if (!icmp_result(ws, r))
      errno_result(err, r);
    return true;
  }
}

/* --- requests --- */

static bool hold(struct tsw_worker *w, uint32_t i)
{
  if (i < w->nslot)
    return true;
  uint32_t n = w->nslot ? w->nslot : 256;
  while (n <= i)
    n *= 2;
  struct wslot *s = realloc(w->slot, n * sizeof(*s));
  if (!s)
    return false;
  memset(s + w->nslot, 0, (n - w->nslot) * sizeof(*s));
  w->slot = s;
  w->nslot = n;
  return true;
}

/* The port the kernel chose for a connect (the capture keys its answers by it), or 0. */
static uint16_t local_port(int fd)
{
  struct sockaddr_storage a;
  socklen_t len = sizeof(a);
  if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    return 0;
  return ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                       : ((struct sockaddr_in *)&a)->sin_port);
}

static void start(struct tsw_worker *w, const struct tsw_request *q)
{
  struct tsw_result r;
  result_init(&r);
  r.slot = q->slot;
  if (!hold(w, q->slot)) {
    r.status = TSW_RESOURCE;
    r.state = UC_ST_ERROR;
    r.sys_err = UV_ENOMEM;
    post(w, &r);
    return;
  }
  struct wslot *ws = &w->slot[q->slot];
  ws->fd = q->fd;
  ws->dst = q->dst;
  ws->dst_len = q->dst_len;
  ws->port = ntohs(q->dst.sa.sa_family == AF_INET6 ? q->dst.v6.sin6_port : q->dst.v4.sin_port);
  ws->detail = q->detail;
  ws->lport = 0;
  ws->sent_rt_ns = q->detail ? evidence_realtime_ns() : 0;
  ws->start_ns = uv_hrtime();
  ws->deadline_ns = ws->start_ns + (uint64_t)q->deadline_ms * 1000000ull;
  if (connect(ws->fd, &ws->dst.sa, ws->dst_len) != 0 && errno != EINPROGRESS) {
    errno_result(errno, &r); /* no packet went out: nothing to reset */
    post(w, &r);
    return;
  }
  if (ws->detail)
    ws->lport = local_port(ws->fd);
  ws->held = true;
  if (!heap_push(w, q->slot)) {
    ws->held = false;
    struct sockaddr un = {.sa_family = AF_UNSPEC};
    connect(ws->fd, &un, sizeof(un));
    r.status = TSW_RESOURCE;
    r.state = UC_ST_ERROR;
    r.sys_err = UV_ENOMEM;
    post(w, &r);
  }
}

/* Everything held ends unanswered (tsw_worker_cancel, or the thread stops). */
static void cancel_held(struct tsw_worker *w)
{
  while (w->heap_len) {
    uint32_t i = w->heap[0];
    struct tsw_result r;
    result_init(&r);
    r.status = TSW_CANCELLED;
    finish(w, i, &r, true);
  }
}

static void publish(struct tsw_worker *w)
{
  if (!w->posted.n)
    return;
  pthread_mutex_lock(&w->mu);
  bool ok = results_append(&w->out, w->posted.v, w->posted.n);
  pthread_mutex_unlock(&w->mu);
  if (ok)
    w->posted.n = 0; /* else kept, and tried again next round */
  uv_async_send(w->notify);
}

/* tsw_worker_look: every held port whose answer the socket already has ends with it; the
 * rest stay held. Then the results are handed over before the loop is told. */
static void look_held(struct tsw_worker *w, unsigned gen)
{
  for (uint32_t i = 0; i < w->nslot; i++) {
    struct tsw_result r;
    bool reset;
    if (w->slot[i].held && judge(w, i, EPOLLERR, &r, &reset))
      finish(w, i, &r, reset);
  }
  publish(w);
  pthread_mutex_lock(&w->mu);
  w->looked_gen = gen;
  pthread_cond_broadcast(&w->looked);
  pthread_mutex_unlock(&w->mu);
}

/* Takes the inbox; false when the thread must stop. */
static bool take_requests(struct tsw_worker *w)
{
  pthread_mutex_lock(&w->mu);
  unsigned look = w->look_gen;
  bool looking = look != w->looked_gen;
  bool cancel = w->cancel_gen != w->seen_cancel;
  w->seen_cancel = w->cancel_gen;
  struct reqs t = w->work;
  w->work = w->inbox;
  w->inbox = t;
  w->inbox.n = 0;
  bool quit = w->quit;
  pthread_mutex_unlock(&w->mu);
  if (looking)
    look_held(w, look);
  if (cancel || quit)
    cancel_held(w);
  return !quit;
}

/* --- the thread --- */

static int next_timeout_ms(const struct tsw_worker *w)
{
  if (!w->heap_len)
    return -1;
  uint64_t due = w->slot[w->heap[0]].deadline_ns, now = uv_hrtime();
  return due > now ? (int)((due - now + 999999) / 1000000) : 0;
}

/* Deadlines that passed: silent when epoll's ready list was found empty after the deadline;
 * when it was not (our backlog), the socket is asked first. A deadline that passed after the
 * last empty list waits for the next look, which comes at once. */
static void expire(struct tsw_worker *w, bool drained)
{
  uint64_t now = uv_hrtime();
  while (w->heap_len) {
    uint32_t i = w->heap[0];
    struct wslot *ws = &w->slot[i];
    if (ws->deadline_ns > now || (drained && ws->deadline_ns > w->drained_ns))
      return;
    struct tsw_result r;
    bool reset = true;
    if (drained || !judge(w, i, EPOLLERR, &r, &reset)) {
      result_init(&r);
      r.status = TSW_NO_ANSWER;
      r.state = UC_ST_FILTERED;
      reset = true;
    }
    finish(w, i, &r, reset);
  }
}

static void *run(void *arg)
{
  struct tsw_worker *w = arg;
  struct epoll_event ev[BATCH_MAX];
  for (;;) {
    uint64_t before = uv_hrtime();
    /* results publish() could not hand over wait for the next round, which comes soon */
    int n = epoll_wait(w->epfd, ev, (int)w->batch, w->posted.n ? 1 : next_timeout_ms(w));
    if (n < 0)
      n = 0; /* EINTR */
    /* When the wait slept, what woke it came as it woke (the list was empty when it began):
     * the RTT sample is the round trip. When it did not, what it returned came after the last
     * wait that left nothing ready began: a lower bound (a busy worker's backlog is its own
     * delay, not the network's). */
    uint64_t after = uv_hrtime();
    w->answer_ns = n > 0 && n < (int)w->batch && after - before >= 1000000 ? after : w->drained_ns;
    for (int k = 0; k < n; k++) {
      uint32_t i = ev[k].data.u32;
      struct tsw_result r;
      bool reset;
      if (i == WAKE) {
        uint64_t v;
        if (read(w->wakefd, &v, sizeof(v)) < 0) {
          /* EAGAIN: already read */
        }
        continue;
      }
      if (i >= w->nslot || !w->slot[i].held)
        continue; /* a socket between two ports (its own disconnect), or the loop's idle one */
      if (judge(w, i, ev[k].events, &r, &reset))
        finish(w, i, &r, reset);
    }
    bool drained = n < (int)w->batch;
    if (drained)
      w->drained_ns = before; /* nothing else was ready then */
    if (!take_requests(w)) {
      publish(w);
      break;
    }
    for (size_t k = 0; k < w->work.n; k++)
      start(w, &w->work.v[k]);
    w->work.n = 0;
    expire(w, drained);
    publish(w);
  }
  return NULL;
}

/* --- the loop's side --- */

static void wake(struct tsw_worker *w)
{
  uint64_t one = 1;
  if (write(w->wakefd, &one, sizeof(one)) < 0) {
    /* EAGAIN: the counter is full, the worker is awake anyway */
  }
}

static void worker_free(struct tsw_worker *w)
{
  if (w->epfd >= 0)
    close(w->epfd);
  if (w->wakefd >= 0)
    close(w->wakefd);
  pthread_cond_destroy(&w->looked);
  pthread_mutex_destroy(&w->mu);
  free(w->inbox.v);
  free(w->work.v);
  tsw_results_free(&w->out);
  tsw_results_free(&w->posted);
  free(w->slot);
  free(w->heap);
  free(w);
}

struct tsw_worker *tsw_worker_start(uv_async_t *notify, unsigned batch)
{
  struct tsw_worker *w = calloc(1, sizeof(*w));
  if (!w)
    return NULL;
  w->notify = notify;
  w->batch = batch < 1 ? 1 : batch > BATCH_MAX ? BATCH_MAX : batch;
  pthread_mutex_init(&w->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w->looked, &ca);
  pthread_condattr_destroy(&ca);
  w->epfd = epoll_create1(EPOLL_CLOEXEC);
  w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  struct epoll_event ev;
  memset(&ev, 0, sizeof(ev)); /* the whole union: valgrind reads every byte epoll_ctl gets */
  ev.events = EPOLLIN;
  ev.data.u32 = WAKE;
  if (w->epfd < 0 || w->wakefd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &ev) != 0) {
    worker_free(w);
    return NULL;
  }
  /* signals stay with the loop's thread */
  sigset_t all, old;
  sigfillset(&all);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, STACK_SIZE);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&w->thread, &attr, run, w);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    worker_free(w);
    return NULL;
  }
  return w;
}

int tsw_worker_epfd(const struct tsw_worker *w)
{
  return w->epfd;
}

void tsw_worker_submit(struct tsw_worker *w, const struct tsw_request *r, size_t n)
{
  if (!n)
    return;
  pthread_mutex_lock(&w->mu);
  bool ok = reqs_append(&w->inbox, r, n);
  if (!ok) { /* out of memory: each request comes back as a resource wait */
    for (size_t k = 0; k < n; k++) {
      struct tsw_result res = {.slot = r[k].slot,
                               .status = TSW_RESOURCE,
                               .state = UC_ST_ERROR,
                               .sys_err = UV_ENOMEM,
                               .rtt_ms = -1,
                               .kernel_rtt_ms = -1,
                               .elapsed_ms = -1};
      results_append(&w->out, &res, 1);
    }
  }
  pthread_mutex_unlock(&w->mu);
  if (ok)
    wake(w);
  else
    uv_async_send(w->notify);
}

void tsw_worker_take(struct tsw_worker *w, struct tsw_results *into)
{
  into->n = 0;
  pthread_mutex_lock(&w->mu);
  struct tsw_results t = w->out;
  w->out = *into;
  *into = t;
  pthread_mutex_unlock(&w->mu);
}

void tsw_worker_cancel(struct tsw_worker *w)
{
  pthread_mutex_lock(&w->mu);
  /* requests the thread has not taken end here; the ones it holds end there */
  for (size_t k = 0; k < w->inbox.n; k++) {
    struct tsw_result r = {.slot = w->inbox.v[k].slot,
                           .status = TSW_CANCELLED,
                           .rtt_ms = -1,
                           .kernel_rtt_ms = -1,
                           .elapsed_ms = -1};
    results_append(&w->out, &r, 1);
  }
  w->inbox.n = 0;
  w->cancel_gen++;
  pthread_mutex_unlock(&w->mu);
  wake(w);
  uv_async_send(w->notify);
}

void tsw_worker_look(struct tsw_worker *w)
{
  pthread_mutex_lock(&w->mu);
  unsigned gen = ++w->look_gen;
  pthread_mutex_unlock(&w->mu);
  wake(w);
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += LOOK_WAIT_S;
  pthread_mutex_lock(&w->mu);
  while ((int)(w->looked_gen - gen) < 0)
    if (pthread_cond_timedwait(&w->looked, &w->mu, &until) == ETIMEDOUT)
      break; /* what it finds later comes as usual, after the stop: unrecorded */
  pthread_mutex_unlock(&w->mu);
}

void tsw_worker_stop(struct tsw_worker *w)
{
  if (!w)
    return;
  pthread_mutex_lock(&w->mu);
  w->quit = true;
  pthread_mutex_unlock(&w->mu);
  wake(w);
  pthread_join(w->thread, NULL);
  worker_free(w);
}
