/* tests/unit/test_diff.c - drift between two reports: categories, evidence that matters,
 * order, exit status, the table. The report files refused, with the message each gets (as
 * `ucscan diff` and `ucscan merge` print it), are cases in tests/data/report/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reports/diff.h"
#include "reports/report.h"
#include "model/verdict.h"
#include "model/plan.h"
#include "tests/support/data_cases.h"

/* ---------------- building reports ---------------- */

static json_t *report(const char *topology)
{
  return json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:i, s:b, s:{s:i,s:i,s:i,s:i}, s:[]}",
                   "schema", "ucscan-report/1", "tool", "name", "ucscan", "version", "0.1.0",
                   "topology", topology, "product", "sfb2015", "started_at", "2026-11-21T22:00:00Z",
                   "finished_at", "2026-11-21T22:00:03Z", "duration_ms", 3012, "complete", 1,
                   "summary", "pass", 0, "warn", 0, "fail", 0, "skip", 0, "hosts");
}

static json_t *host(json_t *rep, const char *name, const char *address)
{
  json_t *h = json_pack("{s:s, s:s?, s:[s], s:{}, s:[]}", "name", name, "address", address, "roles",
                        "front-end", "summary", "checks");
  json_array_append_new(json_object_get(rep, "hosts"), h);
  return h;
}

/* port > 0: a single port; port == 0: the range first-last. */
static json_t *check(json_t *h, unsigned port, unsigned first, unsigned last, const char *tr,
                     const char *proto, const char *verdict, const char *state)
{
  json_t *c = json_object();
  json_object_set_new(c, "port", port ? json_integer(port) : json_null());
  json_object_set_new(
      c, "range",
      port ? json_null()
           : json_pack("{s:i, s:i, s:[]}", "first", first, "last", last, "filtered_ports"));
  json_object_set_new(c, "transport", json_string(tr));
  json_object_set_new(c, "protocol", json_string(proto));
  json_object_set_new(c, "probe", json_string("tcp"));
  json_object_set_new(c, "state", state ? json_string(state) : json_null());
  json_object_set_new(c, "verdict", json_string(verdict));
  json_object_set_new(c, "reason", json_string(verdict));
  json_object_set_new(c, "rtt_ms", json_null());
  json_object_set_new(c, "attempts", json_integer(1));
  json_object_set_new(c, "requirements", json_array());
  json_object_set_new(c, "evidence", json_object());
  json_array_append_new(json_object_get(h, "checks"), c);
  return c;
}

static json_t *cert(const char *subject, const char *issuer, const char *not_after)
{
  return json_pack("{s:s, s:s, s:[s], s:s, s:s, s:b}", "subject", subject, "issuer", issuer, "san",
                   "fe01.contoso.test", "not_before", "2025-01-01T00:00:00Z", "not_after",
                   not_after, "expired", 0);
}

static void set_tls(json_t *c, bool requested, json_t *certificate)
{
  json_t *tls = json_pack("{s:s, s:b}", "version", "TLSv1.3", "client_cert_requested", requested);
  if (certificate)
    json_object_set_new(tls, "certificate", certificate);
  json_object_set_new(json_object_get(c, "evidence"), "tls", tls);
}

static void to_doc(json_t *rep, struct jdoc *d, const char *name)
{
  char *text = json_dumps(rep, JSON_INDENT(2));
  struct uc_err err;
  assert_int_equal(jdoc_load_buffer(d, name, text, strlen(text), &err), 0);
  free(text);
  if (diff_validate(d, &err) < 0)
    fail_msg("%s: %d:%d %s", name, err.line, err.column, err.text);
}

/* ---------------- reading the diff ---------------- */

static json_t *entry(const json_t *diff, const char *host, const char *check_key)
{
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(diff, "changes"), i, e)
  {
    json_t *k = json_object_get(e, "check");
    if (strcmp(json_string_value(json_object_get(e, "host")), host) == 0 &&
        (check_key ? json_is_string(k) && strcmp(json_string_value(k), check_key) == 0
                   : json_is_null(k)))
      return e;
  }
  return NULL;
}

static const char *cat(const json_t *diff, const char *host, const char *key)
{
  json_t *e = entry(diff, host, key);
  if (!e)
    fail_msg("no entry for %s %s", host, key ? key : "(host)");
  return json_string_value(json_object_get(e, "category"));
}

