/* tests/unit/test_udp.c - generic UDP probe: the token datagram, replies from elsewhere,
 * silence, and the listener's answer. What the probe makes of one reply from the target (the
 * listener's answer and anything else) is in tests/data/udp/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/probe.h"
#include "probes/udp.h"
#include "tests/support/data_cases.h"
#include "tests/support/probe_cases.h"

/* ---- helpers ---- */

struct fx {
  struct sockaddr_storage target;
  struct probe_target t;
  void *st;
  struct probe_outcome out;
};

static void addr4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
  struct sockaddr_in *s = (struct sockaddr_in *)ss;
  memset(ss, 0, sizeof(*ss));
  s->sin_family = AF_INET;
  s->sin_port = htons(port);
  assert_int_equal(inet_pton(AF_INET, ip, &s->sin_addr), 1);
}

static void addr6(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
  struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
  memset(ss, 0, sizeof(*ss));
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  assert_int_equal(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
}

static void fx_init_rnd(struct fx *f, const struct sockaddr_storage *target, uint8_t seed)
{
  uint8_t rnd[32];
  memset(f, 0, sizeof(*f));
  f->target = *target;
  f->t.host = "fe01.contoso.test";
  f->t.addr = (const struct sockaddr *)&f->target;
  f->t.port = ntohs(((const struct sockaddr_in *)target)->sin_port);
  f->t.protocol = UC_P_UDP;
  for (int i = 0; i < 32; i++)
    rnd[i] = (uint8_t)(seed + i);
  f->st = test_calloc(1, probe_udp.state_size);
  probe_udp.init(f->st, &f->t, rnd);
}

static void fx_init(struct fx *f)
{
  struct sockaddr_storage ss;
  addr4(&ss, "198.18.1.11", 50000);
  fx_init_rnd(f, &ss, 0xa0);
}

static void fx_done(struct fx *f)
{
  json_decref(f->out.evidence);
  test_free(f->st);
}

static enum probe_status fx_classify_from(struct fx *f, const void *buf, size_t len,
                                          const struct sockaddr_storage *from)
{
  uint8_t *copy = test_malloc(len ? len : 1);
  if (len)
    memcpy(copy, buf, len);
  enum probe_status s =
      probe_udp.classify(f->st, &f->t, copy, len, (const struct sockaddr *)from, &f->out);
  test_free(copy);
  return s;
}

static enum probe_status fx_classify(struct fx *f, const void *buf, size_t len)
{
  return fx_classify_from(f, buf, len, &f->target);
}

static void assert_outcome(const struct fx *f, enum uc_outcome oc, enum uc_state st, int listener,
                           const char *reason)
{
  assert_int_equal(f->out.outcome, oc);
  assert_int_equal(f->out.state, st);
  assert_int_equal(f->out.listener, listener);
  assert_string_equal(f->out.reason, reason);
  assert_null(f->out.evidence);
}

static const char nonce_a0[] = "a0a1a2a3a4a5a6a7";

/* ---- request ---- */

static void test_build(void **unused)
{
  struct fx f;
  uint8_t buf[64];
  fx_init(&f);
  size_t n = probe_udp.build(f.st, &f.t, 0, buf, sizeof(buf));
  assert_int_equal(n, 32);
  assert_memory_equal(buf, "ucscan-probe/1 a0a1a2a3a4a5a6a7\n", 32);
  assert_int_equal(probe_udp.build(f.st, &f.t, 1, buf, sizeof(buf)), 0);
  /* a retransmit sends the very same datagram */
  memset(buf, 0, sizeof(buf));
  assert_int_equal(probe_udp.build(f.st, &f.t, 0, buf, 32), 32);
  assert_memory_equal(buf, "ucscan-probe/1 a0a1a2a3a4a5a6a7\n", 32);
  assert_int_equal(probe_udp.build(f.st, &f.t, 0, buf, 31), 0);
  fx_done(&f);

  /* another attempt, another nonce */
  struct sockaddr_storage ss;
  addr4(&ss, "198.18.1.11", 50000);
  fx_init_rnd(&f, &ss, 0x0f);
  probe_udp.build(f.st, &f.t, 0, buf, sizeof(buf));
  assert_memory_equal(buf, "ucscan-probe/1 0f10111213141516\n", 32);
  fx_done(&f);
}

/* ---- classify ---- */

static void test_wrong_source(void **unused)
{
  struct fx f;
  struct sockaddr_storage other_port, other_ip, v6;
  char answer[64];
  snprintf(answer, sizeof(answer), "ucscan-listener/1 %s\n", nonce_a0);
  addr4(&other_port, "198.18.1.11", 50001);
  addr4(&other_ip, "192.0.2.99", 50000);
  addr6(&v6, "2001:db8::1", 50000);

  fx_init(&f);
  /* even a perfect listener answer from elsewhere is not believed */
  assert_int_equal(fx_classify_from(&f, answer, strlen(answer), &other_ip), PROBE_MORE);
  assert_int_equal(fx_classify_from(&f, "x", 1, &other_port), PROBE_MORE);
  assert_int_equal(fx_classify_from(&f, "x", 1, &v6), PROBE_MORE);
  /* ... while the genuine one that follows still wins */
  assert_int_equal(fx_classify(&f, answer, strlen(answer)), PROBE_DONE);
  assert_outcome(&f, UC_OUT_OK, UC_ST_OPEN, 1, "ucscan listener answered");
  fx_done(&f);

  /* only strays, then silence (one stray: tests/data/udp/stray-from-another-host) */
  fx_init(&f);
  assert_int_equal(fx_classify_from(&f, "x", 1, &v6), PROBE_MORE);
  assert_int_equal(fx_classify_from(&f, "y", 1, &other_ip), PROBE_MORE);
  assert_int_equal(fx_classify_from(&f, "z", 1, &other_port), PROBE_MORE);
  probe_udp.finish(f.st, &f.t, PROBE_END_TIMEOUT, NULL, 0, &f.out);
  assert_outcome(&f, UC_OUT_WARN, UC_ST_OPEN_FILTERED, 0,
                 "no answer from the target and no ICMP error: open|filtered (plain UDP obliges "
                 "no answer); ignored 3 datagrams from other sources (first [2001:db8::1]:50000)");
  fx_done(&f);
}

static void test_ipv6_target(void **unused)
{
  struct fx f;
  struct sockaddr_storage t6, same, other;
  addr6(&t6, "2001:db8::11", 3478);
  addr6(&same, "2001:db8::11", 3478);
  addr6(&other, "2001:db8::12", 3478);
  fx_init_rnd(&f, &t6, 0);
  assert_int_equal(fx_classify_from(&f, "a", 1, &other), PROBE_MORE);
  assert_int_equal(fx_classify_from(&f, "ab", 2, &same), PROBE_DONE);
  assert_outcome(&f, UC_OUT_OK, UC_ST_OPEN, 0, "UDP reply (2 bytes)");
  fx_done(&f);
}

static void test_silence(void **unused)
{
  struct fx f;
  fx_init(&f);
  probe_udp.finish(f.st, &f.t, PROBE_END_TIMEOUT, NULL, 0, &f.out);
  assert_outcome(&f, UC_OUT_WARN, UC_ST_OPEN_FILTERED, 0,
                 "no answer and no ICMP error: open|filtered (plain UDP obliges no answer)");
  fx_done(&f);
}

/* ---- replies as data: tests/data/udp/<case>/{input,env,expect} ---- */

static const uint8_t udp_rnd[32] = {
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};
static const struct probe_case_kind udp_kind = {
    &probe_udp, "fe01.contoso.test", "198.18.1.11", 50000, UC_P_UDP, udp_rnd};

static void test_data_cases(void **unused)
{
  data_cases_run("udp", DATA_JSON, probe_case_run, (void *)&udp_kind);
}

/* ---- responder ---- */

static void test_respond_round_trip(void **unused)
{
  struct fx f;
  uint8_t req[64], resp[64];
  fx_init(&f);
  size_t n = probe_udp.build(f.st, &f.t, 0, req, sizeof(req));
  size_t m = udp_token_respond(req, n, resp, sizeof(resp));
  assert_int_equal(m, 35);
  assert_memory_equal(resp, "ucscan-listener/1 a0a1a2a3a4a5a6a7\n", 35);
  assert_int_equal(fx_classify(&f, resp, m), PROBE_DONE);
  assert_outcome(&f, UC_OUT_OK, UC_ST_OPEN, 1, "ucscan listener answered");
  fx_done(&f);
  /* exactly enough room, and one byte short */
  assert_int_equal(udp_token_respond(req, n, resp, 35), 35);
  assert_int_equal(udp_token_respond(req, n, resp, 34), 0);
  assert_int_equal(udp_token_respond(req, n, NULL, 0), 0);
}

static void test_respond_refuses(void **unused)
{
  static const struct {
    const char *d;
    size_t len;
    size_t want;
  } cases[] = {
      {"ucscan-probe/1 0123456789abcdef", 31, 35},
      {"ucscan-probe/1 0123456789ABCDEF\r\n", 33, 35},
      {"ucscan-probe/1 0123456789abcde", 30, 0},
      {"ucscan-probe/1 0123456789abcdef0\n", 34, 0},
      {"ucscan-probe/1 0123456789abcdeg\n", 32, 0},
      {"ucscan-probe/1  123456789abcdef\n", 32, 0},
      {"ucscan-probe/10123456789abcdef0\n", 32, 0},
      {"ucscan-probe/2 0123456789abcdef\n", 32, 0},
      {"ucscan-listener/1 0123456789abcdef\n", 35, 0},
      {"ucscan-probe/1 0123456789abcdef\n\n", 33, 0},
      {"ucscan-probe/1 0123456789abcdef\0", 32, 0},
      {"", 0, 0},
      {"\x00\x01\x00\x00\x21\x12\xa4\x42", 8, 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint8_t out[64];
    uint8_t *in = test_malloc(cases[i].len ? cases[i].len : 1);
    memcpy(in, cases[i].d, cases[i].len);
    assert_int_equal(udp_token_respond(in, cases[i].len, out, sizeof(out)), cases[i].want);
    if (cases[i].want)
      assert_memory_equal(out + 18, cases[i].d + 15, 16);
    test_free(in);
  }
}

static void test_module_shape(void **unused)
{
  assert_string_equal(probe_udp.name, "udp");
  assert_int_equal(probe_udp.transport, UC_UDP);
  assert_true(probe_udp.read_cap >= 512);
  assert_true(probe_udp.state_size > 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build),
      cmocka_unit_test(test_wrong_source),
      cmocka_unit_test(test_ipv6_target),
      cmocka_unit_test(test_silence),
      cmocka_unit_test(test_respond_round_trip),
      cmocka_unit_test(test_respond_refuses),
      cmocka_unit_test(test_data_cases),
      cmocka_unit_test(test_module_shape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
