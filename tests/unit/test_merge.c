/* tests/unit/test_merge.c - `ucscan merge`: each check from the vantage entitled to test it.
 * Fixtures: the reports in tests/data/merge, reports of one Edge from three vantages (servers,
 * internet, clients), one scanned without --from (any-lan: vantage "any", from the LAN), a
 * partial one and one of another topology. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reports/diff.h"
#include "reports/merge.h"
#include "reports/report_doc.h"

#define MAX_DOCS 4

struct inputs {
  struct jdoc docs[MAX_DOCS];
  const char *files[MAX_DOCS];
  size_t n;
};

static void load(struct inputs *in, const char *const *names)
{
  const char *src = getenv("UC_SOURCE_DIR");
  memset(in, 0, sizeof(*in));
  for (; names[in->n]; in->n++) {
    char path[4096];
    struct uc_err err;
    snprintf(path, sizeof(path), "%s/tests/data/merge/%s.json", src ? src : ".", names[in->n]);
    if (diff_load(&in->docs[in->n], path, &err) < 0)
      fail_msg("%s: %s", path, err.text);
    in->files[in->n] = names[in->n];
  }
}

static void unload(struct inputs *in)
{
  for (size_t i = 0; i < in->n; i++)
    jdoc_free(&in->docs[i]);
}

static json_t *merge(struct inputs *in, bool force)
{
  struct uc_err err;
  uc_err_clear(&err);
  json_t *m = merge_reports(in->docs, in->files, in->n, force, &err);
  if (!m)
    fail_msg("merge failed: %s", err.text);
  return m;
}

/* The merged check of edge01 with this key ("5061/tcp access"). */
static json_t *check(json_t *m, const char *key)
{
  json_t *checks = json_object_get(json_array_get(json_object_get(m, "hosts"), 0), "checks");
  size_t i;
  json_t *c;
  char k[64];
  json_array_foreach(checks, i, c)
  {
    if (strcmp(report_doc_key(c, k, sizeof(k)), key) == 0)
      return c;
  }
  fail_msg("no check %s", key);
  return NULL;
}

static const char *str(json_t *o, const char *key)
{
  const char *s = report_doc_str(o, key);
  return s ? s : "(null)";
}

static json_int_t sum(json_t *m, const char *key)
{
  return json_integer_value(json_object_get(json_object_get(m, "summary"), key));
}

static void test_each_check_from_its_vantage(void **state)
{
  (void)state;
  struct inputs in;
  load(&in, (const char *const[]){"servers", "internet", NULL});
  json_t *m = merge(&in, false);
  json_t *c = check(m, "5061/tcp internal");
  assert_string_equal(str(c, "verdict"), "pass");
  assert_string_equal(str(c, "vantage"), "servers");
  c = check(m, "5061/tcp access");
  assert_string_equal(str(c, "verdict"), "fail");
  assert_string_equal(str(c, "vantage"), "internet");
  assert_null(json_object_get(c, "vantages"));
  /* an outbound row: no vantage tests it, it stays as the first report has it */
  c = check(m, "5066/tcp");
  assert_string_equal(str(c, "verdict"), "skip");
  assert_true(json_is_null(json_object_get(c, "vantage")));
  assert_int_equal(sum(m, "fail"), 1);
  assert_int_equal(sum(m, "pass"), 2);
  assert_int_equal(sum(m, "uncovered"), 0);
  assert_int_equal(merge_exit_status(m), 1);
  /* earliest start, latest finish, both inputs listed in order */
  assert_string_equal(str(m, "started_at"), "2026-12-05T09:59:00Z");
  assert_string_equal(str(m, "finished_at"), "2026-12-05T10:01:00Z");
  json_t *mf = json_object_get(m, "merged_from");
  assert_int_equal(json_array_size(mf), 2);
  assert_string_equal(str(json_array_get(mf, 1), "vantage"), "internet");
  assert_true(json_is_true(json_object_get(m, "complete")));
  json_decref(m);
  unload(&in);
}