static json_t *change(const json_t *diff, const char *host, const char *key, const char *what)
{
  json_t *e = entry(diff, host, key);
  size_t i;
  json_t *c;
  assert_non_null(e);
  json_array_foreach(json_object_get(e, "changes"), i,
                     c) if (strcmp(json_string_value(json_object_get(c, "what")), what) ==
                            0) return c;
  return NULL;
}

static long long summary(const json_t *diff, const char *key)
{
  return (long long)json_integer_value(json_object_get(json_object_get(diff, "summary"), key));
}

/* ---------------- the big fixture ---------------- */

struct pair {
  struct jdoc old_doc, new_doc;
  json_t *diff;
};

static void build_pair(struct pair *p)
{
  json_t *o = report("contoso"), *n = report("contoso");
  json_t *of = host(o, "fe01.contoso.test", "198.18.1.11");
  json_t *nf = host(n, "fe01.contoso.test", "198.18.1.11");
  check(of, 5061, 0, 0, "tcp", "mtls", "pass", "open");
  check(nf, 5061, 0, 0, "tcp", "mtls", "fail", "filtered");
  set_tls(check(of, 443, 0, 0, "tcp", "https", "pass", "open"), false,
          cert("CN=fe01.contoso.test", "CN=Contoso Root CA", "2027-01-01T00:00:00Z"));
  set_tls(check(nf, 443, 0, 0, "tcp", "https", "warn", "open"), false,
          cert("CN=fe01.contoso.test", "CN=Contoso Issuing CA 2", "2027-04-01T00:00:00Z"));
  check(of, 5060, 0, 0, "tcp", "tcp", "fail", "closed");
  check(nf, 5060, 0, 0, "tcp", "tcp", "pass", "open");
  check(of, 444, 0, 0, "tcp", "https", "warn", "open");
  check(nf, 444, 0, 0, "tcp", "https", "pass", "open");
  check(of, 5062, 0, 0, "tcp", "tcp", "skip", NULL);
  check(nf, 5062, 0, 0, "tcp", "tcp", "pass", "open");
  check(of, 5063, 0, 0, "tcp", "tcp", "fail", "filtered");
  check(nf, 5063, 0, 0, "tcp", "tcp", "fail", "closed");
  check(of, 5064, 0, 0, "tcp", "tcp", "pass", "open");
  check(nf, 5064, 0, 0, "tcp", "tcp", "pass", "open");
  check(of, 5065, 0, 0, "tcp", "tcp", "pass", "open");
  json_object_set_new(check(nf, 5065, 0, 0, "tcp", "tcp", "pass", "open"), "reason",
                      json_string("a different wording and RTT"));
  check(nf, 5070, 0, 0, "tcp", "mtls", "fail", "closed");
  check(nf, 5071, 0, 0, "tcp", "tcp", "pass", "open");
  check(of, 5072, 0, 0, "tcp", "tcp", "pass", "open");
  json_t *r1 = check(of, 0, 57501, 65535, "udp", "rtp", "fail", "filtered");
  json_t *r2 = check(nf, 0, 57501, 65535, "udp", "rtp", "fail", "filtered");
  json_array_append_new(json_object_get(json_object_get(r1, "range"), "filtered_ports"),
                        json_string("60000-60099"));
  json_array_append_new(json_object_get(json_object_get(r2, "range"), "filtered_ports"),
                        json_string("61000-61009"));
  /* The same range on TCP: no change. */
  check(of, 0, 57501, 65535, "tcp", "rtp", "pass", "closed");
  check(nf, 0, 57501, 65535, "tcp", "rtp", "pass", "closed");

  json_t *oe = host(o, "edge01.contoso.test", NULL), *ne = host(n, "edge01.contoso.test", NULL);
  json_object_set_new(
      json_object_get(check(oe, 3478, 0, 0, "udp", "stun", "pass", "open"), "evidence"), "stun",
      json_pack("{s:s}", "mapped_address", "198.18.0.1:40000"));
  json_object_set_new(
      json_object_get(check(ne, 3478, 0, 0, "udp", "stun", "pass", "open"), "evidence"), "stun",
      json_pack("{s:s}", "mapped_address", "198.18.0.2:40000"));
  set_tls(check(oe, 5061, 0, 0, "tcp", "mtls", "pass", "open"), true,
          cert("CN=edge", "CN=CA", "2027-01-01T00:00:00Z"));
  set_tls(check(ne, 5061, 0, 0, "tcp", "mtls", "pass", "open"), false,
          cert("CN=edge", "CN=CA", "2027-01-01T00:00:00Z"));
  /* Evidence gone because the port closed: a verdict change, no evidence noise. */
  set_tls(check(oe, 443, 0, 0, "tcp", "tls", "pass", "open"), true,
          cert("CN=edge", "CN=CA", "2027-01-01T00:00:00Z"));
  check(ne, 443, 0, 0, "tcp", "tls", "fail", "closed");

  json_t *os = host(o, "sql01.contoso.test", NULL), *ns = host(n, "sql01.contoso.test", NULL);
  json_object_set_new(
      json_object_get(check(os, 1434, 0, 0, "udp", "sql-browser", "pass", "open"), "evidence"),
      "sql_browser", json_pack("{s:[s,s]}", "instances", "RTC", "LYNCLOCAL"));
  json_object_set_new(
      json_object_get(check(ns, 1434, 0, 0, "udp", "sql-browser", "pass", "open"), "evidence"),
      "sql_browser", json_pack("{s:[s,s]}", "instances", "RTC", "RTCLOCAL"));

  check(host(o, "old-only.contoso.test", NULL), 80, 0, 0, "tcp", "http", "fail", "closed");
  check(host(n, "new-only.contoso.test", NULL), 80, 0, 0, "tcp", "http", "pass", "open");
  check(host(o, "dir01.contoso.test", "198.18.2.11"), 443, 0, 0, "tcp", "https", "pass", "open");
  check(host(n, "dir01.contoso.test", "198.18.2.12"), 443, 0, 0, "tcp", "https", "pass", "open");

  to_doc(o, &p->old_doc, "old.json");
  to_doc(n, &p->new_doc, "new.json");
  json_decref(o);
  json_decref(n);
  struct uc_err err;
  p->diff = diff_compute(&p->old_doc, &p->new_doc, false, &err);
  if (!p->diff)
    fail_msg("%s", err.text);
}

