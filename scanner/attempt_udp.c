/* scanner/attempt_udp.c - one UDP attempt: send the module's datagrams, listen for the
 * reply and for ICMP errors, retransmit on silence.
 *
 * The socket is not connected, so that a reply from another source reaches the module
 * (which rejects it with a reason), and IP_RECVERR / IPV6_RECVERR put ICMP errors on
 * its error queue with the type, code and the address that sent them: an unprivileged
 * scan still tells "port unreachable from the target" from "administratively
 * prohibited by a router". */
#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which uses struct timespec */
#ifndef _WIN32
#include <linux/errqueue.h>
#endif
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/icmp.h"
#include "common/platform.h"
#include "scanner/engine_int.h"

struct udp_attempt {
  struct attempt a; /* first: the engine frees through it */
  uv_poll_t poll;
  uv_timer_t timer;
  int fd;
  int open_handles;
  bool closing;
  const struct probe_module *mod;
  void *state;
  struct probe_target tgt;
  struct sockaddr_storage dst;
  socklen_t dst_len;
  unsigned sends, max_sends;
  unsigned datagrams; /* sent in all: a STUN probe sends two per round (Binding, Allocate) */
  uint64_t last_send_ns;
};

static void on_close(uv_handle_t *h)
{
  struct udp_attempt *ua = h->data;
  if (--ua->open_handles > 0)
    return;
  if (ua->fd >= 0)
    plat_sock_close(ua->fd);
  free(ua->state);
  engine_attempt_release(&ua->a);
}

static void close_all(struct udp_attempt *ua)
{
  if (ua->closing)
    return;
  ua->closing = true;
  uv_timer_stop(&ua->timer);
  uv_poll_stop(&ua->poll);
  uv_close((uv_handle_t *)&ua->timer, on_close);
  uv_close((uv_handle_t *)&ua->poll, on_close);
}

static void cancel(struct attempt *a)
{
  close_all((struct udp_attempt *)a);
}

static void report(struct udp_attempt *ua, struct attempt_result *r)
{
  r->sends = ua->sends; /* each retransmit is an attempt, in the report */
  if (!ua->a.reported)
    engine_attempt_done(&ua->a, r);
  else
    json_decref(r->evidence);
  close_all(ua);
}

static double rtt_now(const struct udp_attempt *ua)
{
  return (double)(uv_hrtime() - ua->last_send_ns) / 1e6;
}

static int send_all(struct udp_attempt *ua)
{
  uint8_t buf[2048];
  for (unsigned i = 0;; i++) {
    size_t n = ua->mod->build(ua->state, &ua->tgt, i, buf, sizeof(buf));
    if (n == 0)
      break;
    if (sendto(ua->fd, buf, n, 0, (struct sockaddr *)&ua->dst, ua->dst_len) < 0) {
      int err = plat_sock_errno();
      if (err == EINTR) {
        i--;
        continue;
      }
      return -err;
    }
    ua->datagrams++;
  }
  ua->sends++;
  ua->last_send_ns = uv_hrtime();
  return 0;
}

static void finish_module(struct udp_attempt *ua, enum attempt_status st)
{
  struct probe_outcome o = {.state = UC_ST_OPEN_FILTERED};
  ua->mod->finish(ua->state, &ua->tgt, PROBE_END_TIMEOUT, NULL, 0, &o);
  struct attempt_result r = {.status = st,
                             .state = o.state,
                             .outcome = o.outcome,
                             .rtt_ms = -1,
                             .evidence = o.evidence,
                             .listener = o.listener};
  snprintf(r.reason, sizeof(r.reason), "%.200s (%u datagram%s sent)", o.reason, ua->datagrams,
           ua->datagrams == 1 ? "" : "s");
  report(ua, &r);
}

/* Silence on a listener's port will be called filtered: never judge it on less than
 * UDP_LISTENER_FLOOR_MS per datagram, whatever the TCP round trips suggest (a listener
 * answers from user space, later than a kernel's RST). */
#define UDP_LISTENER_FLOOR_MS 100

static unsigned deadline_ms(const struct udp_attempt *ua)
{
  const struct scan_conf *c = ua->a.eng->conf;
  unsigned floor = c->min_rto_ms;
  if (ua->a.hs->udp_listener && floor < UDP_LISTENER_FLOOR_MS)
    floor = UDP_LISTENER_FLOOR_MS < c->timeout_ms ? UDP_LISTENER_FLOOR_MS : c->timeout_ms;
  return rtt_deadline_ms(&ua->a.hs->rtt, ua->sends > 0 ? ua->sends - 1 : 0, floor, c->timeout_ms);
}

static bool read_errqueue(struct udp_attempt *ua);

