/* tests/unit/test_tcp_sweep.c - TCP range ports and plain single checks by connect() from the
 * sweep's reused sockets (scanner/tcp_sweep.c), through the engine on a real loop against
 * loopback listeners: an accepting one (open), nothing (closed), and one whose accept queue is
 * full (its SYNs are dropped: silent; or late, once the queue frees). Counts callbacks,
 * asserts the counts and the results, proves no handle leaked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "tests/support/catalog_fixture.h"

#include "model/verdict.h"
#include "scanner/engine.h"
#include "scanner/engine_int.h"
#include "probes/registry.h"

#define ADDR "127.0.0.62"

/* Listeners on ephemeral ports of ADDR: `open` accepts (the kernel completes the handshake
 * into its backlog), `silent` has a backlog of 0 filled by `filler`, so the kernel drops
 * every further SYN to it. */
struct peers {
  int open_fd, silent_fd, filler_fd;
  uint16_t open, silent;
};

static int listener(int backlog, uint16_t *port)
{
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  inet_pton(AF_INET, ADDR, &a.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(listen(fd, backlog), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

static void peers_start(struct peers *p)
{
  p->open_fd = listener(128, &p->open);
  /* The tests scan small ranges around each port, which must not meet: ephemeral ports next to
   * each other made two ranges share ports (each probed once: 6 checks counted for 8). */
  int near[8], nnear = 0;
  for (;;) {
    p->silent_fd = listener(0, &p->silent);
    if (abs((int)p->silent - (int)p->open) > 8 || nnear == 8)
      break;
    near[nnear++] = p->silent_fd; /* held, so the next listener gets another port */
  }
  for (int i = 0; i < nnear; i++)
    close(near[i]);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p->silent)};
  inet_pton(AF_INET, ADDR, &a.sin_addr);
  p->filler_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal(connect(p->filler_fd, (struct sockaddr *)&a, sizeof(a)), 0);
  usleep(20 * 1000); /* the filler's handshake completes into the accept queue */
}

static void peers_stop(struct peers *p)
{
  close(p->filler_fd);
  close(p->silent_fd);
  close(p->open_fd);
}

/* Sockets this process holds (epoll sets, eventfds and the loop's own descriptors aside). */
static int open_sockets(void)
{
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return -1;
  struct dirent *de;
  while ((de = readdir(d))) {
    char path[300], link[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
    ssize_t k = readlink(path, link, sizeof(link) - 1);
    if (k > 0) {
      link[k] = '\0';
      n += strncmp(link, "socket:", 7) == 0;
    }
  }
  closedir(d);
  return n;
}

static int done_calls;

static void on_done(struct engine *e, void *arg)
{
  (void)e;
  done_calls++;
  uv_stop(arg);
}

static void conf_for_tests(struct scan_conf *c)
{
  scan_conf_fast(c);
  c->timeout_ms = 300;
  c->retries = 1;
  /* the floor of a deadline: a closed loopback port's RST comes at once on an idle machine,
   * but beside stress-ng the kernel's softirq work can wait tens of milliseconds (the fast
   * profile's 20 ms floor made a closed port filtered in a stressed CI run) */
  c->min_rto_ms = 150;
  c->progress = false;
  c->evidence_capture = false; /* no raw SYNs: range ports by connect() */
}

static struct plan_check *range_at(struct plan *p, unsigned first)
{
  for (size_t i = 0; i < p->hosts[0].nchecks; i++)
    if (p->hosts[0].checks[i].first == first && p->hosts[0].checks[i].is_range)
      return &p->hosts[0].checks[i];
  return NULL;
}

struct run {
  uv_loop_t loop;
  int sockets; /* sockets open before the scan */
  struct topology t;
  struct plan p;
  struct engine *e;
};

/* The loop and the plan of `items` on ADDR, no engine yet. */
static void run_plan(struct run *r, const struct port_item *items, size_t n)
{
  struct uc_err err;
  uv_loop_init(&r->loop);
  r->sockets = open_sockets();
  assert_int_equal(topo_from_targets(&r->t, ADDR, NULL, &test_catalog, &err), 0);
  assert_int_equal(plan_from_ports(&r->p, &r->t, items, n, "sfb2015", &err), 0);
}

/* The loop, the plan of `items` on ADDR and an engine for it, not started. */
static void run_begin(struct run *r, const struct port_item *items, size_t n,
                      const struct scan_conf *conf)
{
  run_plan(r, items, n);
  r->e = engine_new(&r->loop, &r->p, conf);
}

/* Starts the engine and runs the loop until it calls back, once. */
static void run_until_done(struct run *r)
{
  done_calls = 0;
  assert_int_equal(engine_start(r->e, on_done, &r->loop), 0);
  while (!engine_finished(r->e))
    uv_run(&r->loop, UV_RUN_DEFAULT);
  assert_int_equal(done_calls, 1);
}

static void run_scan(struct run *r, const struct port_item *items, size_t n,
                     const struct scan_conf *conf)
{
  run_begin(r, items, n, conf);
  run_until_done(r);
  engine_finalize(r->e);
}

static void run_end(struct run *r)
{
  engine_free(r->e);
  uv_run(&r->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&r->loop), 0); /* no handle leaked */
  plan_free(&r->p);
  topo_free(&r->t);
}

/* One connect at a time: a single socket serves every port, whatever the last one did to it
 * (accepted and reset, refused, silent and abandoned at its deadline). */
static void test_one_socket_every_outcome(void **state)
{
  (void)state;
  struct peers pe;
  peers_start(&pe);
  struct port_item items[] = {
      {UC_TCP, (uint16_t)(pe.open - 2), (uint16_t)(pe.open + 2), true},
      {UC_TCP, (uint16_t)(pe.silent - 1), (uint16_t)(pe.silent + 1), true},
  };
  struct scan_conf conf;
  conf_for_tests(&conf);
  conf.concurrency = conf.per_host = 1;
  struct run r;
  run_scan(&r, items, 2, &conf);
  assert_true(engine_complete(r.e));
  assert_true(r.p.hosts[0].targets[0].resolved);
  assert_true(r.e->hosts[0].tsweep);
  assert_int_equal(r.e->tsweep.sockets, 1);
  struct engine_progress pr;
  engine_progress(r.e, &pr);
  assert_int_equal(pr.total, 8);
  assert_int_equal(pr.done, 8);
  assert_int_equal(pr.inflight, 0);
  assert_int_equal(pr.sent, 8 + 1);            /* the silent port's retry */
  assert_int_equal(open_sockets(), r.sockets); /* no socket left open */

  struct plan_check *c = range_at(&r.p, pe.open - 2);
  assert_int_equal(c->range->probed, 5);
  assert_int_equal(c->range->open, 1);
  assert_int_equal(c->range->closed, 4);
  assert_int_equal(c->range->open_ports.n, 1);
  assert_int_equal(c->range->open_ports.v[0], pe.open);
  c = range_at(&r.p, pe.silent - 1);
  assert_int_equal(c->range->probed, 3);
  assert_int_equal(c->range->closed, 2);
  assert_int_equal(c->range->filtered, 1);
  assert_int_equal(c->range->filtered_ports.v[0], pe.silent);
  assert_int_equal(c->res.state, UC_ST_FILTERED);
  run_end(&r);
  peers_stop(&pe);
}

/* Many in flight: far fewer sockets than ports, the counts exact, an RTT estimate kept. */
static void test_many_ports_few_sockets(void **state)
{
  (void)state;
  struct peers pe;
  peers_start(&pe);
  uint16_t first = pe.open > 1500 ? (uint16_t)(pe.open - 1000) : pe.open;
  struct port_item items[] = {{UC_TCP, first, (uint16_t)(first + 1999), true}};
  struct scan_conf conf;
  conf_for_tests(&conf);
  conf.concurrency = conf.per_host = 64;
  struct run r;
  run_scan(&r, items, 1, &conf);
  assert_true(engine_complete(r.e));
  assert_true(r.e->tsweep.sockets >= 1 && r.e->tsweep.sockets <= 200);
  assert_true(r.e->hosts[0].rtt.samples > 0);
  struct plan_check *c = range_at(&r.p, first);
  assert_int_equal(c->range->probed, 2000);
  assert_int_equal(c->range->open + c->range->closed + c->range->filtered, 2000);
  assert_int_equal(c->range->errors, 0);
  bool in = pe.silent >= first && pe.silent <= first + 1999;
  assert_int_equal(c->range->filtered, in ? 1 : 0);
  assert_true(c->range->open >= 1);
  run_end(&r);
  peers_stop(&pe);
}

/* --source binds every pooled socket to the address; ports still pick their own port. */
static void test_source_bound(void **state)
{
  (void)state;
  struct peers pe;
  peers_start(&pe);
  struct port_item items[] = {{UC_TCP, (uint16_t)(pe.open - 3), (uint16_t)(pe.open + 3), true}};
  struct scan_conf conf;
  conf_for_tests(&conf);
  conf.concurrency = conf.per_host = 2;
  conf.source_addr = "127.0.0.1";
  struct run r;
  run_scan(&r, items, 1, &conf);
  assert_true(engine_complete(r.e));
  assert_true(r.e->hosts[0].tsweep);
  assert_true(r.e->tsweep.sockets >= 1 && r.e->tsweep.sockets <= 2);
  struct plan_check *c = range_at(&r.p, pe.open - 3);
  assert_int_equal(c->range->probed, 7);
  assert_int_equal(c->range->open, 1);
  assert_int_equal(c->range->closed, 6);
  run_end(&r);
  peers_stop(&pe);
}

static void on_stop_timer(uv_timer_t *t)
{
  engine_stop(t->data);
  uv_close((uv_handle_t *)t, NULL);
}

/* Stopped with connects in flight: one callback, nothing recorded for them, every socket
 * closed at once, long before their deadlines. */
static void test_stop_in_flight(void **state)
{
  (void)state;
  struct peers pe;
  peers_start(&pe);
  struct port_item items[] = {{UC_TCP, pe.silent, pe.silent, true}};
  struct scan_conf conf;
  conf_for_tests(&conf);
  conf.timeout_ms = 5000;
  struct run r;
  run_begin(&r, items, 1, &conf);
  uv_timer_t stopper;
  uv_timer_init(&r.loop, &stopper);
  stopper.data = r.e;
  uv_timer_start(&stopper, on_stop_timer, 100, 0);
  int sockets = open_sockets();
  uint64_t t0 = uv_hrtime();
  run_until_done(&r);
  double ms = (double)(uv_hrtime() - t0) / 1e6;
  assert_false(engine_complete(r.e));
  assert_true(ms < 1000);
  assert_int_equal(r.e->tsweep.sockets, 1);
  assert_int_equal(r.e->tsweep.active, 0);
  assert_int_equal(open_sockets(), sockets); /* every socket closed */
  engine_finalize(r.e);
  struct plan_check *c = range_at(&r.p, pe.silent);
  assert_int_equal(c->range->probed, 0);
  assert_false(c->res.done);
  assert_true(c->res.started);
  run_end(&r);
  peers_stop(&pe);
}

static void on_accept_timer(uv_timer_t *t)
{
  int *fd = t->data;
  int c = accept(*fd, NULL, NULL); /* the filler leaves the full queue: room for one more */
  if (c >= 0)
    close(c);
  uv_close((uv_handle_t *)t, NULL);
}

/* A late answer: the silent listener's queue frees 200 ms in, so the kernel's retransmitted
 * SYN (about a second after the first) is answered. The worker slept until then, so the
 * sample is the round trip the connect took, not 0: a lower bound of 0 would bring the
 * deadlines of a far target down to the floor and call its ports filtered. */
static void test_late_answer_rtt(void **state)
{
  (void)state;
  struct peers pe;
  peers_start(&pe);
  struct port_item items[] = {{UC_TCP, pe.silent, pe.silent, true}};
  struct scan_conf conf;
  conf_for_tests(&conf);
  conf.timeout_ms = 4000;
  conf.retries = 0;
  conf.concurrency = conf.per_host = 1;
  struct run r;
  run_begin(&r, items, 1, &conf);
  uv_timer_t acceptor;
  uv_timer_init(&r.loop, &acceptor);
  acceptor.data = &pe.silent_fd;
  uv_timer_start(&acceptor, on_accept_timer, 200, 0);
  run_until_done(&r);
  engine_finalize(r.e);
  assert_true(r.e->hosts[0].tsweep);
  struct plan_check *c = range_at(&r.p, pe.silent);
  assert_int_equal(c->range->open, 1);
  assert_int_equal(r.e->hosts[0].rtt.samples, 1);
  assert_true(r.e->hosts[0].rtt.srtt_ms >= 500); /* the SYN's retransmission: about 1,000 */
  run_end(&r);
  peers_stop(&pe);
}

static struct plan_check *single_at(struct plan *p, unsigned port, enum uc_proto proto)
{
  for (size_t i = 0; i < p->hosts[0].nchecks; i++) {
    struct plan_check *c = &p->hosts[0].checks[i];
    if (c->first == port && !c->is_range && c->protocol == proto)
      return c;
  }
  return NULL;
}

static const char *rtt_source(const struct plan_check *c)
{
  return json_string_value(json_object_get(c->res.evidence, "rtt_source"));
}

/* Single checks that are a plain connect go through the sweep too, and read as attempt_tcp.c
 * words them: accepted with the kernel's handshake RTT, refused, silent after every attempt.
 * A TLS check on the same open port is not the sweep's: its handshake (to a listener that
 * never speaks) is still tried, by an attempt. */
static void test_single_checks(void **state)
{
  (void)state;
  struct peers pe;
  peers_start(&pe);
  uint16_t closed = (uint16_t)(pe.open > 1024 ? pe.open - 1 : pe.open + 1);
  struct port_item items[] = {
      {UC_TCP, pe.open, pe.open, false},
      {UC_TCP, closed, closed, false},
      {UC_TCP, pe.silent, pe.silent, false},
  };
  struct scan_conf conf;
  conf_for_tests(&conf);
  struct run r;
  run_plan(&r, items, 3);
  /* a fourth check: TLS on the open port (what a catalog row with MTLS would plan) */
  struct plan_host *h = &r.p.hosts[0];
  struct plan_check *tls = realloc(h->checks, (h->nchecks + 1) * sizeof(*tls));
  assert_non_null(tls);
  h->checks = tls;
  tls[h->nchecks] = *single_at(&r.p, pe.open, UC_P_TCP);
  memset(&tls[h->nchecks].res, 0, sizeof(tls[h->nchecks].res));
  tls[h->nchecks].reqs = NULL;
  tls[h->nchecks].skip_reason = NULL;
  tls[h->nchecks].protocol = UC_P_TLS;
  tls[h->nchecks].proto = probe_lookup(UC_TCP, UC_P_TLS, NULL);
  assert_true(tls[h->nchecks].proto->tls);
  h->nchecks++;
  r.e = engine_new(&r.loop, &r.p, &conf);
  run_until_done(&r);
  engine_finalize(r.e);
  assert_true(engine_complete(r.e));
  assert_true(r.e->hosts[0].tsweep);
  assert_int_equal(r.e->tsweep.sockets, 3); /* the plain ones; the TLS check's is its own */
  struct engine_progress pr;
  engine_progress(r.e, &pr);
  assert_int_equal(pr.total, 4);
  assert_int_equal(pr.done, 4);
  assert_int_equal(pr.sent, 4 + 1); /* the silent port's retry */

  struct plan_check *c = single_at(&r.p, pe.open, UC_P_TCP);
  assert_int_equal(c->res.state, UC_ST_OPEN);
  assert_string_equal(check_reason(&c->res), "TCP connection accepted");
  assert_true(c->res.rtt_ms >= 0);
  assert_string_equal(rtt_source(c), "kernel");
  c = single_at(&r.p, closed, UC_P_TCP);
  assert_int_equal(c->res.state, UC_ST_CLOSED);
  assert_string_equal(check_reason(&c->res), "connection refused (RST)");
  assert_true(c->res.rtt_ms > 0); /* no capture: from the connect to the worker's look */
  assert_string_equal(rtt_source(c), "loop");
  c = single_at(&r.p, pe.silent, UC_P_TCP);
  assert_int_equal(c->res.state, UC_ST_FILTERED);
  assert_int_equal(c->res.attempts, 2);
  assert_non_null(strstr(check_reason(&c->res), "no answer to 2 connection attempts (last waited"));
  c = single_at(&r.p, pe.open, UC_P_TLS);
  assert_int_equal(c->res.state, UC_ST_OPEN);
  assert_null(strstr(check_reason(&c->res), "TCP connection accepted"));
  run_end(&r);
  peers_stop(&pe);
}

/* A captured answer belongs to the sweep alone when its port is in a TCP span and no single
 * TCP check has it (that check's outcome looks for its answer in the table). */
static void test_owns_answer(void **state)
{
  (void)state;
  struct port_item items[] = {
      {UC_TCP, 100, 200, true},
      {UC_TCP, 150, 150, false},
      {UC_UDP, 300, 400, true},
  };
  struct topology t;
  struct plan p;
  struct uc_err err;
  assert_int_equal(topo_from_targets(&t, ADDR, NULL, &test_catalog, &err), 0);
  assert_int_equal(plan_from_ports(&p, &t, items, 3, "sfb2015", &err), 0);
  struct host_sched hs = {.h = &p.hosts[0],
                          .tg = &p.hosts[0].targets[0],
                          .checks = p.hosts[0].checks,
                          .nchecks = p.hosts[0].nchecks};
  assert_true(tcpsweep_owns_answer(&hs, 100));
  assert_true(tcpsweep_owns_answer(&hs, 149));
  assert_false(tcpsweep_owns_answer(&hs, 150));
  assert_true(tcpsweep_owns_answer(&hs, 200));
  assert_false(tcpsweep_owns_answer(&hs, 99));
  assert_false(tcpsweep_owns_answer(&hs, 201));
  assert_false(tcpsweep_owns_answer(&hs, 350)); /* a UDP span */
  plan_free(&p);
  topo_free(&t);
}

static void on_async_noop(uv_async_t *h)
{
  (void)h;
}

/* A request for `port` on ADDR from a new socket that is in no epoll set: no event will ever
 * tell the worker of its answer, only a look. */
static int request_unwatched(struct tsw_request *q, uint32_t slot, uint16_t port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  memset(q, 0, sizeof(*q));
  q->slot = slot;
  q->fd = fd;
  q->deadline_ms = 30000;
  q->dst_len = sizeof(q->dst.v4);
  q->dst.v4.sin_family = AF_INET;
  q->dst.v4.sin_port = htons(port);
  inet_pton(AF_INET, ADDR, &q->dst.v4.sin_addr);
  return fd;
}

/* tsw_worker_look (what a stop does first): a held port whose answer the socket has ends with
 * it, posted before the look returns, although epoll never said so; a port still waiting
 * stays held, and a cancel ends it unrecorded. */
static void test_worker_look(void **state)
{
  (void)state;
  struct peers pe;
  peers_start(&pe);
  uv_loop_t loop;
  uv_async_t notify;
  uv_loop_init(&loop);
  uv_async_init(&loop, &notify, on_async_noop);
  struct tsw_worker *w = tsw_worker_start(&notify, 8);
  assert_non_null(w);
  struct tsw_request q[2];
  int fd_open = request_unwatched(&q[0], 0, pe.open);
  int fd_silent = request_unwatched(&q[1], 1, pe.silent);
  tsw_worker_submit(w, q, 2);
  struct tsw_results got = {0};
  /* the first look may come before the worker took the requests; a later one after */
  for (int k = 0; k < 50 && got.n == 0; k++) {
    tsw_worker_look(w);
    tsw_worker_take(w, &got);
    if (got.n == 0)
      usleep(10 * 1000);
  }
  assert_int_equal(got.n, 1);
  assert_int_equal(got.v[0].slot, 0);
  assert_int_equal(got.v[0].status, TSW_FINAL);
  assert_int_equal(got.v[0].state, UC_ST_OPEN);
  tsw_worker_look(w);
  tsw_worker_take(w, &got);
  assert_int_equal(got.n, 0); /* the silent port is still held */
  tsw_worker_cancel(w);
  for (int k = 0; k < 200 && got.n == 0; k++) {
    usleep(5 * 1000);
    tsw_worker_take(w, &got);
  }
  assert_int_equal(got.n, 1);
  assert_int_equal(got.v[0].slot, 1);
  assert_int_equal(got.v[0].status, TSW_CANCELLED);
  tsw_worker_stop(w);
  tsw_results_free(&got);
  close(fd_open);
  close(fd_silent);
  uv_close((uv_handle_t *)&notify, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  peers_stop(&pe);
}

/* The capture beside the sweep: a scan of a few hosts captures what those hosts send; past a
 * few hundred (the address list no longer fits) every inbound packet, never our own (three of
 * the four packets of an accepted connect), unless a dump file wants both directions. Each
 * filter compiles for the capture's link type. */
static void filter_of(const char *targets, const char *capture_file, char *buf, size_t cap)
{
  struct uc_err err;
  struct topology t;
  struct plan p;
  struct port_item items[] = {{UC_TCP, 5061, 5061, false}};
  uv_loop_t loop;
  uv_loop_init(&loop);
  assert_int_equal(topo_from_targets(&t, targets, NULL, &test_catalog, &err), 0);
  assert_int_equal(plan_from_ports(&p, &t, items, 1, "sfb2015", &err), 0);
  for (size_t i = 0; i < p.nhosts; i++) {
    struct plan_target *tg = &p.hosts[i].targets[0];
    struct sockaddr_in *a = (struct sockaddr_in *)&tg->addr;
    a->sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, tg->spec, &a->sin_addr), 1);
    tg->resolved = true;
  }
  struct scan_conf conf;
  conf_for_tests(&conf);
  conf.capture_file = capture_file;
  struct engine *e = engine_new(&loop, &p, &conf);
  engine_capture_filter(e, buf, cap);
  engine_free(e);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  plan_free(&p);
  topo_free(&t);
  pcap_t *pc = pcap_open_dead(DLT_LINUX_SLL2, 262144);
  struct bpf_program prog;
  assert_int_equal(pcap_compile(pc, &prog, buf, 1, PCAP_NETMASK_UNKNOWN), 0);
  pcap_freecode(&prog);
  pcap_close(pc);
}