static void free_pair(struct pair *p)
{
  json_decref(p->diff);
  jdoc_free(&p->old_doc);
  jdoc_free(&p->new_doc);
}

/* ---------------- tests ---------------- */

static void test_categories(void **state)
{
  (void)state;
  struct pair p;
  build_pair(&p);
  const json_t *d = p.diff;
  const char *fe = "fe01.contoso.test";
  assert_string_equal(cat(d, fe, "5061/tcp"), "regression");
  assert_string_equal(cat(d, fe, "443/tcp"), "degraded");
  assert_string_equal(cat(d, fe, "5060/tcp"), "recovered");
  assert_string_equal(cat(d, fe, "444/tcp"), "improved");
  assert_string_equal(cat(d, fe, "5062/tcp"), "changed");
  assert_string_equal(cat(d, fe, "5063/tcp"), "changed");
  assert_null(entry(d, fe, "5064/tcp"));
  assert_null(entry(d, fe, "5065/tcp"));                     /* the reason alone is no change */
  assert_string_equal(cat(d, fe, "5070/tcp"), "regression"); /* new and failing */
  assert_string_equal(cat(d, fe, "5071/tcp"), "new");
  assert_string_equal(cat(d, fe, "5072/tcp"), "vanished");
  assert_string_equal(cat(d, fe, "57501-65535/udp"), "changed");
  assert_null(entry(d, fe, "57501-65535/tcp"));
  assert_string_equal(cat(d, "edge01.contoso.test", "3478/udp"), "changed");
  assert_string_equal(cat(d, "edge01.contoso.test", "5061/tcp"), "changed");
  assert_string_equal(cat(d, "edge01.contoso.test", "443/tcp"), "regression");
  assert_string_equal(cat(d, "sql01.contoso.test", "1434/udp"), "changed");
  assert_string_equal(cat(d, "old-only.contoso.test", "80/tcp"), "vanished");
  assert_string_equal(cat(d, "new-only.contoso.test", "80/tcp"), "new");
  assert_string_equal(cat(d, "dir01.contoso.test", NULL), "changed");
  assert_null(entry(d, "dir01.contoso.test", "443/tcp"));

  assert_int_equal(summary(d, "regression"), 3);
  assert_int_equal(summary(d, "degraded"), 1);
  assert_int_equal(summary(d, "recovered"), 1);
  assert_int_equal(summary(d, "improved"), 1);
  assert_int_equal(summary(d, "changed"), 6); /* dir01's address is a host entry, not a check */
  assert_int_equal(summary(d, "new"), 2);
  assert_int_equal(summary(d, "vanished"), 2);
  assert_int_equal(summary(d, "unchanged"), 4); /* 5064, 5065, the TCP range, dir01 443 */
  assert_true(json_is_true(json_object_get(d, "regressed")));
  assert_int_equal(diff_exit_status(d), 1);
  assert_true(json_is_false(json_object_get(d, "topology_mismatch")));

  /* entry fields */
  json_t *e = entry(d, fe, "5061/tcp");
  assert_true(json_is_true(json_object_get(e, "regression")));
  assert_int_equal(json_integer_value(json_object_get(e, "port")), 5061);
  assert_true(json_is_null(json_object_get(e, "range")));
  assert_string_equal(json_string_value(json_object_get(json_object_get(e, "old"), "verdict")),
                      "pass");
  assert_string_equal(json_string_value(json_object_get(json_object_get(e, "new"), "state")),
                      "filtered");
  e = entry(d, fe, "57501-65535/udp");
  assert_true(json_is_null(json_object_get(e, "port")));
  assert_string_equal(json_string_value(json_object_get(e, "range")), "57501-65535");
  assert_true(json_is_null(json_object_get(entry(d, fe, "5071/tcp"), "old")));
  assert_true(json_is_null(json_object_get(entry(d, fe, "5072/tcp"), "new")));
  p.diff = NULL;
  json_decref((json_t *)d);
  free_pair(&p);
}

