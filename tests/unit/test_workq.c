/* Unit tests: the scheduler's work queue and decisions (scanner/workq.c), with tables and
 * without a loop: what goes out in which order, what a stopped scan had started, when a
 * probe fits the in-flight caps, and how the socket cap backs off on resource errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include "scanner/workq.h"

/* A target's checks from a compact text: "t5061 u3478 T1000-1002 U50-51 -t80" (lower case
 * a single check, upper case a range, '-' a check that is not probed (a skip)). */
static size_t parse_checks(const char *text, struct plan_check *out, size_t cap)
{
  size_t n = 0;
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", text);
  for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && n < cap;
       tok = strtok_r(NULL, " ", &save)) {
    struct plan_check *c = &out[n++];
    memset(c, 0, sizeof(*c));
    c->probe = *tok != '-';
    tok += *tok == '-';
    c->is_range = *tok == 'T' || *tok == 'U';
    c->transport = (*tok == 't' || *tok == 'T') ? UC_TCP : UC_UDP;
    unsigned a = 0, b = 0;
    int k = sscanf(tok + 1, "%u-%u", &a, &b);
    c->first = (uint16_t)a;
    c->last = (uint16_t)(k == 2 ? b : a);
  }
  return n;
}

/* The work in taking order as text: "t5061 u3478 T1000 ..." (upper case: a span port). */
static void drain(struct workq *q, char *out, size_t cap)
{
  struct work w;
  size_t len = 0;
  out[0] = '\0';
  while (workq_take(q, &w) && len + 16 < cap) {
    char k = w.transport == UC_TCP ? 't' : 'u';
    if (!w.check)
      k = (char)(k - 'a' + 'A');
    len += (size_t)snprintf(out + len, cap - len, "%s%c%u", len ? " " : "", k, w.port);
    if (w.attempt)
      len += (size_t)snprintf(out + len, cap - len, "#%u", w.attempt);
  }
}

struct order_case {
  const char *name, *checks;
  struct plan_span spans[3];
  size_t nspans;
  const char *expect;
};

