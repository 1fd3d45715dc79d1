/* tests/unit/test_tcp_sweep.c - TCP range ports by connect() from the sweep's reused sockets
 * (scanner/tcp_sweep.c), through the engine on a real loop against loopback listeners: an
 * accepting one (open), nothing (closed), and one whose accept queue is full (its SYNs are
 * dropped: silent; or late, once the queue frees). Counts callbacks, asserts the range
 * counts, proves no handle leaked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/support/catalog_fixture.h"

#include "model/verdict.h"
#include "scanner/engine.h"
#include "scanner/engine_int.h"

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
  p->silent_fd = listener(0, &p->silent);
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

/* The loop, the plan of `items` on ADDR and an engine for it, not started. */
static void run_begin(struct run *r, const struct port_item *items, size_t n,
                      const struct scan_conf *conf)
{
  struct uc_err err;
  uv_loop_init(&r->loop);
  r->sockets = open_sockets();
  assert_int_equal(topo_from_targets(&r->t, ADDR, NULL, &test_catalog, &err), 0);
  assert_int_equal(plan_from_ports(&r->p, &r->t, items, n, "sfb2015", &err), 0);
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

/* A captured answer belongs to the sweep alone when its port is in a TCP span and no single
 * TCP check has it (that check's attempt looks for its answer in the table). */
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

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_socket_every_outcome),
      cmocka_unit_test(test_many_ports_few_sockets),
      cmocka_unit_test(test_source_bound),
      cmocka_unit_test(test_stop_in_flight),
      cmocka_unit_test(test_late_answer_rtt),
      cmocka_unit_test(test_owns_answer),
  };
  return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