static void test_evidence(void **state)
{
  (void)state;
  struct pair p;
  build_pair(&p);
  const json_t *d = p.diff;
  const char *fe = "fe01.contoso.test", *edge = "edge01.contoso.test";
  json_t *c = change(d, fe, "443/tcp", "certificate_replaced");
  assert_non_null(c);
  assert_string_equal(json_string_value(json_object_get(json_object_get(c, "old"), "issuer")),
                      "CN=Contoso Root CA");
  assert_string_equal(json_string_value(json_object_get(json_object_get(c, "new"), "not_after")),
                      "2027-04-01T00:00:00Z");
  c = change(d, fe, "443/tcp", "certificate_issuer");
  assert_non_null(c);
  assert_string_equal(json_string_value(json_object_get(c, "new")), "CN=Contoso Issuing CA 2");
  c = change(d, fe, "443/tcp", "certificate_expiry");
  assert_non_null(c);
  assert_int_equal(json_integer_value(json_object_get(c, "days")), 90);
  assert_non_null(change(d, fe, "443/tcp", "verdict"));
  assert_null(change(d, fe, "443/tcp", "client_cert_requested"));
  assert_null(change(d, fe, "443/tcp", "tls_version"));

  c = change(d, fe, "5063/tcp", "state");
  assert_non_null(c);
  assert_string_equal(json_string_value(json_object_get(c, "old")), "filtered");
  assert_null(change(d, fe, "5063/tcp", "verdict"));
  assert_non_null(change(d, fe, "57501-65535/udp", "filtered_ports"));

  c = change(d, edge, "3478/udp", "stun_mapped_address");
  assert_non_null(c);
  assert_string_equal(json_string_value(json_object_get(c, "new")), "198.18.0.2:40000");
  c = change(d, edge, "5061/tcp", "client_cert_requested");
  assert_non_null(c);
  assert_true(json_is_true(json_object_get(c, "old")) && json_is_false(json_object_get(c, "new")));
  assert_null(change(d, edge, "5061/tcp", "certificate_replaced"));
  /* a closed port's vanished evidence is the verdict's news, not an evidence change */
  json_t *e = entry(d, edge, "443/tcp");
  assert_int_equal(json_array_size(json_object_get(e, "changes")), 2); /* verdict, state */

  c = change(d, "sql01.contoso.test", "1434/udp", "sql_browser_instances");
  assert_non_null(c);
  assert_int_equal(json_array_size(json_object_get(c, "added")), 1);
  assert_string_equal(json_string_value(json_array_get(json_object_get(c, "added"), 0)),
                      "RTCLOCAL");
  assert_string_equal(json_string_value(json_array_get(json_object_get(c, "removed"), 0)),
                      "LYNCLOCAL");
  c = change(d, "dir01.contoso.test", NULL, "address");
  assert_non_null(c);
  assert_string_equal(json_string_value(json_object_get(c, "new")), "198.18.2.12");
  free_pair(&p);
}

