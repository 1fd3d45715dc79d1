/* scanner/udp_sweep.c - UDP range ports as a stateless sweep (issue 15).
 *
 * A UDP datagram needs no socket of its own, and silence needs no slot: one unconnected
 * socket per address family sends the generic probe (probes/udp.c) to every (target, port)
 * of the targets' UDP spans at the engine's pace, and everything that comes back is matched
 * by address and port: a datagram from the target's port proves it open, an ICMP error read
 * from the error queue (IP_RECVERR: the original destination is the message's name) proves
 * it closed or filtered. A port is two bits of state (sent, done: portbits.h).
 *
 * When no datagram has gone out, and no answer has come in, for one settle interval (the
 * targets' adaptive deadline), silent ports are resent where silence can still turn into an
 * answer: every pass on a host where a ucscan listener answered (it answers every port it
 * opened), one more pass where the host answers port unreachable at least as often as it stays
 * silent (answers lost on the way, issue 11); then what stays silent is open|filtered (filtered
 * behind a listener). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/icmp.h"
#include "probes/udp.h"
#include "scanner/engine_int.h"

#define SWEEP_RCVBUF (4 << 20) /* answers of a fast sweep wait here until read */
#define SWEEP_READ_ROUNDS 256  /* datagrams and errors read per readiness callback */

static int family_index(int family)
{
  return family == AF_INET6 ? 1 : 0;
}

/* --- targets by address --- */

static int addr_cmp(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
  if (a->ss_family != b->ss_family)
    return a->ss_family < b->ss_family ? -1 : 1;
  if (a->ss_family == AF_INET)
    return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                  &((const struct sockaddr_in *)b)->sin_addr, 4);
  return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

static int by_addr(const void *x, const void *y)
{
  const struct host_sched *a = *(struct host_sched *const *)x, *b = *(struct host_sched *const *)y;
  int c = addr_cmp(&a->tg->addr, &b->tg->addr);
  return c ? c : (a < b ? -1 : a > b);
}

/* The target a datagram or an error is about: the first with that address. */
static struct host_sched *target_of(const struct udp_sweep *s, const struct sockaddr_storage *a)
{
  size_t lo = 0, hi = s->ntargets;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = addr_cmp(&s->targets[mid]->tg->addr, a);
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < s->ntargets && addr_cmp(&s->targets[lo]->tg->addr, a) == 0 ? s->targets[lo] : NULL;
}

static uint16_t port_of(const struct sockaddr_storage *a)
{
  return ntohs(a->ss_family == AF_INET ? ((const struct sockaddr_in *)a)->sin_port
                                       : ((const struct sockaddr_in6 *)a)->sin6_port);
}

/* --- per port --- */

/* A sent port is decided: one fewer waits, on its host and in the sweep. When none waits, the
 * settle interval has nothing left to settle: stopped, so a scan whose every swept port has
 * answered ends now rather than one (unsampled, timeout-long) interval after its last datagram. */
static void port_decided(struct udp_sweep *s, struct host_sched *hs)
{
  uc_count_dec(&hs->udp_waiting);
  uc_count_dec(&s->waiting);
  if (!uc_count_get(&s->waiting) && s->settling) {
    uv_timer_stop(&s->settle);
    s->settling = false;
  }
}

static void record(struct engine *e, struct host_sched *hs, uint16_t port, enum uc_state st)
{
  int32_t i = portbits_index(&hs->udp_bits, port);
  unsigned b = i < 0 ? 0 : portbits_get(&hs->udp_bits, (uint32_t)i);
  if (!(b & SWEEP_SENT) || (b & SWEEP_DONE))
    return; /* not ours, or already decided (a late duplicate) */
  portbits_set(&hs->udp_bits, (uint32_t)i, b | SWEEP_DONE);
  port_decided(&e->sweep, hs);
  e->sweep.last_answer_ns = uv_hrtime();
  results_span_port(hs, UC_UDP, port, st);
  engine_probe_done(e);
}

