/* tests/unit/test_examples.c - every topology in examples/ loads against the built-in
 * catalog and plans; the three documented deployments are there and look like what their
 * names say. Nothing is scanned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <cmocka.h>

#include "tests/support/catalog_fixture.h"

#include "model/plan.h"

static void example_path(const char *file, char *buf, size_t cap)
{
  const char *src = getenv("UC_SOURCE_DIR");
  snprintf(buf, cap, "%s/examples/%s", src ? src : ".", file);
}

static bool ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Documentation addresses only: 198.18.0.0/15 (RFC 2544 benchmarking), names under
 * contoso.test (RFC 2606). */
static bool in_benchmark_net(const char *a)
{
  struct in_addr in;
  if (inet_pton(AF_INET, a, &in) != 1)
    return false;
  uint32_t v = ntohl(in.s_addr);
  return (v & 0xFFFE0000u) == 0xC6120000u;
}

struct loaded {
  struct topology t;
  struct plan p;
};

static void load(const char *file, struct loaded *l)
{
  char path[1024];
  struct uc_err err;
  uc_err_clear(&err);
  example_path(file, path, sizeof(path));
  memset(l, 0, sizeof(*l));
  if (topo_load_file(&l->t, path, &test_catalog, &err) < 0)
    fail_msg("%s:%d:%d: %s", err.source, err.line, err.column, err.text);
  const char *product = l->t.product ? l->t.product : catalog_default_product(&test_catalog);
  if (plan_from_catalog(&l->p, &l->t, &test_catalog, product, &err) < 0)
    fail_msg("%s: plan: %s", file, err.text);
  assert_int_equal(l->p.nhosts, l->t.nhosts);
  for (size_t i = 0; i < l->t.nhosts; i++) {
    const struct topo_host *h = &l->t.hosts[i];
    if (!ends_with(h->name, ".contoso.test"))
      fail_msg("%s: host %s is not under contoso.test", file, h->name);
    if (h->pool && !ends_with(h->pool, ".contoso.test"))
      fail_msg("%s: pool %s is not under contoso.test", file, h->pool);
    if (h->address ? !in_benchmark_net(h->address) : !h->has_ifaces)
      fail_msg("%s: host %s: address %s is not in 198.18.0.0/15", file, h->name,
               h->address ? h->address : "(none)");
    for (int f = UC_IF_NONE + 1; f < UC_IF_COUNT; f++)
      if (h->ifaces[f] && !in_benchmark_net(h->ifaces[f]) &&
          !ends_with(h->ifaces[f], ".contoso.test"))
        fail_msg("%s: host %s: interface %s is neither in 198.18.0.0/15 nor under contoso.test",
                 file, h->name, h->ifaces[f]);
    size_t probed = 0;
    for (size_t k = 0; k < l->p.hosts[i].nchecks; k++)
      probed += l->p.hosts[i].checks[k].probe;
    if (probed == 0)
      fail_msg("%s: host %s has nothing to probe", file, h->name);
  }
}

static void unload(struct loaded *l)
{
  plan_free(&l->p);
  topo_free(&l->t);
}

static size_t with_role(const struct topology *t, const char *role)
{
  size_t n = 0;
  for (size_t i = 0; i < t->nhosts; i++)
    n += topo_has_role(&t->hosts[i], role) != 0;
  return n;
}

static const struct plan_check *find(const struct plan_host *h, unsigned port, enum uc_transport tr)
{
  for (size_t k = 0; k < h->nchecks; k++)
    if (!h->checks[k].is_range && h->checks[k].first == port && h->checks[k].transport == tr)
      return &h->checks[k];
  return NULL;
}

static const struct plan_host *plan_host(const struct loaded *l, const char *name)
{
  for (size_t i = 0; i < l->p.nhosts; i++)
    if (strcmp(l->p.hosts[i].name, name) == 0)
      return &l->p.hosts[i];
  fail_msg("no host %s", name);
  return NULL;
}