static void test_order(void **state)
{
  (void)state;
  struct pair p;
  build_pair(&p);
  /* Hosts with a regression first (by name), then the others by name; within a host by
   * category, then port. */
  static const char *const want[] = {
      "edge01.contoso.test 443/tcp",       "edge01.contoso.test 3478/udp",
      "edge01.contoso.test 5061/tcp",      "fe01.contoso.test 5061/tcp",
      "fe01.contoso.test 5070/tcp",        "fe01.contoso.test 443/tcp",
      "fe01.contoso.test 5060/tcp",        "fe01.contoso.test 444/tcp",
      "fe01.contoso.test 5062/tcp",        "fe01.contoso.test 5063/tcp",
      "fe01.contoso.test 57501-65535/udp", "fe01.contoso.test 5071/tcp",
      "fe01.contoso.test 5072/tcp",        "dir01.contoso.test -",
      "new-only.contoso.test 80/tcp",      "old-only.contoso.test 80/tcp",
      "sql01.contoso.test 1434/udp",
  };
  json_t *changes = json_object_get(p.diff, "changes");
  assert_int_equal(json_array_size(changes), sizeof(want) / sizeof(want[0]));
  for (size_t i = 0; i < json_array_size(changes); i++) {
    json_t *e = json_array_get(changes, i);
    char got[128];
    json_t *k = json_object_get(e, "check");
    snprintf(got, sizeof(got), "%s %s", json_string_value(json_object_get(e, "host")),
             json_is_string(k) ? json_string_value(k) : "-");
    assert_string_equal(got, want[i]);
  }
  /* Stable: the same input gives the same bytes. */
  struct uc_err err;
  json_t *again = diff_compute(&p.old_doc, &p.new_doc, false, &err);
  char *a = json_dumps(p.diff, REPORT_DUMP_FLAGS), *b = json_dumps(again, REPORT_DUMP_FLAGS);
  assert_string_equal(a, b);
  /* Top-level keys, documented in the man page. */
  static const char *const keys[] = {
      "schema",         "old",     "new",    "topology_mismatch", "regressed",
      "new_incomplete", "summary", "changes"};
  const char *key;
  json_t *v;
  size_t i = 0;
  json_object_foreach(p.diff, key, v)
  {
    assert_true(i < 8);
    assert_string_equal(key, keys[i++]);
  }
  assert_string_equal(json_string_value(json_object_get(p.diff, "schema")), "ucscan-diff/1");
  free(a);
  free(b);
  json_decref(again);
  free_pair(&p);
}

static void test_no_regression(void **state)
{
  (void)state;
  json_t *o = report("contoso"), *n = report("contoso");
  json_t *a = host(o, "fe01.contoso.test", NULL), *b = host(n, "fe01.contoso.test", NULL);
  check(a, 443, 0, 0, "tcp", "https", "pass", "open");
  check(b, 443, 0, 0, "tcp", "https", "warn", "open"); /* degraded: listed, exit 0 */
  check(a, 5060, 0, 0, "tcp", "tcp", "fail", "closed");
  check(b, 5060, 0, 0, "tcp", "tcp", "pass", "open");
  check(a, 5061, 0, 0, "tcp", "tcp", "fail", "closed");
  check(b, 5061, 0, 0, "tcp", "tcp", "fail", "closed"); /* still failing: no news */
  struct jdoc od, nd;
  to_doc(o, &od, "o");
  to_doc(n, &nd, "n");
  struct uc_err err;
  json_t *d = diff_compute(&od, &nd, false, &err);
  assert_non_null(d);
  assert_int_equal(diff_exit_status(d), 0);
  assert_true(json_is_false(json_object_get(d, "regressed")));
  assert_int_equal(json_array_size(json_object_get(d, "changes")), 2);
  assert_int_equal(summary(d, "unchanged"), 1);
  json_decref(d);
  /* A report against itself: nothing to say. */
  d = diff_compute(&od, &od, false, &err);
  assert_int_equal(json_array_size(json_object_get(d, "changes")), 0);
  assert_int_equal(summary(d, "unchanged"), 3);
  assert_int_equal(diff_exit_status(d), 0);
  json_decref(d);
  jdoc_free(&od);
  jdoc_free(&nd);
  json_decref(o);
  json_decref(n);
}

/* Two scans of the same healthy Edge: the STUN mapped address carries the scanner's random
 * source port (in evidence and, from older versions, in the reason), round trips and times
 * differ. None of that is a change: the diff is clean and exits 0. The mapped address moving
 * to another IP still is one. */
