/* tests/unit/test_sip.c - SIP OPTIONS probe on byte fixtures: the request, split and drip-fed
 * replies, oversized ones, the status line and header parsers, and the listen-mode responder.
 * The replies from Lync and Skype for Business front ends, and the malformed and foreign ones,
 * are cases in tests/data/sip/ with the outcome each gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/support/data_cases.h"
#include "tests/support/probe_cases.h"
#include "tests/support/probe_fx.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "probes/probe.h"
#include "probes/sip.h"
#include "probes/textproto.h"

/* ---- helpers ---- */

static void fx_init_rnd(struct probe_fx *f, const char *host, uint16_t port, enum uc_proto proto,
                        uint8_t seed)
{
  uint8_t rnd[32];
  for (int i = 0; i < 32; i++)
    rnd[i] = (uint8_t)(seed + i);
  probe_fx_init(f, &probe_sip, host, "198.18.1.11", port, proto, rnd);
}

static void fx_init(struct probe_fx *f, const char *host, uint16_t port, enum uc_proto proto)
{
  fx_init_rnd(f, host, port, proto, 0);
}

static void assert_prefix(const char *buf, const char *prefix)
{
  assert_memory_equal(buf, prefix, strlen(prefix));
}

static json_t *ev_sip(const struct probe_fx *f)
{
  assert_non_null(f->out.evidence);
  json_t *s = json_object_get(f->out.evidence, "sip");
  assert_true(json_is_object(s));
  return s;
}

static void assert_ok(const struct probe_fx *f, int status, const char *server, const char *reason)
{
  assert_int_equal(f->out.outcome, UC_OUT_OK);
  assert_int_equal(f->out.state, UC_ST_OPEN);
  assert_string_equal(f->out.reason, reason);
  json_t *s = ev_sip(f);
  assert_int_equal(json_integer_value(json_object_get(s, "status")), status);
  json_t *sv = json_object_get(s, "server");
  if (server)
    assert_string_equal(json_string_value(sv), server);
  else
    assert_true(json_is_null(sv));
}

static void assert_fail(const struct probe_fx *f, const char *reason)
{
  assert_int_equal(f->out.outcome, UC_OUT_FAIL);
  assert_int_equal(f->out.state, UC_ST_OPEN);
  assert_string_equal(f->out.reason, reason);
  /* only another protocol's answer carries evidence: what answered */
  assert_true(f->out.evidence == NULL || f->out.foreign);
  assert_int_equal(f->out.listener, 0);
}

/* ---- fixtures ---- */

/* The replies are cases in tests/data/sip/ (the kind's target below); the tests here take some
 * of them further than one reply: segmentation, prefixes, finish() on its own. */
static const uint8_t sip_rnd[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
static const struct probe_case_kind sip_kind = {
    &probe_sip, "fe01.contoso.test", "198.18.1.11", 5061, UC_P_TLS, sip_rnd};

/* A case's reply (tests/data/sip/<name>/input), NUL-terminated; test_free it. */
static char *reply(const char *name, size_t *len)
{
  return (char *)data_case_input("sip", name, len);
}

/* ---- request ---- */

static void test_build_request_tls(void **unused)
{
  struct probe_fx f;
  char buf[2048];
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_MTLS);
  size_t n = probe_fx_build(&f, buf, sizeof(buf));
  assert_string_equal(buf, "OPTIONS sip:fe01.contoso.test:5061;transport=tls SIP/2.0\r\n"
                           "Via: SIP/2.0/TLS ucscan.invalid;branch=z9hG4bK0001020304050607\r\n"
                           "Max-Forwards: 70\r\n"
                           "From: <sip:ucscan@ucscan.invalid>;tag=08090a0b\r\n"
                           "To: <sip:fe01.contoso.test>\r\n"
                           "Call-ID: 0c0d0e0f101112131415161718191a1b\r\n"
                           "CSeq: 1 OPTIONS\r\n"
                           "Contact: <sip:ucscan@ucscan.invalid;transport=tls>\r\n"
                           "Accept: application/sdp\r\n"
                           "User-Agent: ucscan/0.1.0\r\n"
                           "Content-Length: 0\r\n"
                           "\r\n");
  assert_int_equal(n, strlen(buf));
  /* one chunk only */
  assert_int_equal(probe_sip.build(f.st, &f.t, 1, (uint8_t *)buf, sizeof(buf)), 0);
  /* the request is itself a complete, valid SIP request */
  probe_fx_build(&f, buf, sizeof(buf));
  assert_int_equal(sip_request_complete((const uint8_t *)buf, n - 1), 0);
  assert_int_equal(sip_request_complete((const uint8_t *)buf, n), n);
  probe_fx_done(&f);
}

