/* tests/fuzz/fuzz_text.h - checks, and one driver, shared by the SIP and HTTP targets
 * (probes/textproto.h). */
#ifndef UC_FUZZ_TEXT_H
#define UC_FUZZ_TEXT_H

#include "fuzz_util.h"
#include "probes/textproto.h"

typedef int (*fuzz_status_fn)(const uint8_t *buf, size_t len, int *code, char *phrase, size_t cap);

/* A status line parser: 1 / 0 / -1 only; on 1 a code in [lo, hi] and a printable phrase
 * that fits cap; the same answer and code whatever the phrase buffer (a shorter phrase is a
 * prefix of a longer one); and prefixes agree with the whole: a complete line stays complete,
 * a line that cannot be one never becomes one. buf is an exact-size copy. */
__attribute__((unused)) static void fuzz_status_line(fuzz_status_fn fn, int lo, int hi,
                                                     const uint8_t *data, size_t size,
                                                     const char *name)
{
  static const size_t caps[] = {64, 8, 1};
  uint8_t *buf = fuzz_dup(data, size);
  char phrase[64], small[8], what[64];
  int code = -1;
  int rc = fn(buf, size, &code, phrase, sizeof(phrase));
  FUZZ_CHECK(rc == 1 || rc == 0 || rc == -1, "%s returned %d", name, rc);
  snprintf(what, sizeof(what), "%s phrase", name);
  if (rc == 1) {
    FUZZ_CHECK(code >= lo && code <= hi, "%s code %d", name, code);
    fuzz_check_printable(phrase, sizeof(phrase), 1, what);
  }
  for (size_t k = 1; k < sizeof(caps) / sizeof(caps[0]); k++) {
    int c2 = -1;
    memset(small, 'X', sizeof(small));
    int r2 = fn(buf, size, &c2, small, caps[k]);
    FUZZ_CHECK(r2 == rc, "%s: %d with a %zu-byte phrase buffer, %d with 64", name, r2, caps[k], rc);
    if (rc == 1) {
      FUZZ_CHECK(c2 == code, "%s: code %d vs %d", name, c2, code);
      fuzz_check_printable(small, caps[k], 1, what);
      FUZZ_CHECK(strncmp(small, phrase, strlen(small)) == 0, "%s: phrase \"%s\" vs \"%s\"", name,
                 small, phrase);
    }
  }
  FUZZ_CHECK(fn(buf, size, NULL, NULL, 0) == rc, "%s without outputs", name);
  free(buf);

  /* one prefix, its length picked by the input */
  size_t k = size ? (size_t)(fuzz_hash(data, size) % (size + 1)) : 0;
  uint8_t *pre = fuzz_dup(data, k);
  int pc = -1;
  int pr = fn(pre, k, &pc, phrase, sizeof(phrase));
  free(pre);
  if (pr == 1)
    FUZZ_CHECK(rc == 1 && pc == code,
               "%s: the %zu-byte prefix is a complete line (%d), the "
               "whole is %d",
               name, k, pc, rc);
  if (pr == -1)
    FUZZ_CHECK(rc == -1, "%s: the %zu-byte prefix cannot be a line, the whole is %d", name, k, rc);
}

/* An answer the responders write: text, every line ended by CRLF (no bare CR or LF, so no
 * value can start a header of its own), one header section ending exactly at the end. */
__attribute__((unused)) static void fuzz_check_head(const uint8_t *out, size_t n, const char *who)
{
  FUZZ_CHECK(n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0,
             "%s: answer does not end with "
             "a blank line",
             who);
  for (size_t i = 0; i < n; i++) {
    FUZZ_CHECK(out[i] != 0, "%s: NUL at %zu", who, i);
    if (out[i] == '\r')
      FUZZ_CHECK(i + 1 < n && out[i + 1] == '\n', "%s: bare CR at %zu", who, i);
    if (out[i] == '\n')
      FUZZ_CHECK(i > 0 && out[i - 1] == '\r', "%s: bare LF at %zu", who, i);
  }
  FUZZ_CHECK(textproto_header_end(out, n, NULL) == n, "%s: a blank line before the end", who);
}

