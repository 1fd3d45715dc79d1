/* tests/unit/test_xmpp.c - XMPP stream probe on byte fixtures: our stream header (escaping),
 * peer stream headers as an Edge XMPP proxy and common servers send them, stream errors,
 * split and drip-fed headers, oversized and non-XMPP replies, and the responder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

/* An Edge Server's XMPP proxy answering on 5269: header and features in one segment. */
static const char edge_reply[] =
    "<?xml version='1.0'?>" EDGE_TAG
    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
    "<dialback xmlns='urn:xmpp:features:dialback'/></stream:features>";

static const char error_reply[] =
    "<?xml version='1.0'?>" EDGE_TAG
    "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
    "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>unknown domain</text></stream:error>"
    "</stream:stream>";

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
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, edge_reply, strlen(edge_reply)), PROBE_DONE);
  assert_ok(&f, "XMPP stream opened (from='contoso.test', version 1.0)");
  assert_string_equal(ev_str(&f, "stream"), EDGE_TAG);
  assert_string_equal(ev_str(&f, "from"), "contoso.test");
  assert_string_equal(ev_str(&f, "id"), "5c2a7e0e-1f3b-4d8a-9b6c-2e4f6a8c0d1e");
  assert_string_equal(ev_str(&f, "version"), "1.0");
  assert_null(json_object_get(ev_xmpp(&f), "stream_error"));
  assert_int_equal(json_object_size(ev_xmpp(&f)), 4);
  assert_int_equal(f.out.listener, 0);
  probe_fx_done(&f);
}

static void test_header_then_features(void **unused)
{
  struct probe_fx f;
  size_t head = strlen("<?xml version='1.0'?>" EDGE_TAG);
  fx_init(&f, "contoso.test");
  /* a 1.0 peer owes us features or an error: wait for them */
  assert_int_equal(probe_fx_classify(&f, edge_reply, head), PROBE_MORE);
  assert_int_equal(probe_fx_classify(&f, edge_reply, head + 5), PROBE_MORE); /* "<stre" */
  assert_int_equal(probe_fx_classify(&f, edge_reply, head + 17),
                   PROBE_DONE); /* "<stream:features>" */
  assert_ok(&f, "XMPP stream opened (from='contoso.test', version 1.0)");
  probe_fx_done(&f);

  /* the features never come: the header alone is still proof */
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, edge_reply, head), PROBE_MORE);
  probe_fx_finish(&f, PROBE_END_TIMEOUT, edge_reply, head);
  assert_ok(&f, "XMPP stream opened (from='contoso.test', version 1.0)");
  assert_string_equal(ev_str(&f, "id"), "5c2a7e0e-1f3b-4d8a-9b6c-2e4f6a8c0d1e");
  probe_fx_done(&f);
}

static void test_stream_error(void **unused)
{
  size_t len = strlen(error_reply);
  for (size_t step = 1; step <= len; step = step < 8 ? step + 1 : step * 2) {
    struct probe_fx f;
    fx_init(&f, "contoso.test");
    assert_int_not_equal(probe_fx_feed(&f, error_reply, len, step), 0);
    assert_ok(&f, "XMPP stream opened (from='contoso.test', version 1.0), then a stream error: "
                  "host-unknown");
    assert_true(json_is_true(json_object_get(ev_xmpp(&f), "stream_error")));
    assert_string_equal(ev_str(&f, "error_condition"), "host-unknown");
    probe_fx_done(&f);
  }
  /* byte by byte, DONE exactly when the condition's name has ended */
  struct probe_fx f;
  size_t at = strstr(error_reply, "<host-unknown") - error_reply + strlen("<host-unknown") + 1;
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_feed(&f, error_reply, len, 1), at);
  probe_fx_done(&f);

  /* an error with no condition, and one cut short */
  static const char bare[] = "<stream:stream from='x' version='1.0'><stream:error/>";
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, bare, sizeof(bare) - 1), PROBE_DONE);
  assert_ok(&f, "XMPP stream opened (from='x', version 1.0), then a stream error");
  assert_null(json_object_get(ev_xmpp(&f), "error_condition"));
  probe_fx_done(&f);
  static const char cut[] = "<stream:stream from='x' version='1.0'><stream:error><see-oth";
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, cut, sizeof(cut) - 1), PROBE_MORE);
  probe_fx_finish(&f, PROBE_END_EOF, cut, sizeof(cut) - 1);
  assert_ok(&f, "XMPP stream opened (from='x', version 1.0), then a stream error");
  probe_fx_done(&f);
}

