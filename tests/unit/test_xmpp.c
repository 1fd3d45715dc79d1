/* tests/unit/test_xmpp.c - XMPP stream probe on byte fixtures: our stream header (escaping),
 * prefixes and drip-fed headers, oversized ones, the parsers and the responder. The peer stream
 * headers as an Edge XMPP proxy and common servers send them, stream errors and non-XMPP
 * replies are cases in tests/data/xmpp/ with the outcome each gets. */
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

#include "probes/probe.h"
#include "probes/xmpp.h"

/* ---- helpers ---- */

static void fx_init(struct probe_fx *f, const char *host)
{
  probe_fx_init(f, &probe_xmpp, host, "198.18.2.21", 5269, UC_P_XMPP, NULL);
}

static json_t *ev_xmpp(const struct probe_fx *f)
{
  assert_non_null(f->out.evidence);
  json_t *x = json_object_get(f->out.evidence, "xmpp");
  assert_true(json_is_object(x));
  return x;
}

static const char *ev_str(const struct probe_fx *f, const char *key)
{
  json_t *v = json_object_get(ev_xmpp(f), key);
  return v ? json_string_value(v) : NULL;
}

static void assert_ok(const struct probe_fx *f, const char *reason)
{
  assert_int_equal(f->out.outcome, UC_OUT_OK);
  assert_int_equal(f->out.state, UC_ST_OPEN);
  assert_string_equal(f->out.reason, reason);
  assert_non_null(ev_str(f, "stream"));
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

#define EDGE_TAG                                                                                   \
  "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "          \
  "xmlns:db='jabber:server:dialback' from='contoso.test' "                                         \
  "id='5c2a7e0e-1f3b-4d8a-9b6c-2e4f6a8c0d1e' version='1.0'>"

/* The replies are cases in tests/data/xmpp/ (the kind's target below); the tests here take
 * some of them further than one reply: prefixes, segmentation, caps, the parsers. The Edge's
 * answer (edge-features) starts with "<?xml version='1.0'?>" EDGE_TAG. */
static const struct probe_case_kind xmpp_kind = {&probe_xmpp, "contoso.test", "198.18.2.21",
                                                 5269,        UC_P_XMPP,      NULL};

/* A case's reply (tests/data/xmpp/<name>/input), NUL-terminated; test_free it. */
static char *reply(const char *name, size_t *len)
{
  return (char *)data_case_input("xmpp", name, len);
}

/* ---- request ---- */

static void test_build(void **unused)
{
  struct probe_fx f;
  char buf[1024];
  fx_init(&f, "contoso.test");
  size_t n = probe_fx_build(&f, buf, sizeof(buf));
  assert_string_equal(buf, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                           "xmlns:stream='http://etherx.jabber.org/streams' to='contoso.test' "
                           "version='1.0'>");
  assert_int_equal(n, strlen(buf));
  assert_int_equal(probe_xmpp.build(f.st, &f.t, 1, (uint8_t *)buf, sizeof(buf)), 0);
  /* our own parser reads it as a stream header */
  size_t ts = 0, te = 0;
  assert_int_equal(xmpp_parse_stream_header((uint8_t *)buf, n, &ts, &te), 1);
  assert_int_equal(ts, 21);
  assert_int_equal(te, n);
  probe_fx_done(&f);
}

static void test_build_escaping(void **unused)
{
  struct probe_fx f;
  char buf[1024], v[64];
  fx_init(&f, "a&b<c>'d\"e");
  size_t n = probe_fx_build(&f, buf, sizeof(buf));
  assert_non_null(strstr(buf, " to='a&amp;b&lt;c&gt;&apos;d&quot;e' "));
  size_t ts, te;
  assert_int_equal(xmpp_parse_stream_header((uint8_t *)buf, n, &ts, &te), 1);
  assert_int_equal(te, n);
  assert_int_equal(xmpp_tag_attr((uint8_t *)buf + ts, te - ts, "version", v, sizeof(v)), 3);
  probe_fx_done(&f);

  /* control bytes cannot be carried by XML 1.0 at all */
  fx_init(&f, "contoso.test\x01");
  assert_int_equal(probe_fx_build(&f, buf, sizeof(buf)), 0);
  probe_fx_finish(&f, PROBE_END_TIMEOUT, NULL, 0);
  assert_fail(&f, "could not build an XMPP stream header (unusable host name)");
  probe_fx_done(&f);

  /* too small a buffer */
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_xmpp.build(f.st, &f.t, 0, (uint8_t *)buf, 64), 0);
  probe_fx_done(&f);
}