static void test_build_request_tcp(void **unused)
{
  struct probe_fx f;
  char buf[2048], v[128];
  fx_init(&f, "med01.contoso.test", 5068, UC_P_SIP);
  size_t n = probe_fx_build(&f, buf, sizeof(buf));
  assert_true(n > 0);
  assert_prefix(buf, "OPTIONS sip:med01.contoso.test:5068;transport=tcp SIP/2.0\r\n");
  const uint8_t *b = (const uint8_t *)buf;
  assert_true(textproto_header_get(b, n, "Via", v, sizeof(v)) > 0);
  assert_string_equal(v, "SIP/2.0/TCP ucscan.invalid;branch=z9hG4bK0001020304050607");
  assert_true(textproto_header_get(b, n, "Contact", v, sizeof(v)) > 0);
  assert_string_equal(v, "<sip:ucscan@ucscan.invalid;transport=tcp>");
  const char *mandatory[] = {"Max-Forwards", "From",   "To",         "Call-ID",
                             "CSeq",         "Accept", "User-Agent", "Content-Length"};
  for (size_t i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++)
    assert_true(textproto_header_get(b, n, mandatory[i], v, sizeof(v)) > 0);
  probe_fx_done(&f);
}

static void test_build_random_ids(void **unused)
{
  struct probe_fx a, b;
  char ba[2048], bb[2048], va[64], vb[64];
  fx_init_rnd(&a, "fe01.contoso.test", 5061, UC_P_TLS, 0);
  fx_init_rnd(&b, "fe01.contoso.test", 5061, UC_P_TLS, 0x80);
  size_t na = probe_fx_build(&a, ba, sizeof(ba)), nb = probe_fx_build(&b, bb, sizeof(bb));
  textproto_header_get((uint8_t *)ba, na, "Call-ID", va, sizeof(va));
  textproto_header_get((uint8_t *)bb, nb, "Call-ID", vb, sizeof(vb));
  assert_string_equal(va, "0c0d0e0f101112131415161718191a1b");
  assert_string_equal(vb, "8c8d8e8f909192939495969798999a9b");
  textproto_header_get((uint8_t *)bb, nb, "Via", vb, sizeof(vb));
  assert_string_equal(vb, "SIP/2.0/TLS ucscan.invalid;branch=z9hG4bK8081828384858687");
  textproto_header_get((uint8_t *)bb, nb, "From", vb, sizeof(vb));
  assert_string_equal(vb, "<sip:ucscan@ucscan.invalid>;tag=88898a8b");
  probe_fx_done(&a);
  probe_fx_done(&b);
}

static void test_build_ipv6(void **unused)
{
  struct probe_fx f;
  char buf[2048], v[128];
  fx_init(&f, "2001:db8::5", 5061, UC_P_TLS);
  size_t n = probe_fx_build(&f, buf, sizeof(buf));
  assert_prefix(buf, "OPTIONS sip:[2001:db8::5]:5061;transport=tls SIP/2.0\r\n");
  textproto_header_get((uint8_t *)buf, n, "To", v, sizeof(v));
  assert_string_equal(v, "<sip:[2001:db8::5]>");
  probe_fx_done(&f);

  /* no name at all: the address is used, bracketed */
  fx_init(&f, NULL, 5061, UC_P_TLS);
  f.sa6.sin6_family = AF_INET6;
  f.sa6.sin6_port = htons(5061);
  inet_pton(AF_INET6, "2001:db8::7", &f.sa6.sin6_addr);
  f.t.addr = (const struct sockaddr *)&f.sa6;
  probe_fx_build(&f, buf, sizeof(buf));
  assert_prefix(buf, "OPTIONS sip:[2001:db8::7]:5061;transport=tls SIP/2.0\r\n");
  probe_fx_done(&f);

  /* already bracketed: not bracketed twice */
  fx_init(&f, "[2001:db8::5]", 5061, UC_P_TLS);
  probe_fx_build(&f, buf, sizeof(buf));
  assert_prefix(buf, "OPTIONS sip:[2001:db8::5]:5061;");
  probe_fx_done(&f);
}

