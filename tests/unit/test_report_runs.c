/* tests/unit/test_report_runs.c - filtered_ports runs: ports come in the order their probes
 * finished, repeats included; the runs must come out sorted and whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "reports/report.h"

static void expect_runs(const uint16_t *ports, size_t n, const char *want)
{
  json_t *arr = report_port_runs(ports, n);
  char *got = json_dumps(arr, JSON_COMPACT);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
  json_decref(arr);
}

static void test_sorted(void **state)
{
  (void)state;
  const uint16_t p[] = {60000, 60001, 60002, 60010};
  expect_runs(p, 4, "[\"60000-60002\",\"60010-60010\"]");
}

static void test_completion_order(void **state)
{
  (void)state;
  /* seen in a full scan: 60000's retry finished after 60001-60047 */
  uint16_t p[50];
  size_t n = 0;
  for (uint16_t k = 60001; k <= 60047; k++)
    p[n++] = k;
  p[n++] = 60000;
  p[n++] = 60048;
  p[n++] = 60049;
  expect_runs(p, n, "[\"60000-60049\"]");
}

static void test_repeats_and_edges(void **state)
{
  (void)state;
  const uint16_t p[] = {65535, 1, 2, 2, 65534, 1};
  expect_runs(p, 6, "[\"1-2\",\"65534-65535\"]");
  expect_runs(NULL, 0, "[]");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sorted),
      cmocka_unit_test(test_completion_order),
      cmocka_unit_test(test_repeats_and_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
