/* tests/unit/test_engine.c - the engine on a real loop against loopback listeners:
 * count callbacks, run the loop, assert the results, then prove no handle leaked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tests/support/catalog_fixture.h"

#include "model/verdict.h"
#include "scanner/engine.h"

#define ADDR "127.0.0.61"

struct server {
  uv_tcp_t listener;
  uv_tcp_t conns[64];
  int nconns;
  int port;
};

static void on_conn_closed(uv_handle_t *h)
{
  (void)h;
}

static void on_connection(uv_stream_t *s, int status)
{
  struct server *srv = s->data;
  if (status != 0 || srv->nconns == 64)
    return;
  uv_tcp_t *c = &srv->conns[srv->nconns++];
  uv_tcp_init(s->loop, c);
  if (uv_accept(s, (uv_stream_t *)c) != 0)
    uv_close((uv_handle_t *)c, on_conn_closed);
}

/* A listener that accepts and never speaks, on an ephemeral port. */
static void server_start(uv_loop_t *loop, struct server *srv)
{
  memset(srv, 0, sizeof(*srv));
  struct sockaddr_in a;
  uv_ip4_addr(ADDR, 0, &a);
  assert_int_equal(uv_tcp_init(loop, &srv->listener), 0);
  srv->listener.data = srv;
  assert_int_equal(uv_tcp_bind(&srv->listener, (struct sockaddr *)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&srv->listener, 128, on_connection), 0);
  int len = sizeof(a);
  uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&a, &len);
  srv->port = ntohs(a.sin_port);
}

static void server_stop(struct server *srv)
{
  for (int i = 0; i < srv->nconns; i++)
    if (!uv_is_closing((uv_handle_t *)&srv->conns[i]))
      uv_close((uv_handle_t *)&srv->conns[i], on_conn_closed);
  uv_close((uv_handle_t *)&srv->listener, on_conn_closed);
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
  c->progress = false;
  c->evidence_capture = false; /* no libpcap: the same result as root or not */
}

static struct plan_check *check_on(struct plan *p, unsigned port, bool range)
{
  for (size_t i = 0; i < p->hosts[0].nchecks; i++)
    if (p->hosts[0].checks[i].first == port && p->hosts[0].checks[i].is_range == range)
      return &p->hosts[0].checks[i];
  return NULL;
}

static void test_open_closed_range(void **state)
{
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct server srv;
  server_start(&loop, &srv);
  /* Ports next to the listener are very likely closed; the range includes it. */
  unsigned open = (unsigned)srv.port;
  unsigned closed = open > 1024 ? open - 1 : open + 1;
  struct port_item items[] = {
      {UC_TCP, (uint16_t)open, (uint16_t)open, false},
      {UC_TCP, (uint16_t)closed, (uint16_t)closed, false},
      {UC_TCP, (uint16_t)(open - 5), (uint16_t)(open + 5), true},
      {UC_UDP, 9, 9, false},
  };
  struct topology t;
  struct plan p;
  struct uc_err err;
  assert_int_equal(topo_from_targets(&t, ADDR, NULL, &test_catalog, &err), 0);
  assert_int_equal(plan_from_ports(&p, &t, items, 4, "sfb2015", &err), 0);
  struct scan_conf conf;
  conf_for_tests(&conf);
  struct engine *e = engine_new(&loop, &p, &conf);
  done_calls = 0;
  assert_int_equal(engine_start(e, on_done, &loop), 0);
  while (!engine_finished(e))
    uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(done_calls, 1);
  assert_true(engine_complete(e));
  engine_finalize(e);
  struct engine_progress pr;
  engine_progress(e, &pr);
  assert_int_equal(pr.total, 3 + 11);
  assert_int_equal(pr.done, pr.total);
  assert_int_equal(pr.inflight, 0);

  struct plan_check *c = check_on(&p, open, false);
  assert_int_equal(c->res.state, UC_ST_OPEN);
  assert_int_equal(c->res.verdict, UC_PASS);
  assert_true(c->res.rtt_ms >= 0);
  c = check_on(&p, closed, false);
  assert_int_equal(c->res.state, UC_ST_CLOSED);
  assert_int_equal(c->res.verdict, UC_PASS); /* ad hoc: reachable, as a range's closed ports */
  c = check_on(&p, open - 5, true);
  assert_int_equal(c->range->probed, 11);
  assert_int_equal(c->range->open, 1);
  assert_int_equal(c->range->closed, 10);
  assert_int_equal(c->res.verdict, UC_PASS);
  c = check_on(&p, 9, false);
  assert_int_equal(c->res.state, UC_ST_CLOSED); /* ICMP port unreachable, from the queue */
  assert_non_null(json_object_get(c->res.evidence, "icmp"));

  engine_free(e);
  server_stop(&srv);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0); /* no handle leaked */
  plan_free(&p);
  topo_free(&t);
}