static void test_build_address(void **unused)
{
  struct probe_fx f;
  char buf[1024];
  fx_init(&f, NULL);
  probe_fx_build(&f, buf, sizeof(buf));
  assert_non_null(strstr(buf, " to='198.18.2.21' "));
  probe_fx_done(&f);
  fx_init(&f, "");
  f.sa6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::7", &f.sa6.sin6_addr);
  f.t.addr = (const struct sockaddr *)&f.sa6;
  probe_fx_build(&f, buf, sizeof(buf));
  assert_non_null(strstr(buf, " to='[2001:db8::7]' "));
  probe_fx_done(&f);
}

/* ---- classify ---- */

static void test_edge_stream(void **unused)
{
  struct probe_fx f;
  size_t len;
  char *edge_reply = reply("edge-features", &len);
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, edge_reply, len), PROBE_DONE);
  assert_string_equal(ev_str(&f, "stream"), EDGE_TAG);
  probe_fx_done(&f);
  test_free(edge_reply);
}

static void test_header_then_features(void **unused)
{
  struct probe_fx f;
  size_t len, head = strlen("<?xml version='1.0'?>" EDGE_TAG);
  char *edge_reply = reply("edge-features", &len);
  fx_init(&f, "contoso.test");
  /* a 1.0 peer owes us features or an error: wait for them (they never come: the case
   * edge-header-without-features) */
  assert_int_equal(probe_fx_classify(&f, edge_reply, head), PROBE_MORE);
  assert_int_equal(probe_fx_classify(&f, edge_reply, head + 5), PROBE_MORE); /* "<stre" */
  assert_int_equal(probe_fx_classify(&f, edge_reply, head + 17),
                   PROBE_DONE); /* "<stream:features>" */
  assert_ok(&f, "XMPP stream opened (from='contoso.test', version 1.0)");
  probe_fx_done(&f);
  test_free(edge_reply);
}

static void test_stream_error(void **unused)
{
  /* byte by byte, DONE exactly when the condition's name has ended (the outcome, however the
   * reply is cut: the case edge-host-unknown) */
  struct probe_fx f;
  size_t len;
  char *error_reply = reply("edge-host-unknown", &len);
  size_t at = strstr(error_reply, "<host-unknown") - error_reply + strlen("<host-unknown") + 1;
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_feed(&f, error_reply, len, 1), at);
  probe_fx_done(&f);
  test_free(error_reply);
}

static void test_pre_1_0_and_variants(void **unused)
{
  /* BOM, whitespace, a double-quoted declaration, double quotes, line breaks and a '>' inside
   * an attribute value: DONE at the '/' of the features (the outcome: the case) */
  struct probe_fx f;
  size_t len;
  char *fancy = reply("bom-double-quotes-line-breaks", &len);
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_feed(&f, fancy, len, 1), len - 1);
  assert_ok(&f, "XMPP stream opened (version 1.0)");
  probe_fx_done(&f);
  test_free(fancy);
}

