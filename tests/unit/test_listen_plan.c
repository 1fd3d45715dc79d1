/* tests/unit/test_listen_plan.c - which ports a listener opens for a set of roles: the
 * scan's rules (inbound and probeable rows, when_role, product), merged per (port,
 * transport) by protocol rank, ranges expanded once each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listen/plan.h"

static struct catalog cat;

/* A site catalog with roles "lab" and "lab2" whose rows exercise the merge rules. */
static const char lab_rows[] =
    "{\"schema\": \"ucscan-catalog/1\",\n"
    " \"roles\": [{\"id\": \"lab\", \"name\": \"Lab\"}, {\"id\": \"lab2\", \"name\": \"Lab 2\"}],\n"
    " \"tables\": [{\"id\": \"t\", \"rows\": [\n"
    /* a TCP range with a single MTLS port inside it: the single check wins */
    "  {\"id\": \"lab-range\", \"products\": [\"sfb2015\"], \"roles\": [\"lab\"], \"seed_role\": "
    "\"l\","
    "   \"service\": \"s\", \"ports\": \"45000-45009\", \"transport\": [\"tcp\", \"udp\"],"
    "   \"protocol\": \"rtp\", \"application\": \"media\", \"seed_protocol\": \"x\","
    "   \"direction\": \"inbound\", \"peer\": \"Any\", \"optional\": false, \"probe\": true,"
    "   \"note\": \"\", \"source\": {\"file\": \"lab\", \"table\": \"t\", \"row\": 1}},\n"
    "  {\"id\": \"lab-5005\", \"products\": [\"sfb2015\"], \"roles\": [\"lab\"], \"seed_role\": "
    "\"l\","
    "   \"service\": \"s\", \"port\": 45005, \"transport\": [\"tcp\"],"
    "   \"protocol\": \"mtls\", \"application\": \"sip\", \"seed_protocol\": \"x\","
    "   \"direction\": \"inbound\", \"peer\": \"Any\", \"optional\": false, \"probe\": true,"
    "   \"note\": \"\", \"source\": {\"file\": \"lab\", \"table\": \"t\", \"row\": 2}},\n"
    /* an overlapping second range: every port once */
    "  {\"id\": \"lab-range2\", \"products\": [\"sfb2015\"], \"roles\": [\"lab\"], \"seed_role\": "
    "\"l\","
    "   \"service\": \"s\", \"ports\": \"45008-45012\", \"transport\": [\"tcp\"],"
    "   \"protocol\": \"tcp\", \"seed_protocol\": \"x\","
    "   \"direction\": \"both\", \"peer\": \"Any\", \"optional\": true, \"probe\": true,"
    "   \"note\": \"\", \"source\": {\"file\": \"lab\", \"table\": \"t\", \"row\": 3}},\n"
    /* outbound, not probeable, other product: none of them opens */
    "  {\"id\": \"lab-out\", \"products\": [\"sfb2015\"], \"roles\": [\"lab\"], \"seed_role\": "
    "\"l\","
    "   \"service\": \"s\", \"port\": 45100, \"transport\": [\"tcp\"],"
    "   \"protocol\": \"tls\", \"seed_protocol\": \"x\","
    "   \"direction\": \"outbound\", \"peer\": \"Any\", \"optional\": false, \"probe\": true,"
    "   \"note\": \"\", \"source\": {\"file\": \"lab\", \"table\": \"t\", \"row\": 4}},\n"
    "  {\"id\": \"lab-noprobe\", \"products\": [\"sfb2015\"], \"roles\": [\"lab\"], \"seed_role\": "
    "\"l\","
    "   \"service\": \"s\", \"port\": 45101, \"transport\": [\"udp\"],"
    "   \"protocol\": \"dhcp\", \"seed_protocol\": \"x\","
    "   \"direction\": \"inbound\", \"peer\": \"Any\", \"optional\": false, \"probe\": false,"
    "   \"skip_reason\": \"not a port\","
    "   \"note\": \"\", \"source\": {\"file\": \"lab\", \"table\": \"t\", \"row\": 5}},\n"
    "  {\"id\": \"lab-lync\", \"products\": [\"lync2013\"], \"roles\": [\"lab\"], \"seed_role\": "
    "\"l\","
    "   \"service\": \"s\", \"port\": 45102, \"transport\": [\"udp\"],"
    "   \"protocol\": \"stun\", \"seed_protocol\": \"x\","
    "   \"direction\": \"inbound\", \"peer\": \"Any\", \"optional\": false, \"probe\": true,"
    "   \"note\": \"\", \"source\": {\"file\": \"lab\", \"table\": \"t\", \"row\": 6}},\n"
    /* only on a lab host that is also lab2 */
    "  {\"id\": \"lab-when\", \"products\": [\"sfb2015\"], \"roles\": [\"lab\"], \"when_role\": "
    "\"lab2\","
    "   \"seed_role\": \"l\", \"service\": \"s\", \"port\": 45103, \"transport\": [\"udp\"],"
    "   \"protocol\": \"sql-browser\", \"seed_protocol\": \"x\","
    "   \"direction\": \"inbound\", \"peer\": \"Any\", \"optional\": false, \"probe\": true,"
    "   \"note\": \"\", \"source\": {\"file\": \"lab\", \"table\": \"t\", \"row\": 7}}\n"
    "]}]}";

