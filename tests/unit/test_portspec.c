/* tests/unit/test_portspec.c - the --ports language. The values refused, with the message each
 * gets, are cases in tests/data/portspec/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/portspec.h"
#include "tests/support/data_cases.h"

/* tests/data/portspec/<case>/input is a --ports value (no newline at its end); expect is the
 * error as `ucscan` prints it, "--ports: column N: message" (tests/data/README.md). */
static char *portspec_case(const struct data_case *c, void *arg)
{
  (void)arg;
  struct port_item *v = NULL;
  size_t n = 0;
  struct uc_err err;
  uc_err_clear(&err);
  if (portspec_parse((const char *)c->input, &v, &n, &err) == 0) {
    free(v);
    return data_case_printf("accepted\n");
  }
  if (v)
    return data_case_printf("refused, but left items behind\n");
  return data_case_err(&err, NULL);
}

static void test_data_cases(void **state)
{
  (void)state;
  data_cases_run("portspec", DATA_TEXT, portspec_case, NULL);
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
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_data_cases),
                                     cmocka_unit_test(test_normalised)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