/* ---- one driver for a text dialect's module and responder (SIP, HTTP) ---- */

typedef size_t (*fuzz_complete_fn)(const uint8_t *buf, size_t len);
typedef size_t (*fuzz_respond_fn)(const uint8_t *req, size_t len, const char *server, uint8_t *out,
                                  size_t cap);

/* What differs between the dialects: their functions, ports, protocols and words. */
struct fuzz_dialect {
  const struct probe_module *mod;
  fuzz_status_fn parse_status;
  fuzz_complete_fn request_complete;
  fuzz_respond_fn respond;
  const char *respond_name; /* "http_respond" */
  const char *method;       /* the request the module sends: "HEAD", "OPTIONS" */
  const char *ok_prefix;    /* an OK's reason starts with it, then the code: "HTTP " */
  int status_lo, status_hi; /* codes the status line parser accepts */
  int alt_answer;           /* a code the responder may answer besides 200 (0: none) */
  uint16_t plain_port, tls_port;
  enum uc_proto plain, secure;
};

static const uint8_t fuzz_dialect_rnd[32] = {0x11, 0x22, 0x33};

/* The module on the stream cut in various ways: the contract, and an OK names the status
 * code the parser reads. */
static void fuzz_dialect_module(const struct fuzz_dialect *dl, const uint8_t *data, size_t size)
{
  struct fuzz_target ft;
  struct fuzz_result whole;
  fuzz_target_init(&ft, "fe01.contoso.test", dl->plain_port, dl->plain);
  fuzz_run_tcp_segmented(dl->mod, &ft.t, fuzz_dialect_rnd, data, size, 1, &whole);
  int code = 0;
  if (whole.outcome == UC_OUT_OK) {
    FUZZ_CHECK(whole.state == UC_ST_OPEN && whole.has_evidence, "OK without evidence");
    if (dl->parse_status(data, size, &code, NULL, 0) == 1 && code >= 200) {
      char want[48];
      snprintf(want, sizeof(want), "%s%d", dl->ok_prefix, code);
      FUZZ_CHECK(strncmp(whole.reason, want, strlen(want)) == 0, "\"%s\" for status %d",
                 whole.reason, code);
    }
  } else {
    /* only another protocol's answer carries evidence (what answered), and only as a failure */
    FUZZ_CHECK(!whole.has_evidence || (whole.foreign && whole.outcome == UC_OUT_FAIL),
               "evidence without an answer");
  }
}

/* A responder's answer: a well-formed head, an expected status, accepted by the module. */
static void fuzz_dialect_answer(const struct fuzz_dialect *dl, const uint8_t *out, size_t n,
                                size_t cap, int want_listener)
{
  int code = 0;
  struct fuzz_target ft;
  struct fuzz_result r;
  FUZZ_CHECK(n <= cap, "answer of %zu bytes in %zu", n, cap);
  fuzz_check_head(out, n, dl->respond_name);
  FUZZ_CHECK(dl->parse_status(out, n, &code, NULL, 0) == 1 &&
                 (code == 200 || (dl->alt_answer && code == dl->alt_answer)),
             "answer status %d", code);
  fuzz_target_init(&ft, "fe01.contoso.test", dl->tls_port, dl->plain);
  fuzz_run_tcp(dl->mod, &ft.t, fuzz_dialect_rnd, out, n, NULL, 0, PROBE_END_EOF, &r);
  FUZZ_CHECK(r.done_in_classify && r.outcome == UC_OUT_OK && r.listener == want_listener,
             "the module did not accept the responder's answer: \"%s\"", r.reason);
}

/* The responder on the input as a request: a stable length, answers only to whole requests,
 * and nothing or a whole answer in a tight buffer. */