static void test_build_unusable(void **unused)
{
  struct probe_fx f;
  char buf[2048];
  /* a host that would inject a header line is refused, and finish() says why */
  fx_init(&f, "fe01.contoso.test\r\nX-Evil: 1", 5061, UC_P_TLS);
  assert_int_equal(probe_fx_build(&f, buf, sizeof(buf)), 0);
  probe_fx_finish(&f, PROBE_END_TIMEOUT, NULL, 0);
  assert_fail(&f, "could not build a SIP OPTIONS request (unusable host name)");
  probe_fx_done(&f);

  /* a buffer too small: nothing half-written */
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  assert_int_equal(probe_sip.build(f.st, &f.t, 0, (uint8_t *)buf, 100), 0);
  probe_fx_done(&f);
}

/* ---- classify: good replies ---- */

static void test_lync_200_with_body(void **unused)
{
  struct probe_fx f;
  size_t len;
  char *r = reply("lync-200-with-body", &len);
  fx_init(&f, "fe01.contoso.test", 5060, UC_P_SIP);
  /* the final head is enough: the body need not have arrived */
  size_t head = strstr(r, "\r\n\r\n") + 4 - r;
  assert_true(head < len);
  assert_int_equal(probe_fx_feed(&f, r, len, 1), head);
  probe_fx_done(&f);
  test_free(r);
}

/* ---- provisional responses ---- */

static void test_provisional_then_final(void **unused)
{
  struct probe_fx f;
  size_t len, n100;
  char *r = reply("100-trying-then-200", &len);
  test_free(reply("100-trying-only", &n100));
  assert_memory_equal(r + n100, "SIP/2.0 200 OK\r\n", 16);
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  /* the complete 100 Trying alone keeps us waiting (in one piece: the case) */
  assert_int_equal(probe_fx_classify(&f, r, n100), PROBE_MORE);
  assert_int_equal(probe_fx_classify(&f, r, n100 + 20), PROBE_MORE);
  assert_int_equal(probe_fx_classify(&f, r, len - 1), PROBE_MORE);
  assert_int_equal(probe_fx_classify(&f, r, len), PROBE_DONE);
  assert_ok(&f, 200, "RTCC/6.0.0.0 MRAS/2.0",
            "SIP OPTIONS answered 200 OK (Server: RTCC/6.0.0.0 MRAS/2.0)");
  probe_fx_done(&f);
  test_free(r);
}

/* ---- classify: split, drip, caps ---- */

static void test_split_every_step(void **unused)
{
  /* whatever the segmentation, DONE comes exactly when the head is complete, with the same
   * outcome as in one piece */
  size_t len;
  char *r = reply("lync-401-proves-sip", &len);
  for (size_t step = 1; step <= len; step += (step < 16 ? 1 : 37)) {
    struct probe_fx f;
    fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
    assert_int_equal(probe_fx_feed(&f, r, len, step), len);
    assert_ok(&f, 401, "RTC/6.0", "SIP OPTIONS answered 401 Unauthorized (Server: RTC/6.0)");
    probe_fx_done(&f);
  }
  test_free(r);
}

static void test_drip_never_done_early(void **unused)
{
  struct probe_fx f;
  size_t len;
  char *r = reply("sfb-200-ok", &len);
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  for (size_t n = 0; n < len; n++)
    assert_int_equal(probe_fx_classify(&f, r, n), PROBE_MORE);
  assert_int_equal(probe_fx_classify(&f, r, len), PROBE_DONE);
  assert_int_equal(f.out.outcome, UC_OUT_OK);
  probe_fx_done(&f);
  test_free(r);
}