static void send_error(struct udp_attempt *ua, int err)
{
  /* A retransmit that fails with the error of an ICMP that arrived meanwhile (the
   * socket reports it on the next send): the error queue says who sent it. */
  if ((err == -EHOSTUNREACH || err == -ENETUNREACH || err == -ECONNREFUSED) && read_errqueue(ua))
    return;
  struct attempt_result r = {.status = ATT_FINAL, .rtt_ms = -1};
  int uverr = -err;
  if (err == -ENOBUFS || err == -EAGAIN || err == -ENOMEM) {
    r.status = ATT_RESOURCE;
    r.state = UC_ST_ERROR;
  } else if (err == -ECONNREFUSED) {
    r.state = UC_ST_CLOSED;
  } else if (err == -EHOSTUNREACH || err == -ENETUNREACH) {
    r.state = UC_ST_UNREACHABLE;
  } else {
    r.state = UC_ST_ERROR;
  }
  snprintf(r.reason, sizeof(r.reason), "send failed: %s", strerror(uverr));
  report(ua, &r);
}

static void on_timer(uv_timer_t *t)
{
  struct udp_attempt *ua = t->data;
  if (ua->sends < ua->max_sends) {
    int rc = send_all(ua);
    if (rc < 0) {
      send_error(ua, rc);
      return;
    }
    uv_timer_start(&ua->timer, on_timer, deadline_ms(ua), 0);
    return;
  }
  finish_module(ua, ATT_NO_ANSWER);
}

/* An ICMP error from the error queue. Returns true when it ended the attempt. */
static bool read_errqueue(struct udp_attempt *ua)
{
#ifdef _WIN32
  (void)ua; /* no error queue: a port unreachable fails recvfrom (port_unreachable_win) */
  return false;
#else
  uint8_t data[512], ctrl[512];
  struct sockaddr_storage orig;
  struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
  struct msghdr mh = {.msg_name = &orig,
                      .msg_namelen = sizeof(orig),
                      .msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = ctrl,
                      .msg_controllen = sizeof(ctrl)};
  if (recvmsg(ua->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
    return false;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
    bool v4 = cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR;
    bool v6 = cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR;
    if (!v4 && !v6)
      continue;
    const struct sock_extended_err *ee = (const struct sock_extended_err *)CMSG_DATA(cm);
    if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6)
      continue;
    struct icmp_info ii = {
        .v6 = ee->ee_origin == SO_EE_ORIGIN_ICMP6, .type = ee->ee_type, .code = ee->ee_code};
    const struct sockaddr *off = SO_EE_OFFENDER(ee);
    probe_addr_str(off, ii.from, sizeof(ii.from));
    /* probe_addr_str prints a port when set; offenders carry none. */
    struct sockaddr_storage target = ua->dst;
    if (target.ss_family == AF_INET)
      ((struct sockaddr_in *)&target)->sin_port = 0;
    else
      ((struct sockaddr_in6 *)&target)->sin6_port = 0;
    char tstr[64];
    probe_addr_str((struct sockaddr *)&target, tstr, sizeof(tstr));
    ii.from_target = strcmp(tstr, ii.from) == 0;
    const char *meaning;
    enum uc_state st = icmp_classify(ii.v6, ii.type, ii.code, &meaning);
    if (st == UC_ST_NONE)
      continue;
    struct attempt_result r = {.status = ATT_FINAL, .state = st, .rtt_ms = rtt_now(ua)};
    icmp_reason(&ii, r.reason, sizeof(r.reason));
    r.evidence = json_pack("{s:o}", "icmp", icmp_evidence(&ii));
    r.has_icmp = true;
    r.icmp = ii;
    if (st == UC_ST_CLOSED && ii.from_target)
      rtt_sample(&ua->a.hs->rtt, r.rtt_ms);
    report(ua, &r);
    return true;
  }
  return false;
#endif
}

#ifdef _WIN32
/* Windows reports an ICMP port unreachable only as WSAECONNRESET on the next recvfrom(),
 * without the sender's address: closed, as on Linux, but the evidence cannot say who sent
 * it ("from": null). */
static void port_unreachable_win(struct udp_attempt *ua)
{
  struct icmp_info ii = {.v6 = ua->dst.ss_family == AF_INET6};
  ii.type = ii.v6 ? 1 : 3;
  ii.code = ii.v6 ? 4 : 3;
  const char *meaning;
  struct attempt_result r = {.status = ATT_FINAL,
                             .state = icmp_classify(ii.v6, ii.type, ii.code, &meaning),
                             .rtt_ms = rtt_now(ua)};
  snprintf(r.reason, sizeof(r.reason),
           "%s (ICMP%s %d/%d; Windows does not say who sent it: WSAECONNRESET)", meaning,
           ii.v6 ? "v6" : "", ii.type, ii.code);
  r.evidence = json_pack("{s:{s:i, s:i, s:n, s:s}}", "icmp", "type", ii.type, "code", ii.code,
                         "from", "meaning", meaning);
  report(ua, &r);
}
#endif