static void test_ephemeral_not_changes(void **state)
{
  (void)state;
  json_t *o = report("contoso"), *n = report("contoso");
  json_object_set_new(n, "started_at", json_string("2026-11-22T22:00:00Z"));
  json_object_set_new(n, "duration_ms", json_integer(4100));
  json_t *a = host(o, "edge01.contoso.test", NULL), *b = host(n, "edge01.contoso.test", NULL);
  static const char *const ma[][2] = {{"198.18.0.1:40000", "198.18.0.1:51234"},
                                      {"[2001:db8::1]:40000", "[2001:db8::1]:40001"},
                                      {"198.18.0.1:40000", "198.18.0.9:40000"}};
  for (unsigned i = 0; i < 3; i++) {
    json_t *x = check(a, 3478 + i, 0, 0, "udp", "stun", "pass", "open");
    json_t *y = check(b, 3478 + i, 0, 0, "udp", "stun", "pass", "open");
    json_object_set_new(json_object_get(x, "evidence"), "stun",
                        json_pack("{s:s}", "mapped_address", ma[i][0]));
    json_object_set_new(json_object_get(y, "evidence"), "stun",
                        json_pack("{s:s}", "mapped_address", ma[i][1]));
    json_object_set_new(x, "reason", json_string(ma[i][0]));
    json_object_set_new(y, "reason", json_string(ma[i][1]));
    json_object_set_new(x, "rtt_ms", json_real(0.2));
    json_object_set_new(y, "rtt_ms", json_real(31.5));
  }
  json_t *x = check(a, 443, 0, 0, "tcp", "tls", "pass", "open");
  json_t *y = check(b, 443, 0, 0, "tcp", "tls", "pass", "open");
  set_tls(x, false, cert("CN=edge", "CN=CA", "2027-01-01T00:00:00Z"));
  set_tls(y, false, cert("CN=edge", "CN=CA", "2027-01-01T00:00:00Z"));
  json_object_set_new(
      json_object_get(json_object_get(json_object_get(x, "evidence"), "tls"), "certificate"),
      "days_left", json_integer(41));
  json_object_set_new(
      json_object_get(json_object_get(json_object_get(y, "evidence"), "tls"), "certificate"),
      "days_left", json_integer(40));
  json_object_set_new(y, "attempts", json_integer(2));
  struct jdoc od, nd;
  to_doc(o, &od, "o");
  to_doc(n, &nd, "n");
  struct uc_err err;
  json_t *d = diff_compute(&od, &nd, false, &err);
  assert_non_null(d);
  assert_int_equal(diff_exit_status(d), 0);
  assert_int_equal(json_array_size(json_object_get(d, "changes")), 1); /* the third only */
  json_t *c = change(d, "edge01.contoso.test", "3480/udp", "stun_mapped_address");
  assert_non_null(c);
  assert_string_equal(json_string_value(json_object_get(c, "old")), "198.18.0.1:40000");
  assert_string_equal(json_string_value(json_object_get(c, "new")), "198.18.0.9:40000");
  assert_int_equal(summary(d, "unchanged"), 3);
  json_decref(d);
  jdoc_free(&od);
  jdoc_free(&nd);
  json_decref(o);
  json_decref(n);
}

static void test_topology_mismatch(void **state)
{
  (void)state;
  json_t *o = report("contoso"), *n = report("fabrikam");
  check(host(o, "a.contoso.test", NULL), 443, 0, 0, "tcp", "https", "pass", "open");
  check(host(n, "a.contoso.test", NULL), 443, 0, 0, "tcp", "https", "fail", "closed");
  struct jdoc od, nd;
  to_doc(o, &od, "old.json");
  to_doc(n, &nd, "new.json");
  struct uc_err err;
  uc_err_clear(&err);
  assert_null(diff_compute(&od, &nd, false, &err));
  assert_string_equal(err.source, "new.json");
  assert_int_equal(err.line, 7); /* where NEW's "topology" value stands (JSON_INDENT(2)) */
  assert_int_equal(err.column, 15);
  assert_non_null(strstr(err.text, "--force"));
  assert_non_null(strstr(err.text, "\"fabrikam\""));
  json_t *d = diff_compute(&od, &nd, true, &err);
  assert_non_null(d);
  assert_true(json_is_true(json_object_get(d, "topology_mismatch")));
  assert_int_equal(diff_exit_status(d), 1);
  json_decref(d);
  jdoc_free(&od);
  jdoc_free(&nd);
  json_decref(o);
  json_decref(n);
}