static void test_headers_over_cap(void **unused)
{
  size_t cap = SIP_HDR_CAP + 2048;
  char *r = test_malloc(cap);
  int n = snprintf(r, cap, "SIP/2.0 200 OK\r\nServer: RTCC/6.0.0.0\r\n");
  while ((size_t)n < SIP_HDR_CAP + 100)
    n += snprintf(r + n, cap - (size_t)n, "X-Filler-%05d: %s\r\n", n, "0123456789abcdef");
  size_t unterminated = (size_t)n;
  n += snprintf(r + n, cap - (size_t)n, "\r\n");

  /* a complete head, but too big */
  struct probe_fx f;
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  assert_int_equal(probe_fx_classify(&f, r, (size_t)n), PROBE_DONE);
  assert_fail(&f, "SIP reply headers exceed 16384 bytes");
  probe_fx_done(&f);

  /* still growing past the cap */
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  assert_int_equal(probe_fx_classify(&f, r, SIP_HDR_CAP), PROBE_MORE);
  assert_int_equal(probe_fx_classify(&f, r, SIP_HDR_CAP + 1), PROBE_DONE);
  assert_fail(&f, "SIP reply headers exceed 16384 bytes");
  probe_fx_done(&f);

  /* the engine reached the read cap without classify having seen the last bytes */
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  assert_int_equal(probe_fx_classify(&f, r, 1000), PROBE_MORE);
  probe_fx_finish(&f, PROBE_END_CAP, r, unterminated);
  assert_fail(&f, "SIP reply headers exceed 16384 bytes");
  probe_fx_done(&f);

  /* the read cap leaves room for the whole header cap */
  assert_true(probe_sip.read_cap > SIP_HDR_CAP);
  test_free(r);
}

static void test_endless_header_line_drip(void **unused)
{
  size_t len = probe_sip.read_cap;
  char *r = test_malloc(len);
  static const char start[] = "SIP/2.0 200 OK\r\nX-Endless: ";
  memcpy(r, start, sizeof(start) - 1);
  memset(r + sizeof(start) - 1, 'A', len - (sizeof(start) - 1));
  struct probe_fx f;
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  assert_int_equal(probe_fx_feed(&f, r, len, 1), SIP_HDR_CAP + 1);
  assert_fail(&f, "SIP reply headers exceed 16384 bytes");
  probe_fx_done(&f);

  /* an endless status line too */
  memcpy(r, "SIP/2.0 200 ", 12);
  memset(r + 12, 'B', len - 12);
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  assert_int_equal(probe_fx_feed(&f, r, len, 512), SIP_HDR_CAP + 512);
  assert_fail(&f, "SIP reply headers exceed 16384 bytes");
  probe_fx_done(&f);
  test_free(r);
}

/* ---- classify: not SIP ---- */

static void test_cr_only_lines(void **unused)
{
  struct probe_fx f;
  size_t len;
  /* bare CR is not a line end: the status line is malformed (the outcome: the case) */
  char *r = reply("cr-only-line-ends", &len);
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  assert_int_equal(probe_fx_feed(&f, r, len, 1), 16);
  probe_fx_done(&f);

  /* a status line ending in CR, nothing after it yet: wait */
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  assert_int_equal(probe_fx_classify(&f, r, 15), PROBE_MORE);
  probe_fx_done(&f);
  test_free(r);
}

/* ---- finish ---- */

static void test_finish_partial(void **unused)
{
  struct probe_fx f;
  size_t len;
  char *r = reply("sfb-200-ok", &len);
  /* finish() on a complete head that classify never saw still reports it (cut short before
   * its blank line: the case sfb-200-cut-before-blank-line) */
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  probe_fx_finish(&f, PROBE_END_EOF, r, len);
  assert_ok(&f, 200, "RTCC/6.0.0.0 MRAS/2.0",
            "SIP OPTIONS answered 200 OK (Server: RTCC/6.0.0.0 MRAS/2.0)");
  probe_fx_done(&f);
  test_free(r);
}

/* ---- parsers ---- */

static void test_parse_status_line(void **unused)
{
  int code = -1;
  char ph[8];
  const uint8_t *l = (const uint8_t *)"SIP/2.0 486 Busy Here\r\n";
  assert_int_equal(sip_parse_status_line(l, 23, &code, ph, sizeof(ph)), 1);
  assert_int_equal(code, 486);
  assert_string_equal(ph, "Busy He"); /* truncated to cap - 1 */
  for (size_t n = 0; n < 23; n++)     /* every proper prefix wants more */
    assert_int_equal(sip_parse_status_line(l, n, &code, ph, sizeof(ph)), 0);
  assert_int_equal(sip_parse_status_line((const uint8_t *)"SIP/2.0 200\n", 12, &code, ph, 8), 1);
  assert_string_equal(ph, "");
  assert_int_equal(sip_parse_status_line((const uint8_t *)"X", 1, &code, NULL, 0), -1);
  assert_int_equal(sip_parse_status_line((const uint8_t *)"SIP/2.0 700 x\r\n", 15, &code, NULL, 0),
                   -1);
  assert_int_equal(sip_parse_status_line((const uint8_t *)"SIP/2.0 200 OK\r\r", 16, &code, NULL, 0),
                   -1);
  assert_int_equal(
      sip_parse_status_line((const uint8_t *)"SIP/2.0 200 OK\0\r\n", 17, &code, NULL, 0), -1);
}

