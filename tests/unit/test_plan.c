/* tests/unit/test_plan.c - merging catalog rows into checks, and the verdict rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/support/catalog_fixture.h"

#include "model/verdict.h"
#include "model/plan.h"

static struct plan_check *find(struct plan_host *h, unsigned first, unsigned last,
                               enum uc_transport t)
{
  for (size_t i = 0; i < h->nchecks; i++)
    if (h->checks[i].first == first && h->checks[i].last == last && h->checks[i].transport == t)
      return &h->checks[i];
  return NULL;
}

static void make_plan(struct plan *p, struct topology *t, const char *roles, const char *product)
{
  struct uc_err err;
  assert_int_equal(topo_from_targets(t, "198.18.1.11", roles, &test_catalog, &err), 0);
  assert_int_equal(plan_from_catalog(p, t, &test_catalog, product, &err), 0);
}

static void test_front_end_merge(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  make_plan(&p, &t, "front-end", "sfb2015");
  struct plan_host *h = &p.hosts[0];
  struct plan_check *c = find(h, 5061, 5061, UC_TCP);
  assert_non_null(c);
  assert_int_equal(c->protocol, UC_P_MTLS);
  assert_string_equal(c->application, "sip");
  assert_int_equal(c->nreqs, 1);
  assert_string_equal(c->reqs[0].row->id, "sfb2015-front-end-5061-tcp");
  assert_string_equal(c->reqs[0].role, "front-end");
  /* 443: Web compatibility, Mobility and the Directors' web farm rows merge into one check. */
  c = find(h, 443, 443, UC_TCP);
  assert_non_null(c);
  assert_int_equal(c->nreqs, 3);
  assert_int_equal(c->protocol, UC_P_HTTPS);
  /* SQL Browser: "All servers" is listed twice in the seed. */
  c = find(h, 1434, 1434, UC_UDP);
  assert_non_null(c);
  assert_int_equal(c->nreqs, 2);
  assert_int_equal(c->protocol, UC_P_SQL_BROWSER);
  /* Outbound and optional rows. */
  c = find(h, 5066, 5066, UC_TCP);
  assert_non_null(c);
  assert_false(c->probe);
  assert_non_null(strstr(c->skip_reason, "outbound from front-end"));
  c = find(h, 5060, 5060, UC_TCP);
  assert_true(c->probe && c->optional);
  /* Collocated Mediation rows need the mediation role too. */
  assert_null(find(h, 5067, 5067, UC_TCP));
  /* Ranges: TCP/UDP rows give one check per transport; spans merge them. */
  assert_non_null(find(h, 57501, 65535, UC_UDP));
  assert_non_null(find(h, 49152, 65535, UC_TCP));
  assert_non_null(find(h, 49152, 57500, UC_UDP));
  size_t tcp_spans = 0, udp_spans = 0;
  for (size_t i = 0; i < h->targets[0].nspans; i++) {
    if (h->targets[0].spans[i].transport == UC_TCP) {
      tcp_spans++;
      assert_int_equal(h->targets[0].spans[i].first, 49152);
      assert_int_equal(h->targets[0].spans[i].last, 65535);
    } else {
      udp_spans++;
      assert_int_equal(h->targets[0].spans[i].first, 49152);
      assert_int_equal(h->targets[0].spans[i].last, 65535);
    }
  }
  assert_int_equal(tcp_spans, 1);
  assert_int_equal(udp_spans, 1);
  /* Sorted by port; single ports before a range that starts on the same port. */
  for (size_t i = 1; i < h->nchecks; i++)
    assert_true(h->checks[i - 1].first <= h->checks[i].first);
  /* Probe count: single probeable checks + 2 x 16384 span ports. */
  size_t singles = 0;
  for (size_t i = 0; i < h->nchecks; i++)
    singles += h->checks[i].probe && !h->checks[i].is_range;
  assert_int_equal(plan_probe_count(&p), singles + 2 * 16384);
  plan_free(&p);
  topo_free(&t);
}