/* Every .json file in examples/ is valid, not only the three below. */
static void test_all_examples_load(void **state)
{
  (void)state;
  char dir[1024];
  example_path("", dir, sizeof(dir));
  DIR *d = opendir(dir);
  if (!d)
    fail_msg("cannot open %s (UC_SOURCE_DIR)", dir);
  struct dirent *de;
  size_t n = 0;
  while ((de = readdir(d)) != NULL) {
    if (!ends_with(de->d_name, ".json"))
      continue;
    struct loaded l;
    load(de->d_name, &l);
    unload(&l);
    n++;
  }
  closedir(d);
  assert_true(n >= 3);
}

static void test_standard_edition(void **state)
{
  (void)state;
  struct loaded l;
  load("standard-edition.json", &l);
  assert_int_equal(l.t.nhosts, 2);
  assert_int_equal(with_role(&l.t, "front-end"), 1);
  assert_int_equal(with_role(&l.t, "central-management-store"), 1);
  assert_int_equal(with_role(&l.t, "edge"), 1);
  /* Mediation collocated on the Standard Edition server: the same host. */
  const struct topo_host *se = NULL;
  for (size_t i = 0; i < l.t.nhosts; i++)
    if (topo_has_role(&l.t.hosts[i], "front-end"))
      se = &l.t.hosts[i];
  assert_non_null(se);
  assert_true(topo_has_role(se, "mediation"));
  /* which brings in the collocated-Mediation rows (5070 MTLS from the gateway side) */
  assert_non_null(find(plan_host(&l, se->name), 5070, UC_TCP));
  assert_non_null(find(plan_host(&l, se->name), 445, UC_TCP)); /* CMS replication */
  assert_non_null(find(plan_host(&l, "edge01.contoso.test"), 3478, UC_UDP));
  unload(&l);
}

static void test_enterprise_pool(void **state)
{
  (void)state;
  struct loaded l;
  load("enterprise-pool-hlb.json", &l);
  assert_int_equal(with_role(&l.t, "front-end"), 3);
  assert_int_equal(with_role(&l.t, "lb-front-end"), 1);
  assert_int_equal(with_role(&l.t, "director"), 2);
  assert_int_equal(with_role(&l.t, "lb-director"), 1);
  assert_int_equal(with_role(&l.t, "mediation"), 2);
  assert_int_equal(with_role(&l.t, "lb-mediation"), 1);
  assert_int_equal(with_role(&l.t, "edge"), 1);
  assert_int_equal(with_role(&l.t, "central-management-store"), 1);
  /* Pool members carry their pool's name (the VIP's), for the certificate check. */
  for (size_t i = 0; i < l.t.nhosts; i++) {
    const struct topo_host *h = &l.t.hosts[i];
    if (topo_has_role(h, "front-end"))
      assert_string_equal(h->pool, "pool01.contoso.test");
    if (topo_has_role(h, "director"))
      assert_string_equal(h->pool, "dirpool.contoso.test");
    if (topo_has_role(h, "mediation"))
      assert_string_equal(h->pool, "medpool.contoso.test");
  }
  /* The VIPs take the hardware load balancer rows. */
  assert_non_null(find(plan_host(&l, "pool01.contoso.test"), 5061, UC_TCP));
  assert_non_null(find(plan_host(&l, "pool01.contoso.test"), 443, UC_TCP));
  assert_non_null(find(plan_host(&l, "dirpool.contoso.test"), 5061, UC_TCP));
  assert_non_null(find(plan_host(&l, "medpool.contoso.test"), 5070, UC_TCP));
  assert_null(find(plan_host(&l, "medpool.contoso.test"), 5061, UC_TCP));
  unload(&l);
}

static void test_edge(void **state)
{
  (void)state;
  struct loaded l;
  load("edge-pool.json", &l);
  assert_true(l.t.nhosts == 1 || l.t.nhosts == 2);
  assert_int_equal(with_role(&l.t, "edge"), l.t.nhosts);
  for (size_t i = 0; i < l.p.nhosts; i++) {
    assert_non_null(find(&l.p.hosts[i], 443, UC_TCP));
    assert_non_null(find(&l.p.hosts[i], 5061, UC_TCP));
    assert_non_null(find(&l.p.hosts[i], 3478, UC_UDP));
  }
  unload(&l);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_all_examples_load),
      cmocka_unit_test(test_standard_edition),
      cmocka_unit_test(test_enterprise_pool),
      cmocka_unit_test(test_edge),
  };
  return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