static void test_header_over_cap(void **unused)
{
  size_t len = probe_xmpp.read_cap;
  char *r = test_malloc(len);
  static const char start[] = "<?xml version='1.0'?><stream:stream from='";
  memcpy(r, start, sizeof(start) - 1);
  memset(r + sizeof(start) - 1, 'x', len - (sizeof(start) - 1));
  struct probe_fx f;
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_feed(&f, r, len, 1), XMPP_HDR_CAP + 1);
  assert_fail(&f, "XMPP stream header exceeds 4096 bytes");
  probe_fx_done(&f);

  /* a start tag that does end, but only after the cap, all in one piece */
  memcpy(r + XMPP_HDR_CAP + 100, "' version='1.0'><stream:features/>", 34);
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, r, XMPP_HDR_CAP + 134), PROBE_DONE);
  assert_fail(&f, "XMPP stream header exceeds 4096 bytes");
  probe_fx_done(&f);
  assert_int_equal(xmpp_parse_stream_header((uint8_t *)r, XMPP_HDR_CAP + 134, NULL, NULL), -2);

  /* a declaration that never ends */
  memcpy(r, "<?xml ", 6);
  memset(r + 6, ' ', len - 6);
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, r, XMPP_HDR_CAP), PROBE_MORE);
  probe_fx_finish(&f, PROBE_END_CAP, r, len);
  assert_fail(&f, "XMPP stream header exceeds 4096 bytes");
  probe_fx_done(&f);

  /* endless whitespace */
  memset(r, '\n', len);
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_feed(&f, r, len, 1000), 5000);
  assert_fail(&f, "XMPP stream header exceeds 4096 bytes");
  probe_fx_done(&f);
  test_free(r);
}

/* ---- parsers ---- */

static void test_parse_stream_header(void **unused)
{
  size_t len;
  char *edge_reply = reply("edge-features", &len);
  const uint8_t *h = (const uint8_t *)edge_reply;
  size_t head = strlen("<?xml version='1.0'?>" EDGE_TAG);
  size_t ts = 99, te = 99;
  for (size_t n = 0; n < head; n++)
    assert_int_equal(xmpp_parse_stream_header(h, n, &ts, &te), 0);
  assert_int_equal(ts, 99); /* untouched until complete */
  assert_int_equal(xmpp_parse_stream_header(h, head, &ts, &te), 1);
  assert_int_equal(ts, 21);
  assert_int_equal(te, head);
  assert_int_equal(xmpp_parse_stream_header(h, len, NULL, NULL), 1);
  test_free(edge_reply);
  assert_int_equal(xmpp_parse_stream_header((const uint8_t *)"\xef\xbb", 2, NULL, NULL), 0);
  assert_int_equal(xmpp_parse_stream_header((const uint8_t *)"\xef\xbb\xbe", 3, NULL, NULL), -1);
  assert_int_equal(xmpp_parse_stream_header((const uint8_t *)"x", 1, NULL, NULL), -1);
  assert_int_equal(xmpp_parse_stream_header((const uint8_t *)"<", 1, NULL, NULL), 0);
  assert_int_equal(xmpp_parse_stream_header((const uint8_t *)"<?xml?>", 7, NULL, NULL), 0);
}

static void test_tag_attr(void **unused)
{
  static const char tag[] = "<stream:stream a='1' from = \"x.test\" id='' b='q\"q' version='1.0'>";
  const uint8_t *t = (const uint8_t *)tag;
  size_t n = sizeof(tag) - 1;
  char v[8];
  assert_int_equal(xmpp_tag_attr(t, n, "from", v, sizeof(v)), 6);
  assert_string_equal(v, "x.test");
  assert_int_equal(xmpp_tag_attr(t, n, "id", v, sizeof(v)), 0);
  assert_string_equal(v, "");
  assert_int_equal(xmpp_tag_attr(t, n, "b", v, sizeof(v)), 3);
  assert_string_equal(v, "q\"q");
  assert_int_equal(xmpp_tag_attr(t, n, "version", v, sizeof(v)), 3);
  assert_int_equal(xmpp_tag_attr(t, n, "to", v, sizeof(v)), -1);
  assert_int_equal(xmpp_tag_attr(t, n, "From", v, sizeof(v)), -1); /* XML is case-sensitive */
  assert_int_equal(xmpp_tag_attr(t, n, "fro", v, sizeof(v)), -1);
  char small[3];
  assert_int_equal(xmpp_tag_attr(t, n, "from", small, sizeof(small)), 6);
  assert_string_equal(small, "x.");
  /* cut inside a value: absent, never read past len */
  assert_int_equal(xmpp_tag_attr(t, 30, "from", v, sizeof(v)), -1);
  assert_int_equal(xmpp_tag_attr((const uint8_t *)"x", 1, "from", v, sizeof(v)), -1);
}