static void test_order(void **state)
{
  (void)state;
  static const struct order_case cases[] = {
      {"singles in plan order, skips left out",
       "t443 -t80 u3478 t5061",
       {{0}},
       0,
       "t443 u3478 t5061"},
      {"singles first, then span ports lowest first",
       "T1000-1002 t443",
       {{UC_TCP, 1000, 1002}},
       1,
       "t443 T1000 T1001 T1002"},
      {"spans in their order, each port once",
       "T10-11 U20-21 t5",
       {{UC_TCP, 10, 11}, {UC_UDP, 20, 21}},
       2,
       "t5 T10 T11 U20 U21"},
      {"nothing to probe", "-t80 -u53", {{0}}, 0, ""},
      {"a span of one port", "T7-7", {{UC_TCP, 7, 7}}, 1, "T7"},
      {"port 65535 ends the span without wrapping",
       "T65534-65535",
       {{UC_TCP, 65534, 65535}},
       1,
       "T65534 T65535"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const struct order_case *c = &cases[i];
    struct plan_check checks[8];
    size_t n = parse_checks(c->checks, checks, 8);
    struct workq q;
    workq_init(&q, checks, n, c->spans, c->nspans);
    char got[256];
    drain(&q, got, sizeof(got));
    if (strcmp(got, c->expect) != 0)
      fail_msg("%s: got \"%s\", expected \"%s\"", c->name, got, c->expect);
    bool single;
    enum uc_transport t;
    assert_false(workq_peek(&q, &single, &t));
    workq_free(&q);
  }
}

/* Retries: a put-back (front) goes next, a repeat (back) after the other retries; both
 * before new work. peek says what take gives. */
static void test_retries(void **state)
{
  (void)state;
  struct plan_check checks[4];
  size_t n = parse_checks("t443 T100-101", checks, 4);
  struct plan_span spans[] = {{UC_TCP, 100, 101}};
  struct workq q;
  workq_init(&q, checks, n, spans, 1);
  struct work w;
  assert_true(workq_take(&q, &w)); /* t443 */
  assert_ptr_equal(w.check, &checks[0]);
  struct work repeat = {.check = &checks[0], .port = 443, .transport = UC_TCP, .attempt = 1};
  struct work back = {.port = 100, .transport = UC_TCP, .attempt = 2};
  struct work putback = {.port = 101, .transport = UC_TCP};
  assert_int_equal(workq_push(&q, &repeat, false), 0);
  assert_int_equal(workq_push(&q, &back, false), 0);
  assert_int_equal(workq_push(&q, &putback, true), 0);
  bool single;
  enum uc_transport t;
  assert_true(workq_peek(&q, &single, &t));
  assert_false(single); /* the put-back span port */
  char got[256];
  drain(&q, got, sizeof(got));
  assert_string_equal(got, "T101 t443#1 T100#2 T100 T101");
  /* freed with retries queued: nothing leaks (valgrind and ASan run this) */
  assert_int_equal(workq_push(&q, &repeat, false), 0);
  assert_int_equal(workq_push(&q, &back, true), 0);
  workq_free(&q);
  assert_false(workq_peek(&q, &single, &t));
}

/* A probe the raw SYN prober let go of keeps work.connect through the queue, and peek says so
 * for the next one only (the scheduler then admits it as an attempt that holds a socket). */
static void test_connect_mark(void **state)
{
  (void)state;
  struct plan_check checks[4];
  size_t n = parse_checks("t5061 T100-101", checks, 4);
  struct plan_span spans[] = {{UC_TCP, 100, 101}};
  struct workq q;
  workq_init(&q, checks, n, spans, 1);
  assert_false(workq_peek_connect(&q)); /* new work never is */
  struct work by_connect = {.port = 100, .transport = UC_TCP, .attempt = 1, .connect = true};
  struct work by_syn = {.port = 101, .transport = UC_TCP, .attempt = 1};
  assert_int_equal(workq_push(&q, &by_connect, false), 0);
  assert_int_equal(workq_push(&q, &by_syn, true), 0);
  assert_false(workq_peek_connect(&q)); /* by_syn goes first */
  struct work w;
  assert_true(workq_take(&q, &w));
  assert_false(w.connect);
  assert_true(workq_peek_connect(&q));
  assert_true(workq_take(&q, &w));
  assert_true(w.connect);
  assert_int_equal(w.port, 100);
  assert_int_equal(w.attempt, 1);
  assert_false(workq_peek_connect(&q)); /* t5061, then the span ports */
  assert_true(workq_take(&q, &w));
  assert_false(w.connect);
  workq_free(&q);
}

/* workq_span_pending and workq_started, step by step over one target. */
static void test_pending_and_started(void **state)
{
  (void)state;
  struct plan_check checks[4];
  size_t n = parse_checks("t443 T100-102 U200-201", checks, 4);
  struct plan_span spans[] = {{UC_TCP, 100, 102}, {UC_UDP, 200, 201}};
  struct workq q;
  workq_init(&q, checks, n, spans, 2);
  static const struct {
    unsigned takes;                /* taken so far */
    bool tcp_pending, udp_pending; /* span ports of the transport not yet handed out */
    bool started[3];               /* t443, the TCP range, the UDP range */
  } steps[] = {
      {0, true, true, {false, false, false}}, {1, true, true, {true, false, false}},
      {2, true, true, {true, true, false}},   {4, false, true, {true, true, false}},
      {5, false, true, {true, true, true}},   {6, false, false, {true, true, true}},
  };
  unsigned taken = 0;
  struct work w;
  for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
    while (taken < steps[i].takes) {
      assert_true(workq_take(&q, &w));
      taken++;
    }
    if (workq_span_pending(&q, UC_TCP) != steps[i].tcp_pending ||
        workq_span_pending(&q, UC_UDP) != steps[i].udp_pending)
      fail_msg("after %u takes: pending tcp %d udp %d", taken, workq_span_pending(&q, UC_TCP),
               workq_span_pending(&q, UC_UDP));
    for (size_t k = 0; k < 3; k++)
      if (workq_started(&q, k) != steps[i].started[k])
        fail_msg("after %u takes: check %zu started %d", taken, k, workq_started(&q, k));
  }
  /* a UDP span port put back is pending again */
  struct work back = {.port = 201, .transport = UC_UDP};
  assert_int_equal(workq_push(&q, &back, true), 0);
  assert_true(workq_span_pending(&q, UC_UDP));
  assert_false(workq_span_pending(&q, UC_TCP));
  workq_free(&q);
}