static void test_collocated_mediation(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  make_plan(&p, &t, "front-end,mediation", "sfb2015");
  struct plan_host *h = &p.hosts[0];
  struct plan_check *c = find(h, 5070, 5070, UC_TCP);
  assert_non_null(c);
  /* collocated row, standalone row, standalone MTLS row: one check, MTLS wins */
  assert_int_equal(c->nreqs, 3);
  assert_int_equal(c->protocol, UC_P_MTLS);
  c = find(h, 5081, 5081, UC_TCP);
  assert_non_null(c);
  assert_false(c->probe);
  /* The all-servers SQL Browser rows come once, though both roles bring them. */
  c = find(h, 1434, 1434, UC_UDP);
  assert_int_equal(c->nreqs, 2);
  plan_free(&p);
  topo_free(&t);
  make_plan(&p, &t, "mediation", "sfb2015");
  assert_null(find(&p.hosts[0], 5081, 5081, UC_TCP));
  plan_free(&p);
  topo_free(&t);
}

static void test_products_differ(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  make_plan(&p, &t, "front-end", "lync2013");
  /* 445: the Central Management Store's push only; the file-share row is 2020 SfB only */
  struct plan_check *c = find(&p.hosts[0], 445, 445, UC_TCP);
  assert_non_null(c);
  assert_int_equal(c->nreqs, 1);
  assert_string_equal(c->reqs[0].row->id, "lync2013-central-management-store-445-tcp");
  plan_free(&p);
  topo_free(&t);
  make_plan(&p, &t, "edge", "lync2013");
  c = find(&p.hosts[0], 5061, 5061, UC_TCP);
  assert_non_null(c);
  /* seed 004: federation out, public IM in and out (3); each single or DNS-pool Edge page:
   * external, internal, public IM in and out and federation out (3 x 7); the HLB page's
   * external and internal VIPs in and out (4) */
  assert_int_equal(c->nreqs, 28);
  assert_true(c->probe);
  assert_int_equal(c->protocol, UC_P_MTLS);
  /* outbound media, and inbound only for partners still on OCS 2007: probed, optional */
  c = find(&p.hosts[0], 50000, 59999, UC_TCP);
  assert_true(c->probe);
  assert_true(c->optional);
  plan_free(&p);
  topo_free(&t);
}

static void test_ports_plan(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  struct uc_err err;
  struct port_item items[] = {{UC_TCP, 1, 1024, true}, {UC_UDP, 3478, 3478, false}};
  assert_int_equal(topo_from_targets(&t, "198.18.1.11,198.18.1.12", NULL, &test_catalog, &err), 0);
  assert_int_equal(plan_from_ports(&p, &t, items, 2, "sfb2015", &err), 0);
  assert_int_equal(p.nhosts, 2);
  assert_int_equal(p.hosts[1].nchecks, 2);
  assert_int_equal(plan_probe_count(&p), 2 * (1024 + 1));
  plan_free(&p);
  topo_free(&t);
}

static struct plan_check single(enum uc_proto proto, enum uc_state st, enum uc_outcome oc,
                                bool optional)
{
  struct plan_check c;
  memset(&c, 0, sizeof(c));
  c.first = c.last = 1;
  c.protocol = proto;
  c.probe = true;
  c.optional = optional;
  c.res.done = true;
  c.res.state = st;
  c.res.outcome = oc;
  check_reason_set(&c.res, "why");
  static struct plan_req req; /* a catalog requirement: not an ad hoc --ports check */
  c.reqs = &req;
  c.nreqs = 1;
  return c;
}