/* An IPv4 ICMP error (type 3 code 13) from `from`, quoting a TCP segment sent to `about`. */
static size_t icmp_error(uint8_t *pkt, uint32_t from, uint32_t about)
{
  memset(pkt, 0, 56);
  pkt[0] = 0x45;
  pkt[3] = 56;
  pkt[8] = 64;
  pkt[9] = 1; /* ICMP */
  for (int i = 0; i < 4; i++) {
    pkt[12 + i] = (uint8_t)(from >> (24 - 8 * i));
    pkt[16 + i] = 127; /* to us: 127.127.127.127 */
  }
  pkt[20] = 3;
  pkt[21] = 13;
  uint8_t *in = pkt + 28; /* the quoted header */
  in[0] = 0x45;
  in[3] = 40;
  in[8] = 64;
  in[9] = 6;
  for (int i = 0; i < 4; i++)
    in[16 + i] = (uint8_t)(about >> (24 - 8 * i));
  return 56;
}

static bool passes(const char *filter, const uint8_t *pkt, size_t len)
{
  pcap_t *pc = pcap_open_dead(DLT_RAW, 262144);
  struct bpf_program prog;
  assert_int_equal(pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN), 0);
  struct pcap_pkthdr h = {.caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len};
  int ok = pcap_offline_filter(&prog, &h, pkt);
  pcap_freecode(&prog);
  pcap_close(pc);
  return ok != 0;
}