static int setup(void **state)
{
  (void)state;
  struct uc_err err;
  if (catalog_load_builtin(&cat, &err) < 0)
    return -1;
  if (catalog_load_text(&cat, "lab.json", lab_rows, strlen(lab_rows), 0, &err) < 0) {
    fprintf(stderr, "%s:%d:%d: %s\n", err.source, err.line, err.column, err.text);
    return -1;
  }
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  catalog_free(&cat);
  return 0;
}

static const struct listen_port *need(const struct listen_plan *lp, unsigned port,
                                      enum uc_transport t)
{
  const struct listen_port *p = listen_plan_find(lp, (uint16_t)port, t);
  if (!p)
    fail_msg("port %u/%s not in the plan", port, uc_transport_name(t));
  return p;
}

static void test_mediation(void **state)
{
  (void)state;
  struct listen_plan lp;
  struct uc_err err;
  assert_int_equal(listen_plan_for_roles(&lp, &cat, "sfb2015", "mediation", &err), 0);
  /* 445 (the Central Management Store's push), 5067 tls, 5068 tcp, 5070 (tcp sip and mtls sip
   * merged: mtls), 49152-57500 on both transports, 1434/udp. */
  assert_int_equal(lp.ntcp, 4 + 8349);
  assert_int_equal(lp.nudp, 1 + 8349);
  assert_int_equal(lp.n, lp.ntcp + lp.nudp);
  assert_int_equal(need(&lp, 5070, UC_TCP)->protocol, UC_P_MTLS);
  assert_int_equal(need(&lp, 5070, UC_TCP)->proto->responder, PROBE_RESP_SIP);
  assert_int_equal(need(&lp, 5067, UC_TCP)->protocol, UC_P_TLS);
  assert_int_equal(need(&lp, 5068, UC_TCP)->protocol, UC_P_TCP);
  assert_false(need(&lp, 5068, UC_TCP)->in_range);
  assert_int_equal(need(&lp, 1434, UC_UDP)->protocol, UC_P_SQL_BROWSER);
  const struct listen_port *r = need(&lp, 49152, UC_UDP);
  assert_int_equal(r->protocol, UC_P_RTP);
  assert_true(r->in_range);
  need(&lp, 57500, UC_TCP);
  assert_null(listen_plan_find(&lp, 57501, UC_TCP));
  assert_null(listen_plan_find(&lp, 49151, UC_UDP));
  /* Collocated-mediation rows need front-end too (when_role); 5081/5082 are outbound. */
  assert_null(listen_plan_find(&lp, 5081, UC_TCP));
  /* Sorted: TCP first, then by port, no duplicates. */
  for (size_t i = 1; i < lp.n; i++) {
    const struct listen_port *a = &lp.v[i - 1], *b = &lp.v[i];
    assert_true(a->transport < b->transport || (a->transport == b->transport && a->port < b->port));
  }
  listen_plan_free(&lp);
}

static void test_front_end_ranges_merge(void **state)
{
  (void)state;
  struct listen_plan lp;
  struct uc_err err;
  assert_int_equal(listen_plan_for_roles(&lp, &cat, "sfb2015", "front-end", &err), 0);
  /* 49152-57500, 57501-65535 and 49152-65535 on TCP: every port of 49152-65535 once. */
  size_t tcp_range = 0, udp_range = 0;
  for (size_t i = 0; i < lp.n; i++) {
    if (!lp.v[i].in_range)
      continue;
    if (lp.v[i].transport == UC_TCP)
      tcp_range++;
    else
      udp_range++;
  }
  assert_int_equal(tcp_range, 65535 - 49152 + 1);
  assert_int_equal(udp_range, 65535 - 49152 + 1);
  assert_int_equal(need(&lp, 5061, UC_TCP)->protocol, UC_P_MTLS);
  assert_int_equal(need(&lp, 443, UC_TCP)->protocol, UC_P_HTTPS);
  /* Every server takes 445 inbound (the Central Management Store pushes to it: plain TCP); the
   * front end's outbound SMB row on the same port plays no part. */
  assert_int_equal(need(&lp, 445, UC_TCP)->protocol, UC_P_TCP);
  assert_null(listen_plan_find(&lp, 5066, UC_TCP)); /* outbound */
  listen_plan_free(&lp);
}

