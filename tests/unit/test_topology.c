/* tests/unit/test_topology.c - strict topology validation with positions. The files refused,
 * with the message each gets, are cases in tests/data/topology/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/support/catalog_fixture.h"
#include "tests/support/data_cases.h"

#include "model/topology.h"

static char *write_tmp(const char *text)
{
  static char path[64];
  snprintf(path, sizeof(path), "/tmp/uc-topo-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

static void test_valid_topology(void **state)
{
  (void)state;
  const char *text =
      "{\"name\": \"contoso\", \"product\": \"lync2013\", \"hosts\": [\n"
      " {\"name\": \"fe01.contoso.test\", \"address\": \"198.18.1.11\","
      "  \"roles\": [\"front-end\", \"mediation\"], \"pool\": \"pool.contoso.test\"},\n"
      " {\"name\": \"edge.contoso.test\", \"address\": \"2001:db8::5\", \"roles\": [\"edge\"]},\n"
      " {\"name\": \"dir01.contoso.test.\", \"roles\": [\"director\"]}]}";
  struct topology t;
  struct uc_err err;
  char *path = write_tmp(text);
  assert_int_equal(topo_load_file(&t, path, &test_catalog, &err), 0);
  unlink(path);
  assert_string_equal(t.name, "contoso");
  assert_string_equal(t.product, "lync2013");
  assert_int_equal(t.nhosts, 3);
  assert_int_equal(t.hosts[0].nroles, 2);
  assert_string_equal(t.hosts[0].pool, "pool.contoso.test");
  assert_string_equal(t.hosts[1].address, "2001:db8::5");
  assert_null(t.hosts[2].address);
  assert_true(topo_has_role(&t.hosts[0], "mediation"));
  topo_free(&t);
}

/* tests/data/topology/<case>/input is a topology file; expect is the error as `ucscan` prints
 * it, "input:LINE:COLUMN: message" (tests/data/README.md). */
static char *topology_case(const struct data_case *c, void *arg)
{
  (void)arg;
  struct topology t;
  struct uc_err err;
  uc_err_clear(&err);
  int rc = topo_load_file(&t, c->path, &test_catalog, &err);
  if (rc == 0)
    topo_free(&t);
  return data_case_load_result(c, rc, &err);
}

static void test_data_cases(void **state)
{
  (void)state;
  data_cases_run("topology", DATA_TEXT, topology_case, NULL);
}

static void test_huge_missing_and_directory(void **state)
{
  (void)state;
  struct topology t;
  struct uc_err err;
  char path[] = "/tmp/uc-topo-big-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  /* 17 MiB (of zero bytes): refused by size before it is parsed. */
  assert_int_equal(ftruncate(fd, 17 * 1024 * 1024), 0);
  close(fd);
  assert_int_equal(topo_load_file(&t, path, &test_catalog, &err), -1);
  assert_non_null(strstr(err.text, "too large"));
  unlink(path);
  assert_int_equal(topo_load_file(&t, "/nonexistent/topo.json", &test_catalog, &err), -1);
  assert_non_null(strstr(err.text, "cannot open"));
  assert_int_equal(topo_load_file(&t, "/tmp", &test_catalog, &err), -1);
  assert_non_null(strstr(err.text, "directory"));
}

static void test_byte_order_mark(void **state)
{
  (void)state;
  struct topology t;
  struct uc_err err;
  uc_err_clear(&err);
  char *path =
      write_tmp("\xef\xbb\xbf{\"hosts\": [{\"name\": \"a.test\", \"roles\": [\"edge\"]}]}\r\n");
  int rc = topo_load_file(&t, path, &test_catalog, &err);
  unlink(path);
  if (rc != 0)
    fail_msg("a topology with a byte order mark: %s", err.text);
  assert_int_equal(t.nhosts, 1);
  assert_string_equal(t.hosts[0].name, "a.test");
  topo_free(&t);
}