static void test_worst_of_several_entitled(void **state)
{
  (void)state;
  struct inputs in;
  load(&in, (const char *const[]){"servers", "clients", NULL});
  json_t *m = merge(&in, false);
  json_t *c = check(m, "5062/tcp internal");
  assert_string_equal(str(c, "verdict"), "fail");
  assert_string_equal(str(c, "vantage"), "clients");
  json_t *all = json_object_get(c, "vantages");
  assert_string_equal(str(all, "servers"), "pass");
  assert_string_equal(str(all, "clients"), "fail");
  json_decref(m);
  unload(&in);
}

/* A report scanned without --from (vantage "any") tests every row, but it stands for no
 * firewall path: where a vantage the row names tested the check, its result is the check's,
 * whatever the "any" report saw, pass or fail, and whichever report is given first. */
static void test_entitled_vantage_beats_any(void **state)
{
  (void)state;
  struct inputs in;
  load(&in, (const char *const[]){"any-lan", "servers", NULL});
  json_t *m = merge(&in, false);
  /* servers passed, the LAN scan failed: pass */
  json_t *c = check(m, "5061/tcp internal");
  assert_string_equal(str(c, "verdict"), "pass");
  assert_string_equal(str(c, "vantage"), "servers");
  assert_string_equal(str(c, "reason"), "TLS handshake completed");
  json_t *all = json_object_get(c, "vantages");
  assert_string_equal(str(all, "servers"), "pass");
  assert_string_equal(str(all, "any"), "fail");
  c = check(m, "5062/tcp internal");
  assert_string_equal(str(c, "verdict"), "pass");
  assert_string_equal(str(c, "vantage"), "servers");
  assert_int_equal(sum(m, "fail"), 0);
  assert_int_equal(merge_exit_status(m), 0);
  json_decref(m);
  unload(&in);

  /* the Internet failed it, the LAN scan passed it: fail */
  load(&in, (const char *const[]){"any-lan", "internet", NULL});
  m = merge(&in, false);
  c = check(m, "5061/tcp access");
  assert_string_equal(str(c, "verdict"), "fail");
  assert_string_equal(str(c, "vantage"), "internet");
  assert_string_equal(str(c, "reason"), "no answer to 3 connection attempts");
  all = json_object_get(c, "vantages");
  assert_string_equal(str(all, "internet"), "fail");
  assert_string_equal(str(all, "any"), "pass");
  json_decref(m);
  unload(&in);
}

/* No vantage the row names tested it: the "any" report's result stands in, and says so. */
static void test_any_when_no_entitled_vantage(void **state)
{
  (void)state;
  struct inputs in;
  load(&in, (const char *const[]){"servers", "any-lan", NULL});
  json_t *m = merge(&in, false);
  json_t *c = check(m, "5061/tcp access");
  assert_string_equal(str(c, "verdict"), "pass");
  assert_string_equal(str(c, "vantage"), "any");
  assert_string_equal(str(c, "reason"),
                      "TLS handshake completed (from a scan without --from: no report from the "
                      "Internet (--from internet) tested it)");
  assert_null(json_object_get(c, "vantages"));
  /* tested, if not from where the row says: not uncovered */
  assert_int_equal(sum(m, "uncovered"), 0);
  assert_int_equal(sum(m, "pass"), 3);
  json_decref(m);
  unload(&in);

  load(&in, (const char *const[]){"internet", "any-lan", NULL});
  m = merge(&in, false);
  c = check(m, "5061/tcp internal");
  assert_string_equal(str(c, "verdict"), "fail");
  assert_string_equal(str(c, "vantage"), "any");
  assert_string_equal(str(c, "reason"),
                      "no answer to 3 connection attempts (from a scan without --from: no report "
                      "from the server network (--from servers) tested it)");
  /* the outbound row stays as the first report has it */
  c = check(m, "5066/tcp");
  assert_string_equal(str(c, "reason"), "outbound from edge");
  assert_true(json_is_null(json_object_get(c, "vantage")));
  assert_int_equal(merge_exit_status(m), 1);
  json_decref(m);
  unload(&in);
}

