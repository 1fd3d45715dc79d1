/* tests/unit/test_report_stream.c - report_json_stream writes, one host at a time, the very
 * bytes json_dumps(report_json()) writes: complete and partial scans, hosts without checks,
 * evidence and text that look like the frame's own lines, no host at all; and it stops when
 * its writer refuses a piece. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/support/catalog_fixture.h"

#include "model/verdict.h"
#include "reports/report.h"

struct sink {
  char *buf;
  size_t len, cap;
  int pieces;
  int refuse_at; /* the piece put refuses (0: none) */
};

static int put(const char *b, size_t n, void *arg)
{
  struct sink *s = arg;
  if (++s->pieces == s->refuse_at)
    return -1;
  if (s->len + n + 1 > s->cap) {
    s->cap = (s->len + n + 1) * 2;
    s->buf = realloc(s->buf, s->cap);
    assert_non_null(s->buf);
  }
  memcpy(s->buf + s->len, b, n);
  s->len += n;
  s->buf[s->len] = '\0';
  return 0;
}

/* Finishes every other check of every host; the rest stay unfinished (a stopped scan). */
static void settle(struct plan *p, bool all)
{
  for (size_t i = 0; i < p->nhosts; i++)
    for (size_t k = 0; k < p->hosts[i].nchecks; k++) {
      struct plan_check *c = &p->hosts[i].checks[k];
      if (!all && k % 2)
        continue;
      c->res.done = true;
      c->res.rtt_ms = k % 3 ? 0.25 * (double)k : -1;
      c->res.state = c->first % 2 ? UC_ST_CLOSED : UC_ST_OPEN;
      /* a reason and evidence that hold the frame's marker and line breaks as text */
      check_reason_set(&c->res, "line\n  \"hosts\": []\n    end %zu", k);
      json_decref(c->res.evidence);
      c->res.evidence = json_pack("{s:s, s:[i, {s:s}]}", "banner", "a\nb\r\n  c", "nested", 1,
                                  "deep", "\n  \"hosts\": []");
      verdict_decide(c);
    }
}

static void expect_same(const struct plan *p, const struct report_meta *m)
{
  json_t *doc = report_json(p, m);
  char *want = json_dumps(doc, REPORT_DUMP_FLAGS);
  assert_non_null(want);
  struct sink s = {0};
  assert_int_equal(report_json_stream(p, m, put, &s), 0);
  assert_non_null(s.buf);
  assert_string_equal(s.buf, want);
  assert_true(s.pieces > (int)p->nhosts); /* in pieces, not one text */
  free(s.buf);
  free(want);
  json_decref(doc);
}

static void plan_of(struct topology *t, struct plan *p, const char *targets, const char *roles)
{
  struct uc_err err;
  assert_int_equal(topo_from_targets(t, targets, roles, &test_catalog, &err), 0);
  assert_int_equal(plan_from_catalog(p, t, &test_catalog, "sfb2015", &err), 0);
}

static void test_same_bytes(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  plan_of(&t, &p, "fe01.contoso.test,198.18.0.7,edge01.contoso.test", "front-end,mediation");
  const char *src[] = {"198.18.0.1"};
  struct report_meta m = {.topology = "contoso \"hosts\": []",
                          .product = "sfb2015",
                          .sources = src,
                          .nsources = 1,
                          .started_ms = 1000,
                          .finished_ms = 4500,
                          .complete = false,
                          .capture_available = true,
                          .capture_packets = 12};
  settle(&p, false);
  expect_same(&p, &m); /* partial: "not_checked" in every host */
  settle(&p, true);
  m.complete = true;
  expect_same(&p, &m);
  plan_free(&p);
  topo_free(&t);
}

static void test_no_hosts_no_checks(void **state)
{
  (void)state;
  struct plan empty = {.topology = "t", .product = "sfb2015"};
  struct report_meta m = {.topology = "t", .product = "sfb2015", .complete = true};
  json_t *doc = report_json(&empty, &m);
  char *want = json_dumps(doc, REPORT_DUMP_FLAGS);
  struct sink s = {0};
  assert_int_equal(report_json_stream(&empty, &m, put, &s), 0);
  assert_string_equal(s.buf, want);
  assert_non_null(strstr(s.buf, "\"hosts\": []"));
  free(s.buf);
  free(want);
  json_decref(doc);

  struct topology t;
  struct plan p;
  plan_of(&t, &p, "198.18.0.7", "front-end"); /* nothing finished: empty "checks" */
  expect_same(&p, &m);
  plan_free(&p);
  topo_free(&t);
}

/* A writer that fails (a full disk) ends the stream at once with -1, at any piece. */
static void test_put_refuses(void **state)
{
  (void)state;
  struct topology t;
  struct plan p;
  plan_of(&t, &p, "198.18.0.7,198.18.0.8", "front-end");
  settle(&p, true);
  struct report_meta m = {.topology = "t", .product = "sfb2015", .complete = true};
  struct sink all = {0};
  assert_int_equal(report_json_stream(&p, &m, put, &all), 0);
  for (int at = 1; at <= all.pieces; at += all.pieces / 7 + 1) {
    struct sink s = {.refuse_at = at};
    assert_int_equal(report_json_stream(&p, &m, put, &s), -1);
    assert_int_equal(s.pieces, at);
    free(s.buf);
  }
  free(all.buf);
  plan_free(&p);
  topo_free(&t);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_bytes),
      cmocka_unit_test(test_no_hosts_no_checks),
      cmocka_unit_test(test_put_refuses),
  };
  return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