static void test_header_get(void **unused)
{
  static const char h[] = "SIP/2.0 200 OK\r\n"
                          "Via: a\r\n"
                          "content-LENGTH :  42  \r\n"
                          "X-Folded: one\r\n"
                          "  two\r\n"
                          "\tthree\r\n"
                          "Empty:\r\n"
                          "no colon line\r\n"
                          "X-Folded: second\r\n"
                          "\r\n"
                          "Body: not a header\r\n";
  const uint8_t *b = (const uint8_t *)h;
  size_t n = sizeof(h) - 1;
  char v[16];
  assert_int_equal(textproto_header_get(b, n, "Content-Length", v, sizeof(v)), 2);
  assert_string_equal(v, "42");
  assert_int_equal(textproto_header_get(b, n, "x-folded", v, sizeof(v)), 13);
  assert_string_equal(v, "one two three");
  assert_int_equal(textproto_header_get(b, n, "Empty", v, sizeof(v)), 0);
  assert_string_equal(v, "");
  assert_int_equal(textproto_header_get(b, n, "Body", v, sizeof(v)), -1);
  assert_int_equal(textproto_header_get(b, n, "SIP/2.0 200 OK", v, sizeof(v)), -1);
  assert_int_equal(textproto_header_get(b, n, "no colon line", v, sizeof(v)), -1);
  char small[4];
  assert_int_equal(textproto_header_get(b, n, "X-Folded", small, sizeof(small)), 13);
  assert_string_equal(small, "one");
  /* bounded by len: a field cut off by len is read up to len */
  assert_int_equal(textproto_header_get(b, 22, "Via", v, sizeof(v)), 1);
  assert_string_equal(v, "a");
  assert_int_equal(textproto_header_get(b, 10, "Via", v, sizeof(v)), -1);
}

/* ---- responder ---- */

static void test_respond_round_trip(void **unused)
{
  struct probe_fx f;
  char req[2048], resp[2048], v[256];
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_MTLS);
  size_t n = probe_fx_build(&f, req, sizeof(req));
  size_t m = sip_respond((const uint8_t *)req, n, "ucscan-listener/1 front-end", (uint8_t *)resp,
                         sizeof(resp) - 1);
  assert_true(m > 0);
  resp[m] = '\0';
  assert_memory_equal(resp, "SIP/2.0 200 OK\r\n", 16);
  const uint8_t *r = (const uint8_t *)resp;
  textproto_header_get(r, m, "Via", v, sizeof(v));
  assert_string_equal(v, "SIP/2.0/TLS ucscan.invalid;branch=z9hG4bK0001020304050607");
  textproto_header_get(r, m, "From", v, sizeof(v));
  assert_string_equal(v, "<sip:ucscan@ucscan.invalid>;tag=08090a0b");
  textproto_header_get(r, m, "To", v, sizeof(v));
  assert_memory_equal(v, "<sip:fe01.contoso.test>;tag=", 28);
  assert_int_equal(strlen(v), 28 + 8);
  textproto_header_get(r, m, "Call-ID", v, sizeof(v));
  assert_string_equal(v, "0c0d0e0f101112131415161718191a1b");
  textproto_header_get(r, m, "CSeq", v, sizeof(v));
  assert_string_equal(v, "1 OPTIONS");
  textproto_header_get(r, m, "Allow", v, sizeof(v));
  assert_string_equal(v, "OPTIONS");
  textproto_header_get(r, m, "Content-Length", v, sizeof(v));
  assert_string_equal(v, "0");

  /* and our own classify accepts it, recognising the listener */
  assert_int_equal(probe_fx_classify(&f, resp, m), PROBE_DONE);
  assert_ok(&f, 200, "ucscan-listener/1 front-end",
            "SIP OPTIONS answered 200 OK (Server: ucscan-listener/1 front-end)");
  assert_int_equal(f.out.listener, 1);
  probe_fx_done(&f);
}

