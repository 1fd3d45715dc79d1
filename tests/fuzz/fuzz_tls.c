/* tests/fuzz/fuzz_tls.c - a client tls_conn (probes/tls.h) fed arbitrary bytes as the server's
 * reply, in arbitrary segments, then judged (tls_conn_evidence, which also runs the certificate
 * code of probes/cert.c on any certificate the bytes carry).
 *
 * The fuzzer cannot finish a handshake (it would need the session keys), so the connection
 * must end FAILED or still WANT_IO, never DONE. Checks, beyond "no crash" and no leak:
 *   - every call leaves OpenSSL's error queue empty, as tls.h promises;
 *   - tls_conn_feed refuses bytes once the connection failed, and accepts them before;
 *   - FAILED always comes with a printable one-line error; WANT_IO with none;
 *   - after the peer's EOF the handshake cannot still be waiting;
 *   - tls_conn_read and tls_conn_write refuse to work before DONE;
 *   - the evidence judgement says FAIL with a printable reason, and its object (present only
 *     when a certificate was seen) serialises.
 * The segmentation and whether EOF follows come from the input's hash; the ClientHello is
 * random (OpenSSL's own randomness), which only affects what is sent, not how replies are
 * parsed. */
#include <openssl/err.h>

#include "fuzz_util.h"
#include "probes/tls.h"

static SSL_CTX *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  char err[256];
  ctx = tls_client_ctx_new(NULL, err, sizeof(err));
  if (!ctx) {
    fprintf(stderr, "tls_client_ctx_new: %s\n", err);
    abort();
  }
  return 0;
}

/* tls.h: "every call here clears [the OpenSSL error queue] before use and leaves it empty" */
static void queue_empty(const char *after)
{
  unsigned long e = ERR_peek_error();
  char buf[256] = "";
  if (e)
    ERR_error_string_n(e, buf, sizeof(buf));
  FUZZ_CHECK(e == 0, "OpenSSL error queue not empty after %s: %s", after, buf);
}

static void drain(struct tls_conn *c)
{
  uint8_t buf[4096];
  size_t n, total = 0;
  while ((n = tls_conn_drain(c, buf, sizeof(buf))) > 0) {
    FUZZ_CHECK(n <= sizeof(buf), "drained %zu", n);
    total += n;
    FUZZ_CHECK(total < (1u << 24), "endless output");
  }
  queue_empty("tls_conn_drain");
}

static void check_step(struct tls_conn *c, enum tls_step st)
{
  FUZZ_CHECK(st == TLS_STEP_WANT_IO || st == TLS_STEP_FAILED,
             "handshake step %d on random bytes (DONE without keys?)", (int)st);
  const char *e = tls_conn_error(c);
  if (st == TLS_STEP_FAILED)
    fuzz_check_printable(e, UC_REASON_MAX, 0, "tls_conn_error");
  else
    FUZZ_CHECK(e[0] == '\0', "an error while waiting: \"%s\"", e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  uint64_t seed = fuzz_hash(data, size);
  int with_eof = (int)(seed & 1);
  const char *sni = (seed & 2) ? "fe01.contoso.test." : "198.18.0.2";
  struct tls_conn *c = tls_conn_new(ctx, 0, sni);
  FUZZ_CHECK(c != NULL, "tls_conn_new");
  queue_empty("tls_conn_new");
  enum tls_step st = tls_conn_handshake(c);
  queue_empty("tls_conn_handshake");
  FUZZ_CHECK(st == TLS_STEP_WANT_IO, "first step %d", (int)st);
  drain(c); /* the ClientHello */

  size_t at = 0;
  while (at < size) {
    size_t n = 1 + (size_t)(fuzz_next(&seed) % 512);
    if (n > size - at)
      n = size - at;
    uint8_t *seg = fuzz_dup(data + at, n);
    int fed = tls_conn_feed(c, seg, n);
    queue_empty("tls_conn_feed");
    free(seg);
    at += n;
    if (st == TLS_STEP_FAILED)
      FUZZ_CHECK(fed == -1, "bytes accepted after FAILED");
    st = tls_conn_handshake(c);
    queue_empty("tls_conn_handshake");
    check_step(c, st);
    if (fed < 0)
      FUZZ_CHECK(st == TLS_STEP_FAILED, "feed refused but step %d", (int)st);
    drain(c);
  }
  if (with_eof && st != TLS_STEP_FAILED) {
    tls_conn_eof(c);
    queue_empty("tls_conn_eof");
    st = tls_conn_handshake(c);
    queue_empty("tls_conn_handshake after EOF");
    check_step(c, st);
    FUZZ_CHECK(st == TLS_STEP_FAILED, "still waiting after EOF");
    drain(c);
  }
  uint8_t buf[64];
  FUZZ_CHECK(tls_conn_read(c, buf, sizeof(buf)) == -1, "read before DONE");
  FUZZ_CHECK(tls_conn_write(c, buf, 1) == -1, "write before DONE");
  FUZZ_CHECK(tls_conn_shutdown(c) == -1, "shutdown before DONE");
  queue_empty("tls_conn_read/write/shutdown");

  struct tls_judge_opts o = {.host = "fe01.contoso.test",
                             .pool = "pool.contoso.test",
                             .expect_client_cert = (int)(size & 1),
                             .now = (time_t)(1600000000 + fuzz_hash(data, size) % 600000000u),
                             .cert_warn_days = 30};
  enum uc_outcome oc = UC_OUT_NONE;
  char reason[UC_REASON_MAX];
  json_t *ev = tls_conn_evidence(c, &o, &oc, reason, sizeof(reason));
  queue_empty("tls_conn_evidence");
  fuzz_check_printable(reason, sizeof(reason), 0, "tls_conn_evidence reason");
  /* OK or WARN only for a server that refused a missing client certificate */
  FUZZ_CHECK(oc == UC_OUT_FAIL || (tls_conn_cert_requested(c) && st == TLS_STEP_FAILED),
             "outcome %d \"%s\"", (int)oc, reason);
  if (ev) {
    FUZZ_CHECK(json_is_object(ev), "evidence not an object");
    char *dump = json_dumps(ev, JSON_COMPACT);
    FUZZ_CHECK(dump != NULL, "evidence does not serialise");
    if (fuzz_verbose())
      fprintf(stderr, "tls: step %d outcome %d reason \"%s\" evidence %s\n", (int)st, (int)oc,
              reason, dump);
    free(dump);
    json_decref(ev);
  } else if (fuzz_verbose()) {
    fprintf(stderr, "tls: step %d outcome %d reason \"%s\"\n", (int)st, (int)oc, reason);
  }
  tls_conn_free(c);
  queue_empty("tls_conn_free");
  return 0;
}