static void test_admit(void **state)
{
  (void)state;
  static const struct {
    const char *name;
    struct admit_view v;
    bool fits;
  } cases[] = {
      {"room everywhere", {true, false, 0, 16, 0, 256, 0, 0, false, 0, 256}, true},
      {"the target holds --per-host", {true, false, 16, 16, 20, 256, 0, 0, false, 0, 256}, false},
      {"the engine holds its cap", {true, false, 0, 16, 256, 256, 0, 0, false, 0, 256}, false},
      {"per-host 0 means one", {true, false, 1, 0, 1, 256, 0, 0, false, 0, 256}, false},
      {"a raw SYN needs no socket", {false, true, 16, 16, 256, 256, 10, 4096, false, 0, 256}, true},
      {"a raw SYN waits for the window",
       {false, true, 0, 16, 0, 256, 4096, 4096, false, 0, 256},
       false},
      {"a swept UDP port needs neither",
       {false, false, 16, 16, 256, 256, 4096, 4096, false, 0, 256},
       true},
      {"a TLS check with sessions to spare",
       {true, false, 0, 16, 300, 4096, 0, 0, true, 255, 256},
       true},
      {"a TLS check waits for a session",
       {true, false, 0, 16, 300, 4096, 0, 0, true, 256, 256},
       false},
      {"a plain connect does not", {true, false, 0, 16, 300, 4096, 0, 0, false, 256, 256}, true},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    if (workq_admit(&cases[i].v) != cases[i].fits)
      fail_msg("%s: expected %s", cases[i].name, cases[i].fits ? "fits" : "waits");
}

static void test_backoff(void **state)
{
  (void)state;
  static const struct {
    const char *name;
    struct backoff before;
    unsigned inflight;
    int err;
    enum backoff_action act;
    struct backoff after;
  } cases[] = {
      {"EMFILE with attempts open: their number is the cap for good, no pause",
       {256, 256, 0},
       200,
       UV_EMFILE,
       BACKOFF_GO_ON,
       {200, 200, 0}},
      {"ENOBUFS: one below what is open, and a pause",
       {256, 256, 0},
       100,
       UV_ENOBUFS,
       BACKOFF_PAUSE,
       {256, 99, 0}},
      {"never below one", {256, 256, 0}, 1, UV_ENOBUFS, BACKOFF_PAUSE, {256, 1, 0}},
      {"a lower cap stays", {256, 10, 0}, 100, UV_ENFILE, BACKOFF_PAUSE, {256, 10, 0}},
      {"nothing open: counts toward starvation",
       {256, 256, 3},
       0,
       UV_EMFILE,
       BACKOFF_PAUSE,
       {256, 1, 4}},
      {"the limit reached: starved", {256, 256, 4}, 0, UV_EMFILE, BACKOFF_STARVED, {256, 1, 5}},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct backoff b = cases[i].before;
    enum backoff_action act = workq_backoff(&b, cases[i].inflight, cases[i].err, 5);
    if (act != cases[i].act || b.max_inflight != cases[i].after.max_inflight ||
        b.eff_inflight != cases[i].after.eff_inflight || b.starved != cases[i].after.starved)
      fail_msg("%s: action %d, caps %u/%u, starved %u", cases[i].name, act, b.max_inflight,
               b.eff_inflight, b.starved);
  }
  /* recovery: one step per success, up to the cap; a start clears starvation */
  struct backoff b = {10, 8, 3};
  workq_backoff_recovered(&b);
  workq_backoff_recovered(&b);
  workq_backoff_recovered(&b);
  assert_int_equal(b.eff_inflight, 10);
  workq_backoff_started(&b);
  assert_int_equal(b.starved, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order),        cmocka_unit_test(test_retries),
      cmocka_unit_test(test_connect_mark), cmocka_unit_test(test_pending_and_started),
      cmocka_unit_test(test_admit),        cmocka_unit_test(test_backoff),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
