/* tests/fuzz/fuzz_xmpp.c - XMPP (probes/xmpp.h): the stream header parser, attribute lookup,
 * the probe_xmpp module on a stream cut in various ways, and the responder.
 *
 * Checks, beyond "no crash":
 *   header parser   returns 1/0/-1/-2 only (-2 only past XMPP_HDR_CAP bytes); on 1 the tag
 *                   lies inside the first XMPP_HDR_CAP bytes, starts "<stream:stream" and ends
 *                   with '>'; prefixes agree with the whole (a complete tag stays complete
 *                   and the same, a stream that cannot be XMPP never becomes one).
 *   attributes      a value found is printable and no longer than its raw length.
 *   module          the contract; the outcome does not depend on how the stream was cut (the
 *                   reason may: a pre-1.0 peer is accepted as soon as its tag is complete, so
 *                   whether a stream error after it is mentioned depends on timing).
 *   responder       an answer (with names from the input, too) is itself a complete stream
 *                   header, and the module accepts it (as the listener, with our stream id).
 *   round trip      with a host from the input: our stream header is answered and accepted. */
#include "fuzz_util.h"
#include "probes/xmpp.h"

static const uint8_t rnd[32];

static void header(const uint8_t *data, size_t size)
{
  static const char *const names[] = {"from", "id", "version", "to", "xmlns", "xmlns:stream", ""};
  uint8_t *buf = fuzz_dup(data, size);
  size_t ts = SIZE_MAX, te = SIZE_MAX;
  int rc = xmpp_parse_stream_header(buf, size, &ts, &te);
  FUZZ_CHECK(rc >= -2 && rc <= 1, "xmpp_parse_stream_header returned %d", rc);
  FUZZ_CHECK(rc != -2 || size > XMPP_HDR_CAP, "-2 for %zu bytes", size);
  FUZZ_CHECK(xmpp_parse_stream_header(buf, size, NULL, NULL) == rc, "NULL outputs change it");
  if (rc == 1) {
    FUZZ_CHECK(ts < te && te <= size && te <= XMPP_HDR_CAP, "tag [%zu, %zu) of %zu", ts, te, size);
    FUZZ_CHECK(te - ts > 14 && memcmp(buf + ts, "<stream:stream", 14) == 0 && buf[te - 1] == '>',
               "tag [%zu, %zu) is not a stream start tag", ts, te);
    uint8_t *tag = fuzz_dup(buf + ts, te - ts);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
      char val[129], small[4];
      long n = xmpp_tag_attr(tag, te - ts, names[i], val, sizeof(val));
      long m = xmpp_tag_attr(tag, te - ts, names[i], small, sizeof(small));
      FUZZ_CHECK(n == m, "attribute %s: %ld vs %ld with a small buffer", names[i], n, m);
      FUZZ_CHECK(n >= -1 && n < (long)(te - ts), "attribute %s length %ld", names[i], n);
      if (n >= 0) {
        fuzz_check_printable(val, sizeof(val), 1, "xmpp attribute");
        fuzz_check_printable(small, sizeof(small), 1, "xmpp attribute");
        FUZZ_CHECK(strlen(val) <= (size_t)n, "value longer than its raw length");
      }
    }
    free(tag);
  }
  /* xmpp_tag_attr on anything at all */
  char val[16];
  long n = xmpp_tag_attr(buf, size, "id", val, sizeof(val));
  FUZZ_CHECK(n >= -1 && (n < 0 || (size_t)n < size), "xmpp_tag_attr on raw bytes: %ld", n);
  free(buf);

  size_t k = size ? (size_t)(fuzz_hash(data, size) % (size + 1)) : 0;
  uint8_t *pre = fuzz_dup(data, k);
  size_t pts = 0, pte = 0;
  int pr = xmpp_parse_stream_header(pre, k, &pts, &pte);
  free(pre);
  if (pr == 1)
    FUZZ_CHECK(rc == 1 && pts == ts && pte == te, "the %zu-byte prefix has a tag, the whole %d", k,
               rc);
  if (pr == -1)
    FUZZ_CHECK(rc == -1, "the %zu-byte prefix cannot be XMPP, the whole is %d", k, rc);
}

