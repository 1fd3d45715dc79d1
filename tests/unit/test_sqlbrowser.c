/* tests/unit/test_sqlbrowser.c - SQL Server Browser ([MC-SQLR]) probe, parser and responder on
 * byte fixtures. What the probe makes of answers and malformed replies is in tests/data/sqlb/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/probe.h"
#include "probes/sqlbrowser.h"
#include "tests/support/data_cases.h"
#include "tests/support/probe_cases.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

#define REC_RTC                                                                                    \
  "ServerName;FE01;InstanceName;RTCLOCAL;IsClustered;No;Version;12.0.2000.8;tcp;50123;;"
#define REC_LYNC                                                                                   \
  "ServerName;FE01;InstanceName;LYNCLOCAL;IsClustered;No;Version;12.0.2000.8;np;"                  \
  "\\\\FE01\\pipe\\MSSQL$LYNCLOCAL\\sql\\query;tcp;50124;;"
#define REC_RTC3                                                                                   \
  "ServerName;FE01;InstanceName;RTC;IsClustered;No;Version;12.0.2000.8;np;"                        \
  "\\\\FE01\\pipe\\MSSQL$RTC\\sql\\query;tcp;50125;;"

/* SVR_RESP, RESP_SIZE 84 (0x0054, little-endian), one record. */
static const uint8_t one_instance[] = "\x05\x54\x00" REC_RTC;
/* SVR_RESP, RESP_SIZE 324 (0x0144: bytes 0x44 0x01), three records: a big-endian reading
 * (0x4401) would not match the bytes present. */
static const uint8_t three_instances[] = "\x05\x44\x01" REC_RTC REC_LYNC REC_RTC3;

/* SVR_RESP datagram around data (RESP_SIZE from strlen); returns its size. */
static size_t svr_resp(uint8_t *out, size_t cap, const char *data)
{
  size_t n = strlen(data);
  assert_true(n <= 0xFFFF && 3 + n <= cap);
  out[0] = 0x05;
  out[1] = (uint8_t)(n & 0xFF);
  out[2] = (uint8_t)(n >> 8);
  memcpy(out + 3, data, n);
  return 3 + n;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
  struct sockaddr_in s;
  memset(&s, 0, sizeof(s));
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  assert_int_equal(inet_pton(AF_INET, ip, &s.sin_addr), 1);
  return s;
}

struct attempt {
  void *state;
  struct sockaddr_in target;
  struct probe_target t;
  struct probe_outcome out;
};

static void attempt_start(struct attempt *a)
{
  static const uint8_t rnd[32] = {0};
  memset(a, 0, sizeof(*a));
  a->state = calloc(1, probe_sqlbrowser.state_size ? probe_sqlbrowser.state_size : 1);
  assert_non_null(a->state);
  a->target = v4("192.0.2.20", 1434);
  a->t.host = "fe01.contoso.test";
  a->t.addr = (const struct sockaddr *)&a->target;
  a->t.port = 1434;
  a->t.protocol = UC_P_SQL_BROWSER;
  probe_sqlbrowser.init(a->state, &a->t, rnd);
}

/* classify a heap copy of exactly len bytes (ASan sees overreads) from the target */
static enum probe_status feed(struct attempt *a, const uint8_t *buf, size_t len)
{
  uint8_t *copy = malloc(len ? len : 1);
  assert_non_null(copy);
  if (len)
    memcpy(copy, buf, len);
  enum probe_status s = probe_sqlbrowser.classify(a->state, &a->t, copy, len, a->t.addr, &a->out);
  free(copy);
  return s;
}

static void finish(struct attempt *a)
{
  probe_sqlbrowser.finish(a->state, &a->t, PROBE_END_TIMEOUT, NULL, 0, &a->out);
}

static void attempt_end(struct attempt *a)
{
  json_decref(a->out.evidence);
  a->out.evidence = NULL;
  free(a->state);
}

static json_t *sb_ev(const struct attempt *a)
{
  assert_non_null(a->out.evidence);
  json_t *s = json_object_get(a->out.evidence, "sql_browser");
  assert_non_null(s);
  assert_true(json_is_object(s));
  return s;
}

