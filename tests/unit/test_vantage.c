/* tests/unit/test_vantage.c - where a scan stands (contract v2): the topology's "vantage" and
 * "interfaces", and how the plan sends each row to its interface and skips what the vantage
 * cannot test. A small catalog of its own keeps the cases readable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "model/plan.h"
#include "model/topology.h"

/* tests/data/vantage/catalog.json: an Edge's internal 5061 (servers), its Access 5061 and
 * 443 (internet), Web Conferencing 443 (internet), A/V 3478/udp (internet, clients); a Front
 * End's 5061 (servers, clients); a VIP's 5070 when its pool runs Mediation; an outbound row. */
static struct catalog cat;

static int setup(void **state)
{
  (void)state;
  struct uc_err err;
  char path[4096];
  const char *src = getenv("UC_SOURCE_DIR");
  snprintf(path, sizeof(path), "%s/tests/data/vantage/catalog.json", src ? src : ".");
  memset(&cat, 0, sizeof(cat));
  if (catalog_load_file(&cat, path, &err) < 0) {
    fprintf(stderr, "catalog: %d:%d: %s\n", err.line, err.column, err.text);
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

static void load(struct topology *t, const char *text)
{
  struct uc_err err;
  uc_err_clear(&err);
  if (topo_load_text(t, "topo.json", text, strlen(text), &cat, &err) < 0)
    fail_msg("topology refused: %d:%d %s", err.line, err.column, err.text);
}

static void refused(const char *text, const char *needle)
{
  struct topology t;
  struct uc_err err;
  uc_err_clear(&err);
  if (topo_load_text(&t, "topo.json", text, strlen(text), &cat, &err) == 0) {
    topo_free(&t);
    fail_msg("accepted: %s", text);
  }
  if (!strstr(err.text, needle))
    fail_msg("error '%s' lacks '%s'", err.text, needle);
}

static const struct plan_check *find(const struct plan_host *h, unsigned port, enum uc_transport tr,
                                     enum uc_iface f)
{
  for (size_t i = 0; i < h->nchecks; i++) {
    const struct plan_check *c = &h->checks[i];
    if (c->first == port && c->transport == tr && c->iface == f)
      return c;
  }
  return NULL;
}

static const char edge_topo[] =
    "{\"name\": \"t\", \"vantage\": \"internet\", \"hosts\": [\n"
    " {\"name\": \"edge01.contoso.test\", \"roles\": [\"edge\"],\n"
    "  \"interfaces\": {\"internal\": \"198.18.80.41\", \"access\": \"sip.contoso.test\",\n"
    "                  \"av\": \"198.18.81.43\"}}]}";

static void test_topology_reads_vantage_and_interfaces(void **state)
{
  (void)state;
  struct topology t;
  load(&t, edge_topo);
  assert_true(t.has_vantage);
  assert_int_equal(t.vantage, UC_V_INTERNET);
  assert_true(t.hosts[0].has_ifaces);
  assert_string_equal(t.hosts[0].ifaces[UC_IF_INTERNAL], "198.18.80.41");
  assert_string_equal(t.hosts[0].ifaces[UC_IF_ACCESS], "sip.contoso.test");
  assert_null(t.hosts[0].ifaces[UC_IF_WEBCONF]);
  assert_null(t.hosts[0].address);
  topo_free(&t);
}

static void test_topology_errors(void **state)
{
  (void)state;
  refused("{\"vantage\": \"dmz\", \"hosts\": [{\"name\": \"a.test\", \"roles\": [\"edge\"]}]}",
          "unknown vantage \"dmz\"");
  refused("{\"hosts\": [{\"name\": \"a.test\", \"roles\": [\"edge\"], \"interfaces\": "
          "{\"external\": \"198.18.80.1\"}}]}",
          "unknown key \"external\"");
  refused("{\"hosts\": [{\"name\": \"a.test\", \"roles\": [\"edge\"], \"interfaces\": {}}]}",
          "\"interfaces\" is empty");
  refused("{\"hosts\": [{\"name\": \"a.test\", \"roles\": [\"edge\"], \"interfaces\": "
          "{\"av\": \"198.18.80.256\"}}]}",
          "neither an IPv4/IPv6 address nor a host name");
  refused("{\"hosts\": [{\"name\": \"fe.test\", \"roles\": [\"front-end\"], \"interfaces\": "
          "{\"internal\": \"198.18.80.1\"}}]}",
          "has no role \"edge\"");
  refused("{\"hosts\": [{\"name\": \"fe.test\", \"address\": \"198.18.80.1\", \"roles\": "
          "[\"front-end\"]},\n {\"name\": \"e.test\", \"roles\": [\"edge\"], \"interfaces\": "
          "{\"internal\": \"198.18.80.1\"}}]}",
          "address 198.18.80.1 is also host \"fe.test\"");
}

static void test_rows_go_to_their_interface(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  struct uc_err err;
  load(&t, edge_topo);
  assert_int_equal(plan_build(&p, &t, &cat, "p", UC_V_ANY, &err), 0);
  const struct plan_host *h = &p.hosts[0];
  const struct plan_check *c = find(h, 5061, UC_TCP, UC_IF_INTERNAL);
  assert_non_null(c);
  assert_true(c->probe);
  assert_string_equal(plan_check_target(h, c)->spec, "198.18.80.41");
  c = find(h, 5061, UC_TCP, UC_IF_ACCESS);
  assert_non_null(c);
  assert_true(c->probe);
  assert_string_equal(plan_check_target(h, c)->spec, "sip.contoso.test");
  assert_string_equal(plan_target_name(h, plan_check_target(h, c)), "sip.contoso.test");
  /* Web conferencing: no address given, so skipped, saying how to give one. */
  c = find(h, 443, UC_TCP, UC_IF_WEBCONF);
  assert_non_null(c);
  assert_false(c->probe);
  assert_non_null(strstr(c->skip_reason, "no address for the Edge's webconf interface"));
  /* Access 443 and webconf 443 are separate checks on separate addresses. */
  assert_non_null(find(h, 443, UC_TCP, UC_IF_ACCESS));
  /* The host's own name has nothing to probe: it is never resolved. */
  assert_false(h->targets[0].probe);
  plan_free(&p);
  topo_free(&t);
}

static void test_vantage_skips_what_it_cannot_test(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  struct uc_err err;
  load(&t, edge_topo);
  assert_int_equal(plan_build(&p, &t, &cat, "p", UC_V_INTERNET, &err), 0);
  const struct plan_host *h = &p.hosts[0];
  const struct plan_check *c = find(h, 5061, UC_TCP, UC_IF_INTERNAL);
  assert_false(c->probe);
  assert_string_equal(c->skip_reason, "not testable from the Internet: needs a scan from the "
                                      "server network (--from servers)");
  /* The internal interface's address is then not even resolved. */
  assert_false(plan_check_target(h, c)->probe);
  assert_true(find(h, 5061, UC_TCP, UC_IF_ACCESS)->probe);
  plan_free(&p);
  assert_int_equal(plan_build(&p, &t, &cat, "p", UC_V_PSTN, &err), 0);
  h = &p.hosts[0];
  c = find(h, 3478, UC_UDP, UC_IF_AV);
  assert_false(c->probe);
  assert_string_equal(c->skip_reason,
                      "not testable from the PSTN gateway network: needs a scan from the "
                      "client network or the Internet (--from clients, internet)");
  plan_free(&p);
  topo_free(&t);
}

static void test_address_only_edge_merges_interfaces(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  struct uc_err err;
  load(&t, "{\"hosts\": [{\"name\": \"edge.test\", \"address\": \"198.18.80.9\", "
           "\"roles\": [\"edge\"]}]}");
  assert_int_equal(plan_build(&p, &t, &cat, "p", UC_V_ANY, &err), 0);
  const struct plan_host *h = &p.hosts[0];
  assert_int_equal(h->ntargets, 1);
  /* internal and access 5061 merge into one check on the one address: no single interface */
  const struct plan_check *c = find(h, 5061, UC_TCP, UC_IF_NONE);
  assert_non_null(c);
  assert_int_equal(c->nreqs, 2);
  assert_int_equal(c->from, (1u << UC_V_SERVERS) | (1u << UC_V_INTERNET));
  assert_non_null(find(h, 3478, UC_UDP, UC_IF_AV));
  plan_free(&p);
  topo_free(&t);
}

static void test_vip_takes_rows_of_its_pool_members(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  struct uc_err err;
  /* A Front End pool whose members also run Mediation: its VIP takes 5070. */
  load(&t, "{\"hosts\": [\n"
           " {\"name\": \"pool.test\", \"address\": \"198.18.80.20\", \"roles\": "
           "[\"lb-front-end\"]},\n"
           " {\"name\": \"fe1.test\", \"address\": \"198.18.80.21\", \"pool\": \"pool.test\", "
           "\"roles\": [\"front-end\", \"mediation\"]}]}");
  assert_int_equal(plan_build(&p, &t, &cat, "p", UC_V_ANY, &err), 0);
  assert_non_null(find(&p.hosts[0], 5070, UC_TCP, UC_IF_NONE));
  plan_free(&p);
  topo_free(&t);
  /* Without Mediation in the pool: no 5070. */
  load(&t, "{\"hosts\": [\n"
           " {\"name\": \"pool.test\", \"address\": \"198.18.80.20\", \"roles\": "
           "[\"lb-front-end\"]},\n"
           " {\"name\": \"fe1.test\", \"address\": \"198.18.80.21\", \"pool\": \"pool.test\", "
           "\"roles\": [\"front-end\"]}]}");
  assert_int_equal(plan_build(&p, &t, &cat, "p", UC_V_ANY, &err), 0);
  assert_null(find(&p.hosts[0], 5070, UC_TCP, UC_IF_NONE));
  plan_free(&p);
  topo_free(&t);
}

static void test_outbound_keeps_its_reason_from_any_vantage(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  struct uc_err err;
  load(&t, "{\"hosts\": [{\"name\": \"fe1.test\", \"address\": \"198.18.80.21\", "
           "\"roles\": [\"front-end\"]}]}");
  assert_int_equal(plan_build(&p, &t, &cat, "p", UC_V_CLIENTS, &err), 0);
  const struct plan_check *c = find(&p.hosts[0], 5066, UC_TCP, UC_IF_NONE);
  assert_false(c->probe);
  assert_non_null(strstr(c->skip_reason, "outbound from front-end"));
  assert_true(find(&p.hosts[0], 5061, UC_TCP, UC_IF_NONE)->probe);
  plan_free(&p);
  topo_free(&t);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_topology_reads_vantage_and_interfaces),
      cmocka_unit_test(test_topology_errors),
      cmocka_unit_test(test_rows_go_to_their_interface),
      cmocka_unit_test(test_vantage_skips_what_it_cannot_test),
      cmocka_unit_test(test_address_only_edge_merges_interfaces),
      cmocka_unit_test(test_vip_takes_rows_of_its_pool_members),
      cmocka_unit_test(test_outbound_keeps_its_reason_from_any_vantage),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