/* An answer of xmpp_respond: a stream header the module accepts, as the listener's when
 * want_listener is 1 (-1: either; an id from the input may be escaped and truncated past the
 * token). */
static void check_answer(const uint8_t *out, size_t n, size_t cap, int want_listener)
{
  struct fuzz_target ft;
  struct fuzz_result r;
  size_t ts, te;
  FUZZ_CHECK(n <= cap, "answer of %zu bytes in %zu", n, cap);
  FUZZ_CHECK(xmpp_parse_stream_header(out, n, &ts, &te) == 1 || n > XMPP_HDR_CAP,
             "the answer is not a stream header: %.*s", (int)n, out);
  fuzz_target_init(&ft, "edge01.contoso.test", 5269, UC_P_XMPP);
  fuzz_run_tcp(&probe_xmpp, &ft.t, rnd, out, n, NULL, 0, PROBE_END_EOF, &r);
  if (n <= XMPP_HDR_CAP)
    FUZZ_CHECK(r.outcome == UC_OUT_OK && (want_listener < 0 || r.listener == want_listener),
               "the module did not accept the answer: \"%s\"", r.reason);
}

static void responder(const uint8_t *data, size_t size)
{
  static uint8_t out[2 * XMPP_HDR_CAP];
  const char *id = UC_LISTENER_TOKEN " 0123";
  uint8_t *req = fuzz_dup(data, size);
  size_t n = xmpp_respond(req, size, "edge01.contoso.test", id, out, sizeof(out));
  FUZZ_CHECK(!n || xmpp_parse_stream_header(req, size, NULL, NULL) == 1,
             "answered something that is not a stream header");
  if (n)
    check_answer(out, n, sizeof(out), 1);
  n = xmpp_respond(req, size, "edge01.contoso.test", id, out, size % 300);
  if (n)
    check_answer(out, n, size % 300, 1);
  free(req);

  /* our names from the input: escaped or refused, never breaking the tag */
  static const uint8_t hello[] = "<stream:stream to='x'>";
  size_t half = size / 2;
  char *from = fuzz_str(data, half, 200), *sid = fuzz_str(data + half, size - half, 200);
  n = xmpp_respond(hello, sizeof(hello) - 1, from, sid, out, sizeof(out));
  if (n)
    check_answer(out, n, sizeof(out), -1);
  free(from);
  free(sid);
}

static void round_trip(const uint8_t *data, size_t size)
{
  static uint8_t out[2 * XMPP_HDR_CAP];
  uint8_t req[4096], state[256] = {0};
  char *host = fuzz_str(data, size, 100);
  unsigned chunks = 0;
  struct fuzz_target ft;
  fuzz_target_init(&ft, host, 5269, UC_P_XMPP);
  FUZZ_CHECK(probe_xmpp.state_size <= sizeof(state), "state");
  probe_xmpp.init(state, &ft.t, rnd);
  size_t n = fuzz_build_all(&probe_xmpp, state, &ft.t, req, sizeof(req), &chunks);
  if (n) {
    FUZZ_CHECK(xmpp_parse_stream_header(req, n, NULL, NULL) == 1,
               "our stream header does not parse: %.*s", (int)n, req);
    size_t an = xmpp_respond(req, n, "edge01.contoso.test", UC_LISTENER_TOKEN, out, sizeof(out));
    FUZZ_CHECK(an > 0, "our stream header got no answer");
    check_answer(out, an, sizeof(out), 1);
  }
  free(host);
}

static void module(const uint8_t *data, size_t size)
{
  struct fuzz_target ft;
  struct fuzz_result whole;
  fuzz_target_init(&ft, "edge01.contoso.test", 5269, UC_P_XMPP);
  fuzz_run_tcp_segmented(&probe_xmpp, &ft.t, rnd, data, size, 0, &whole);
  FUZZ_CHECK(whole.outcome != UC_OUT_OK || whole.has_evidence, "OK without evidence");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  header(data, size);
  module(data, size);
  responder(data, size);
  round_trip(data, size);
  return 0;
}
