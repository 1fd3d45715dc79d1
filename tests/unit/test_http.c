/* tests/unit/test_http.c - HTTP HEAD probe on byte fixtures: the request, interim responses,
 * split and drip-fed replies, oversized ones, the status line parser and the responder. The
 * replies from IIS in front of the Lync web services, and the malformed and foreign ones, are
 * cases in tests/data/http/ with the outcome each gets. */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/http.h"
#include "probes/probe.h"
#include "probes/textproto.h"

/* ---- helpers ---- */

static void fx_init(struct probe_fx *f, const char *host, uint16_t port, enum uc_proto proto)
{
  probe_fx_init(f, &probe_http, host, "198.18.1.11", port, proto, NULL);
}

static void assert_ok(const struct probe_fx *f, int status, const char *server, const char *reason)
{
  assert_int_equal(f->out.outcome, UC_OUT_OK);
  assert_int_equal(f->out.state, UC_ST_OPEN);
  assert_string_equal(f->out.reason, reason);
  assert_non_null(f->out.evidence);
  json_t *h = json_object_get(f->out.evidence, "http");
  assert_true(json_is_object(h));
  assert_int_equal(json_object_size(h), 2);
  assert_int_equal(json_integer_value(json_object_get(h, "status")), status);
  json_t *sv = json_object_get(h, "server");
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

/* The replies are cases in tests/data/http/ (the kind's target below); the tests here take
 * some of them further than one reply: segmentation, prefixes, caps. */
static const struct probe_case_kind http_kind = {&probe_http, "fe01.contoso.test", "198.18.1.11",
                                                 80,          UC_P_HTTP,           NULL};

/* A case's reply (tests/data/http/<name>/input), NUL-terminated; test_free it. */
static char *reply(const char *name, size_t *len)
{
  return (char *)data_case_input("http", name, len);
}

/* ---- request ---- */

static void test_build_plain(void **unused)
{
  struct probe_fx f;
  char buf[1024];
  fx_init(&f, "lyncweb.contoso.test", 80, UC_P_HTTP);
  size_t n = probe_fx_build(&f, buf, sizeof(buf));
  assert_string_equal(buf, "HEAD / HTTP/1.1\r\n"
                           "Host: lyncweb.contoso.test\r\n"
                           "User-Agent: ucscan/0.1.0\r\n"
                           "Accept: */*\r\n"
                           "Connection: close\r\n"
                           "\r\n");
  assert_int_equal(n, strlen(buf));
  assert_int_equal(probe_http.build(f.st, &f.t, 1, (uint8_t *)buf, sizeof(buf)), 0);
  /* a complete request by our own responder's standard */
  assert_int_equal(http_request_complete((const uint8_t *)buf, n), n);
  assert_int_equal(http_request_complete((const uint8_t *)buf, n - 1), 0);
  probe_fx_done(&f);
}

static void test_build_host_port(void **unused)
{
  static const struct {
    const char *host;
    uint16_t port;
    enum uc_proto proto;
    const char *want;
  } cases[] = {
      {"fe01.contoso.test", 8080, UC_P_HTTP, "fe01.contoso.test:8080"},
      {"fe01.contoso.test", 443, UC_P_HTTPS, "fe01.contoso.test"},
      {"fe01.contoso.test", 4443, UC_P_HTTPS, "fe01.contoso.test:4443"},
      {"fe01.contoso.test", 443, UC_P_HTTP, "fe01.contoso.test:443"}, /* plain on 443 */
      {"fe01.contoso.test", 80, UC_P_HTTPS, "fe01.contoso.test:80"},
      {"2001:db8::10", 444, UC_P_HTTPS, "[2001:db8::10]:444"},
      {"2001:db8::10", 443, UC_P_HTTPS, "[2001:db8::10]"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct probe_fx f;
    char buf[1024], v[128];
    fx_init(&f, cases[i].host, cases[i].port, cases[i].proto);
    size_t n = probe_fx_build(&f, buf, sizeof(buf));
    assert_int_equal(textproto_header_get((uint8_t *)buf, n, "Host", v, sizeof(v)),
                     strlen(cases[i].want));
    assert_string_equal(v, cases[i].want);
    probe_fx_done(&f);
  }
  /* no host name: the address */
  struct probe_fx f;
  char buf[1024], v[128];
  fx_init(&f, NULL, 8080, UC_P_HTTP);
  size_t n = probe_fx_build(&f, buf, sizeof(buf));
  textproto_header_get((uint8_t *)buf, n, "Host", v, sizeof(v));
  assert_string_equal(v, "198.18.1.11:8080");
  probe_fx_done(&f);
}

static void test_build_unusable(void **unused)
{
  struct probe_fx f;
  char buf[1024];
  fx_init(&f, "a b", 80, UC_P_HTTP);
  assert_int_equal(probe_fx_build(&f, buf, sizeof(buf)), 0);
  probe_fx_finish(&f, PROBE_END_TIMEOUT, NULL, 0);
  assert_fail(&f, "could not build an HTTP HEAD request (unusable host name)");
  probe_fx_done(&f);
  fx_init(&f, "fe01.contoso.test", 80, UC_P_HTTP);
  assert_int_equal(probe_http.build(f.st, &f.t, 0, (uint8_t *)buf, 50), 0);
  probe_fx_done(&f);
}

/* ---- classify ---- */

static void test_interim_then_final(void **unused)
{
  struct probe_fx f;
  size_t len;
  char *r = reply("100-103-then-401", &len);
  fx_init(&f, "fe01.contoso.test", 443, UC_P_HTTPS);
  assert_int_equal(probe_fx_classify(&f, r, 25), PROBE_MORE);
  assert_int_equal(probe_fx_feed(&f, r, len, 1), len);
  assert_ok(&f, 401, "Microsoft-IIS/10.0", "HTTP 401 Unauthorized (Server: Microsoft-IIS/10.0)");
  probe_fx_done(&f);
  test_free(r);
}

static void test_split_and_drip(void **unused)
{
  size_t len;
  char *iis_401 = reply("iis-401", &len);
  for (size_t step = 1; step <= len; step += (step < 12 ? 1 : 41)) {
    struct probe_fx f;
    fx_init(&f, "lyncweb.contoso.test", 443, UC_P_HTTPS);
    assert_int_equal(probe_fx_feed(&f, iis_401, len, step), len);
    assert_ok(&f, 401, "Microsoft-IIS/10.0", "HTTP 401 Unauthorized (Server: Microsoft-IIS/10.0)");
    probe_fx_done(&f);
  }
  /* the head ends before the body: DONE at the blank line, body bytes never needed */
  struct probe_fx f;
  char r[2048];
  snprintf(r, sizeof(r), "%s<html><body>401 - Unauthorized</body></html>", iis_401);
  fx_init(&f, "lyncweb.contoso.test", 443, UC_P_HTTPS);
  for (size_t n = 0; n < len; n++)
    assert_int_equal(probe_fx_classify(&f, r, n), PROBE_MORE);
  assert_int_equal(probe_fx_classify(&f, r, len), PROBE_DONE);
  probe_fx_done(&f);
  test_free(iis_401);
}

static void test_headers_over_cap(void **unused)
{
  size_t cap = HTTP_HDR_CAP + 4096;
  char *r = test_malloc(cap);
  int n = snprintf(r, cap, "HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\nSet-Cookie: ");
  memset(r + n, 'c', HTTP_HDR_CAP);
  n += HTTP_HDR_CAP;
  memcpy(r + n, "\r\n\r\n", 4);
  n += 4;
  struct probe_fx f;
  fx_init(&f, "fe01.contoso.test", 443, UC_P_HTTPS);
  assert_int_equal(probe_fx_classify(&f, r, (size_t)n), PROBE_DONE);
  assert_fail(&f, "HTTP reply headers exceed 16384 bytes");
  probe_fx_done(&f);

  /* endless header line, drip-fed in odd steps: DONE as soon as the cap is passed */
  fx_init(&f, "fe01.contoso.test", 443, UC_P_HTTPS);
  assert_int_equal(probe_fx_feed(&f, r, (size_t)n, 7), HTTP_HDR_CAP + 7 - (HTTP_HDR_CAP % 7));
  assert_fail(&f, "HTTP reply headers exceed 16384 bytes");
  probe_fx_done(&f);

  /* at the read cap, finish says the same */
  fx_init(&f, "fe01.contoso.test", 443, UC_P_HTTPS);
  probe_fx_finish(&f, PROBE_END_CAP, r,
                  probe_http.read_cap < (size_t)n ? probe_http.read_cap : (size_t)n);
  assert_fail(&f, "HTTP reply headers exceed 16384 bytes");
  probe_fx_done(&f);
  test_free(r);
}

static void test_not_http(void **unused)
{
  /* a control byte is judged as soon as it arrives, quoting what has (the replies that are
   * not HTTP, and their reasons: tests/data/http) */
  static const char esc[] = "HTTP/1.1 200 O\x1bK\r\n\r\n";
  struct probe_fx f;
  fx_init(&f, "fe01.contoso.test", 80, UC_P_HTTP);
  assert_int_equal(probe_fx_feed(&f, esc, sizeof(esc) - 1, 1), 15);
  assert_fail(&f, "malformed HTTP status line: 'HTTP/1.1 200 O?'");
  probe_fx_done(&f);
}

static void test_parse_status_line(void **unused)
{
  int code = 0;
  char ph[32];
  const uint8_t *l = (const uint8_t *)"HTTP/1.1 401 Unauthorized\r\n";
  assert_int_equal(http_parse_status_line(l, 27, &code, ph, sizeof(ph)), 1);
  assert_int_equal(code, 401);
  assert_string_equal(ph, "Unauthorized");
  for (size_t n = 0; n < 27; n++)
    assert_int_equal(http_parse_status_line(l, n, &code, ph, sizeof(ph)), 0);
  assert_int_equal(
      http_parse_status_line((const uint8_t *)"HTTP/1.0 200 OK\n", 16, &code, ph, sizeof(ph)), 1);
  assert_int_equal(
      http_parse_status_line((const uint8_t *)"HTTP/1.9 200 OK\n", 16, &code, ph, sizeof(ph)), 1);
  assert_int_equal(http_parse_status_line((const uint8_t *)"HTTP/1.x", 8, &code, ph, 32), -1);
  assert_int_equal(
      http_parse_status_line((const uint8_t *)"HTTP/1.1 200 OK\r\r\n", 18, &code, ph, 32), -1);
  assert_int_equal(http_parse_status_line((const uint8_t *)"SIP/2.0 200 OK\r\n", 16, &code, ph, 32),
                   -1);
}

/* ---- responder ---- */

static void test_respond_round_trip(void **unused)
{
  struct probe_fx f;
  char req[1024], resp[512];
  fx_init(&f, "fe01.contoso.test", 443, UC_P_HTTPS);
  size_t n = probe_fx_build(&f, req, sizeof(req));
  size_t m = http_respond((const uint8_t *)req, n, "ucscan-listener/1 front-end", (uint8_t *)resp,
                          sizeof(resp) - 1);
  assert_true(m > 0);
  resp[m] = '\0';
  assert_string_equal(resp, "HTTP/1.1 200 OK\r\n"
                            "Server: ucscan-listener/1 front-end\r\n"
                            "Content-Length: 0\r\n"
                            "Connection: close\r\n\r\n");
  assert_int_equal(probe_fx_classify(&f, resp, m), PROBE_DONE);
  assert_ok(&f, 200, "ucscan-listener/1 front-end",
            "HTTP 200 OK (Server: ucscan-listener/1 front-end)");
  assert_int_equal(f.out.listener, 1);
  probe_fx_done(&f);
}

static void test_respond_refuses(void **unused)
{
  struct probe_fx f;
  char req[1024], resp[512];
  uint8_t *o = (uint8_t *)resp;
  fx_init(&f, "fe01.contoso.test", 80, UC_P_HTTP);
  size_t n = probe_fx_build(&f, req, sizeof(req));
  const uint8_t *q = (const uint8_t *)req;
  for (size_t k = 0; k < n; k++)
    assert_int_equal(http_respond(q, k, "s", o, sizeof(resp)), 0);
  assert_int_equal(http_respond(q, n, NULL, o, sizeof(resp)), 0);
  assert_int_equal(http_respond(q, n, "x\r\nSet-Cookie: a=b", o, sizeof(resp)), 0);
  assert_int_equal(http_respond(q, n, "s", o, 20), 0);
  probe_fx_done(&f);

  /* a POST with a body waits for the body */
  static const char post[] = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
  assert_int_equal(http_request_complete((const uint8_t *)post, sizeof(post) - 2), 0);
  assert_int_equal(http_request_complete((const uint8_t *)post, sizeof(post) - 1),
                   sizeof(post) - 1);
  assert_true(http_respond((const uint8_t *)post, sizeof(post) - 1, "s", o, sizeof(resp)) > 0);

  static const char *bad[] = {
      "HTTP/1.1 200 OK\r\n\r\n",
      "GET / SIP/2.0\r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      "GET  HTTP/1.1\r\n\r\n", /* no request-target */
      "GET / HTTP/1.1 extra\r\n\r\n",
      "G(T / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(http_request_complete((const uint8_t *)bad[i], strlen(bad[i])),
                     TEXTPROTO_INVALID);
    assert_int_equal(http_respond((const uint8_t *)bad[i], strlen(bad[i]), "s", o, sizeof(resp)),
                     0);
  }
  /* leading empty lines are tolerated (RFC 9112 2.2) */
  static const char lead[] = "\r\n\r\nGET / HTTP/1.0\n\n";
  assert_int_equal(http_request_complete((const uint8_t *)lead, sizeof(lead) - 1),
                   sizeof(lead) - 1);
}

/* ---- replies as data: tests/data/http/<case>/{input,env,expect} ---- */

static void test_data_cases(void **unused)
{
  data_cases_run("http", DATA_JSON, probe_case_run, (void *)&http_kind);
}

static void test_module_shape(void **unused)
{
  assert_string_equal(probe_http.name, "http");
  assert_int_equal(probe_http.transport, UC_TCP);
  assert_true(probe_http.read_cap > HTTP_HDR_CAP);
  assert_true(probe_http.state_size > 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build_plain),        cmocka_unit_test(test_build_host_port),
      cmocka_unit_test(test_build_unusable),     cmocka_unit_test(test_interim_then_final),
      cmocka_unit_test(test_split_and_drip),     cmocka_unit_test(test_headers_over_cap),
      cmocka_unit_test(test_not_http),           cmocka_unit_test(test_parse_status_line),
      cmocka_unit_test(test_respond_round_trip), cmocka_unit_test(test_respond_refuses),
      cmocka_unit_test(test_data_cases),         cmocka_unit_test(test_module_shape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