static void on_datagram(struct engine *e, struct udp_sweep *s, const uint8_t *buf, size_t len,
                        const struct sockaddr_storage *from)
{
  struct host_sched *hs = target_of(s, from);
  if (!hs)
    return; /* not a target's: ignored */
  uint16_t port = port_of(from);
  struct probe_target t = {.host = hs->h->name,
                           .addr = (const struct sockaddr *)from,
                           .port = port,
                           .protocol = UC_P_UDP};
  struct probe_outcome o = {.state = UC_ST_OPEN};
  probe_udp.classify(s->mod_state, &t, buf, len, (const struct sockaddr *)from, &o);
  json_decref(o.evidence);
  if (o.listener && !hs->udp_listener)
    hs->udp_listener = true; /* silence on its other ports is now a filter's */
  record(e, hs, port, UC_ST_OPEN);
}

static void on_error(struct engine *e, struct udp_sweep *s, const struct sockaddr_storage *orig,
                     const struct icmp_info *ii)
{
  struct host_sched *hs = target_of(s, orig);
  const char *meaning;
  if (!hs)
    return;
  enum uc_state st = icmp_classify(ii->v6, ii->type, ii->code, &meaning);
  if (st == UC_ST_NONE)
    return;
  uint16_t port = port_of(orig);
  int32_t i = portbits_index(&hs->udp_bits, port);
  if (i < 0 || (portbits_get(&hs->udp_bits, (uint32_t)i) & SWEEP_DONE))
    return;
  if (st == UC_ST_CLOSED)
    hs->udp_closed++;
  else
    evidence_range_icmp(hs, UC_UDP, port, ii);
  record(e, hs, port, st);
}

