/* tests/unit/test_registry.c - the protocol table: one row says what a port means to the
 * scanner (the probe), to the listener (the responder) and to the report (the probe's name). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "model/plan.h"
#include "probes/registry.h"
#include "probes/stun.h"
#include "tests/support/catalog_fixture.h"

/* Every row: its module runs on the row's transport, and only MTLS expects a client
 * certificate. That the listener answers what each row's module asks is proven by running
 * them against each other: test_listen_loop, test_every_row_against_its_listener. */
static void test_rows_are_consistent(void **state)
{
  (void)state;
  size_t n;
  const struct probe_choice *t = probe_table(&n);
  assert_true(n > 10);
  for (size_t i = 0; i < n; i++) {
    assert_true((unsigned)t[i].responder < PROBE_RESP_COUNT);
    if (t[i].app)
      assert_int_equal(t[i].app->transport, t[i].transport);
    assert_int_equal(t[i].expect_client_cert, t[i].protocol == UC_P_MTLS);
  }
}

static const struct {
  enum uc_transport t;
  enum uc_proto p;
  const char *app;
  const char *name;
  bool tls, secondary;
  enum probe_responder resp;
} cases[] = {
    {UC_TCP, UC_P_MTLS, "sip", "tls", true, true, PROBE_RESP_SIP},
    {UC_TCP, UC_P_HTTPS, "web", "tls", true, true, PROBE_RESP_HTTP},
    {UC_TCP, UC_P_MTLS, "web", "tls", true, true, PROBE_RESP_HTTP},
    {UC_TCP, UC_P_PSOM, "psom", "tls", true, false, PROBE_RESP_NONE},
    {UC_TCP, UC_P_MTLS, "dcom", "tls", true, false, PROBE_RESP_NONE},
    /* plain TCP rows naming what runs inside: the request is evidence, the listener answers */
    {UC_TCP, UC_P_TCP, "sip", "tcp", false, true, PROBE_RESP_SIP},
    {UC_TCP, UC_P_TCP, "web", "tcp", false, true, PROBE_RESP_HTTP},
    {UC_TCP, UC_P_RPC, "dcom", "tcp", false, false, PROBE_RESP_NONE},
    {UC_TCP, UC_P_SIP, NULL, "sip", false, false, PROBE_RESP_SIP},
    {UC_TCP, UC_P_XMPP, NULL, "xmpp", false, false, PROBE_RESP_XMPP},
    {UC_TCP, UC_P_STUN, "media", "stun", false, false, PROBE_RESP_STUN_TCP},
    {UC_UDP, UC_P_STUN, NULL, "stun", false, false, PROBE_RESP_STUN},
    {UC_UDP, UC_P_SQL_BROWSER, NULL, "sql-browser", false, false, PROBE_RESP_SQLB},
    {UC_UDP, UC_P_RTP, "media", "udp", false, false, PROBE_RESP_TOKEN},
};

static void test_lookup_cases(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const struct probe_choice *r = probe_lookup(cases[i].t, cases[i].p, cases[i].app);
    if (strcmp(r->name, cases[i].name) != 0 || r->tls != cases[i].tls ||
        r->app_is_secondary != cases[i].secondary || r->responder != cases[i].resp)
      fail_msg("case %zu (%s/%s): probe %s tls %d secondary %d responder %d", i,
               uc_proto_name(cases[i].p), cases[i].app ? cases[i].app : "-", r->name, r->tls,
               r->app_is_secondary, (int)r->responder);
  }
  assert_null(probe_range(UC_TCP)->app);
  assert_int_equal(probe_range(UC_TCP)->responder, PROBE_RESP_NONE);
  assert_ptr_equal(probe_range(UC_UDP)->app, &probe_udp);
  assert_int_equal(probe_range(UC_UDP)->responder, PROBE_RESP_TOKEN);
}

/* The plan resolves every check of every role once; ranges get the range rows. */
static void test_plan_keeps_the_row(void **state)
{
  (void)state;
  const char *roles[] = {"front-end",       "mediation",       "director",    "edge",
                         "persistent-chat", "office-web-apps", "lb-front-end"};
  for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
    struct topology t;
    struct plan p;
    struct uc_err err;
    assert_int_equal(topo_from_targets(&t, "198.18.1.11", roles[r], &test_catalog, &err), 0);
    assert_int_equal(plan_from_catalog(&p, &t, &test_catalog, "sfb2015", &err), 0);
    const struct plan_host *h = &p.hosts[0];
    for (size_t k = 0; k < h->nchecks; k++) {
      const struct plan_check *c = &h->checks[k];
      assert_non_null(c->proto);
      if (c->is_range)
        assert_ptr_equal(c->proto, probe_range(c->transport));
      else
        assert_ptr_equal(c->proto, probe_lookup(c->transport, c->protocol, c->application));
    }
    plan_free(&p);
    topo_free(&t);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rows_are_consistent),
      cmocka_unit_test(test_lookup_cases),
      cmocka_unit_test(test_plan_keeps_the_row),
  };
  return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