static void test_pre_1_0_and_variants(void **unused)
{
  struct probe_fx f;
  /* dialback-only peer: no version, no features will follow, so no reason to wait */
  static const char old[] = "<stream:stream xmlns='jabber:server' "
                            "xmlns:stream='http://etherx.jabber.org/streams' "
                            "xmlns:db='jabber:server:dialback' id='1234' from='old.test'>";
  fx_init(&f, "old.test");
  assert_int_equal(probe_fx_classify(&f, old, sizeof(old) - 1), PROBE_DONE);
  assert_ok(&f, "XMPP stream opened (from='old.test', no version: pre-1.0 peer)");
  assert_null(json_object_get(ev_xmpp(&f), "version"));
  probe_fx_done(&f);

  /* BOM, whitespace, a double-quoted declaration, double quotes, line breaks and a '>'
   * inside an attribute value */
  static const char fancy[] = "\xef\xbb\xbf\r\n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<stream:stream\n  xmlns=\"jabber:server\"\n"
                              "  id = \"a>b\"\tversion=\"1.0\">\n  <stream:features/>";
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_feed(&f, fancy, sizeof(fancy) - 1, 1),
                   sizeof(fancy) - 2); /* at the '/' */
  assert_ok(&f, "XMPP stream opened (version 1.0)");
  assert_string_equal(ev_str(&f, "id"), "a>b");
  assert_string_equal(ev_str(&f, "stream"),
                      "<stream:stream   xmlns=\"jabber:server\"   id = \"a>b\" version=\"1.0\">");
  assert_null(json_object_get(ev_xmpp(&f), "from"));
  probe_fx_done(&f);

  /* no attributes at all */
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, "<stream:stream>", 15), PROBE_DONE);
  assert_ok(&f, "XMPP stream opened");
  probe_fx_done(&f);
}

static void test_long_values_capped(void **unused)
{
  struct probe_fx f;
  char r[2048], from[400];
  memset(from, 'f', 300);
  from[300] = '\0';
  snprintf(r, sizeof(r), "<stream:stream from='%s' id='\x80\xff' version='1.0'><x/>", from);
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, r, strlen(r)), PROBE_DONE);
  assert_int_equal(strlen(ev_str(&f, "stream")), 200);
  assert_int_equal(strlen(ev_str(&f, "from")), 128);
  assert_string_equal(ev_str(&f, "id"), "??");
  assert_true(strlen(f.out.reason) < UC_REASON_MAX);
  assert_non_null(strstr(f.out.reason, "(from='ffff"));
  probe_fx_done(&f);
}

static void test_listener_token(void **unused)
{
  struct probe_fx f;
  static const char r[] = "<?xml version='1.0'?><stream:stream from='contoso.test' "
                          "id='ucscan-listener/1 e1' version='1.0'><stream:features/>";
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, r, sizeof(r) - 1), PROBE_DONE);
  assert_int_equal(f.out.listener, 1);
  probe_fx_done(&f);
  /* the token elsewhere does not count */
  static const char r2[] = "<stream:stream from='ucscan-listener/1' id='x' version='1.0'><a/>";
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, r2, sizeof(r2) - 1), PROBE_DONE);
  assert_int_equal(f.out.listener, 0);
  probe_fx_done(&f);
}