static void test_respond_echoes_all_vias_and_tags(void **unused)
{
  static const char req[] = "\r\nOPTIONS sip:fe01.contoso.test SIP/2.0\r\n"
                            "v: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKaaa\r\n"
                            "Via: SIP/2.0/TLS 192.0.2.2:5061;branch=z9hG4bKbbb,\r\n"
                            " SIP/2.0/TLS 192.0.2.3;branch=z9hG4bKccc\r\n"
                            "f: \"Alice\" <sip:alice@contoso.test>;tag=1\r\n"
                            "t: <sip:fe01.contoso.test>;TAG=already\r\n"
                            "i: abc@192.0.2.1\r\n"
                            "CSeq: 7 OPTIONS\r\n"
                            "l: 0\r\n\r\n";
  char resp[2048];
  size_t m = sip_respond((const uint8_t *)req, sizeof(req) - 1, "ucscan-listener/1",
                         (uint8_t *)resp, sizeof(resp) - 1);
  assert_true(m > 0);
  resp[m] = '\0';
  assert_string_equal(resp, "SIP/2.0 200 OK\r\n"
                            "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKaaa\r\n"
                            "Via: SIP/2.0/TLS 192.0.2.2:5061;branch=z9hG4bKbbb, SIP/2.0/TLS "
                            "192.0.2.3;branch=z9hG4bKccc\r\n"
                            "From: \"Alice\" <sip:alice@contoso.test>;tag=1\r\n"
                            "To: <sip:fe01.contoso.test>;TAG=already\r\n"
                            "Call-ID: abc@192.0.2.1\r\n"
                            "CSeq: 7 OPTIONS\r\n"
                            "Server: ucscan-listener/1\r\n"
                            "Allow: OPTIONS\r\n"
                            "Accept: application/sdp\r\n"
                            "Content-Length: 0\r\n\r\n");
  /* a display name with a '>' inside quotes does not hide a missing tag */
  static const char req2[] = "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
                             "From: <sip:a@b>;tag=9\r\nTo: \"x;tag=y>\" <sip:x>\r\n"
                             "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
  m = sip_respond((const uint8_t *)req2, sizeof(req2) - 1, "s", (uint8_t *)resp, sizeof(resp) - 1);
  assert_true(m > 0);
  resp[m] = '\0';
  char tag[32];
  snprintf(tag, sizeof(tag), "To: \"x;tag=y>\" <sip:x>;tag=");
  assert_non_null(strstr(resp, tag));
}

static void test_respond_methods(void **unused)
{
  static const char invite[] = "INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
                               "From: <sip:a@b>;tag=9\r\nTo: <sip:x>\r\nCall-ID: c\r\n"
                               "CSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\nv=0\n";
  static const char ack[] = "ACK sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
                            "From: <sip:a@b>;tag=9\r\nTo: <sip:x>;tag=1\r\nCall-ID: c\r\n"
                            "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
  char resp[1024];
  size_t m =
      sip_respond((const uint8_t *)invite, sizeof(invite) - 1, "s", (uint8_t *)resp, sizeof(resp));
  assert_true(m > 30);
  assert_memory_equal(resp, "SIP/2.0 405 Method Not Allowed\r\n", 32);
  assert_int_equal(
      sip_respond((const uint8_t *)ack, sizeof(ack) - 1, "s", (uint8_t *)resp, sizeof(resp)), 0);
  /* the INVITE body must be complete */
  assert_int_equal(sip_request_complete((const uint8_t *)invite, sizeof(invite) - 2), 0);
  assert_int_equal(sip_request_complete((const uint8_t *)invite, sizeof(invite) - 1),
                   sizeof(invite) - 1);
  assert_int_equal(
      sip_respond((const uint8_t *)invite, sizeof(invite) - 2, "s", (uint8_t *)resp, sizeof(resp)),
      0);
}