static void test_when_role(void **state)
{
  (void)state;
  struct listen_plan lp;
  struct uc_err err;
  assert_int_equal(listen_plan_for_roles(&lp, &cat, "sfb2015", "mediation,front-end", &err), 0);
  /* A mediation server collocated on a front end: its rows are the collocated ones (still
   * 5070 mtls through the mediation row), and nothing is doubled. */
  assert_int_equal(need(&lp, 5070, UC_TCP)->protocol, UC_P_MTLS);
  assert_null(listen_plan_find(&lp, 5081, UC_TCP)); /* outbound */
  listen_plan_free(&lp);

  assert_int_equal(listen_plan_for_roles(&lp, &cat, "sfb2015", "lab", &err), 0);
  assert_null(listen_plan_find(&lp, 45103, UC_UDP));
  listen_plan_free(&lp);
  assert_int_equal(listen_plan_for_roles(&lp, &cat, "sfb2015", "lab,lab2", &err), 0);
  assert_int_equal(need(&lp, 45103, UC_UDP)->protocol, UC_P_SQL_BROWSER);
  listen_plan_free(&lp);
}

static void test_merge_rank(void **state)
{
  (void)state;
  struct listen_plan lp;
  struct uc_err err;
  assert_int_equal(listen_plan_for_roles(&lp, &cat, "sfb2015", "lab", &err), 0);
  /* TCP 45000-45012 (two overlapping ranges), UDP 45000-45009. */
  assert_int_equal(lp.ntcp, 13);
  assert_int_equal(lp.nudp, 10);
  const struct listen_port *p = need(&lp, 45005, UC_TCP);
  assert_int_equal(p->protocol, UC_P_MTLS); /* the single check outranks the range */
  assert_false(p->in_range);
  assert_int_equal(p->proto->responder, PROBE_RESP_SIP);
  assert_int_equal(need(&lp, 45005, UC_UDP)->protocol, UC_P_RTP);
  assert_true(need(&lp, 45005, UC_UDP)->in_range);
  assert_int_equal(need(&lp, 45012, UC_TCP)->protocol, UC_P_TCP); /* direction "both" */
  assert_null(listen_plan_find(&lp, 45100, UC_TCP));              /* outbound */
  assert_null(listen_plan_find(&lp, 45101, UC_UDP));              /* probe false */
  assert_null(listen_plan_find(&lp, 45102, UC_UDP));              /* lync2013 only */
  listen_plan_free(&lp);
  assert_int_equal(listen_plan_for_roles(&lp, &cat, "lync2013", "lab", &err), 0);
  assert_int_equal(lp.n, 1);
  assert_int_equal(need(&lp, 45102, UC_UDP)->protocol, UC_P_STUN);
  listen_plan_free(&lp);
}

static void test_edge_and_errors(void **state)
{
  (void)state;
  struct listen_plan lp;
  struct uc_err err;
  assert_int_equal(listen_plan_for_roles(&lp, &cat, "sfb2015", "edge", &err), 0);
  assert_int_equal(need(&lp, 3478, UC_UDP)->protocol, UC_P_STUN);
  assert_int_equal(need(&lp, 5269, UC_TCP)->protocol, UC_P_XMPP);
  assert_int_equal(need(&lp, 23456, UC_TCP)->protocol, UC_P_MTLS);
  assert_null(listen_plan_find(&lp, 50000, UC_TCP)); /* outbound media range */
  /* the internal interface's rows (SfB 2015 Edge page) */
  assert_int_equal(need(&lp, 8057, UC_TCP)->protocol, UC_P_MTLS);
  assert_int_equal(need(&lp, 5062, UC_TCP)->protocol, UC_P_MTLS);
  assert_int_equal(need(&lp, 4443, UC_TCP)->protocol, UC_P_HTTPS);
  assert_int_equal(need(&lp, 50002, UC_TCP)->protocol, UC_P_TCP);
  /* 443, 3478, 5061, 5062, 5269, 8057, 4443, 23456, 50001-50003 */
  assert_int_equal(lp.n, 11);
  listen_plan_free(&lp);

  assert_int_equal(listen_plan_for_roles(&lp, &cat, "sfb2015", "no-such-role", &err), -1);
  assert_non_null(strstr(err.text, "no-such-role"));
  assert_int_equal(listen_plan_for_roles(&lp, &cat, "sfb2099", "edge", &err), -1);
  assert_non_null(strstr(err.text, "sfb2099"));
  assert_null(lp.v);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mediation),       cmocka_unit_test(test_front_end_ranges_merge),
      cmocka_unit_test(test_when_role),       cmocka_unit_test(test_merge_rank),
      cmocka_unit_test(test_edge_and_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