static void test_incomplete_and_product(void **state)
{
  (void)state;
  json_t *o = report("contoso"), *n = report("contoso");
  check(host(o, "a.contoso.test", NULL), 443, 0, 0, "tcp", "https", "pass", "open");
  check(host(o, "b.contoso.test", NULL), 443, 0, 0, "tcp", "https", "pass", "open");
  check(host(n, "a.contoso.test", NULL), 443, 0, 0, "tcp", "https", "pass", "open");
  json_object_set_new(n, "complete", json_false()); /* interrupted before b */
  struct jdoc od, nd;
  to_doc(o, &od, "old.json");
  to_doc(n, &nd, "new.json");
  struct uc_err err;
  json_t *d = diff_compute(&od, &nd, false, &err);
  assert_non_null(d);
  assert_true(json_is_false(json_object_get(d, "regressed")));
  assert_true(json_is_true(json_object_get(d, "new_incomplete")));
  assert_int_equal(diff_exit_status(d), 1); /* "no regression" cannot be said */
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  diff_table(f, d, false);
  fclose(f);
  assert_non_null(strstr(text, "NOT VERIFIED: the new scan did not finish"));
  assert_null(strstr(text, "no regression"));
  free(text);
  json_decref(d);
  jdoc_free(&nd);
  /* another product: refused without --force, like another topology */
  json_object_set_new(n, "complete", json_true());
  json_object_set_new(n, "product", json_string("lync2013"));
  to_doc(n, &nd, "new.json");
  uc_err_clear(&err);
  assert_null(diff_compute(&od, &nd, false, &err));
  assert_non_null(strstr(err.text, "product \"lync2013\" is not the product of old.json"));
  d = diff_compute(&od, &nd, true, &err);
  assert_non_null(d);
  assert_true(json_is_false(json_object_get(d, "topology_mismatch"))); /* same topology */
  assert_int_equal(diff_exit_status(d), 0);
  f = open_memstream(&text, &len);
  diff_table(f, d, false);
  fclose(f);
  assert_non_null(strstr(text, "note: the reports are of different products"));
  free(text);
  json_decref(d);
  jdoc_free(&od);
  jdoc_free(&nd);
  json_decref(o);
  json_decref(n);
}

/* tests/data/report/<case>/input is a report file as `ucscan diff` and `ucscan merge` read it
 * (diff_load); expect is the error as printed, "input:LINE:COLUMN: message". */
static char *report_case(const struct data_case *c, void *arg)
{
  (void)arg;
  struct jdoc d;
  struct uc_err err;
  uc_err_clear(&err);
  int rc = diff_load(&d, c->path, &err);
  if (rc == 0)
    jdoc_free(&d);
  return data_case_load_result(c, rc, &err);
}

static void test_data_cases(void **state)
{
  (void)state;
  data_cases_run("report", DATA_TEXT, report_case, NULL);
}

/* A real report (report_json of a plan) passes diff's validation, and its range and
 * single checks key as the contract says. */
static void test_real_report(void **state)
{
  (void)state;
  struct catalog catalog = {0};
  struct topology t = {0};
  struct plan p = {0};
  struct uc_err err;
  assert_int_equal(catalog_load_builtin(&catalog, &err), 0);
  assert_int_equal(topo_from_targets(&t, "fe01.contoso.test", "front-end", &catalog, &err), 0);
  assert_int_equal(plan_from_catalog(&p, &t, &catalog, "sfb2015", &err), 0);
  for (size_t k = 0; k < p.hosts[0].nchecks; k++) {
    struct plan_check *c = &p.hosts[0].checks[k];
    c->res.done = true;
    c->res.rtt_ms = -1;
    c->res.state = UC_ST_OPEN;
    verdict_decide(c);
  }
  struct report_meta m = {.topology = "contoso", .product = "sfb2015", .complete = true};
  json_t *rep = report_json(&p, &m);
  struct jdoc a, b;
  to_doc(rep, &a, "a.json");
  /* NEW: 5061 closed */
  for (size_t k = 0; k < p.hosts[0].nchecks; k++) {
    struct plan_check *c = &p.hosts[0].checks[k];
    if (c->first == 5061 && !c->is_range) {
      c->res.state = UC_ST_CLOSED;
      verdict_decide(c);
    }
  }
  json_t *rep2 = report_json(&p, &m);
  to_doc(rep2, &b, "b.json");
  json_t *d = diff_compute(&a, &b, false, &err);
  assert_non_null(d);
  assert_int_equal(json_array_size(json_object_get(d, "changes")), 1);
  assert_string_equal(cat(d, "fe01.contoso.test", "5061/tcp"), "regression");
  assert_int_equal(summary(d, "unchanged"), p.hosts[0].nchecks - 1);
  json_decref(d);
  jdoc_free(&a);
  jdoc_free(&b);
  json_decref(rep);
  json_decref(rep2);
  plan_free(&p);
  topo_free(&t);
  catalog_free(&catalog);
}