static void expect_instances(const struct attempt *a, const char *const *want, size_t n)
{
  json_t *arr = json_object_get(sb_ev(a), "instances");
  assert_non_null(arr);
  assert_true(json_is_array(arr));
  assert_int_equal(json_array_size(arr), n);
  for (size_t i = 0; i < n; i++) {
    json_t *v = json_array_get(arr, i);
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), want[i]);
  }
}

static void expect_server(const struct attempt *a, const char *want)
{
  json_t *v = json_object_get(sb_ev(a), "server");
  assert_non_null(v);
  assert_true(json_is_string(v));
  assert_string_equal(json_string_value(v), want);
}

/* One hostile datagram: the attempt keeps waiting, then reports `reason`. */
static void expect_anomaly(const uint8_t *buf, size_t len, const char *reason)
{
  struct attempt a;
  attempt_start(&a);
  assert_int_equal(feed(&a, buf, len), PROBE_MORE);
  finish(&a);
  assert_int_equal(a.out.outcome, UC_OUT_FAIL);
  assert_int_equal(a.out.state, UC_ST_OPEN);
  assert_string_equal(a.out.reason, reason);
  assert_null(a.out.evidence);
  attempt_end(&a);
}

/* ---- parser ------------------------------------------------------------------------------ */

static void test_parse_one(void **s)
{
  struct sqlb_reply r;
  char err[160] = "";
  assert_int_equal(sizeof(one_instance) - 1, 3 + 84);
  assert_int_equal(sqlb_parse(one_instance, sizeof(one_instance) - 1, &r, err, sizeof(err)), 0);
  assert_int_equal(r.resp_size, 84);
  assert_int_equal(r.ninstances, 1);
  assert_int_equal(r.total_instances, 1);
  assert_int_equal(r.inst[0].name_len, 8);
  assert_memory_equal(r.inst[0].name, "RTCLOCAL", 8);
  assert_int_equal(r.inst[0].server_len, 4);
  assert_memory_equal(r.inst[0].server, "FE01", 4);
  assert_int_equal(r.inst[0].version_len, 11);
  assert_memory_equal(r.inst[0].version, "12.0.2000.8", 11);
  assert_int_equal(r.inst[0].tcp_port, 50123);
}

static void test_parse_three_little_endian_size(void **s)
{
  struct sqlb_reply r;
  char err[160] = "";
  assert_int_equal(sizeof(three_instances) - 1, 3 + 324);
  assert_int_equal(sqlb_parse(three_instances, sizeof(three_instances) - 1, &r, err, sizeof(err)),
                   0);
  assert_int_equal(r.resp_size, 324);
  assert_int_equal(r.ninstances, 3);
  assert_memory_equal(r.inst[1].name, "LYNCLOCAL", 9);
  assert_int_equal(r.inst[1].tcp_port, 50124);
  assert_memory_equal(r.inst[2].name, "RTC", 3);
  assert_int_equal(r.inst[2].name_len, 3);
  assert_int_equal(r.inst[2].tcp_port, 50125);
}

static void test_parse_case_insensitive_keys_and_odd_ports(void **s)
{
  uint8_t b[256];
  struct sqlb_reply r;
  char err[160] = "";
  size_t n = svr_resp(b, sizeof(b),
                      "servername;FE01;INSTANCENAME;A;IsClustered;Yes;Version;1;tcp;99999;;"
                      "ServerName;FE01;InstanceName;B;IsClustered;No;Version;1;;");
  assert_int_equal(sqlb_parse(b, n, &r, err, sizeof(err)), 0);
  assert_int_equal(r.ninstances, 2);
  assert_int_equal(r.inst[0].tcp_port, -1); /* out of range */
  assert_int_equal(r.inst[1].tcp_port, -1); /* none */
}

/* ---- probe ------------------------------------------------------------------------------- */

static void test_build(void **s)
{
  struct attempt a;
  uint8_t buf[8] = {0};
  attempt_start(&a);
  assert_int_equal(probe_sqlbrowser.transport, UC_UDP);
  assert_true(probe_sqlbrowser.read_cap >= 3 + 65535);
  assert_int_equal(probe_sqlbrowser.build(a.state, &a.t, 0, buf, sizeof(buf)), 1);
  assert_int_equal(buf[0], 0x03);
  assert_int_equal(probe_sqlbrowser.build(a.state, &a.t, 1, buf, sizeof(buf)), 0);
  assert_int_equal(probe_sqlbrowser.build(a.state, &a.t, 0, buf, 0), 0);
  attempt_end(&a);
}