static void test_verdicts(void **state)
{
  (void)state;
  static const struct {
    enum uc_proto proto;
    enum uc_state st;
    enum uc_outcome oc;
    bool optional;
    enum uc_verdict want;
  } cases[] = {
      {UC_P_TCP, UC_ST_OPEN, UC_OUT_NONE, false, UC_PASS},
      {UC_P_MTLS, UC_ST_OPEN, UC_OUT_OK, false, UC_PASS},
      {UC_P_MTLS, UC_ST_OPEN, UC_OUT_WARN, false, UC_WARN},
      {UC_P_TLS, UC_ST_OPEN, UC_OUT_FAIL, false, UC_FAIL},
      {UC_P_TCP, UC_ST_CLOSED, UC_OUT_NONE, false, UC_FAIL},
      {UC_P_TCP, UC_ST_FILTERED, UC_OUT_NONE, false, UC_FAIL},
      {UC_P_TCP, UC_ST_UNREACHABLE, UC_OUT_NONE, false, UC_FAIL},
      {UC_P_TCP, UC_ST_CLOSED, UC_OUT_NONE, true, UC_SKIP},
      {UC_P_TCP, UC_ST_OPEN, UC_OUT_NONE, true, UC_PASS},
      {UC_P_UDP, UC_ST_OPEN_FILTERED, UC_OUT_WARN, false, UC_WARN},
      {UC_P_STUN, UC_ST_OPEN_FILTERED, UC_OUT_FAIL, false, UC_FAIL},
      {UC_P_SQL_BROWSER, UC_ST_OPEN_FILTERED, UC_OUT_NONE, false, UC_FAIL},
      {UC_P_STUN, UC_ST_OPEN, UC_OUT_FAIL, false, UC_FAIL},
      {UC_P_UDP, UC_ST_CLOSED, UC_OUT_NONE, false, UC_FAIL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct plan_check c = single(cases[i].proto, cases[i].st, cases[i].oc, cases[i].optional);
    verdict_decide(&c);
    if (c.res.verdict != cases[i].want)
      fail_msg("case %zu: %s, want %s", i, uc_verdict_name(c.res.verdict),
               uc_verdict_name(cases[i].want));
    check_result_clear(&c.res);
  }
  /* ad hoc --ports checks (no requirement): the network lets the port through or not, as
   * in a range; a port the host itself closed passes */
  static const struct {
    enum uc_proto proto;
    enum uc_state st;
    enum uc_verdict want;
  } adhoc[] = {
      {UC_P_TCP, UC_ST_OPEN, UC_PASS},        {UC_P_TCP, UC_ST_CLOSED, UC_PASS},
      {UC_P_UDP, UC_ST_CLOSED, UC_PASS},      {UC_P_TCP, UC_ST_FILTERED, UC_FAIL},
      {UC_P_TCP, UC_ST_UNREACHABLE, UC_FAIL}, {UC_P_UDP, UC_ST_OPEN_FILTERED, UC_WARN},
      {UC_P_TCP, UC_ST_ERROR, UC_FAIL},
  };
  for (size_t i = 0; i < sizeof(adhoc) / sizeof(adhoc[0]); i++) {
    struct plan_check a = single(adhoc[i].proto, adhoc[i].st, UC_OUT_NONE, false);
    a.reqs = NULL;
    a.nreqs = 0;
    verdict_decide(&a);
    if (a.res.verdict != adhoc[i].want)
      fail_msg("ad hoc case %zu: %s, want %s", i, uc_verdict_name(a.res.verdict),
               uc_verdict_name(adhoc[i].want));
    assert_string_equal(check_reason(&a.res), "why"); /* what was seen, unchanged */
    check_result_clear(&a.res);
  }
  struct plan_check c = single(UC_P_TCP, UC_ST_NONE, UC_OUT_NONE, false);
  c.probe = false;
  c.skip_reason = (char *)"outbound"; /* a test check, not plan_free'd */
  verdict_decide(&c);
  assert_int_equal(c.res.verdict, UC_SKIP);
  assert_string_equal(check_reason(&c.res), "outbound");
  check_result_clear(&c.res);
}

static void range_case(enum uc_transport t, uint32_t open, uint32_t closed, uint32_t filtered,
                       uint32_t silent, enum uc_verdict want, const char *needle)
{
  struct range_result rr;
  memset(&rr, 0, sizeof(rr));
  struct plan_check c = single(UC_P_RTP, UC_ST_NONE, UC_OUT_NONE, false);
  c.is_range = true;
  c.transport = t;
  c.first = 60000;
  c.last = (uint16_t)(60000 + open + closed + filtered + silent - 1);
  c.range = &rr;
  rr.open = open;
  rr.closed = closed;
  rr.filtered = filtered;
  rr.silent = silent;
  rr.probed = open + closed + filtered + silent;
  verdict_decide(&c);
  if (c.res.verdict != want || !strstr(check_reason(&c.res), needle))
    fail_msg("range %u/%u/%u/%u: %s '%s'", open, closed, filtered, silent,
             uc_verdict_name(c.res.verdict), check_reason(&c.res));
  check_result_clear(&c.res);
}

static void test_range_verdicts(void **state)
{
  (void)state;
  range_case(UC_TCP, 0, 100, 0, 0, UC_PASS, "all 100 ports reachable");
  range_case(UC_TCP, 3, 90, 7, 0, UC_FAIL, "7 of 100 ports filtered");
  range_case(UC_UDP, 0, 6, 0, 94, UC_WARN, "partly verified: 6 of 100");
  range_case(UC_UDP, 100, 0, 0, 0, UC_PASS, "100 open");
  range_case(UC_UDP, 90, 0, 10, 0, UC_FAIL, "10 of 100 ports filtered");
}

/* A range an interrupted scan cut short (partial): judged on what was probed, never "all
 * ports reachable"; a filtered port is a failure already (a skip when optional). */
static void partial_case(uint32_t open, uint32_t closed, uint32_t filtered, bool optional,
                         enum uc_verdict want, enum uc_state want_state, const char *needle)
{
  struct range_result rr;
  memset(&rr, 0, sizeof(rr));
  struct plan_check c = single(UC_P_RTP, UC_ST_NONE, UC_OUT_NONE, optional);
  c.is_range = true;
  c.first = 50000;
  c.last = 59999;
  c.range = &rr;
  c.res.partial = true;
  rr.open = open;
  rr.closed = closed;
  rr.filtered = filtered;
  rr.probed = open + closed + filtered;
  verdict_decide(&c);
  if (c.res.verdict != want || c.res.state != want_state || !strstr(check_reason(&c.res), needle))
    fail_msg("partial range %u/%u/%u: %s %s '%s'", open, closed, filtered,
             uc_verdict_name(c.res.verdict), uc_state_name(c.res.state), check_reason(&c.res));
  check_result_clear(&c.res);
}

static void test_partial_range_verdicts(void **state)
{
  (void)state;
  partial_case(0, 1200, 0, false, UC_WARN, UC_ST_CLOSED,
               "interrupted: 1200 of 10000 ports probed (0 open, 1200 closed, 0 filtered, 0 "
               "without an answer), 8800 not probed; partly verified");
  partial_case(2, 98, 0, false, UC_WARN, UC_ST_OPEN, "100 of 10000 ports probed");
  partial_case(0, 90, 10, false, UC_FAIL, UC_ST_FILTERED, "10 filtered");
  partial_case(0, 90, 10, true, UC_SKIP, UC_ST_FILTERED, "optional port not in use");
}

/* plan_target_spans: a port is in a span of its transport, bounds included. */
static void test_target_spans(void **state)
{
  (void)state;
  struct plan_span spans[] = {{UC_UDP, 3478, 3481}, {UC_TCP, 49152, 57500}};
  struct plan_target t = {.spans = spans, .nspans = 2};
  assert_true(plan_target_spans(&t, UC_TCP, 49152));
  assert_true(plan_target_spans(&t, UC_TCP, 57500));
  assert_false(plan_target_spans(&t, UC_TCP, 57501));
  assert_false(plan_target_spans(&t, UC_TCP, 3478)); /* a UDP span's port */
  assert_true(plan_target_spans(&t, UC_UDP, 3478));
  struct plan_target none = {0};
  assert_false(plan_target_spans(&none, UC_TCP, 49152));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_target_spans),         cmocka_unit_test(test_front_end_merge),
      cmocka_unit_test(test_collocated_mediation), cmocka_unit_test(test_products_differ),
      cmocka_unit_test(test_ports_plan),           cmocka_unit_test(test_verdicts),
      cmocka_unit_test(test_range_verdicts),       cmocka_unit_test(test_partial_range_verdicts),
  };
  return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