static void drain(struct engine *e, struct udp_sweep *s, int fi)
{
  for (int round = 0; round < SWEEP_READ_ROUNDS; round++) {
    struct sockaddr_storage from, orig;
    struct icmp_info ii;
    int64_t rx_ns;
    if (evidence_errqueue_any(s->fd[fi], &orig, &ii, &rx_ns)) {
      on_error(e, s, &orig, &ii);
      continue;
    }
    socklen_t flen = sizeof(from);
    ssize_t n = recvfrom(s->fd[fi], e->readbuf, sizeof(e->readbuf), MSG_DONTWAIT,
                         (struct sockaddr *)&from, &flen);
    if (n >= 0) {
      on_datagram(e, s, e->readbuf, (size_t)n, &from);
      continue;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return;
    /* ECONNREFUSED and friends: an error waits on the queue; the next round reads it */
  }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
  struct engine *e = p->data;
  struct udp_sweep *s = &e->sweep;
  (void)status;
  (void)events;
  drain(e, s, p == &s->poll[1] ? 1 : 0);
  engine_pump(e);
}

/* --- passes --- */

static unsigned settle_ms(const struct engine *e)
{
  const struct scan_conf *c = e->conf;
  unsigned ms = c->min_rto_ms;
  for (size_t i = 0; i < e->nhosts; i++) {
    const struct host_sched *hs = &e->hosts[i];
    if (!uc_count_get(&hs->udp_waiting))
      continue;
    unsigned d = rtt_deadline_ms(&hs->rtt, hs->udp_pass, c->min_rto_ms, c->timeout_ms);
    if (d > ms)
      ms = d;
  }
  return ms;
}

/* Whether the silent ports of hs get another datagram. */
static bool resend(const struct engine *e, const struct host_sched *hs)
{
  if (hs->udp_listener)
    return hs->udp_pass < e->conf->retries;
  unsigned silent = uc_count_get(&hs->udp_waiting);
  return hs->udp_pass == 0 && e->conf->retries > 0 && hs->udp_closed > 0 &&
         hs->udp_closed >= silent;
}

/* Settled: every silent port of hs is resent (queued for the pump), or decided silent. */
static void end_pass(struct engine *e, struct host_sched *hs)
{
  bool again = resend(e, hs);
  for (uint32_t i = 0; i < hs->udp_bits.len; i++) {
    unsigned b = portbits_get(&hs->udp_bits, i);
    if (!(b & SWEEP_SENT) || (b & SWEEP_DONE))
      continue;
    uint16_t port = (uint16_t)(hs->udp_bits.base + i);
    if (again) {
      portbits_set(&hs->udp_bits, i, b & ~SWEEP_SENT);
      port_decided(&e->sweep, hs);
      struct work w = {.port = port, .transport = UC_UDP, .attempt = hs->udp_pass + 1};
      engine_push_retry(hs, &w, false);
      continue;
    }
    portbits_set(&hs->udp_bits, i, b | SWEEP_DONE);
    port_decided(&e->sweep, hs);
    results_span_port(hs, UC_UDP, port, hs->udp_listener ? UC_ST_FILTERED : UC_ST_OPEN_FILTERED);
    engine_probe_done(e);
  }
  if (again)
    hs->udp_pass++;
}

static void on_settled(uv_timer_t *t)
{
  struct engine *e = t->data;
  struct udp_sweep *s = &e->sweep;
  s->settling = false;
  for (int fi = 0; fi < 2; fi++)
    if (s->fd[fi] >= 0)
      drain(e, s, fi);
  /* Answers still coming in (a target working through a backlog, a slow listener, our own
   * receive buffer read in rounds): settled one interval after the last of them, not after the
   * last datagram sent. Bounded: an answer counts only when it decides a waiting port. */
  unsigned ms = settle_ms(e);
  uint64_t quiet_ms = (uv_hrtime() - s->last_answer_ns) / 1000000u;
  if (s->last_answer_ns && quiet_ms < ms) {
    s->settling = true;
    uv_timer_start(&s->settle, on_settled, ms - quiet_ms, 0);
    return;
  }
  for (size_t i = 0; i < e->nhosts; i++) {
    struct host_sched *hs = &e->hosts[i];
    if (uc_count_get(&hs->udp_waiting) && !sweep_queued(hs))
      end_pass(e, hs);
  }
  engine_pump(e);
}

/* The timer restarts with every datagram: it fires one settle interval after the last. */
static void arm_settle(struct engine *e)
{
  struct udp_sweep *s = &e->sweep;
  s->settling = true;
  uv_timer_start(&s->settle, on_settled, settle_ms(e), 0);
}

/* --- the engine's side --- */

bool sweep_queued(const struct host_sched *hs)
{
  return workq_span_pending(&hs->q, UC_UDP);
}

static int open_family(struct engine *e, struct udp_sweep *s, int family)
{
  int fi = family_index(family);
  if (s->fd[fi] >= 0)
    return 0;
  struct sockaddr_storage src;
  socklen_t srclen;
  int has_src = engine_source_for(e, family, &src, &srclen);
  if (has_src < 0)
    return has_src;
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int big = SWEEP_RCVBUF;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
  evidence_socket_opts(fd, family);
  if ((has_src && bind(fd, (struct sockaddr *)&src, srclen) != 0) ||
      uv_poll_init_socket(e->loop, &s->poll[fi], fd) != 0) {
    int err = errno ? -errno : UV_EIO;
    close(fd);
    return err;
  }
  s->fd[fi] = fd;
  s->poll[fi].data = e;
  engine_handles_opened(e, 1);
  uv_poll_start(&s->poll[fi], UV_READABLE, on_poll);
  return 0;
}

void sweep_setup(struct engine *e)
{
  struct udp_sweep *s = &e->sweep;
  size_t n = 0;
  s->targets = calloc(e->nhosts ? e->nhosts : 1, sizeof(*s->targets));
  if (!s->targets)
    return;
  for (size_t i = 0; i < e->nhosts; i++) {
    struct host_sched *hs = &e->hosts[i];
    if (!hs->ready || portbits_init(&hs->udp_bits, hs->tg->spans, hs->tg->nspans, UC_UDP) <= 0)
      continue;
    if (open_family(e, s, hs->tg->addr.ss_family) < 0) {
      portbits_free(&hs->udp_bits); /* this target's UDP ranges go port by port (attempt_udp.c) */
      continue;
    }
    s->targets[n++] = hs;
  }
  s->ntargets = n;
  qsort(s->targets, n, sizeof(*s->targets), by_addr);
  /* one probe state for the whole sweep: its nonce is what a listener echoes */
  uint8_t rnd[32];
  struct probe_target t = {.protocol = UC_P_UDP};
  engine_random(rnd);
  s->mod_state = calloc(1, probe_udp.state_size ? probe_udp.state_size : 1);
  if (!s->mod_state) {
    sweep_off(e);
    return;
  }
  if (probe_udp.init)
    probe_udp.init(s->mod_state, &t, rnd);
  s->payload_len = probe_udp.build(s->mod_state, &t, 0, s->payload, sizeof(s->payload));
}

/* Without the sweep (out of memory), every target's UDP ranges go port by port. */
void sweep_off(struct engine *e)
{
  struct udp_sweep *s = &e->sweep;
  for (size_t i = 0; i < s->ntargets; i++) {
    portbits_free(&s->targets[i]->udp_bits);
  }
  s->ntargets = 0;
}

bool sweep_start(struct engine *e, struct host_sched *hs, const struct work *w)
{
  struct udp_sweep *s = &e->sweep;
  int32_t i = portbits_index(&hs->udp_bits, w->port);
  if (i < 0 || !s->payload_len)
    return false; /* not swept: attempt_udp.c */
  if (portbits_get(&hs->udp_bits, (uint32_t)i) & SWEEP_DONE)
    return true;
  struct sockaddr_storage dst = hs->tg->addr;
  socklen_t len;
  if (dst.ss_family == AF_INET) {
    ((struct sockaddr_in *)&dst)->sin_port = htons(w->port);
    len = sizeof(struct sockaddr_in);
  } else {
    ((struct sockaddr_in6 *)&dst)->sin6_port = htons(w->port);
    len = sizeof(struct sockaddr_in6);
  }
  int fi = family_index(dst.ss_family);
  ssize_t n = -1;
  /* An ICMP error of an earlier datagram (port unreachable) is reported by the next sendto,
   * which then sends nothing; reading the error clears it, so send again (twice at most). */
  for (int tries = 0; tries < 3; tries++) {
    do
      n = sendto(s->fd[fi], s->payload, s->payload_len, 0, (struct sockaddr *)&dst, len);
    while (n < 0 && errno == EINTR);
    if (n >= 0)
      break;
    if (errno == ENOBUFS || errno == EAGAIN)
      return false;  /* the socket pushes back: this port goes port by port */
    drain(e, s, fi); /* the error is on the queue too: read it where it belongs */
  }
  unsigned b =
      portbits_get(&hs->udp_bits, (uint32_t)i); /* read again: drain() may have decided the port */
  if (!(b & SWEEP_SENT)) {
    portbits_set(&hs->udp_bits, (uint32_t)i, b | SWEEP_SENT);
    uc_count_inc(&hs->udp_waiting);
    uc_count_inc(&s->waiting);
  }
  engine_probe_sent(e);
  arm_settle(e);
  return true;
}

bool sweep_busy(const struct engine *e)
{
  return e->sweep.settling;
}

void sweep_stop(struct engine *e)
{
  struct udp_sweep *s = &e->sweep;
  if (s->settling)
    uv_timer_stop(&s->settle);
  s->settling = false;
}

/* Silent ports of a stopped scan: their datagram went out and nothing came back. */
void sweep_finish_stopped(struct engine *e)
{
  for (size_t i = 0; i < e->sweep.ntargets; i++) {
    struct host_sched *hs = e->sweep.targets[i];
    for (uint32_t k = 0; k < hs->udp_bits.len; k++) {
      unsigned b = portbits_get(&hs->udp_bits, k);
      if ((b & SWEEP_SENT) && !(b & SWEEP_DONE)) {
        portbits_set(&hs->udp_bits, k, b | SWEEP_DONE);
        port_decided(&e->sweep, hs);
        results_span_port(hs, UC_UDP, (uint16_t)(hs->udp_bits.base + k), UC_ST_OPEN_FILTERED);
      }
    }
  }
}

static void on_closed(uv_handle_t *h)
{
  engine_handle_closed(h->data);
}

/* Closes the polls (the engine counts them in its handle group); the settle timer is the
 * engine's to close, with its other timers. */
void sweep_close(struct engine *e)
{
  struct udp_sweep *s = &e->sweep;
  sweep_stop(e);
  for (int fi = 0; fi < 2; fi++) {
    if (s->fd[fi] < 0)
      continue;
    uv_close((uv_handle_t *)&s->poll[fi], on_closed);
    close(s->fd[fi]);
    s->fd[fi] = -1;
  }
  for (size_t i = 0; i < s->ntargets; i++) {
    portbits_free(&s->targets[i]->udp_bits);
  }
  free(s->targets);
  s->targets = NULL;
  s->ntargets = 0;
  free(s->mod_state);
  s->mod_state = NULL;
}