/* ---- hostile replies --------------------------------------------------------------------- */

static void test_anomaly_huge(void **s)
{
  /* (tiny ones: tests/data/sqlb/empty-datagram, one-byte, two-bytes) */
  size_t n = 3 + 65535;
  uint8_t *g = malloc(n);
  assert_non_null(g);
  uint32_t x = 777;
  for (size_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    g[i] = (uint8_t)(x >> 16);
  }
  expect_anomaly(g, n, "invalid SQL Browser reply: type byte 0xe4, expected 0x05 (SVR_RESP)");
  g[0] = 0x05, g[1] = 0xff, g[2] = 0xff; /* RESP_SIZE agrees: the records must fail */
  struct attempt a;
  attempt_start(&a);
  assert_int_equal(feed(&a, g, n), PROBE_MORE);
  finish(&a);
  assert_int_equal(a.out.outcome, UC_OUT_FAIL);
  assert_true(strncmp(a.out.reason, "invalid SQL Browser reply: record 1 ", 36) == 0);
  attempt_end(&a);
  free(g);
}

static void test_anomaly_wrong_source_then_no_answer(void **s)
{
  struct attempt a;
  struct sockaddr_in other = v4("198.18.0.9", 1434);
  attempt_start(&a);
  assert_int_equal(probe_sqlbrowser.classify(a.state, &a.t, one_instance, sizeof(one_instance) - 1,
                                             (struct sockaddr *)&other, &a.out),
                   PROBE_MORE);
  finish(&a);
  assert_int_equal(a.out.outcome, UC_OUT_FAIL);
  assert_int_equal(a.out.state, UC_ST_OPEN_FILTERED);
  assert_string_equal(a.out.reason,
                      "invalid SQL Browser reply: reply from 198.18.0.9:1434, not the target");
  attempt_end(&a);

  attempt_start(&a);
  finish(&a);
  assert_int_equal(a.out.outcome, UC_OUT_FAIL);
  assert_int_equal(a.out.state, UC_ST_OPEN_FILTERED);
  assert_string_equal(a.out.reason, "no SQL Browser answer (open|filtered)");
  assert_null(a.out.evidence);
  attempt_end(&a);
}

static void test_first_anomaly_kept_and_genuine_reply_wins(void **s)
{
  struct attempt a;
  static const uint8_t junk[3] = {0x05, 0x09, 0x00};
  attempt_start(&a);
  assert_int_equal(feed(&a, junk, sizeof(junk)), PROBE_MORE);
  assert_int_equal(feed(&a, (const uint8_t *)"x", 1), PROBE_MORE);
  finish(&a);
  assert_string_equal(a.out.reason, "invalid SQL Browser reply: RESP_SIZE 9 but 0 bytes follow");
  attempt_end(&a);

  attempt_start(&a);
  assert_int_equal(feed(&a, junk, sizeof(junk)), PROBE_MORE);
  assert_int_equal(feed(&a, one_instance, sizeof(one_instance) - 1), PROBE_DONE);
  assert_int_equal(a.out.outcome, UC_OUT_OK);
  attempt_end(&a);
}

/* ---- replies as data: tests/data/sqlb/<case>/{input,env,expect} ------------------------- */

static const struct probe_case_kind sqlb_kind = {
    &probe_sqlbrowser, "fe01.contoso.test", "192.0.2.20", 1434, UC_P_SQL_BROWSER, NULL};

static void test_data_cases(void **s)
{
  data_cases_run("sqlb", DATA_JSON, probe_case_run, (void *)&sqlb_kind);
}

/* ---- responder and round trip ------------------------------------------------------------ */

static const char *const lync_instances[] = {"RTCLOCAL", "LYNCLOCAL"};