/* ---- responder ---- */

static void test_respond_round_trip(void **unused)
{
  struct probe_fx f;
  char req[1024], resp[1024];
  fx_init(&f, "contoso.test");
  size_t n = probe_fx_build(&f, req, sizeof(req));
  size_t m = xmpp_respond((uint8_t *)req, n, "contoso.test", "ucscan-listener/1 7f3a",
                          (uint8_t *)resp, sizeof(resp) - 1);
  assert_true(m > 0);
  resp[m] = '\0';
  assert_string_equal(resp, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                            "xmlns:stream='http://etherx.jabber.org/streams' from='contoso.test' "
                            "id='ucscan-listener/1 7f3a' version='1.0'><stream:features/>");
  assert_int_equal(probe_fx_classify(&f, resp, m), PROBE_DONE);
  assert_ok(&f, "XMPP stream opened (from='contoso.test', version 1.0)");
  assert_int_equal(f.out.listener, 1);
  probe_fx_done(&f);
}

static void test_respond_refuses(void **unused)
{
  struct probe_fx f;
  char req[1024], resp[1024];
  uint8_t *o = (uint8_t *)resp;
  fx_init(&f, "contoso.test");
  size_t n = probe_fx_build(&f, req, sizeof(req));
  const uint8_t *q = (const uint8_t *)req;
  for (size_t k = 0; k < n; k++)
    assert_int_equal(xmpp_respond(q, k, "d", "i", o, sizeof(resp)), 0);
  assert_int_equal(xmpp_respond(q, n, NULL, "i", o, sizeof(resp)), 0);
  assert_int_equal(xmpp_respond(q, n, "d", NULL, o, sizeof(resp)), 0);
  assert_int_equal(xmpp_respond(q, n, "d\n", "i", o, sizeof(resp)), 0);
  assert_int_equal(xmpp_respond(q, n, "d", "i", o, 100), 0);
  assert_int_equal(
      xmpp_respond((const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, "d", "i", o, sizeof(resp)), 0);
  size_t m = xmpp_respond(q, n, "a'b&c", "<id>", o, sizeof(resp) - 1);
  assert_true(m > 0);
  resp[m] = '\0';
  assert_non_null(strstr(resp, " from='a&apos;b&amp;c' id='&lt;id&gt;' "));
  probe_fx_done(&f);
}

/* ---- replies as data: tests/data/xmpp/<case>/{input,env,expect} ---- */

static void test_data_cases(void **unused)
{
  data_cases_run("xmpp", DATA_JSON, probe_case_run, (void *)&xmpp_kind);
}

static void test_module_shape(void **unused)
{
  assert_string_equal(probe_xmpp.name, "xmpp");
  assert_int_equal(probe_xmpp.transport, UC_TCP);
  assert_true(probe_xmpp.read_cap > XMPP_HDR_CAP);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build),
      cmocka_unit_test(test_build_escaping),
      cmocka_unit_test(test_build_address),
      cmocka_unit_test(test_edge_stream),
      cmocka_unit_test(test_header_then_features),
      cmocka_unit_test(test_stream_error),
      cmocka_unit_test(test_pre_1_0_and_variants),
      cmocka_unit_test(test_header_over_cap),
      cmocka_unit_test(test_parse_stream_header),
      cmocka_unit_test(test_tag_attr),
      cmocka_unit_test(test_respond_round_trip),
      cmocka_unit_test(test_respond_refuses),
      cmocka_unit_test(test_data_cases),
      cmocka_unit_test(test_module_shape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