static void test_capture_filter(void **state)
{
  (void)state;
  char f[8192];
  uint8_t pkt[56];
  filter_of("127.0.0.62,127.0.0.63", NULL, f, sizeof(f));
  assert_non_null(strstr(f, "src host 127.0.0.62 or "));
  assert_non_null(strstr(f, " or src host 127.0.0.63 or "));
  /* ICMP errors about our targets pass, from them or a router; another program's do not */
  assert_true(passes(f, pkt, icmp_error(pkt, 0x7f000001, 0x7f00003e)));
  assert_true(passes(f, pkt, icmp_error(pkt, 0x7f00003f, 0x7f00003f)));
  assert_false(passes(f, pkt, icmp_error(pkt, 0x7f000001, 0x7f000040)));
  filter_of("127.0.0.62", "/dev/null", f, sizeof(f));
  assert_non_null(strstr(f, "(host 127.0.0.62 or "));
  /* 126 targets: still every one's ICMP errors only */
  filter_of("127.0.5.0/25", NULL, f, sizeof(f));
  assert_non_null(strstr(f, " or src host 127.0.5.126 or "));
  assert_non_null(strstr(f, " or icmp[24:4] == 0x7f00057e"));
  assert_false(passes(f, pkt, icmp_error(pkt, 0x7f000001, 0x7f000580)));
  assert_true(passes(f, pkt, icmp_error(pkt, 0x7f000001, 0x7f000510)));
  /* 254: their packets, and every ICMP error */
  filter_of("127.0.4.0/24", NULL, f, sizeof(f));
  assert_non_null(strstr(f, " or src host 127.0.4.254"));
  assert_null(strstr(f, "icmp[24:4]"));
  assert_true(passes(f, pkt, icmp_error(pkt, 0x7f000001, 0x7f000580)));
  /* 1,024: every packet of the kinds we probe with */
  filter_of("127.0.4.0/22", NULL, f, sizeof(f));
  assert_string_equal(f, "inbound and (tcp or udp or icmp or icmp6)");
  filter_of("127.0.4.0/22", "/dev/null", f, sizeof(f));
  assert_string_equal(f, "tcp or udp or icmp or icmp6");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_socket_every_outcome),
      cmocka_unit_test(test_many_ports_few_sockets),
      cmocka_unit_test(test_source_bound),
      cmocka_unit_test(test_stop_in_flight),
      cmocka_unit_test(test_late_answer_rtt),
      cmocka_unit_test(test_single_checks),
      cmocka_unit_test(test_owns_answer),
      cmocka_unit_test(test_worker_look),
      cmocka_unit_test(test_capture_filter),
  };
  return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