static void test_roundtrip(void **s)
{
  struct attempt a;
  uint8_t req[8], rep[1024];
  attempt_start(&a);
  size_t n = probe_sqlbrowser.build(a.state, &a.t, 0, req, sizeof(req));
  size_t r = sqlb_respond(req, n, "FE01 " UC_LISTENER_TOKEN, lync_instances, 2, rep, sizeof(rep));
  assert_true(r > 3);
  assert_int_equal(rep[0], 0x05);
  assert_int_equal(rep[1] | (rep[2] << 8), r - 3);
  assert_int_equal(feed(&a, rep, r), PROBE_DONE);
  assert_int_equal(a.out.outcome, UC_OUT_OK);
  assert_int_equal(a.out.state, UC_ST_OPEN);
  assert_string_equal(a.out.reason, "SQL Browser answered: 2 instances (RTCLOCAL, LYNCLOCAL)");
  expect_instances(&a, lync_instances, 2);
  expect_server(&a, "FE01 " UC_LISTENER_TOKEN);
  assert_int_equal(a.out.listener, 1);
  attempt_end(&a);
}

static void test_respond_exact_bytes_and_requests(void **s)
{
  uint8_t rep[1024];
  static const uint8_t ucast = 0x03, bcast = 0x02;
  static const char want[] =
      "\x05\x95\x00"
      "ServerName;FE01;InstanceName;RTCLOCAL;IsClustered;No;Version;12.0.2000.8;;"
      "ServerName;FE01;InstanceName;LYNCLOCAL;IsClustered;No;Version;12.0.2000.8;;";
  size_t r = sqlb_respond(&ucast, 1, "FE01", lync_instances, 2, rep, sizeof(rep));
  assert_int_equal(r, sizeof(want) - 1);
  assert_memory_equal(rep, want, r);
  assert_int_equal(sqlb_respond(&bcast, 1, "FE01", lync_instances, 2, rep, sizeof(rep)), r);

  /* CLNT_UCAST_INST: only the named instance, matched case-insensitively */
  static const uint8_t inst[] = "\x04lynclocal"; /* the literal's NUL terminates the name */
  r = sqlb_respond(inst, sizeof(inst), "FE01", lync_instances, 2, rep, sizeof(rep));
  struct sqlb_reply pr;
  char err[160];
  assert_int_equal(sqlb_parse(rep, r, &pr, err, sizeof(err)), 0);
  assert_int_equal(pr.ninstances, 1);
  assert_memory_equal(pr.inst[0].name, "LYNCLOCAL", 9);
  static const uint8_t near[] = "\x04RTCLOCAX"; /* same length as RTCLOCAL */
  assert_int_equal(sqlb_respond(near, sizeof(near), "FE01", lync_instances, 2, rep, sizeof(rep)),
                   0);
  static const uint8_t unknown[] = "\x04SQLEXPRESS";
  assert_int_equal(
      sqlb_respond(unknown, sizeof(unknown), "FE01", lync_instances, 2, rep, sizeof(rep)), 0);
  static const uint8_t no_nul[4] = {0x04, 'R', 'T', 'C'};
  assert_int_equal(sqlb_respond(no_nul, 4, "FE01", lync_instances, 2, rep, sizeof(rep)), 0);
  static const uint8_t too_long[] = "\x04"
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"; /* 33 bytes */
  assert_int_equal(
      sqlb_respond(too_long, sizeof(too_long), "FE01", lync_instances, 2, rep, sizeof(rep)), 0);

  /* everything else: silence */
  static const uint8_t dac[] = "\x0f\x01RTCLOCAL";
  static const uint8_t ucast2[2] = {0x03, 0x00};
  assert_int_equal(sqlb_respond(dac, sizeof(dac), "FE01", lync_instances, 2, rep, sizeof(rep)), 0);
  assert_int_equal(sqlb_respond(ucast2, 2, "FE01", lync_instances, 2, rep, sizeof(rep)), 0);
  assert_int_equal(sqlb_respond(&ucast, 0, "FE01", lync_instances, 2, rep, sizeof(rep)), 0);
  assert_int_equal(sqlb_respond(&ucast, 1, "FE01", lync_instances, 0, rep, sizeof(rep)), 0);
  static const char *const bad[] = {"RTC;LOCAL"};
  assert_int_equal(sqlb_respond(&ucast, 1, "FE01", bad, 1, rep, sizeof(rep)), 0);
  static const char *const empty[] = {""};
  assert_int_equal(sqlb_respond(&ucast, 1, "FE01", empty, 1, rep, sizeof(rep)), 0);
  assert_int_equal(sqlb_respond(&ucast, 1, "FE;01", lync_instances, 2, rep, sizeof(rep)), 0);
  assert_int_equal(sqlb_respond(&ucast, 1, NULL, lync_instances, 2, rep, sizeof(rep)), 0);
  assert_int_equal(sqlb_respond(&ucast, 1, "FE01", lync_instances, 2, rep, sizeof(want) - 2), 0);
  assert_int_equal(sqlb_respond(&ucast, 1, "FE01", lync_instances, 2, rep, sizeof(want) - 1),
                   sizeof(want) - 1);
}

