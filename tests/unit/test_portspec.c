/* tests/unit/test_portspec.c - the --ports language. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/portspec.h"

static void expect_error(const char *spec, int col, const char *needle)
{
  struct port_item *v = NULL;
  size_t n = 0;
  struct uc_err err;
  uc_err_clear(&err);
  if (portspec_parse(spec, &v, &n, &err) == 0) {
    free(v);
    fail_msg("accepted \"%s\"", spec);
  }
  if (err.column != col || !strstr(err.text, needle))
    fail_msg("\"%s\": got col %d '%s', want %d '%s'", spec, err.column, err.text, col, needle);
  assert_string_equal(err.source, "--ports");
  assert_null(v);
}

static void test_bad_specs(void **state)
{
  (void)state;
  expect_error("tcp:0", 5, "out of range");
  expect_error("tcp:70000", 5, "out of range");
  expect_error("tcp:5-1", 5, "runs backwards");
  expect_error("udp:", 5, "expected a port number");
  expect_error("", 1, "empty port list");
  expect_error("80", 1, "say which transport first");
  expect_error("sctp:80", 1, "unknown transport");
  expect_error("tcp:80,,81", 8, "empty item");
  expect_error("tcp:80x", 7, "unexpected");
  expect_error("tcp:1-", 7, "last port of the range");
  expect_error("tcp:99999999999999999999", 5, "port 99999999999999999999 is out of range");
  expect_error("tcp:80-99999999", 8, "port 99999999 is out of range");
}

static void test_normalised(void **state)
{
  (void)state;
  struct port_item *v;
  size_t n;
  struct uc_err err;
  assert_int_equal(
      portspec_parse("tcp:443,1-1024,udp:3478,tcp:5061,5061,2000-3000,2500-4000", &v, &n, &err), 0);
  /* tcp 1-1024 swallows 443; 2000-3000 and 2500-4000 merge; 5061 once; udp last. */
  assert_int_equal(n, 4);
  assert_true(v[0].transport == UC_TCP && v[0].first == 1 && v[0].last == 1024 && v[0].is_range);
  assert_true(v[1].first == 2000 && v[1].last == 4000 && v[1].is_range);
  assert_true(v[2].first == 5061 && !v[2].is_range);
  assert_true(v[3].transport == UC_UDP && v[3].first == 3478);
  free(v);
  assert_int_equal(portspec_parse("tcp:1-65535", &v, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_int_equal(v[0].last, 65535);
  free(v);
  assert_int_equal(portspec_parse("udp:7-7", &v, &n, &err), 0);
  assert_false(v[0].is_range); /* a one-port range is a port */
  free(v);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_bad_specs),
                                     cmocka_unit_test(test_normalised)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