static void test_uncovered_says_who_can_test(void **state)
{
  (void)state;
  struct inputs in;
  load(&in, (const char *const[]){"servers", NULL});
  json_t *m = merge(&in, false);
  json_t *c = check(m, "5061/tcp access");
  assert_string_equal(str(c, "verdict"), "skip");
  assert_string_equal(str(c, "reason"),
                      "not tested: needs a scan from the Internet (--from internet), and no "
                      "report merged is");
  assert_int_equal(sum(m, "uncovered"), 1);
  assert_int_equal(merge_exit_status(m), 0);
  json_decref(m);
  unload(&in);
}

static void test_partial_input(void **state)
{
  (void)state;
  struct inputs in;
  load(&in, (const char *const[]){"servers", "internet-partial", NULL});
  json_t *m = merge(&in, false);
  assert_true(json_is_false(json_object_get(m, "complete")));
  assert_int_equal(merge_exit_status(m), 3);
  json_t *c = check(m, "5061/tcp access");
  assert_string_equal(str(c, "reason"),
                      "not tested: the scan from internet (internet-partial) stopped before "
                      "this check");
  /* what the partial scan did not finish stays, with its vantage, counted in the summary */
  json_t *host = json_array_get(json_object_get(m, "hosts"), 0);
  json_t *nc = json_object_get(host, "not_checked");
  assert_int_equal(json_array_size(nc), 1);
  assert_string_equal(str(json_array_get(nc, 0), "vantage"), "internet");
  assert_string_equal(str(json_array_get(nc, 0), "interface"), "access");
  assert_int_equal(sum(m, "not_checked"), 1);
  json_decref(m);
  unload(&in);
  /* the same partial report given twice lists each unfinished check once */
  load(&in, (const char *const[]){"internet-partial", "servers", "internet-partial", NULL});
  m = merge(&in, true);
  host = json_array_get(json_object_get(m, "hosts"), 0);
  assert_int_equal(json_array_size(json_object_get(host, "not_checked")), 1);
  json_decref(m);
  unload(&in);
  /* another scan from the same vantage that has a result for it: not "not checked" too */
  load(&in, (const char *const[]){"internet-partial", "internet", "servers", NULL});
  m = merge(&in, true);
  host = json_array_get(json_object_get(m, "hosts"), 0);
  assert_string_equal(str(check(m, "5061/tcp access"), "vantage"), "internet");
  assert_null(json_object_get(host, "not_checked"));
  assert_int_equal(sum(m, "not_checked"), 0);
  json_decref(m);
  unload(&in);
  /* a complete merge has none */
  load(&in, (const char *const[]){"servers", "internet", NULL});
  m = merge(&in, false);
  host = json_array_get(json_object_get(m, "hosts"), 0);
  assert_null(json_object_get(host, "not_checked"));
  assert_null(json_object_get(json_object_get(m, "summary"), "not_checked"));
  json_decref(m);
  unload(&in);
}

static void test_other_topology_needs_force(void **state)
{
  (void)state;
  struct inputs in;
  struct uc_err err;
  load(&in, (const char *const[]){"servers", "other-topology", NULL});
  uc_err_clear(&err);
  assert_null(merge_reports(in.docs, in.files, in.n, false, &err));
  assert_non_null(strstr(err.text, "topology \"fabrikam\" differs from servers's \"contoso\""));
  assert_int_not_equal(err.line, 0);
  json_t *m = merge(&in, true);
  assert_non_null(m);
  json_decref(m);
  unload(&in);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_check_from_its_vantage),
      cmocka_unit_test(test_worst_of_several_entitled),
      cmocka_unit_test(test_entitled_vantage_beats_any),
      cmocka_unit_test(test_any_when_no_entitled_vantage),
      cmocka_unit_test(test_uncovered_says_who_can_test),
      cmocka_unit_test(test_partial_input),
      cmocka_unit_test(test_other_topology_needs_force),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