static void test_respond_resp_data_limit(void **s)
{
  /* 300 instances with 200-byte names: RESP_DATA would pass 65,535 bytes */
  enum { N = 300 };
  char(*names)[201] = malloc(sizeof(*names) * N);
  const char *ptrs[N];
  assert_non_null(names);
  for (int i = 0; i < N; i++) {
    memset(names[i], 'A' + i % 26, 200);
    names[i][200] = '\0';
    ptrs[i] = names[i];
  }
  size_t cap = 200000;
  uint8_t *rep = malloc(cap);
  assert_non_null(rep);
  static const uint8_t ucast = 0x03;
  assert_int_equal(sqlb_respond(&ucast, 1, "FE01", ptrs, N, rep, cap), 0);
  /* 200 of them fit (about 58 KB) and parse back */
  size_t r = sqlb_respond(&ucast, 1, "FE01", ptrs, 200, rep, cap);
  assert_true(r > 50000 && r <= 3 + 65535);
  struct sqlb_reply pr;
  char err[160];
  assert_int_equal(sqlb_parse(rep, r, &pr, err, sizeof(err)), 0);
  assert_int_equal(pr.total_instances, 200);
  assert_int_equal(pr.ninstances, SQLB_MAX_INSTANCES);
  free(rep);
  free(names);
}

/* ---- robustness -------------------------------------------------------------------------- */

static void test_mutations_never_crash(void **s)
{
  uint32_t x = 0xBEEF;
  unsigned done = 0, more = 0;
  for (unsigned it = 0; it < 20000; it++) {
    uint8_t b[sizeof(three_instances)];
    size_t len = sizeof(three_instances) - 1;
    memcpy(b, three_instances, len);
    x = x * 1664525u + 1013904223u;
    unsigned muts = (x >> 28) % 3; /* 0..2 byte changes */
    for (unsigned j = 0; j < muts; j++) {
      x = x * 1664525u + 1013904223u;
      size_t at = 3 + (x >> 8) % (len - 3);
      static const uint8_t pick[] = {';', ';', 0x00, 0xff, 'a', '\n'};
      b[at] = pick[(x >> 20) % sizeof(pick)];
    }
    x = x * 1664525u + 1013904223u;
    if ((x >> 29) == 0) { /* cut, with or without fixing RESP_SIZE */
      len = (x >> 8) % len;
      if (len >= 3 && (x & 1)) {
        b[1] = (uint8_t)((len - 3) & 0xff);
        b[2] = (uint8_t)((len - 3) >> 8);
      }
    }
    struct attempt a;
    attempt_start(&a);
    if (feed(&a, b, len) == PROBE_DONE) {
      done++;
      assert_int_equal(a.out.outcome, UC_OUT_OK);
      assert_non_null(a.out.evidence);
      assert_true(strlen(a.out.reason) < UC_REASON_MAX);
    } else {
      more++;
      finish(&a);
      assert_int_equal(a.out.outcome, UC_OUT_FAIL);
    }
    attempt_end(&a);
    uint8_t rep[64];
    (void)sqlb_respond(b, len, "FE01", lync_instances, 2, rep, sizeof(rep));
  }
  assert_true(done > 100);
  assert_true(more > 100);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_one),
      cmocka_unit_test(test_parse_three_little_endian_size),
      cmocka_unit_test(test_parse_case_insensitive_keys_and_odd_ports),
      cmocka_unit_test(test_build),
      cmocka_unit_test(test_anomaly_huge),
      cmocka_unit_test(test_anomaly_wrong_source_then_no_answer),
      cmocka_unit_test(test_first_anomaly_kept_and_genuine_reply_wins),
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_respond_exact_bytes_and_requests),
      cmocka_unit_test(test_respond_resp_data_limit),
      cmocka_unit_test(test_data_cases),
      cmocka_unit_test(test_mutations_never_crash),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