static void on_poll(uv_poll_t *p, int status, int events)
{
  struct udp_attempt *ua = p->data;
  (void)events;
  if (ua->closing)
    return;
  if (status == UV_EBADF) {
    /* libuv reports POLLERR as UV_EBADF and stops the watcher: on a socket with
     * IP_RECVERR that is an ICMP error waiting on the error queue. */
    if (read_errqueue(ua))
      return;
    uv_poll_start(&ua->poll, UV_READABLE, on_poll);
    return;
  }
  if (status < 0) {
    struct attempt_result r = {.status = ATT_FINAL, .state = UC_ST_ERROR, .rtt_ms = -1};
    snprintf(r.reason, sizeof(r.reason), "poll failed: %s", uv_strerror(status));
    report(ua, &r);
    return;
  }
  for (int rounds = 0; rounds < 64 && !ua->closing; rounds++) {
    if (read_errqueue(ua))
      return;
    struct sockaddr_storage from;
    socklen_t flen = sizeof(from);
    uint8_t *buf = ua->a.eng->readbuf;
    size_t cap = ua->mod->read_cap < sizeof(ua->a.eng->readbuf) ? ua->mod->read_cap
                                                                : sizeof(ua->a.eng->readbuf);
    ssize_t n =
        recvfrom(ua->fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &flen);
    if (n < 0) {
      int err = plat_sock_errno();
      if (err == EINTR)
        continue;
#ifdef _WIN32
      if (err == ECONNRESET) {
        port_unreachable_win(ua);
        return;
      }
      if (err == EMSGSIZE) /* larger than cap: its first cap bytes are in buf */
        n = (ssize_t)cap;
      else
        return;
#else
      /* EAGAIN: drained. ECONNREFUSED and friends: the error queue has the details. */
      if (err != EAGAIN && err != EWOULDBLOCK && read_errqueue(ua))
        return;
      return;
#endif
    }
    size_t len = (size_t)n > cap ? cap : (size_t)n;
    struct probe_outcome o = {.state = UC_ST_OPEN};
    if (ua->mod->classify(ua->state, &ua->tgt, buf, len, (struct sockaddr *)&from, &o) ==
        PROBE_DONE) {
      struct attempt_result r = {.status = ATT_FINAL,
                                 .state = o.state,
                                 .outcome = o.outcome,
                                 .rtt_ms = rtt_now(ua),
                                 .evidence = o.evidence,
                                 .listener = o.listener};
      snprintf(r.reason, sizeof(r.reason), "%s", o.reason);
      report(ua, &r);
      return;
    }
    json_decref(o.evidence);
  }
}

int attempt_udp_start(struct engine *e, struct host_sched *hs, const struct work *w)
{
  struct plan_host *h = hs->h;
  int family = h->addr.ss_family;
  int fd = plat_udp_socket(family); /* IP_RECVERR on Linux */
  if (fd < 0)
    return fd;
  struct udp_attempt *ua = calloc(1, sizeof(*ua));
  if (!ua) {
    plat_sock_close(fd);
    return UV_ENOMEM;
  }
  struct probe_choice pc;
  if (w->check)
    probe_choose(UC_UDP, w->check->protocol, w->check->application, &pc);
  else
    probe_choose_range(UC_UDP, &pc);
  ua->mod = pc.app;
  ua->state = calloc(1, ua->mod->state_size ? ua->mod->state_size : 1);
  int rc = ua->state ? uv_poll_init_socket(e->loop, &ua->poll, fd) : UV_ENOMEM;
  if (rc != 0) {
    free(ua->state);
    free(ua);
    plat_sock_close(fd);
    return rc;
  }
  ua->fd = fd;
  ua->poll.data = ua;
  uv_timer_init(e->loop, &ua->timer);
  ua->timer.data = ua;
  ua->open_handles = 2;
  engine_attempt_link(e, &ua->a, hs, w);
  ua->a.cancel = cancel;
  ua->dst = h->addr;
  if (family == AF_INET) {
    ((struct sockaddr_in *)&ua->dst)->sin_port = htons(w->port);
    ua->dst_len = sizeof(struct sockaddr_in);
  } else {
    ((struct sockaddr_in6 *)&ua->dst)->sin6_port = htons(w->port);
    ua->dst_len = sizeof(struct sockaddr_in6);
  }
  ua->tgt.host = h->name;
  ua->tgt.pool = h->pool;
  ua->tgt.addr = (const struct sockaddr *)&ua->dst;
  ua->tgt.port = w->port;
  ua->tgt.protocol = w->check ? w->check->protocol : UC_P_UDP;
  /* Span ports before any listener is known: one datagram (ICMP rate limits make more
   * pointless). Everything else: the first send plus --retries retransmits. */
  ua->max_sends = (!w->check && !hs->udp_listener) ? 1 : e->conf->retries + 1;
  uint8_t rnd[32];
  engine_random(rnd);
  if (ua->mod->init)
    ua->mod->init(ua->state, &ua->tgt, rnd);
  uv_poll_start(&ua->poll, UV_READABLE, on_poll);
  rc = send_all(ua);
  if (rc < 0) {
    send_error(ua, rc);
    return 0;
  }
  uv_timer_start(&ua->timer, on_timer, deadline_ms(ua), 0);
  return 0;
}