static void test_targets(void **state)
{
  (void)state;
  struct topology t;
  struct uc_err err;
  assert_int_equal(
      topo_from_targets(&t, "198.18.0.2,dir.contoso.test", "director,edge", &test_catalog, &err),
      0);
  assert_int_equal(t.nhosts, 2);
  assert_string_equal(t.hosts[0].address, "198.18.0.2");
  assert_null(t.hosts[1].address);
  assert_int_equal(t.hosts[1].nroles, 2);
  topo_free(&t);
  assert_int_equal(topo_from_targets(&t, "a.test", "nope", &test_catalog, &err), -1);
  assert_non_null(strstr(err.text, "unknown role \"nope\""));
  assert_int_equal(topo_from_targets(&t, "a.test,a.test", "edge", &test_catalog, &err), -1);
  assert_int_equal(topo_from_targets(&t, ",,", "edge", &test_catalog, &err), -1);
  /* an empty item is said, with its column; a role twice too */
  assert_int_equal(topo_from_targets(&t, "a.test,", "edge", &test_catalog, &err), -1);
  assert_int_equal(err.column, 8);
  assert_non_null(strstr(err.text, "empty item"));
  assert_int_equal(topo_from_targets(&t, "a.test", "edge, ,director", &test_catalog, &err), -1);
  assert_int_equal(err.column, 6);
  assert_int_equal(topo_from_targets(&t, "a.test", "edge,edge", &test_catalog, &err), -1);
  assert_non_null(strstr(err.text, "role \"edge\" listed twice"));
  assert_int_equal(topo_from_targets(&t, "bad host", "edge", &test_catalog, &err), -1);
  assert_int_equal(topo_from_targets(&t, "::1", NULL, &test_catalog, &err), 0);
  assert_string_equal(t.hosts[0].address, "::1");
  topo_free(&t);
}

static void test_hostname_rules(void **state)
{
  (void)state;
  assert_true(topo_valid_hostname("fe01.contoso.test"));
  assert_true(topo_valid_hostname("fe01.contoso.test."));
  assert_true(topo_valid_hostname("localhost"));
  assert_false(topo_valid_hostname(""));
  assert_false(topo_valid_hostname("."));
  assert_false(topo_valid_hostname("-a.test"));
  assert_false(topo_valid_hostname("a-.test"));
  assert_false(topo_valid_hostname("a..test"));
  assert_false(topo_valid_hostname("a b.test"));
  char longlabel[80];
  memset(longlabel, 'a', 64);
  longlabel[64] = '\0';
  assert_false(topo_valid_hostname(longlabel));
  assert_int_equal(topo_address_family("198.18.0.1"), 4);
  assert_int_equal(topo_address_family("fe80::1"), 6);
  assert_int_equal(topo_address_family("198.18.0"), 0);
  /* no top-level domain is all digits: a mistyped address, not a name to ask DNS for */
  assert_false(topo_valid_hostname("1.2.3.4.5"));
  assert_false(topo_valid_hostname("198.18.0"));
  assert_true(topo_valid_hostname("fe01.2015.test"));
  assert_true(topo_valid_hostname("3com"));
}

static void expect_problem(const char *s, const char *needle)
{
  char why[300] = "";
  if (!topo_address_problem(s, why, sizeof(why)))
    fail_msg("no problem found with \"%s\"", s);
  if (!strstr(why, needle))
    fail_msg("\"%s\": got '%s', want '%s'", s, why, needle);
}

static void test_addresses_that_mean_something_else(void **state)
{
  (void)state;
  /* what getaddrinfo() would make of them: another host than the one written */
  expect_problem("127.0.0.060", "read as the IPv4 address 127.0.0.48");
  expect_problem("10.1.1.010", "read as the IPv4 address 10.1.1.8");
  expect_problem("0x7f000001", "read as the IPv4 address 127.0.0.1");
  expect_problem("2130706492", "read as the IPv4 address 127.0.0.60");
  expect_problem("127.1", "read as the IPv4 address 127.0.0.1");
  /* no host's address */
  expect_problem("0.0.0.0", "the unspecified address");
  expect_problem("0.1.2.3", "0.0.0.0/8");
  expect_problem("255.255.255.255", "the broadcast address");
  expect_problem("239.1.2.3", "a multicast address");
  expect_problem("::", "the unspecified address");
  expect_problem("ff02::1", "a multicast address");
  char why[300];
  assert_false(topo_address_problem("198.18.0.1", why, sizeof(why)));
  assert_false(topo_address_problem("127.0.0.1", why, sizeof(why)));
  assert_false(topo_address_problem("::1", why, sizeof(why)));
  assert_false(topo_address_problem("fe01.contoso.test", why, sizeof(why)));
  /* in --target (in a file: tests/data/topology/name-octal-ipv4, address-unspecified, ...) */
  struct topology t;
  struct uc_err err;
  assert_int_equal(topo_from_targets(&t, "198.18.0.2,198.18.0.010", "edge", &test_catalog, &err),
                   -1);
  assert_non_null(strstr(err.text, "read as the IPv4 address 198.18.0.8"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_topology),
      cmocka_unit_test(test_data_cases),
      cmocka_unit_test(test_huge_missing_and_directory),
      cmocka_unit_test(test_targets),
      cmocka_unit_test(test_hostname_rules),
      cmocka_unit_test(test_addresses_that_mean_something_else),
      cmocka_unit_test(test_byte_order_mark),
  };
  return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