static void test_not_xmpp(void **unused)
{
  static const struct {
    const char *r;
    const char *reason;
  } cases[] = {
      {"HTTP/1.1 400 Bad Request\r\nServer: Microsoft-HTTPAPI/2.0\r\n\r\n",
       "not an XMPP stream: an HTTP server answered 400 Bad Request (Server: "
       "Microsoft-HTTPAPI/2.0)"},
      {"SIP/2.0 400 Bad Request\r\n\r\n",
       "not an XMPP stream: a SIP server answered 400 Bad Request"},
      {"<html><body>hi</body></html>\n", "not an XMPP stream: '<html><body>hi</body></html>'"},
      {"<?xml version='1.0'?><html>\n", "not an XMPP stream: '<?xml version='1.0'?><html>'"},
      {"<stream:streamer>\n", "not an XMPP stream: '<stream:streamer>'"},
      {"<stream:stream/>\n", "not an XMPP stream: '<stream:stream/>'"},
      {"<stream:stream from='a'/>\n", "not an XMPP stream: '<stream:stream from='a'/>'"},
      {"<stream:stream a='<'>\n", "not an XMPP stream: '<stream:stream a='<'>'"},
      {"<?xmlfoo?><stream:stream>\n", "not an XMPP stream: '<?xmlfoo?><stream:stream>'"},
      {"<?php echo 1 ?>\n", "not an XMPP stream: '<?php echo 1 ?>'"},
      {"  \r\n<stream:error/>\n", "not an XMPP stream: '<stream:error/>'"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t len = strlen(cases[i].r);
    for (size_t step = 1; step <= len; step = step * 2 + 1) {
      struct probe_fx f;
      fx_init(&f, "contoso.test");
      assert_int_not_equal(probe_fx_feed(&f, cases[i].r, len, step), 0);
      assert_fail(&f, cases[i].reason);
      probe_fx_done(&f);
    }
  }
  /* binary: judged at the first byte */
  static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x02, 0x00};
  struct probe_fx f;
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, tls, 1), PROBE_DONE);
  assert_fail(&f, "not an XMPP stream: '?'");
  probe_fx_done(&f);
  /* a control byte inside the start tag */
  static const char ctl[] = "<stream:stream from='a\x02'>";
  fx_init(&f, "contoso.test");
  assert_int_equal(probe_fx_classify(&f, ctl, sizeof(ctl) - 1), PROBE_DONE);
  assert_fail(&f, "not an XMPP stream: '<stream:stream from='a?'>'");
  probe_fx_done(&f);
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

static void test_finish(void **unused)
{
  static const struct {
    enum probe_end why;
    const char *data;
    const char *reason;
  } cases[] = {
      {PROBE_END_TIMEOUT, "", "no XMPP answer to the stream header (timeout)"},
      {PROBE_END_EOF, "", "no XMPP answer to the stream header (connection closed)"},
      {PROBE_END_RESET, " \r\n", "no XMPP answer to the stream header (connection reset)"},
      {PROBE_END_EOF, "<?xml version='1.0'?><stream:stream from='x'",
       "incomplete XMPP stream header (connection closed): '<?xml version='1.0'?><stream:stream "
       "from='x''"},
      {PROBE_END_TIMEOUT, "<stre", "incomplete XMPP stream header (timeout): '<stre'"},
      {PROBE_END_EOF, "hello", "not an XMPP stream: 'hello'"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct probe_fx f;
    size_t len = strlen(cases[i].data);
    fx_init(&f, "contoso.test");
    assert_int_equal(probe_fx_classify(&f, cases[i].data, len), PROBE_MORE);
    probe_fx_finish(&f, cases[i].why, cases[i].data, len);
    assert_fail(&f, cases[i].reason);
    probe_fx_done(&f);
  }
}

/* ---- parsers ---- */

static void test_parse_stream_header(void **unused)
{
  const uint8_t *h = (const uint8_t *)edge_reply;
  size_t head = strlen("<?xml version='1.0'?>" EDGE_TAG);
  size_t ts = 99, te = 99;
  for (size_t n = 0; n < head; n++)
    assert_int_equal(xmpp_parse_stream_header(h, n, &ts, &te), 0);
  assert_int_equal(ts, 99); /* untouched until complete */
  assert_int_equal(xmpp_parse_stream_header(h, head, &ts, &te), 1);
  assert_int_equal(ts, 21);
  assert_int_equal(te, head);
  assert_int_equal(xmpp_parse_stream_header(h, strlen(edge_reply), NULL, NULL), 1);
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
      cmocka_unit_test(test_long_values_capped),
      cmocka_unit_test(test_listener_token),
      cmocka_unit_test(test_not_xmpp),
      cmocka_unit_test(test_header_over_cap),
      cmocka_unit_test(test_finish),
      cmocka_unit_test(test_parse_stream_header),
      cmocka_unit_test(test_tag_attr),
      cmocka_unit_test(test_respond_round_trip),
      cmocka_unit_test(test_respond_refuses),
      cmocka_unit_test(test_module_shape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
