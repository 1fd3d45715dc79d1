/* tests/unit/test_portspec.c - the --ports language: both notations, and suggestions that are
 * themselves accepted. The values refused, with the message each gets, are cases in
 * tests/data/portspec/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
  /* every suggestion printed is accepted when typed back */
  const char *dym = strstr(err.text, "did you mean --ports ");
  if (dym) {
    char fix[256];
    const char *from = dym + strlen("did you mean --ports ");
    const char *q = strrchr(from, '?');
    snprintf(fix, sizeof(fix), "%.*s", q ? (int)(q - from) : 0, from);
    struct uc_err again;
    uc_err_clear(&again);
    if (!q || portspec_parse(fix, &v, &n, &again) < 0)
      return data_case_printf("suggested \"%s\", which is refused: %s\n", fix, again.text);
    free(v);
  }
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

/* parses `spec`: 0 and the items as "tcp:1-5,udp:9" text, or -1 */
static int items_text(const char *spec, char *buf, size_t cap)
{
  struct port_item *v;
  size_t n, used = 0;
  struct uc_err err;
  if (portspec_parse(spec, &v, &n, &err) < 0)
    return -1;
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%s:%u-%u", i ? "," : "",
                             uc_transport_name(v[i].transport), v[i].first, v[i].last);
  free(v);
  return 0;
}

static void expect_items(const char *spec, const char *want)
{
  char got[512];
  if (items_text(spec, got, sizeof(got)) < 0)
    fail_msg("refused \"%s\"", spec);
  if (strcmp(got, want) != 0)
    fail_msg("\"%s\": got %s, want %s", spec, got, want);
}

static void test_both_notations(void **state)
{
  (void)state;
  /* the port tables' notation: the transport after the port, for that item only */
  expect_items("5061/tcp", "tcp:5061-5061");
  expect_items("5061/udp", "udp:5061-5061");
  expect_items("1000-2000/tcp", "tcp:1000-2000");
  expect_items("tcp:80,3478/udp,443", "tcp:80-80,tcp:443-443,udp:3478-3478");
  /* any case, spaces around items */
  expect_items("TCP:80, 443/UDP", "tcp:80-80,udp:443-443");
  expect_items(" tcp:1-2 ,  udp:9 ", "tcp:1-2,udp:9-9");
  /* both transports, as `ucscan catalog` prints a range; nmap's T: and U: */
  expect_items("49152-57500/tcp+udp", "tcp:49152-57500,udp:49152-57500");
  expect_items("UDP+TCP:3478,80/tcp", "tcp:80-80,tcp:3478-3478,udp:3478-3478");
  expect_items("T:5061,443,U:3478", "tcp:443-443,tcp:5061-5061,udp:3478-3478");
  expect_items("u:3478", "udp:3478-3478");
}

/* A refusal that ends with a suggestion: the suggestion must be `fix` and must parse. */
static void expect_fix(const char *spec, int col, const char *needle, const char *fix)
{
  struct port_item *v = NULL;
  size_t n = 0;
  struct uc_err err;
  char want[200], got[512];
  uc_err_clear(&err);
  if (portspec_parse(spec, &v, &n, &err) == 0) {
    free(v);
    fail_msg("accepted \"%s\"", spec);
  }
  snprintf(want, sizeof(want), "; did you mean --ports %s?", fix);
  if (err.column != col || !strstr(err.text, needle) || !strstr(err.text, want))
    fail_msg("\"%s\": got col %d '%s', want %d '%s' and '%s'", spec, err.column, err.text, col,
             needle, want);
  if (items_text(fix, got, sizeof(got)) < 0)
    fail_msg("the suggestion \"%s\" for \"%s\" is refused", fix, spec);
}

static void test_suggestions_parse(void **state)
{
  (void)state;
  expect_fix("tcp5061", 1, "write the transport, a colon, then the port", "tcp:5061");
  expect_fix("udp3478,5060", 1, "a colon", "udp:3478,5060");
  expect_fix("tcp/5061", 1, "a colon", "tcp:5061");
  expect_fix("5061:tcp", 1, "the transport goes before the port", "5061/tcp");
  expect_fix("5061tcp", 5, "a slash goes between the port and the transport", "5061/tcp");
  expect_fix("5061", 1, "say which transport first", "tcp:5061");
  expect_fix("80/tcp,443", 8, "say which transport \"443\" is", "80/tcp,443/tcp");
  expect_fix("tpc:80", 1, "unknown transport \"tpc\"", "tcp:80");
  expect_fix("5061/tpc", 6, "unknown transport \"tpc\"", "5061/tcp");
  expect_fix("tcp:9-1", 5, "runs backwards (write 1-9)", "tcp:1-9");
  expect_fix("tcp:80,,81", 8, "empty item", "tcp:80,81");
  expect_fix("tcp:80,", 8, "empty item", "tcp:80");
  expect_fix("tcp:5061/tcp", 1, "gives its transport twice", "tcp:5061");
  expect_fix("5061/tc", 6, "unknown transport \"tc\"", "5061/tcp");
  expect_fix("5061/t", 6, "unknown transport \"t\"", "5061/tcp");
  expect_fix("5061/tcp,udp", 10, "5061/tcp+udp for both", "5061/tcp,5061/udp");
  expect_fix("tcp:*", 5, "every port is the range 1-65535", "tcp:1-65535");
  expect_fix("tcp:all", 5, "every port", "tcp:1-65535");
  expect_fix("udp:80,ALL", 8, "every port", "udp:80,1-65535");
  expect_fix("tcp:1024-", 10, "the last of all is 65535", "tcp:1024-65535");
  /* no guess when none is sure: another transport (the messages: tests/data/portspec/) */
  struct port_item *v;
  size_t n;
  struct uc_err err;
  assert_int_equal(portspec_parse("sctp:80", &v, &n, &err), -1);
  assert_null(strstr(err.text, "did you mean"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data_cases), cmocka_unit_test(test_normalised),
      cmocka_unit_test(test_both_notations), cmocka_unit_test(test_suggestions_parse)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
