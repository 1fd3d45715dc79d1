/* tests/fuzz/fuzz_http.c - HTTP (probes/http.h): the status line parser, the probe_http module
 * on a stream cut in various ways, and the responder (http_request_complete, http_respond).
 *
 * The input is a byte stream: a reply for the parser and the module, a request for the
 * responder. Checks, beyond "no crash":
 *   status line     see fuzz_status_line() (fuzz_text.h): codes 100-599.
 *   module          the contract; the outcome does not depend on how the stream was cut;
 *                   an OK names the status code the status line parser reads (when the reply
 *                   starts with its final response).
 *   responder       http_request_complete returns 0, invalid, or a length within the input
 *                   that is stable (the request alone gives the same length); an answer is a
 *                   well-formed head (fuzz_check_head) with a 200 status line, and the
 *                   probe module accepts it as the ucscan listener.
 *   round trip      with a host name taken from the input: the HEAD request the module
 *                   builds is one complete request, the responder answers it 200, and the
 *                   module accepts that answer. */
#include "fuzz_text.h"
#include "probes/http.h"

static const uint8_t rnd[32] = {0x11, 0x22, 0x33};

static void module(const uint8_t *data, size_t size)
{
  struct fuzz_target ft;
  struct fuzz_result whole;
  fuzz_target_init(&ft, "fe01.contoso.test", 80, UC_P_HTTP);
  fuzz_run_tcp_segmented(&probe_http, &ft.t, rnd, data, size, 1, &whole);
  int code = 0;
  if (whole.outcome == UC_OUT_OK) {
    FUZZ_CHECK(whole.state == UC_ST_OPEN && whole.has_evidence, "OK without evidence");
    if (http_parse_status_line(data, size, &code, NULL, 0) == 1 && code >= 200) {
      char want[32];
      snprintf(want, sizeof(want), "HTTP %d", code);
      FUZZ_CHECK(strncmp(whole.reason, want, strlen(want)) == 0, "\"%s\" for status %d",
                 whole.reason, code);
    }
  } else {
    FUZZ_CHECK(!whole.has_evidence, "evidence without an answer");
  }
}

static void check_answer(const uint8_t *out, size_t n, size_t cap, int want_listener)
{
  int code = 0;
  struct fuzz_target ft;
  struct fuzz_result r;
  FUZZ_CHECK(n <= cap, "answer of %zu bytes in %zu", n, cap);
  fuzz_check_head(out, n, "http_respond");
  FUZZ_CHECK(http_parse_status_line(out, n, &code, NULL, 0) == 1 && code == 200, "answer status %d",
             code);
  fuzz_target_init(&ft, "fe01.contoso.test", 443, UC_P_HTTP);
  fuzz_run_tcp(&probe_http, &ft.t, rnd, out, n, NULL, 0, PROBE_END_EOF, &r);
  FUZZ_CHECK(r.done_in_classify && r.outcome == UC_OUT_OK && r.listener == want_listener,
             "the module did not accept the responder's answer: \"%s\"", r.reason);
}

static void responder(const uint8_t *data, size_t size)
{
  static uint8_t out[HTTP_HDR_CAP + 4096];
  uint8_t *req = fuzz_dup(data, size);
  size_t total = http_request_complete(req, size);
  FUZZ_CHECK(total == 0 || total == TEXTPROTO_INVALID || total <= size, "request length %zu of %zu",
             total, size);
  if (total && total != TEXTPROTO_INVALID) {
    uint8_t *one = fuzz_dup(data, total);
    FUZZ_CHECK(http_request_complete(one, total) == total, "the request alone is not complete");
    free(one);
  }
  size_t n = http_respond(req, size, "FE01 " UC_LISTENER_TOKEN, out, sizeof(out));
  FUZZ_CHECK(!n || (total && total != TEXTPROTO_INVALID), "answered an incomplete request");
  if (n)
    check_answer(out, n, sizeof(out), 1);
  /* a tight buffer: nothing, or a whole answer */
  size_t cap = size % 512;
  n = http_respond(req, size, "FE01", out, cap);
  if (n)
    check_answer(out, n, cap, 0);
  free(req);
}

static void round_trip(const uint8_t *data, size_t size)
{
  static uint8_t out[HTTP_HDR_CAP];
  uint8_t req[4096];
  unsigned chunks = 0;
  char *host = fuzz_str(data, size, 80);
  struct fuzz_target ft;
  struct fuzz_result r;
  fuzz_target_init(&ft, host, (uint16_t)(fuzz_hash(data, size) & 0xFFFF),
                   size & 1 ? UC_P_HTTP : UC_P_HTTPS);
  uint8_t state[1024] = {0};
  FUZZ_CHECK(probe_http.state_size <= sizeof(state), "state");
  probe_http.init(state, &ft.t, rnd);
  size_t n = fuzz_build_all(&probe_http, state, &ft.t, req, sizeof(req), &chunks);
  if (n) {
    FUZZ_CHECK(chunks == 1 && n <= sizeof(req), "%u chunks, %zu bytes", chunks, n);
    FUZZ_CHECK(http_request_complete(req, n) == n, "our HEAD is not one complete request: %.*s",
               (int)n, req);
    size_t an = http_respond(req, n, UC_LISTENER_TOKEN, out, sizeof(out));
    FUZZ_CHECK(an > 0, "our HEAD got no answer: %.*s", (int)n, req);
    int code = 0;
    FUZZ_CHECK(http_parse_status_line(out, an, &code, NULL, 0) == 1 && code == 200,
               "our HEAD answered %d", code);
    check_answer(out, an, sizeof(out), 1);
  } else {
    /* nothing to send: the module must say why */
    fuzz_run_tcp(&probe_http, &ft.t, rnd, NULL, 0, NULL, 0, PROBE_END_TIMEOUT, &r);
    FUZZ_CHECK(r.outcome == UC_OUT_FAIL && strstr(r.reason, "could not build"),
               "unbuildable request: \"%s\"", r.reason);
  }
  free(host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_status_line(http_parse_status_line, 100, 599, data, size, "http_parse_status_line");
  module(data, size);
  responder(data, size);
  round_trip(data, size);
  return 0;
}