/* noinline: once inlined, gcc -O2 takes open_memstream's buffer for a local and warns
 * (-Wdangling-pointer) about pointers into it. */
__attribute__((noinline)) static char *table(const json_t *d, bool color)
{
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  diff_table(f, d, color);
  fclose(f);
  return buf;
}

static void test_table(void **state)
{
  (void)state;
  struct pair p;
  build_pair(&p);
  /* A hostile report: terminal escapes in a reason and a host name. */
  json_t *e = entry(p.diff, "fe01.contoso.test", "5061/tcp");
  json_object_set_new(json_object_get(e, "new"), "reason",
                      json_string("refused \x1b]0;pwned\x07 \xc2\x9b"
                                  "2J"));
  char *t = table(p.diff, false);
  assert_null(strchr(t, '\x1b'));
  assert_null(strchr(t, '\x07'));
  assert_null(strstr(t, "\xc2\x9b"));
  assert_non_null(strstr(t, "refused ?]0;pwned? ?2J"));
  /* grouped by host, hosts with a regression first */
  char *edge = strstr(t, "\nedge01.contoso.test\n"), *fe = strstr(t, "\nfe01.contoso.test\n");
  char *dir = strstr(t, "\ndir01.contoso.test\n");
  assert_true(edge && fe && dir && edge < fe && fe < dir);
  assert_non_null(strstr(t, "  regression  5061/tcp         mtls        pass -> fail  "));
  assert_non_null(strstr(t, "  vanished    5072/tcp         tcp         pass -> -     "));
  assert_non_null(strstr(t, "  new         5071/tcp         tcp         - -> pass     "));
  assert_non_null(
      strstr(t, "expiry moved: 2027-01-01T00:00:00Z -> 2027-04-01T00:00:00Z (+90 days)"));
  assert_non_null(strstr(t, "issuer changed: CN=Contoso Root CA -> CN=Contoso Issuing CA 2"));
  assert_non_null(strstr(t, "certificate replaced: CN=fe01.contoso.test (issuer CN=Contoso Root "
                            "CA, until 2027-01-01T00:00:00Z) -> CN=fe01.contoso.test (issuer "
                            "CN=Contoso Issuing CA 2, until 2027-04-01T00:00:00Z)"));
  assert_non_null(strstr(t, "client certificate request vanished"));
  assert_non_null(strstr(t, "STUN mapped address: 198.18.0.1:40000 -> 198.18.0.2:40000"));
  assert_non_null(strstr(t, "SQL Browser instances: added RTCLOCAL; removed LYNCLOCAL"));
  assert_non_null(strstr(t, "filtered ports: 60000-60099 -> 61000-61009"));
  assert_non_null(strstr(t, "state: filtered -> closed"));
  assert_non_null(strstr(t, "address: 198.18.2.11 -> 198.18.2.12"));
  assert_non_null(strstr(t, "3 regressions, 1 degraded, 1 recovered, 1 improved, 6 changed, 2 new, "
                            "2 vanished; 4 unchanged\n"));
  assert_non_null(strstr(t, "REGRESSED"));
  free(t);
  t = table(p.diff, true);
  assert_non_null(strstr(t, "\033[1;31mregression \033[0m"));
  free(t);
  free_pair(&p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_categories),
      cmocka_unit_test(test_evidence),
      cmocka_unit_test(test_order),
      cmocka_unit_test(test_no_regression),
      cmocka_unit_test(test_ephemeral_not_changes),
      cmocka_unit_test(test_topology_mismatch),
      cmocka_unit_test(test_incomplete_and_product),
      cmocka_unit_test(test_data_cases),
      cmocka_unit_test(test_real_report),
      cmocka_unit_test(test_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