static void on_stop_timer(uv_timer_t *t)
{
  engine_stop(t->data);
  uv_close((uv_handle_t *)t, NULL);
}

/* A TLS check against a listener that never speaks: stopped mid-handshake, the engine
 * calls back once, reports incomplete, and closes everything. */
static void test_stop_in_flight(void **state)
{
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct server srv;
  server_start(&loop, &srv);
  char topo[256];
  snprintf(topo, sizeof(topo),
           "{\"hosts\": [{\"name\": \"fe01.contoso.test\", \"address\": \"%s\", "
           "\"roles\": [\"office-web-apps\"]}]}",
           ADDR);
  struct topology t;
  struct plan p;
  struct uc_err err;
  assert_int_equal(topo_load_text(&t, "t", topo, strlen(topo), &test_catalog, &err), 0);
  assert_int_equal(plan_from_catalog(&p, &t, &test_catalog, "sfb2015", &err), 0);
  /* Point the one check (443/tcp https) at the silent listener. */
  assert_int_equal(p.hosts[0].nchecks, 1);
  p.hosts[0].checks[0].first = p.hosts[0].checks[0].last = (uint16_t)srv.port;
  struct scan_conf conf;
  conf_for_tests(&conf);
  conf.timeout_ms = 5000;
  struct engine *e = engine_new(&loop, &p, &conf);
  uv_timer_t stopper;
  uv_timer_init(&loop, &stopper);
  stopper.data = e;
  uv_timer_start(&stopper, on_stop_timer, 100, 0);
  done_calls = 0;
  uint64_t t0 = uv_hrtime();
  assert_int_equal(engine_start(e, on_done, &loop), 0);
  while (!engine_finished(e))
    uv_run(&loop, UV_RUN_DEFAULT);
  double ms = (double)(uv_hrtime() - t0) / 1e6;
  assert_int_equal(done_calls, 1);
  assert_false(engine_complete(e));
  assert_true(ms < 1000); /* stopped long before the 5 s handshake deadline */
  engine_finalize(e);
  assert_false(p.hosts[0].checks[0].res.done); /* not reported as if it had finished */
  engine_free(e);
  server_stop(&srv);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  plan_free(&p);
  topo_free(&t);
}

/* A silent TLS listener: the handshake deadline ends the check with a reason. */
static void test_tls_deadline(void **state)
{
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct server srv;
  server_start(&loop, &srv);
  struct topology t;
  struct plan p;
  struct uc_err err;
  assert_int_equal(topo_from_targets(&t, ADDR, "office-web-apps", &test_catalog, &err), 0);
  assert_int_equal(plan_from_catalog(&p, &t, &test_catalog, "sfb2015", &err), 0);
  p.hosts[0].checks[0].first = p.hosts[0].checks[0].last = (uint16_t)srv.port;
  struct scan_conf conf;
  conf_for_tests(&conf);
  struct engine *e = engine_new(&loop, &p, &conf);
  uint64_t t0 = uv_hrtime();
  assert_int_equal(engine_start(e, on_done, &loop), 0);
  while (!engine_finished(e))
    uv_run(&loop, UV_RUN_DEFAULT);
  double ms = (double)(uv_hrtime() - t0) / 1e6;
  engine_finalize(e);
  struct check_result *r = &p.hosts[0].checks[0].res;
  assert_int_equal(r->verdict, UC_FAIL);
  assert_int_equal(r->state, UC_ST_OPEN);
  assert_non_null(strstr(r->reason, "TLS handshake timed out after 300 ms"));
  assert_true(ms >= 300 && ms < 2000);
  engine_free(e);
  server_stop(&srv);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  plan_free(&p);
  topo_free(&t);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_closed_range),
      cmocka_unit_test(test_stop_in_flight),
      cmocka_unit_test(test_tls_deadline),
  };
  return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
