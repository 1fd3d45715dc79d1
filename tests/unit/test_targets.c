/* tests/unit/test_targets.c - --target lists and --targets-file files (model/targets.h): CIDR
 * blocks and ranges expanded before any resolution, the cap, duplicates, positions; and role
 * and product ids as people type them (model/names.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/support/catalog_fixture.h"

#include "model/names.h"
#include "model/targets.h"
#include "model/topology.h"

/* The list's names joined with ",", after adding `text`; NULL when refused. */
static const char *expand(const char *text, char *buf, size_t cap)
{
  struct target_list l = {0};
  struct uc_err err;
  size_t used = 0;
  if (targets_add_text(&l, "--target", text, &err) < 0) {
    targets_free(&l);
    return NULL;
  }
  buf[0] = '\0';
  for (size_t i = 0; i < l.n && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", l.v[i].name);
  targets_free(&l);
  return buf;
}

static void expect_hosts(const char *text, const char *want)
{
  char buf[4096];
  const char *got = expand(text, buf, sizeof(buf));
  if (!got || strcmp(got, want) != 0)
    fail_msg("\"%s\": got %s, want %s", text, got ? got : "(refused)", want);
}

static void expect_refused(const char *text, int col, const char *needle)
{
  struct target_list l = {0};
  struct uc_err err;
  uc_err_clear(&err);
  int rc = targets_add_text(&l, "--target", text, &err);
  targets_free(&l);
  if (rc == 0)
    fail_msg("accepted \"%s\"", text);
  if (err.line != 0 || err.column != col || strcmp(err.source, "--target") != 0 ||
      !strstr(err.text, needle))
    fail_msg("\"%s\": got %s:%d:%d '%s', want col %d '%s'", text, err.source, err.line, err.column,
             err.text, col, needle);
}

static void test_blocks_and_ranges(void **state)
{
  (void)state;
  /* a block's hosts: no network or broadcast address from /30 up; /31 and /32 whole */
  expect_hosts("198.18.1.0/30", "198.18.1.1,198.18.1.2");
  expect_hosts("198.18.1.5/28",
               "198.18.1.1,198.18.1.2,198.18.1.3,198.18.1.4,198.18.1.5,198.18.1.6,198.18.1.7,"
               "198.18.1.8,198.18.1.9,198.18.1.10,198.18.1.11,198.18.1.12,198.18.1.13,"
               "198.18.1.14");
  expect_hosts("198.18.1.6/31", "198.18.1.6,198.18.1.7");
  expect_hosts("198.18.1.6/32", "198.18.1.6");
  expect_hosts("2001:db8::10/126", "2001:db8::10,2001:db8::11,2001:db8::12,2001:db8::13");
  /* ranges: the last byte, or a whole address */
  expect_hosts("127.0.0.12-14", "127.0.0.12,127.0.0.13,127.0.0.14");
  expect_hosts("198.18.1.254-198.18.2.1", "198.18.1.254,198.18.1.255,198.18.2.0,198.18.2.1");
  expect_hosts("198.18.1.7-7", "198.18.1.7");
  /* names with dashes stay names; a name is never expanded */
  expect_hosts("web-01.contoso.test,fe01-2.contoso.test",
               "web-01.contoso.test,fe01-2.contoso.test");
  /* overlaps: a host an expansion covers is kept once, in its first place */
  expect_hosts("198.18.1.2,198.18.1.0/30", "198.18.1.2,198.18.1.1");
  expect_hosts("198.18.1.0/30,198.18.1.1-3", "198.18.1.1,198.18.1.2,198.18.1.3");
}

static void test_refused(void **state)
{
  (void)state;
  expect_refused("198.18.1.1,198.18.1.1", 12, "target \"198.18.1.1\" given twice");
  expect_refused("a.test,A.TEST.", 8, "given twice");
  expect_refused("10.0.0.0/8", 1, "expands to 16777214 hosts; a scan takes at most 4096");
  expect_refused("198.18.0.0/21,198.18.64.0/20", 15, "(with the targets before it)");
  expect_refused("2001:db8::/64", 1, "expands to 2^64 hosts");
  expect_refused("198.18.1.0/33", 1, "the prefix length must be a number from 0 to 32");
  expect_refused("198.18.1.0/x", 1, "the prefix length");
  expect_refused("fe01.contoso.test/24", 1, "a block is an address and a prefix length");
  expect_refused("198.18.1.20-10", 1, "runs backwards (write 198.18.1.10-20)");
  expect_refused("198.18.1.20-256", 1, "last byte must be a number from 0 to 255");
  expect_refused("198.18.1.20-198.18.1.300", 1, "is not an IPv4 address");
  expect_refused("224.0.0.0/30", 1, "\"224.0.0.1\" is a multicast address");
  expect_refused("0.0.0.0/31", 1, "the unspecified address");
  expect_refused("a.test,,b.test", 8, "empty item");
  expect_refused("not a host", 1, "is not a host name, an address, a block");
  expect_refused("198.18.0.010", 1, "read as the IPv4 address 198.18.0.8");
  /* an endpoint as nmap's and Test-NetConnection's users write it: the port goes to --ports */
  expect_refused("a.test,sip.contoso.com:5061", 8,
                 "\"sip.contoso.com:5061\" names a port: give the host here and the port with "
                 "--ports (did you mean --target sip.contoso.com --ports 5061/tcp?)");
  expect_refused("198.18.1.20:443", 1, "did you mean --target 198.18.1.20 --ports 443/tcp?");
  expect_refused("[2001:db8::1]:5061", 1, "did you mean --target 2001:db8::1 --ports 5061/tcp?");
  /* found on its own, for the command line to say so before it asks for --role or --ports */
  struct uc_err err;
  uc_err_clear(&err);
  assert_int_equal(targets_find_endpoint("--target", "a.test, [::1]:5061", &err), -1);
  assert_int_equal(err.column, 9);
  assert_non_null(strstr(err.text, "did you mean --target ::1 --ports 5061/tcp?"));
  assert_int_equal(targets_find_endpoint("--target", "a.test,198.18.1.0/28,2001:db8::1", &err), 0);
  /* the cap holds exactly: 4096 hosts pass, one more does not */
  char buf[64 * 1024];
  assert_non_null(expand("198.18.0.0/20,198.18.16.0,198.18.16.255", buf, sizeof(buf)));
  expect_refused("198.18.0.0/20,198.18.16.0,198.18.16.255,198.18.17.1", 41, "more than 4096 hosts");
}

static char *write_bytes(const char *text, size_t len)
{
  static char path[64];
  snprintf(path, sizeof(path), "/tmp/uc-targets-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, len), (ssize_t)len);
  close(fd);
  return path;
}

static char *write_tmp(const char *text)
{
  return write_bytes(text, strlen(text));
}

/* A file's hosts joined with ",", or its error as "line:col: text". */
static void expect_file(const char *bytes, size_t len, const char *want)
{
  struct target_list l = {0};
  struct uc_err err;
  char got[512] = "";
  size_t used = 0;
  char *path = write_bytes(bytes, len);
  uc_err_clear(&err);
  bool refused = targets_add_file(&l, path, &err) < 0;
  if (refused)
    snprintf(got, sizeof(got), "%d:%d: %s", err.line, err.column, err.text);
  for (size_t i = 0; !refused && i < l.n; i++)
    used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s", i ? "," : "", l.v[i].name);
  targets_free(&l);
  unlink(path);
  if (strcmp(got, want) != 0)
    fail_msg("got '%s', want '%s'", got, want);
}

/* Files as Windows tools save them: a UTF-8 byte order mark (Notepad, PowerShell's -Encoding
 * UTF8), UTF-16 with its mark (PowerShell 5.1's >), either byte order; and two hosts on a line */
static void test_file_encodings(void **state)
{
  (void)state;
  static const char bom[] = "\xef\xbb\xbf"
                            "198.18.1.5\r\n198.18.1.6\r\n";
  expect_file(bom, sizeof(bom) - 1, "198.18.1.5,198.18.1.6");
  static const char le[] = "\xff\xfe"
                           "1\0"
                           "9\0"
                           "8\0.\0"
                           "1\0"
                           "8\0.\0"
                           "1\0.\0"
                           "5\0\r\0\n\0"
                           "a\0.\0t\0\n\0";
  expect_file(le, sizeof(le) - 1, "198.18.1.5,a.t");
  static const char be[] = "\xfe\xff\0a\0.\0t\0\n\0b\0.\0t";
  expect_file(be, sizeof(be) - 1, "a.t,b.t");
  static const char odd[] = "\xff\xfe"
                            "a\0b";
  expect_file(odd, sizeof(odd) - 1,
              "0:0: not valid UTF-16 text (an odd length or a lone surrogate)");
  /* a BOM no longer hides in the first host's name: positions count as an editor shows them */
  static const char bom_bad[] = "\xef\xbb\xbf"
                                "x!";
  expect_file(bom_bad, sizeof(bom_bad) - 1,
              "1:1: \"x!\" is not a host name, an address, a block (198.18.1.0/28) or a range "
              "(198.18.1.10-20)");
  static const char two[] = "198.18.1.5\n  198.18.1.6 198.18.1.7\n";
  expect_file(two, sizeof(two) - 1,
              "2:3: \"198.18.1.6 198.18.1.7\": one host per line (or separate them with commas)");
  static const char name_space[] = "not a host!\n";
  expect_file(name_space, sizeof(name_space) - 1,
              "1:1: \"not a host!\" is not a host name, an address, a block (198.18.1.0/28) or a "
              "range (198.18.1.10-20)");
  expect_refused("a.test b.test", 1, "separate hosts with commas, not spaces");
  expect_refused("not a host", 1, "is not a host name"); /* words, not names */
}

static void test_file(void **state)
{
  (void)state;
  struct target_list l = {0};
  struct uc_err err;
  char *path = write_tmp("# lab\n198.18.1.10\n\n  fe01.contoso.test   # a name\r\n"
                         "198.18.2.0/30,198.18.3.4\n\t# indented comment\n");
  assert_int_equal(targets_add_text(&l, "--target", "198.18.9.9", &err), 0);
  assert_int_equal(targets_add_file(&l, path, &err), 0);
  assert_int_equal(l.n, 6);
  assert_string_equal(l.v[0].source, "--target");
  assert_string_equal(l.v[1].name, "198.18.1.10");
  assert_string_equal(l.v[1].source, path);
  assert_int_equal(l.v[1].line, 2);
  assert_string_equal(l.v[2].name, "fe01.contoso.test");
  assert_int_equal(l.v[2].line, 4);
  assert_int_equal(l.v[2].column, 3);
  assert_true(l.v[3].expanded);
  assert_int_equal(l.v[5].line, 5);
  assert_int_equal(l.v[5].column, 15);
  targets_free(&l);
  unlink(path);
  /* a bad line names the file, the line and the column */
  path = write_tmp("198.18.1.10\n  198.18.1.10-5\n");
  assert_int_equal(targets_add_file(&l, path, &err), -1);
  assert_string_equal(err.source, path);
  assert_int_equal(err.line, 2);
  assert_int_equal(err.column, 3);
  assert_non_null(strstr(err.text, "runs backwards"));
  targets_free(&l);
  unlink(path);
  path = write_tmp("# only comments\n\n");
  assert_int_equal(targets_add_file(&l, path, &err), -1);
  assert_non_null(strstr(err.text, "no target in the file"));
  targets_free(&l);
  unlink(path);
  assert_int_equal(targets_add_file(&l, "/nonexistent/targets.txt", &err), -1);
  assert_non_null(strstr(err.text, "cannot read the targets file"));
  targets_free(&l);
}

static void test_topology_from_list(void **state)
{
  (void)state;
  struct topology t;
  struct uc_err err;
  /* an address range is addresses: nothing for DNS to get wrong */
  assert_int_equal(
      topo_from_targets(&t, "127.0.0.12-14", "Director,MEDIATION", &test_catalog, &err), 0);
  assert_int_equal(t.nhosts, 3);
  for (size_t i = 0; i < 3; i++)
    assert_non_null(t.hosts[i].address);
  assert_string_equal(t.hosts[2].address, "127.0.0.14");
  assert_int_equal(t.hosts[0].nroles, 2);
  assert_string_equal(t.hosts[0].roles[0], "director"); /* the catalog's spelling */
  assert_string_equal(t.hosts[0].roles[1], "mediation");
  topo_free(&t);
}

static void test_names(void **state)
{
  (void)state;
  const char **v;
  size_t n;
  struct uc_err err;
  assert_int_equal(names_roles(&test_catalog, "--role", "Front-End, edge", &v, &n, &err), 0);
  assert_int_equal(n, 2);
  assert_string_equal(v[0], "front-end");
  assert_string_equal(v[1], "edge");
  free(v);
  assert_int_equal(names_roles(&test_catalog, "--role", "edge,directr", &v, &n, &err), -1);
  assert_null(v);
  assert_int_equal(err.column, 6);
  assert_string_equal(err.text, "unknown role \"directr\" (did you mean director?)");
  assert_int_equal(names_roles(&test_catalog, "--role", "front_end", &v, &n, &err), -1);
  assert_non_null(strstr(err.text, "did you mean front-end?"));
  assert_int_equal(names_roles(&test_catalog, "--role", "edge,EDGE", &v, &n, &err), -1);
  assert_non_null(strstr(err.text, "role \"edge\" listed twice"));
  assert_int_equal(names_roles(&test_catalog, "--role", "zzz", &v, &n, &err), -1);
  assert_non_null(strstr(err.text, "(roles: front-end, "));
  const char *p;
  assert_int_equal(names_product(&test_catalog, "--product", "SfB2015", &p, &err), 0);
  assert_string_equal(p, "sfb2015");
  assert_int_equal(names_product(&test_catalog, "--product", "lync2016", &p, &err), -1);
  assert_non_null(strstr(err.text, "did you mean lync2013?"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_blocks_and_ranges),
                                     cmocka_unit_test(test_refused),
                                     cmocka_unit_test(test_file),
                                     cmocka_unit_test(test_file_encodings),
                                     cmocka_unit_test(test_topology_from_list),
                                     cmocka_unit_test(test_names)};
  return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