static void test_respond_refuses(void **unused)
{
  struct probe_fx f;
  char req[2048], resp[2048];
  fx_init(&f, "fe01.contoso.test", 5061, UC_P_TLS);
  size_t n = probe_fx_build(&f, req, sizeof(req));
  const uint8_t *q = (const uint8_t *)req;
  uint8_t *o = (uint8_t *)resp;
  /* incomplete at every length */
  for (size_t k = 0; k < n; k++) {
    assert_int_equal(sip_request_complete(q, k), 0);
    assert_int_equal(sip_respond(q, k, "s", o, sizeof(resp)), 0);
  }
  /* bad server strings, no room */
  assert_int_equal(sip_respond(q, n, NULL, o, sizeof(resp)), 0);
  assert_int_equal(sip_respond(q, n, "a\r\nX-Evil: 1", o, sizeof(resp)), 0);
  assert_int_equal(sip_respond(q, n, "s", o, 40), 0);
  assert_true(sip_respond(q, n, "s", o, sizeof(resp)) > 0);
  probe_fx_done(&f);

  /* a response is not a request; missing Call-ID; bad Content-Length; control bytes */
  static const char *bad[] = {
      "SIP/2.0 200 OK\r\nVia: x\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n",
      "OPTIONS sip:x SIP/2.0\r\nVia: x\r\nFrom: a\r\nTo: b\r\nCSeq: 1 OPTIONS\r\n\r\n",
      "OPTIONS sip:x SIP/2.0\r\nVia: x\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 1x\r\n\r\n",
      "OPTIONS sip:x SIP/2.0\r\nVia: x\r\nFrom: a\x01\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 "
      "OPTIONS\r\n\r\n",
      "OPTIONS  sip:x SIP/2.0\r\nVia: x\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 "
      "OPTIONS\r\n\r\n",
      "OPTIONS sip:x HTTP/1.1\r\nVia: x\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 "
      "OPTIONS\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(sip_respond((const uint8_t *)bad[i], strlen(bad[i]), "s", o, sizeof(resp)), 0);
  assert_int_equal(sip_request_complete((const uint8_t *)bad[0], strlen(bad[0])),
                   TEXTPROTO_INVALID);
  assert_int_equal(sip_request_complete((const uint8_t *)bad[2], strlen(bad[2])),
                   TEXTPROTO_INVALID);
  /* an endless head is invalid once past the cap */
  size_t big = SIP_HDR_CAP + 10;
  char *r = test_malloc(big);
  memcpy(r, "OPTIONS sip:x SIP/2.0\r\nX: ", 26);
  memset(r + 26, 'a', big - 26);
  assert_int_equal(sip_request_complete((const uint8_t *)r, SIP_HDR_CAP), 0);
  assert_int_equal(sip_request_complete((const uint8_t *)r, big), TEXTPROTO_INVALID);
  test_free(r);
}

/* ---- replies as data: tests/data/sip/<case>/{input,env,expect} ---- */

static void test_data_cases(void **unused)
{
  data_cases_run("sip", DATA_JSON, probe_case_run, (void *)&sip_kind);
}

static void test_module_shape(void **unused)
{
  assert_string_equal(probe_sip.name, "sip");
  assert_int_equal(probe_sip.transport, UC_TCP);
  assert_true(probe_sip.read_cap > SIP_HDR_CAP && probe_sip.read_cap <= SIP_HDR_CAP + 8192);
  assert_true(probe_sip.state_size > 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build_request_tls),
      cmocka_unit_test(test_build_request_tcp),
      cmocka_unit_test(test_build_random_ids),
      cmocka_unit_test(test_build_ipv6),
      cmocka_unit_test(test_build_unusable),
      cmocka_unit_test(test_lync_200_with_body),
      cmocka_unit_test(test_provisional_then_final),
      cmocka_unit_test(test_split_every_step),
      cmocka_unit_test(test_drip_never_done_early),
      cmocka_unit_test(test_headers_over_cap),
      cmocka_unit_test(test_endless_header_line_drip),
      cmocka_unit_test(test_cr_only_lines),
      cmocka_unit_test(test_finish_partial),
      cmocka_unit_test(test_parse_status_line),
      cmocka_unit_test(test_header_get),
      cmocka_unit_test(test_respond_round_trip),
      cmocka_unit_test(test_respond_echoes_all_vias_and_tags),
      cmocka_unit_test(test_respond_methods),
      cmocka_unit_test(test_respond_refuses),
      cmocka_unit_test(test_data_cases),
      cmocka_unit_test(test_module_shape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
