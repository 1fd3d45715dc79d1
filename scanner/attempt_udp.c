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
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/count.h"
#include "common/icmp.h"
#include "common/platform.h"
#include "scanner/engine_int.h"

struct udp_attempt {
  struct attempt a; /* first: the engine frees through it */
  uv_poll_t poll;
  uv_timer_t timer;
  int fd;
  struct uc_handles handles; /* poll and timer, until their close callbacks ran */
  bool closing;
  const struct probe_module *mod;
  void *state;
  struct probe_target tgt;
  struct sockaddr_storage dst;
  socklen_t dst_len;
  unsigned sends, max_sends;
  unsigned datagrams; /* sent in all: a STUN probe sends two per round (Binding, Allocate) */
  uint64_t last_send_ns;
  int64_t last_send_rt_ns; /* the same moment on CLOCK_REALTIME, against kernel timestamps */
};

static void on_close(uv_handle_t *h)
{
  struct udp_attempt *ua = h->data;
  if (!uc_handles_closed(&ua->handles))
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

/* Milliseconds since the round's first datagram went out; -1 before any did. */
static double rtt_now(const struct udp_attempt *ua)
{
  if (ua->last_send_ns == 0)
    return -1;
  return (double)(uv_hrtime() - ua->last_send_ns) / 1e6;
}

/* The answer's round trip from the kernel's receive time when the socket gave one (free of
 * the event loop's own delays under load), else the loop's. */
static void set_rtt(const struct udp_attempt *ua, int64_t rx_ns, struct attempt_result *r)
{
  if (rx_ns > 0 && ua->last_send_rt_ns > 0 && rx_ns >= ua->last_send_rt_ns) {
    r->rtt_ms = (double)(rx_ns - ua->last_send_rt_ns) / 1e6;
    r->rtt_kernel = true;
  } else {
    r->rtt_ms = rtt_now(ua);
  }
}

static int send_all(struct udp_attempt *ua)
{
  uint8_t buf[2048];
  int64_t sent_rt = evidence_realtime_ns();
  for (unsigned i = 0;; i++) {
    size_t n = ua->mod->build(ua->state, &ua->tgt, i, buf, sizeof(buf));
    if (n == 0)
      break;
    /* The round's clock starts with its first datagram: an answer (or the ICMP error that
     * makes a later sendto of the same round fail) is timed from there. */
    uint64_t sent_ns = uv_hrtime();
    if (sendto(ua->fd, buf, n, 0, (struct sockaddr *)&ua->dst, ua->dst_len) < 0) {
      if (errno == EINTR) {
        i--;
        continue;
      }
      return -errno;
    }
    if (i == 0) {
      ua->last_send_ns = sent_ns;
      ua->last_send_rt_ns = sent_rt; /* taken before sendto: on a fast link the answer is
                                        queued before sendto returns */
    }
    ua->datagrams++;
  }
  ua->sends++;
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
#ifdef _WIN32
static bool report_reset(struct udp_attempt *ua);
#endif

static void send_error(struct udp_attempt *ua, int err)
{
  /* A retransmit that fails with the error of an ICMP that arrived meanwhile (the
   * socket reports it on the next send): the error queue says who sent it. */
  if ((err == -EHOSTUNREACH || err == -ENETUNREACH || err == -ECONNREFUSED) && read_errqueue(ua))
    return;
#ifdef _WIN32
  /* the port unreachable an earlier round drew, reported to this send of the connected
   * socket instead of to a receive */
  if (err == -ECONNRESET || err == -ECONNREFUSED) {
    report_reset(ua);
    return;
  }
#endif
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

static bool drain(struct udp_attempt *ua);

static void on_timer(uv_timer_t *t)
{
  struct udp_attempt *ua = t->data;
  if (drain(ua))
    return; /* the answer was waiting: the loop ran this timer before it polled */
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
  struct icmp_info ii;
  int64_t rx_ns;
  while (evidence_errqueue(ua->fd, &ua->dst, &ii, &rx_ns)) {
    const char *meaning;
    enum uc_state st = icmp_classify(ii.v6, ii.type, ii.code, &meaning);
    if (st == UC_ST_NONE)
      continue;
    struct attempt_result r = {.status = ATT_FINAL, .state = st};
    set_rtt(ua, rx_ns, &r);
    icmp_reason(&ii, r.reason, sizeof(r.reason));
    r.evidence = json_pack("{s:o}", "icmp", icmp_evidence(&ii));
    r.has_icmp = true;
    r.icmp = ii;
    if (st == UC_ST_CLOSED && ii.from_target)
      rtt_sample(&ua->a.hs->rtt, rtt_now(ua)); /* deadlines adapt to what the loop sees */
    report(ua, &r);
    return true;
  }
  return false;
}

#ifdef _WIN32
/* recv_one on Windows: no recvmsg, so no receive time (the loop's clock measures). */
static ssize_t recv_one(struct udp_attempt *ua, size_t cap, struct sockaddr_storage *from,
                        int64_t *rx_ns)
{
  socklen_t flen = sizeof(*from);
  *rx_ns = 0;
  return recvfrom(ua->fd, ua->a.eng->readbuf, cap, 0, (struct sockaddr *)from, &flen);
}

/* Windows keeps no error queue: an ICMP port unreachable is the next receive's error
 * (WSAECONNRESET; WSAECONNREFUSED under Wine, which passes on Linux's ECONNREFUSED), which
 * does not say who sent it. Closed, as on Linux; "from" unknown. */
static bool report_reset(struct udp_attempt *ua)
{
  struct icmp_info ii = {.v6 = ua->dst.ss_family == AF_INET6};
  ii.type = ii.v6 ? 1 : 3;
  ii.code = ii.v6 ? 4 : 3;
  const char *meaning;
  struct attempt_result r = {.status = ATT_FINAL,
                             .state = icmp_classify(ii.v6, ii.type, ii.code, &meaning)};
  set_rtt(ua, 0, &r);
  icmp_reason(&ii, r.reason, sizeof(r.reason));
  r.evidence = json_pack("{s:o}", "icmp", icmp_evidence(&ii));
  r.has_icmp = true;
  r.icmp = ii;
  report(ua, &r);
  return true;
}

/* Under Wine the port unreachable rarely reaches recv: the wineserver watches the socket
 * for libuv's poll, and on POLLERR reads the Linux socket's error with SO_ERROR, which
 * clears it (server/sock.c, sock_poll_event -> sock_error), and keeps it for getsockopt's
 * SO_ERROR only (IOCTL_AFD_WINE_GET_SO_ERROR); the next recv finds nothing. So a receive
 * that finds nothing asks SO_ERROR too: a refusal is the port unreachable, closed; a host or
 * network unreachable (Linux's error for an administratively prohibited too) is
 * unreachable, as a TCP connect that such an ICMP error ends. Windows itself reports the
 * port unreachable to the receive, and leaves SO_ERROR 0. Returns true when that ended the
 * attempt. */
static bool pending_error(struct udp_attempt *ua)
{
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(ua->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return false;
  if (err == WSAECONNRESET || err == WSAECONNREFUSED)
    return report_reset(ua);
  if (err != WSAEHOSTUNREACH && err != WSAENETUNREACH)
    return false;
  struct attempt_result r = {.rtt_ms = -1};
  engine_connect_failure(err == WSAEHOSTUNREACH ? UV_EHOSTUNREACH : UV_ENETUNREACH, ua->sends, &r);
  r.rtt_ms = rtt_now(ua);
  report(ua, &r);
  return true;
}
#else
/* One datagram into the engine's buffer: its length (cut to cap), its source and the kernel's
 * receive time (0: unknown); -1 with errno set when none was read. */
static ssize_t recv_one(struct udp_attempt *ua, size_t cap, struct sockaddr_storage *from,
                        int64_t *rx_ns)
{
  uint8_t ctrl[128];
  struct iovec iov = {.iov_base = ua->a.eng->readbuf, .iov_len = cap};
  struct msghdr mh = {.msg_name = from,
                      .msg_namelen = sizeof(*from),
                      .msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = ctrl,
                      .msg_controllen = sizeof(ctrl)};
  *rx_ns = 0;
  ssize_t n = recvmsg(ua->fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0)
    return -1;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
      *rx_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
  return (size_t)n > cap ? (ssize_t)cap : n;
}
#endif

/* Reads what the socket holds now, ICMP errors first. Returns true when that ended the
 * attempt. Called on readiness and, before silence is declared, by the deadline: a loop busy
 * with thousands of probes runs an expired timer before it polls, and the answer that arrived
 * in time must not be lost to that (issue 11: --fast counted a third of 8,349 port-unreachable
 * messages the kernel had received). */
static bool drain(struct udp_attempt *ua)
{
  size_t cap = ua->mod->read_cap < sizeof(ua->a.eng->readbuf) ? ua->mod->read_cap
                                                              : sizeof(ua->a.eng->readbuf);
  for (int rounds = 0; rounds < 64 && !ua->closing; rounds++) {
    if (read_errqueue(ua))
      return true;
    struct sockaddr_storage from;
    int64_t rx_ns;
    ssize_t n = recv_one(ua, cap, &from, &rx_ns);
    if (n < 0) {
      if (errno == EINTR)
        continue;
#ifdef _WIN32
      if (errno == ECONNRESET || errno == ECONNREFUSED)
        return report_reset(ua);
      if (errno == EAGAIN)
        return pending_error(ua);
#endif
      /* EAGAIN: drained. ECONNREFUSED and friends: the error queue has the details. */
      return errno != EAGAIN && errno != EWOULDBLOCK && read_errqueue(ua);
    }
    struct probe_outcome o = {.state = UC_ST_OPEN};
    if (ua->mod->classify(ua->state, &ua->tgt, ua->a.eng->readbuf, (size_t)n,
                          (struct sockaddr *)&from, &o) == PROBE_DONE) {
      struct attempt_result r = {.status = ATT_FINAL,
                                 .state = o.state,
                                 .outcome = o.outcome,
                                 .evidence = o.evidence,
                                 .listener = o.listener};
      set_rtt(ua, rx_ns, &r);
      snprintf(r.reason, sizeof(r.reason), "%s", o.reason);
      report(ua, &r);
      return true;
    }
    json_decref(o.evidence);
  }
  return ua->closing;
}

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
  drain(ua);
}

int attempt_udp_start(struct engine *e, struct host_sched *hs, const struct work *w)
{
  int family = hs->tg->addr.ss_family;
  struct sockaddr_storage src;
  socklen_t srclen;
  int has_src = engine_source_for(e, family, &src, &srclen);
  if (has_src < 0)
    return has_src;
  int fd = plat_udp_socket(family);
  if (fd < 0)
    return fd;
  if (has_src && bind(fd, (struct sockaddr *)&src, srclen) != 0) {
    int err = plat_sock_uverr();
    plat_sock_close(fd);
    return err;
  }
  evidence_socket_opts(fd, family);
#ifdef _WIN32
  /* Windows: connected to the target, so that its port unreachable comes back as the
   * receive's error under Wine too. Windows reports it on any UDP socket (SIO_UDP_CONNRESET),
   * but Wine runs on Linux's sockets, which report it only to a connected one (or with
   * IP_RECVERR, which Wine does not set). The cost: a reply from another address of the
   * target is not received (silence) where Linux receives and rejects it with a reason. */
  struct sockaddr_storage peer = hs->tg->addr;
  socklen_t peer_len;
  if (family == AF_INET) {
    ((struct sockaddr_in *)&peer)->sin_port = htons(w->port);
    peer_len = sizeof(struct sockaddr_in);
  } else {
    ((struct sockaddr_in6 *)&peer)->sin6_port = htons(w->port);
    peer_len = sizeof(struct sockaddr_in6);
  }
  if (connect(fd, (struct sockaddr *)&peer, peer_len) != 0) {
    int err = plat_sock_uverr();
    plat_sock_close(fd);
    return err;
  }
#endif
  struct udp_attempt *ua = calloc(1, sizeof(*ua));
  if (!ua) {
    plat_sock_close(fd);
    return UV_ENOMEM;
  }
  ua->mod = (w->check ? w->check->proto : probe_range(UC_UDP))->app;
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
  uc_handles_open(&ua->handles, 2);
  engine_attempt_link(e, &ua->a, hs, w);
  ua->a.cancel = cancel;
  ua->dst = hs->tg->addr;
  if (family == AF_INET) {
    ((struct sockaddr_in *)&ua->dst)->sin_port = htons(w->port);
    ua->dst_len = sizeof(struct sockaddr_in);
  } else {
    ((struct sockaddr_in6 *)&ua->dst)->sin6_port = htons(w->port);
    ua->dst_len = sizeof(struct sockaddr_in6);
  }
  ua->tgt.host = plan_target_name(hs->h, hs->tg);
  ua->tgt.pool = hs->h->pool;
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