static void fuzz_dialect_responder(const struct fuzz_dialect *dl, const uint8_t *data, size_t size)
{
  static uint8_t out[TEXTPROTO_HDR_CAP + 4096];
  uint8_t *req = fuzz_dup(data, size);
  size_t total = dl->request_complete(req, size);
  FUZZ_CHECK(total == 0 || total == TEXTPROTO_INVALID || total <= size, "request length %zu of %zu",
             total, size);
  if (total && total != TEXTPROTO_INVALID) {
    uint8_t *one = fuzz_dup(data, total);
    FUZZ_CHECK(dl->request_complete(one, total) == total, "the request alone is not complete");
    free(one);
  }
  size_t n = dl->respond(req, size, "FE01 " UC_LISTENER_TOKEN, out, sizeof(out));
  FUZZ_CHECK(!n || (total && total != TEXTPROTO_INVALID), "answered an incomplete request");
  if (n)
    fuzz_dialect_answer(dl, out, n, sizeof(out), 1);
  size_t cap = size % 512;
  n = dl->respond(req, size, "FE01", out, cap);
  if (n)
    fuzz_dialect_answer(dl, out, n, cap, 0);
  free(req);
}

/* With a host name from the input: the module's request is one complete request, the
 * responder answers it 200, and the module accepts that; or the module says why it built
 * nothing. */
static void fuzz_dialect_round_trip(const struct fuzz_dialect *dl, const uint8_t *data, size_t size)
{
  static uint8_t out[TEXTPROTO_HDR_CAP];
  uint8_t req[4096];
  unsigned chunks = 0;
  char *host = fuzz_str(data, size, 80);
  struct fuzz_target ft;
  struct fuzz_result r;
  fuzz_target_init(&ft, host, (uint16_t)(fuzz_hash(data, size) & 0xFFFF),
                   size & 1 ? dl->plain : dl->secure);
  uint8_t state[1024] = {0};
  FUZZ_CHECK(dl->mod->state_size <= sizeof(state), "state");
  dl->mod->init(state, &ft.t, fuzz_dialect_rnd);
  size_t n = fuzz_build_all(dl->mod, state, &ft.t, req, sizeof(req), &chunks);
  if (n) {
    FUZZ_CHECK(chunks == 1 && n <= sizeof(req), "%u chunks, %zu bytes", chunks, n);
    FUZZ_CHECK(dl->request_complete(req, n) == n, "our %s is not one complete request: %.*s",
               dl->method, (int)n, req);
    size_t an = dl->respond(req, n, UC_LISTENER_TOKEN, out, sizeof(out));
    FUZZ_CHECK(an > 0, "our %s got no answer: %.*s", dl->method, (int)n, req);
    int code = 0;
    FUZZ_CHECK(dl->parse_status(out, an, &code, NULL, 0) == 1 && code == 200, "our %s answered %d",
               dl->method, code);
    fuzz_dialect_answer(dl, out, an, sizeof(out), 1);
  } else {
    fuzz_run_tcp(dl->mod, &ft.t, fuzz_dialect_rnd, NULL, 0, NULL, 0, PROBE_END_TIMEOUT, &r);
    FUZZ_CHECK(r.outcome == UC_OUT_FAIL && strstr(r.reason, "could not build"),
               "unbuildable request: \"%s\"", r.reason);
  }
  free(host);
}

/* Everything above, on one input. */
__attribute__((unused)) static void fuzz_dialect_run(const struct fuzz_dialect *dl,
                                                     const char *parser_name, const uint8_t *data,
                                                     size_t size)
{
  fuzz_status_line(dl->parse_status, dl->status_lo, dl->status_hi, data, size, parser_name);
  fuzz_dialect_module(dl, data, size);
  fuzz_dialect_responder(dl, data, size);
  fuzz_dialect_round_trip(dl, data, size);
}

#endif
