/* tests/unit/test_tls.c - the I/O-free TLS layer: a client and a server pumped in memory. What
 * the client makes of a server's bytes (non-TLS replies, captured server flights) is in
 * tests/data/tls/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/certgen.h"
#include "probes/tls.h"
#include "tests/support/data_cases.h"
#include "tests/support/tls_pair.h"

#define HOST "fe01.contoso.test"
#define POOL "pool.contoso.test"

struct fx {
  EVP_PKEY *ca_key;
  X509 *ca;
  EVP_PKEY *key; /* leaf key, shared by every leaf */
  X509 *std;     /* CN=fe01, SAN fe01 + pool, 2025-01-01 .. 2027-04-05, issued by the CA */
  char dir[64];  /* temp directory for CA files */
  time_t now;    /* 2026-11-21T00:00:00Z */
};

static time_t utc(int y, int mo, int d)
{
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  return timegm(&tm);
}

static X509 *leaf(struct fx *f, const char *cn, const char *const *san, size_t nsan, time_t nb,
                  time_t na)
{
  X509 *x = certgen_issue(f->key, cn, san, nsan, nb, na, f->ca, f->ca_key, 0);
  assert_non_null(x);
  return x;
}

static int group_setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  static const char *const names[] = {HOST, POOL};
  if (!f)
    return -1;
  f->now = utc(2026, 11, 21);
  f->ca_key = certgen_key();
  f->key = certgen_key();
  if (!f->ca_key || !f->key)
    return -1;
  f->ca = certgen_issue(f->ca_key, "Contoso Root CA", NULL, 0, utc(2024, 1, 1), utc(2034, 1, 1),
                        NULL, NULL, 1);
  f->std =
      certgen_issue(f->key, HOST, names, 2, utc(2025, 1, 1), utc(2027, 4, 5), f->ca, f->ca_key, 0);
  snprintf(f->dir, sizeof(f->dir), "/tmp/ucscan-tls-XXXXXX");
  if (!f->ca || !f->std || !mkdtemp(f->dir))
    return -1;
  *state = f;
  return 0;
}

static int group_teardown(void **state)
{
  struct fx *f = *state;
  char path[128];
  static const char *const files[] = {"ca.pem", "other.pem"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    snprintf(path, sizeof(path), "%s/%s", f->dir, files[i]);
    unlink(path);
  }
  rmdir(f->dir);
  X509_free(f->std);
  X509_free(f->ca);
  EVP_PKEY_free(f->key);
  EVP_PKEY_free(f->ca_key);
  free(f);
  return 0;
}

/* ---- one client/server run ---- */

struct run {
  SSL_CTX *cctx, *sctx;
  struct tls_conn *c, *s;
  enum tls_step cs, ss;
};

static void run_init(struct run *r, X509 *cert, EVP_PKEY *key, int req, const char *ca_file)
{
  char err[256] = "";
  memset(r, 0, sizeof(*r));
  r->cctx = tls_client_ctx_new(ca_file, err, sizeof(err));
  if (!r->cctx)
    print_error("client ctx: %s\n", err);
  assert_non_null(r->cctx);
  r->sctx = tls_server_ctx_new(cert, key, req, err, sizeof(err));
  if (!r->sctx)
    print_error("server ctx: %s\n", err);
  assert_non_null(r->sctx);
}

static void run_conns(struct run *r, const char *sni)
{
  r->c = tls_conn_new(r->cctx, 0, sni);
  r->s = tls_conn_new(r->sctx, 1, NULL);
  assert_non_null(r->c);
  assert_non_null(r->s);
}

static void run_pump(struct run *r)
{
  tls_pair_handshake(r->c, r->s, &r->cs, &r->ss);
}

/* Contexts and connections with default settings, pumped. */
static void run_std(struct run *r, X509 *cert, EVP_PKEY *key, int req)
{
  run_init(r, cert, key, req, NULL);
  run_conns(r, HOST);
  run_pump(r);
}

static void run_free(struct run *r)
{
  tls_conn_free(r->c);
  tls_conn_free(r->s);
  SSL_CTX_free(r->cctx);
  SSL_CTX_free(r->sctx);
}

static void assert_json(json_t *got, const char *want_text)
{
  json_error_t jerr;
  json_t *want = json_loads(want_text, 0, &jerr);
  if (!want)
    print_error("bad expected JSON: %s\n", jerr.text);
  assert_non_null(want);
  if (!json_equal(got, want)) {
    char *g = got ? json_dumps(got, JSON_COMPACT) : NULL;
    print_error("got:  %s\nwant: %s\n", g ? g : "NULL", want_text);
    free(g);
    json_decref(want);
    fail();
  }
  json_decref(want);
}

/* Evidence with the standard options (host, pool, now; MTLS and warn days given). */
static json_t *judge(struct fx *f, struct run *r, int mtls, int warn_days, enum uc_outcome *oc,
                     char *reason, size_t cap)
{
  struct tls_judge_opts o = {HOST, POOL, mtls, f->now, warn_days};
  return tls_conn_evidence(r->c, &o, oc, reason, cap);
}

#define STD_CERT_JSON                                                                              \
  "{\"subject\": \"CN=fe01.contoso.test\", \"issuer\": \"CN=Contoso Root CA\","                    \
  " \"san\": [\"fe01.contoso.test\", \"pool.contoso.test\"],"                                      \
  " \"not_before\": \"2025-01-01T00:00:00Z\", \"not_after\": \"2027-04-05T00:00:00Z\","            \
  " \"expired\": false, \"name_match\": true}"

/* ---- handshakes ---- */

static void test_tls13_no_client_cert(void **state)
{
  struct fx *f = *state;
  struct run r;
  enum uc_outcome oc = UC_OUT_NONE;
  char reason[UC_REASON_MAX];
  run_std(&r, f->std, f->key, TLS_CLIENT_CERT_NONE);
  assert_int_equal(r.cs, TLS_STEP_DONE);
  assert_int_equal(r.ss, TLS_STEP_DONE);
  assert_string_equal(tls_conn_error(r.c), "");
  assert_int_equal(tls_conn_cert_requested(r.c), 0);
  json_t *ev = judge(f, &r, 0, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_OK);
  assert_string_equal(reason, "TLS 1.3 handshake completed; no client certificate requested");
  assert_json(ev, "{\"version\": \"TLSv1.3\", \"cipher\": \"TLS_AES_256_GCM_SHA384\","
                  " \"client_cert_requested\": false, \"certificate\": " STD_CERT_JSON "}");
  json_decref(ev);
  run_free(&r);
}

static void test_tls13_client_cert_requested(void **state)
{
  struct fx *f = *state;
  struct run r;
  enum uc_outcome oc = UC_OUT_NONE;
  char reason[UC_REASON_MAX];
  run_std(&r, f->std, f->key, TLS_CLIENT_CERT_REQUEST);
  assert_int_equal(r.cs, TLS_STEP_DONE);
  assert_int_equal(r.ss, TLS_STEP_DONE);
  assert_int_equal(tls_conn_cert_requested(r.c), 1);
  json_t *ev = judge(f, &r, 1, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_OK);
  assert_string_equal(reason, "TLS 1.3 handshake completed; client certificate requested");
  assert_json(ev, "{\"version\": \"TLSv1.3\", \"cipher\": \"TLS_AES_256_GCM_SHA384\","
                  " \"client_cert_requested\": true, \"certificate\": " STD_CERT_JSON "}");
  json_decref(ev);
  run_free(&r);
}

static void test_tls12_client_cert_requested(void **state)
{
  struct fx *f = *state;
  struct run r;
  enum uc_outcome oc = UC_OUT_NONE;
  char reason[UC_REASON_MAX];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_REQUEST, NULL);
  assert_int_equal(SSL_CTX_set_max_proto_version(r.sctx, TLS1_2_VERSION), 1);
  run_conns(&r, HOST);
  run_pump(&r);
  assert_int_equal(r.cs, TLS_STEP_DONE);
  assert_int_equal(r.ss, TLS_STEP_DONE);
  json_t *ev = judge(f, &r, 1, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_OK);
  assert_string_equal(reason, "TLS 1.2 handshake completed; client certificate requested");
  assert_json(ev, "{\"version\": \"TLSv1.2\","
                  " \"cipher\": \"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\","
                  " \"client_cert_requested\": true, \"certificate\": " STD_CERT_JSON "}");
  json_decref(ev);
  run_free(&r);
}

static void test_tls12_no_client_cert(void **state)
{
  struct fx *f = *state;
  struct run r;
  enum uc_outcome oc = UC_OUT_NONE;
  char reason[UC_REASON_MAX];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
  assert_int_equal(SSL_CTX_set_max_proto_version(r.sctx, TLS1_2_VERSION), 1);
  run_conns(&r, HOST);
  run_pump(&r);
  assert_int_equal(r.cs, TLS_STEP_DONE);
  json_t *ev = judge(f, &r, 0, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_OK);
  assert_string_equal(reason, "TLS 1.2 handshake completed; no client certificate requested");
  assert_string_equal(json_string_value(json_object_get(ev, "version")), "TLSv1.2");
  assert_true(json_is_false(json_object_get(ev, "client_cert_requested")));
  json_decref(ev);
  run_free(&r);
}

/* An old server: TLS 1.0 only, security level 0. The scanner still gets through. */
static void test_tls10_legacy_server(void **state)
{
  struct fx *f = *state;
  struct run r;
  enum uc_outcome oc = UC_OUT_NONE;
  char reason[UC_REASON_MAX];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_REQUEST, NULL);
  SSL_CTX_set_security_level(r.sctx, 0);
  assert_int_equal(SSL_CTX_set_min_proto_version(r.sctx, TLS1_VERSION), 1);
  assert_int_equal(SSL_CTX_set_max_proto_version(r.sctx, TLS1_VERSION), 1);
  assert_int_equal(SSL_CTX_set_cipher_list(r.sctx, "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"), 1);
  run_conns(&r, HOST);
  run_pump(&r);
  assert_int_equal(r.cs, TLS_STEP_DONE);
  assert_int_equal(r.ss, TLS_STEP_DONE);
  json_t *ev = judge(f, &r, 1, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_OK);
  assert_string_equal(reason, "TLS 1.0 handshake completed; client certificate requested");
  assert_string_equal(json_string_value(json_object_get(ev, "version")), "TLSv1.0");
  assert_string_equal(json_string_value(json_object_get(ev, "cipher")),
                      "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
  json_decref(ev);
  run_free(&r);
}

static void test_bytewise_handshake(void **state)
{
  struct fx *f = *state;
  struct run r;
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_REQUEST, NULL);
  run_conns(&r, HOST);
  assert_true(tls_pair_handshake_bytewise(r.c, r.s, &r.cs, &r.ss) > 0);
  assert_int_equal(r.cs, TLS_STEP_DONE);
  assert_int_equal(r.ss, TLS_STEP_DONE);
  assert_int_equal(tls_conn_cert_requested(r.c), 1);
  run_free(&r);
}

static void test_sni(void **state)
{
  struct fx *f = *state;
  struct run r;
  static const struct {
    const char *given, *seen;
  } cases[] = {
      {HOST, HOST},          {"fe01.contoso.test.", HOST},
      {"198.18.1.11", NULL}, {"2001:db8::11", NULL},
      {NULL, NULL},          {"", NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
    run_conns(&r, cases[i].given);
    run_pump(&r);
    assert_int_equal(r.ss, TLS_STEP_DONE);
    const char *seen = SSL_get_servername((SSL *)tls_conn_ssl(r.s), TLSEXT_NAMETYPE_host_name);
    if (cases[i].seen)
      assert_string_equal(seen, cases[i].seen);
    else
      assert_null(seen);
    run_free(&r);
  }
}

/* A server that serves only "contoso.test" (prosody, issue 11): any other SNI name gets alert
 * 112, no SNI is accepted. */
static int refuse_other_names(SSL *ssl, int *alert, void *arg)
{
  const char *sn = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!sn || strcmp(sn, "contoso.test") == 0)
    return SSL_TLSEXT_ERR_OK;
  *alert = SSL_AD_UNRECOGNIZED_NAME;
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void test_sni_refused(void **state)
{
  struct fx *f = *state;
  struct run r;
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
  SSL_CTX_set_tlsext_servername_callback(r.sctx, refuse_other_names);
  run_conns(&r, HOST);
  run_pump(&r);
  assert_int_equal(r.cs, TLS_STEP_FAILED);
  assert_int_equal(tls_conn_alert(r.c), 112);
  assert_int_equal(tls_conn_cert_refused(r.c), 0);
  assert_string_equal(tls_conn_error(r.c), "TLS alert from server: unrecognized name (112)");
  json_decref(judge(f, &r, 0, 0, &oc, reason, sizeof(reason)));
  assert_int_equal(oc, UC_OUT_FAIL); /* one connection alone cannot say more: the engine retries */
  run_free(&r);

  /* the names the engine offers next: pool, domain, none */
  char name[64];
  assert_int_equal(tls_sni_alternative(HOST, POOL, 0, name, sizeof(name)), 1);
  assert_string_equal(name, POOL);
  assert_int_equal(tls_sni_alternative(HOST, POOL, 1, name, sizeof(name)), 1);
  assert_string_equal(name, "contoso.test");
  assert_int_equal(tls_sni_alternative(HOST, POOL, 2, name, sizeof(name)), 1);
  assert_string_equal(name, "");
  assert_int_equal(tls_sni_alternative(HOST, POOL, 3, name, sizeof(name)), 0);
  /* no pool, or a pool that is the host or the domain: not offered twice */
  assert_int_equal(tls_sni_alternative(HOST, NULL, 0, name, sizeof(name)), 1);
  assert_string_equal(name, "contoso.test");
  assert_int_equal(tls_sni_alternative(HOST, "FE01.contoso.test.", 0, name, sizeof(name)), 1);
  assert_string_equal(name, "contoso.test");
  assert_int_equal(tls_sni_alternative(HOST, "contoso.test", 1, name, sizeof(name)), 1);
  assert_string_equal(name, "");
  /* a single-label domain is never offered; neither is anything for an address */
  assert_int_equal(tls_sni_alternative("edge.test", NULL, 0, name, sizeof(name)), 1);
  assert_string_equal(name, "");
  assert_int_equal(tls_sni_alternative("198.18.1.11", NULL, 0, name, sizeof(name)), 1);
  assert_string_equal(name, "");
  assert_int_equal(tls_sni_alternative("198.18.1.11", NULL, 1, name, sizeof(name)), 0);
  assert_int_equal(tls_sni_alternative(HOST, POOL, 0, name, 4), 0); /* does not fit */

  /* the domain is accepted */
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
  SSL_CTX_set_tlsext_servername_callback(r.sctx, refuse_other_names);
  run_conns(&r, "contoso.test");
  run_pump(&r);
  assert_int_equal(r.cs, TLS_STEP_DONE);
  assert_int_equal(tls_conn_alert(r.c), -1);
  run_free(&r);
}

/* ---- plaintext after the handshake ---- */

static ssize_t read_all(struct tls_conn *c, uint8_t *buf, size_t cap)
{
  size_t got = 0;
  for (;;) {
    ssize_t n = tls_conn_read(c, buf + got, cap - got);
    if (n <= 0)
      return got ? (ssize_t)got : n;
    got += (size_t)n;
    if (got == cap)
      return (ssize_t)got;
  }
}

static void test_plaintext_exchange(void **state)
{
  struct fx *f = *state;
  struct run r;
  uint8_t buf[256];
  static const char req[] = "OPTIONS sip:fe01.contoso.test SIP/2.0\r\n\r\n";
  static const char resp[] = "SIP/2.0 200 OK\r\n\r\n";
  run_std(&r, f->std, f->key, TLS_CLIENT_CERT_NONE);
  assert_int_equal(r.cs, TLS_STEP_DONE);

  /* Nothing to read yet (TLS 1.3 tickets are consumed silently). */
  tls_pair_move(r.s, r.c);
  assert_int_equal(tls_conn_read(r.c, buf, sizeof(buf)), 0);

  assert_int_equal(tls_conn_write(r.c, (const uint8_t *)req, strlen(req)), 0);
  assert_true(tls_pair_move(r.c, r.s) > strlen(req));
  assert_int_equal(read_all(r.s, buf, sizeof(buf)), strlen(req));
  assert_memory_equal(buf, req, strlen(req));

  assert_int_equal(tls_conn_write(r.s, (const uint8_t *)resp, strlen(resp)), 0);
  tls_pair_move(r.s, r.c);
  assert_int_equal(read_all(r.c, buf, sizeof(buf)), strlen(resp));
  assert_memory_equal(buf, resp, strlen(resp));
  assert_int_equal(tls_conn_read(r.c, buf, sizeof(buf)), 0);
  assert_int_equal(tls_conn_read(r.c, buf, 0), 0);

  /* Graceful close: the server says close_notify, the client reads the end. */
  assert_int_equal(tls_conn_shutdown(r.s), 0);
  tls_pair_move(r.s, r.c);
  assert_int_equal(tls_conn_read(r.c, buf, sizeof(buf)), -1);
  assert_string_equal(tls_conn_error(r.c), "server closed the TLS connection (close notify)");
  assert_int_equal(tls_conn_read(r.c, buf, sizeof(buf)), -1);
  assert_int_equal(tls_conn_write(r.c, (const uint8_t *)"x", 1), -1);
  assert_int_equal(tls_conn_feed(r.c, (const uint8_t *)"x", 1), -1);
  run_free(&r);
}

/* A large message spans many records and arrives in odd-sized pieces. */
static void test_plaintext_large(void **state)
{
  struct fx *f = *state;
  struct run r;
  size_t len = 100000;
  uint8_t *out = malloc(len), *in = malloc(len), chunk[777];
  assert_non_null(out);
  assert_non_null(in);
  for (size_t i = 0; i < len; i++)
    out[i] = (uint8_t)(i * 31 + 7);
  run_std(&r, f->std, f->key, TLS_CLIENT_CERT_NONE);
  assert_int_equal(r.ss, TLS_STEP_DONE);
  assert_int_equal(tls_conn_write(r.s, out, len), 0);
  size_t got = 0, n;
  while ((n = tls_conn_drain(r.s, chunk, sizeof(chunk))) > 0) {
    assert_int_equal(tls_conn_feed(r.c, chunk, n), 0);
    ssize_t k;
    while ((k = tls_conn_read(r.c, in + got, len - got)) > 0)
      got += (size_t)k;
    assert_true(k == 0 || got == len);
  }
  assert_int_equal(got, len);
  assert_memory_equal(in, out, len);
  free(in);
  free(out);
  run_free(&r);
}

static void test_read_write_before_done(void **state)
{
  struct fx *f = *state;
  struct run r;
  uint8_t buf[16];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
  run_conns(&r, HOST);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_WANT_IO);
  assert_int_equal(tls_conn_read(r.c, buf, sizeof(buf)), -1);
  assert_int_equal(tls_conn_write(r.c, (const uint8_t *)"x", 1), -1);
  assert_int_equal(tls_conn_shutdown(r.c), -1);
  enum uc_outcome oc = UC_OUT_NONE;
  char reason[UC_REASON_MAX];
  json_t *ev = judge(f, &r, 0, 0, &oc, reason, sizeof(reason));
  assert_null(ev);
  assert_int_equal(oc, UC_OUT_FAIL);
  assert_string_equal(reason, "TLS handshake not completed");
  run_free(&r);
}

/* ---- a server that requires a client certificate ---- */

/* TLS 1.3: the client finishes its handshake before the server judges its (empty)
 * Certificate; the refusal is an alert read afterwards. */
static void test_tls13_required_cert_alert_after_done(void **state)
{
  struct fx *f = *state;
  struct run r;
  uint8_t buf[64];
  enum uc_outcome oc = UC_OUT_NONE;
  char reason[UC_REASON_MAX];
  run_std(&r, f->std, f->key, TLS_CLIENT_CERT_REQUIRE);
  assert_int_equal(r.cs, TLS_STEP_DONE);
  assert_int_equal(r.ss, TLS_STEP_FAILED);
  assert_string_equal(tls_conn_error(r.s),
                      "TLS handshake failed: peer did not return a certificate");
  assert_int_equal(tls_conn_read(r.c, buf, sizeof(buf)), -1);
  assert_string_equal(tls_conn_error(r.c), "TLS alert from server: certificate required (116)");
  json_t *ev = judge(f, &r, 1, 0, &oc, reason, sizeof(reason));
  /* Issue 11: the refusal keeps its reason ("client certificate required"), as with TLS 1.2. */
  assert_int_equal(tls_conn_cert_refused(r.c), 1);
  assert_int_equal(tls_conn_alert(r.c), 116);
  assert_int_equal(oc, UC_OUT_OK);
  assert_string_equal(reason, "client certificate required: TLS 1.3 server requested a client "
                              "certificate and refused to go on without one (alert certificate "
                              "required (116))");
  assert_true(json_is_true(json_object_get(ev, "client_cert_requested")));
  json_decref(ev);
  ev = judge(f, &r, 0, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(reason, "client certificate required (not an MTLS row): TLS 1.3 server "
                              "requested a client certificate and refused to go on without one "
                              "(alert certificate required (116))");
  json_decref(ev);
  run_free(&r);
}

/* TLS 1.2: the refusal ends the handshake. On an MTLS row that proves the service. */
static void test_tls12_required_cert_refused(void **state)
{
  struct fx *f = *state;
  struct run r;
  enum uc_outcome oc = UC_OUT_NONE;
  char reason[UC_REASON_MAX];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_REQUIRE, NULL);
  assert_int_equal(SSL_CTX_set_max_proto_version(r.sctx, TLS1_2_VERSION), 1);
  run_conns(&r, HOST);
  run_pump(&r);
  assert_int_equal(r.cs, TLS_STEP_FAILED);
  assert_int_equal(r.ss, TLS_STEP_FAILED);
  assert_string_equal(tls_conn_error(r.c), "TLS alert from server: handshake failure (40)");
  assert_int_equal(tls_conn_cert_requested(r.c), 1);

  json_t *ev = judge(f, &r, 1, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_OK);
  assert_string_equal(reason, "client certificate required: TLS 1.2 server requested a client "
                              "certificate and refused to go on without one (alert handshake "
                              "failure (40))");
  assert_json(ev, "{\"version\": \"TLSv1.2\","
                  " \"cipher\": \"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\","
                  " \"client_cert_requested\": true, \"certificate\": " STD_CERT_JSON "}");
  json_decref(ev);

  ev = judge(f, &r, 0, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(reason, "client certificate required (not an MTLS row): TLS 1.2 server "
                              "requested a client certificate and refused to go on without one "
                              "(alert handshake failure (40))");
  json_decref(ev);
  run_free(&r);
}

/* ---- certificate judgements ---- */

static void judge_cert(struct fx *f, X509 *cert, int mtls, int warn_days, enum uc_outcome *oc,
                       char *reason, size_t cap, json_t **cert_json)
{
  struct run r;
  run_std(&r, cert, f->key, mtls ? TLS_CLIENT_CERT_REQUEST : TLS_CLIENT_CERT_NONE);
  assert_int_equal(r.cs, TLS_STEP_DONE);
  json_t *ev = judge(f, &r, mtls, warn_days, oc, reason, cap);
  assert_non_null(ev);
  *cert_json = json_incref(json_object_get(ev, "certificate"));
  json_decref(ev);
  run_free(&r);
}

static void test_expired(void **state)
{
  struct fx *f = *state;
  static const char *const names[] = {HOST};
  X509 *x = leaf(f, HOST, names, 1, utc(2022, 1, 1), utc(2024, 1, 1));
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  json_t *cj;
  judge_cert(f, x, 0, 30, &oc, reason, sizeof(reason), &cj);
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(reason, "certificate expired on 2024-01-01"
                              "; TLS 1.3 handshake completed; no client certificate requested");
  assert_json(cj, "{\"subject\": \"CN=fe01.contoso.test\", \"issuer\": \"CN=Contoso Root CA\","
                  " \"san\": [\"fe01.contoso.test\"], \"not_before\": \"2022-01-01T00:00:00Z\","
                  " \"not_after\": \"2024-01-01T00:00:00Z\", \"expired\": true,"
                  " \"name_match\": true}");
  json_decref(cj);
  X509_free(x);
}

static void test_not_yet_valid(void **state)
{
  struct fx *f = *state;
  static const char *const names[] = {HOST};
  X509 *x = leaf(f, HOST, names, 1, utc(2030, 1, 1), utc(2031, 1, 1));
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  json_t *cj;
  judge_cert(f, x, 0, 30, &oc, reason, sizeof(reason), &cj);
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(reason, "certificate not valid before 2030-01-01"
                              "; TLS 1.3 handshake completed; no client certificate requested");
  assert_true(json_is_false(json_object_get(cj, "expired")));
  assert_true(json_is_true(json_object_get(cj, "not_yet_valid")));
  assert_null(json_object_get(cj, "days_left"));
  json_decref(cj);
  X509_free(x);
}

static void test_wrong_name(void **state)
{
  struct fx *f = *state;
  static const char *const names[] = {"fe01.other.test"};
  X509 *x = leaf(f, "fe01.other.test", names, 1, utc(2025, 1, 1), utc(2027, 4, 5));
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  json_t *cj;
  judge_cert(f, x, 0, 0, &oc, reason, sizeof(reason), &cj);
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(
      reason, "certificate names fe01.other.test, not fe01.contoso.test or pool.contoso.test"
              "; TLS 1.3 handshake completed; no client certificate requested");
  assert_true(json_is_false(json_object_get(cj, "name_match")));
  json_decref(cj);
  X509_free(x);
}

static void test_wrong_name_without_pool(void **state)
{
  struct fx *f = *state;
  static const char *const names[] = {"a.other.test", "b.other.test", "198.18.9.9"};
  X509 *x = leaf(f, "a.other.test", names, 3, utc(2025, 1, 1), utc(2027, 4, 5));
  struct run r;
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  run_std(&r, x, f->key, TLS_CLIENT_CERT_NONE);
  struct tls_judge_opts o = {HOST, NULL, 0, f->now, 0};
  json_t *ev = tls_conn_evidence(r.c, &o, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(
      reason, "certificate names a.other.test, b.other.test, 198.18.9.9, not fe01.contoso.test"
              "; TLS 1.3 handshake completed; no client certificate requested");
  assert_json(json_object_get(json_object_get(ev, "certificate"), "san"),
              "[\"a.other.test\", \"b.other.test\", \"198.18.9.9\"]");
  json_decref(ev);

  /* No host and no pool: no name judgement at all. */
  struct tls_judge_opts anon = {NULL, NULL, 0, f->now, 0};
  ev = tls_conn_evidence(r.c, &anon, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_OK);
  assert_null(json_object_get(json_object_get(ev, "certificate"), "name_match"));
  json_decref(ev);
  run_free(&r);
  X509_free(x);
}

static void test_pool_name_matches(void **state)
{
  struct fx *f = *state;
  static const char *const names[] = {POOL};
  X509 *x = leaf(f, POOL, names, 1, utc(2025, 1, 1), utc(2027, 4, 5));
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  json_t *cj;
  judge_cert(f, x, 0, 0, &oc, reason, sizeof(reason), &cj);
  assert_int_equal(oc, UC_OUT_OK);
  assert_string_equal(reason, "TLS 1.3 handshake completed; no client certificate requested");
  assert_true(json_is_true(json_object_get(cj, "name_match")));
  json_decref(cj);
  X509_free(x);
}

static void test_wildcard_san(void **state)
{
  struct fx *f = *state;
  static const char *const names[] = {"*.contoso.test"};
  X509 *x = leaf(f, "*.contoso.test", names, 1, utc(2025, 1, 1), utc(2027, 4, 5));
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  json_t *cj;
  judge_cert(f, x, 0, 0, &oc, reason, sizeof(reason), &cj);
  assert_int_equal(oc, UC_OUT_OK);
  assert_json(json_object_get(cj, "san"), "[\"*.contoso.test\"]");
  assert_true(json_is_true(json_object_get(cj, "name_match")));
  json_decref(cj);
  X509_free(x);
}

static void test_cn_only(void **state)
{
  struct fx *f = *state;
  X509 *x = leaf(f, HOST, NULL, 0, utc(2025, 1, 1), utc(2027, 4, 5));
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  json_t *cj;
  judge_cert(f, x, 0, 0, &oc, reason, sizeof(reason), &cj);
  assert_int_equal(oc, UC_OUT_OK);
  assert_json(cj, "{\"subject\": \"CN=fe01.contoso.test\", \"issuer\": \"CN=Contoso Root CA\","
                  " \"san\": [], \"not_before\": \"2025-01-01T00:00:00Z\","
                  " \"not_after\": \"2027-04-05T00:00:00Z\", \"expired\": false,"
                  " \"name_match\": true}");
  json_decref(cj);
  X509_free(x);
}

/* The CN is not consulted when the certificate has a DNS SAN. */
static void test_cn_ignored_with_dns_san(void **state)
{
  struct fx *f = *state;
  static const char *const names[] = {"other.contoso.test"};
  X509 *x = leaf(f, HOST, names, 1, utc(2025, 1, 1), utc(2027, 4, 5));
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  json_t *cj;
  judge_cert(f, x, 0, 0, &oc, reason, sizeof(reason), &cj);
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(reason, "certificate names other.contoso.test, not fe01.contoso.test or "
                              "pool.contoso.test; TLS 1.3 handshake completed; no client "
                              "certificate requested");
  assert_true(json_is_false(json_object_get(cj, "name_match")));
  json_decref(cj);
  X509_free(x);
}

static void test_expiring_soon(void **state)
{
  struct fx *f = *state;
  static const char *const names[] = {HOST};
  X509 *x = leaf(f, HOST, names, 1, utc(2025, 12, 1), utc(2026, 12, 1)); /* now + 10 days */
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  json_t *cj;

  judge_cert(f, x, 0, 30, &oc, reason, sizeof(reason), &cj);
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(reason, "certificate expires 2026-12-01 (10 days left)"
                              "; TLS 1.3 handshake completed; no client certificate requested");
  assert_int_equal(json_integer_value(json_object_get(cj, "days_left")), 10);
  json_decref(cj);

  judge_cert(f, x, 0, 10, &oc, reason, sizeof(reason), &cj); /* exactly 10 left: fine */
  assert_int_equal(oc, UC_OUT_OK);
  assert_int_equal(json_integer_value(json_object_get(cj, "days_left")), 10);
  json_decref(cj);

  judge_cert(f, x, 0, 0, &oc, reason, sizeof(reason), &cj);
  assert_int_equal(oc, UC_OUT_OK);
  assert_string_equal(reason, "TLS 1.3 handshake completed; no client certificate requested");
  assert_null(json_object_get(cj, "days_left"));
  json_decref(cj);
  X509_free(x);
}

static void test_mtls_without_request(void **state)
{
  struct fx *f = *state;
  struct run r;
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  run_std(&r, f->std, f->key, TLS_CLIENT_CERT_NONE);
  json_t *ev = judge(f, &r, 1, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(reason,
                      "server did not request a client certificate (MTLS expected); TLS 1.3 "
                      "handshake completed");
  assert_true(json_is_false(json_object_get(ev, "client_cert_requested")));
  json_decref(ev);
  run_free(&r);
}

static void test_several_warnings(void **state)
{
  struct fx *f = *state;
  static const char *const names[] = {"fe01.other.test"};
  X509 *x = leaf(f, "fe01.other.test", names, 1, utc(2022, 1, 1), utc(2024, 1, 1));
  struct run r;
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  run_std(&r, x, f->key, TLS_CLIENT_CERT_NONE);
  json_t *ev = judge(f, &r, 1, 30, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(reason, "certificate expired on 2024-01-01; certificate names "
                              "fe01.other.test, not fe01.contoso.test or pool.contoso.test; "
                              "server did not request a client certificate (MTLS expected); "
                              "TLS 1.3 handshake completed");
  json_decref(ev);

  /* A small reason buffer truncates, never overflows. */
  char small[20];
  ev = judge(f, &r, 1, 30, &oc, small, sizeof(small));
  assert_int_equal(oc, UC_OUT_WARN);
  assert_string_equal(small, "certificate expired");
  json_decref(ev);
  run_free(&r);
  X509_free(x);
}

/* ---- chain verification against a CA file ---- */

static void write_pem(struct fx *f, const char *name, X509 *x, char *path, size_t cap)
{
  char err[256];
  snprintf(path, cap, "%s/%s", f->dir, name);
  if (certgen_write_pem(path, x, NULL, err, sizeof(err)) != 0)
    print_error("%s\n", err);
  assert_int_equal(certgen_write_pem(path, x, NULL, err, sizeof(err)), 0);
}

static json_t *chain_run(struct fx *f, X509 *cert, const char *ca_file, enum uc_outcome want)
{
  struct run r;
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  run_init(&r, cert, f->key, TLS_CLIENT_CERT_NONE, ca_file);
  X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(r.cctx), f->now); /* deterministic */
  run_conns(&r, HOST);
  run_pump(&r);
  assert_int_equal(r.cs, TLS_STEP_DONE);
  json_t *ev = judge(f, &r, 0, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, want); /* trust is reported, never required */
  json_t *chain = json_incref(json_object_get(ev, "chain"));
  json_decref(ev);
  run_free(&r);
  return chain;
}

static void test_chain_verified(void **state)
{
  struct fx *f = *state;
  char ca[128];
  write_pem(f, "ca.pem", f->ca, ca, sizeof(ca));
  json_t *chain = chain_run(f, f->std, ca, UC_OUT_OK);
  assert_json(chain, "{\"verified\": true}");
  json_decref(chain);
}

static void test_chain_self_signed_leaf(void **state)
{
  struct fx *f = *state;
  char ca[128];
  static const char *const names[] = {HOST};
  X509 *self =
      certgen_issue(f->key, HOST, names, 1, utc(2025, 1, 1), utc(2027, 4, 5), NULL, NULL, 0);
  assert_non_null(self);
  write_pem(f, "ca.pem", f->ca, ca, sizeof(ca));
  json_t *chain = chain_run(f, self, ca, UC_OUT_OK);
  assert_json(chain, "{\"verified\": false, \"error\": \"self-signed certificate\"}");
  json_decref(chain);
  X509_free(self);
}

static void test_chain_other_ca(void **state)
{
  struct fx *f = *state;
  char other[128];
  EVP_PKEY *k = certgen_key();
  X509 *oca = certgen_issue(k, "Fabrikam Root CA", NULL, 0, utc(2024, 1, 1), utc(2034, 1, 1), NULL,
                            NULL, 1);
  assert_non_null(oca);
  write_pem(f, "other.pem", oca, other, sizeof(other));
  json_t *chain = chain_run(f, f->std, other, UC_OUT_OK);
  assert_json(chain, "{\"verified\": false, \"error\": \"unable to get local issuer "
                     "certificate\"}");
  json_decref(chain);
  X509_free(oca);
  EVP_PKEY_free(k);
}

static void test_chain_expired_leaf(void **state)
{
  struct fx *f = *state;
  char ca[128];
  static const char *const names[] = {HOST};
  X509 *x = leaf(f, HOST, names, 1, utc(2022, 1, 1), utc(2024, 1, 1));
  write_pem(f, "ca.pem", f->ca, ca, sizeof(ca));
  json_t *chain = chain_run(f, x, ca, UC_OUT_WARN); /* expired: the date warns */
  assert_json(chain, "{\"verified\": false, \"error\": \"certificate has expired\"}");
  json_decref(chain);
  X509_free(x);
}

static void test_chain_absent_without_ca(void **state)
{
  struct fx *f = *state;
  json_t *chain = chain_run(f, f->std, NULL, UC_OUT_OK);
  assert_null(chain);
}

static void test_ctx_errors(void **state)
{
  struct fx *f = *state;
  char err[256] = "";
  char path[128];
  assert_null(tls_client_ctx_new("/nonexistent/ca.pem", err, sizeof(err)));
  assert_string_equal(err, "cannot load CA file /nonexistent/ca.pem: No such file or directory");

  /* A file with no certificate in it. */
  snprintf(path, sizeof(path), "%s/other.pem", f->dir);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs("not a certificate\n", fp);
  fclose(fp);
  err[0] = '\0';
  assert_null(tls_client_ctx_new(path, err, sizeof(err)));
  char want[256];
  snprintf(want, sizeof(want), "cannot load CA file %s: no certificate or crl found", path);
  assert_string_equal(err, want);

  EVP_PKEY *k = certgen_key();
  err[0] = '\0';
  assert_null(tls_server_ctx_new(f->std, k, TLS_CLIENT_CERT_NONE, err, sizeof(err)));
  assert_string_equal(err, "cannot use the server key: key values mismatch");
  assert_null(tls_server_ctx_new(NULL, k, TLS_CLIENT_CERT_NONE, err, sizeof(err)));
  assert_string_equal(err, "a TLS server needs a certificate and its key");
  EVP_PKEY_free(k);
  assert_null(tls_conn_new(NULL, 0, HOST));
}

/* ---- failures ---- */

static void test_alert_protocol_version(void **state)
{
  struct fx *f = *state;
  struct run r;
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
  assert_int_equal(SSL_CTX_set_max_proto_version(r.cctx, TLS1_2_VERSION), 1);
  assert_int_equal(SSL_CTX_set_min_proto_version(r.sctx, TLS1_3_VERSION), 1);
  run_conns(&r, HOST);
  run_pump(&r);
  assert_int_equal(r.cs, TLS_STEP_FAILED);
  assert_int_equal(r.ss, TLS_STEP_FAILED);
  assert_string_equal(tls_conn_error(r.c), "TLS alert from server: protocol version (70)");
  assert_string_equal(tls_conn_error(r.s), "TLS handshake failed: unsupported protocol");
  json_t *ev = judge(f, &r, 0, 0, &oc, reason, sizeof(reason));
  assert_null(ev);
  assert_int_equal(oc, UC_OUT_FAIL);
  assert_string_equal(reason, "TLS alert from server: protocol version (70)");
  run_free(&r);
}

static void test_alert_no_shared_cipher(void **state)
{
  struct fx *f = *state;
  struct run r;
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
  assert_int_equal(SSL_CTX_set_max_proto_version(r.sctx, TLS1_2_VERSION), 1);
  assert_int_equal(SSL_CTX_set_cipher_list(r.sctx, "PSK-AES128-CBC-SHA"), 1);
  run_conns(&r, HOST);
  run_pump(&r);
  assert_int_equal(r.cs, TLS_STEP_FAILED);
  assert_int_equal(r.ss, TLS_STEP_FAILED);
  assert_string_equal(tls_conn_error(r.c), "TLS alert from server: handshake failure (40)");
  assert_string_equal(tls_conn_error(r.s), "TLS handshake failed: no shared cipher");
  run_free(&r);
}

/* The client's ClientHello goes out; the "server" answers with something else. */
static struct tls_conn *client_after_hello(struct run *r)
{
  uint8_t buf[2048];
  char err[256];
  memset(r, 0, sizeof(*r));
  r->cctx = tls_client_ctx_new(NULL, err, sizeof(err));
  assert_non_null(r->cctx);
  r->c = tls_conn_new(r->cctx, 0, HOST);
  assert_non_null(r->c);
  assert_int_equal(tls_conn_handshake(r->c), TLS_STEP_WANT_IO);
  size_t n = tls_conn_drain(r->c, buf, sizeof(buf));
  assert_true(n > 5);
  assert_int_equal(buf[0], 22); /* handshake record */
  assert_int_equal(buf[5], 1);  /* ClientHello */
  assert_int_equal(tls_conn_drain(r->c, buf, sizeof(buf)), 0);
  return r->c;
}

/* Arriving one byte at a time: the first byte already decides. */
static void test_non_tls_split(void **state)
{
  struct run r;
  struct tls_conn *c = client_after_hello(&r);
  assert_int_equal(tls_conn_feed(c, (const uint8_t *)"", 0), 0);
  assert_int_equal(tls_conn_feed(c, (const uint8_t *)"\x16", 1), 0);
  assert_int_equal(tls_conn_handshake(c), TLS_STEP_WANT_IO);
  assert_int_equal(tls_conn_feed(c, (const uint8_t *)"\x04", 1), -1);
  assert_int_equal(tls_conn_handshake(c), TLS_STEP_FAILED);
  assert_string_equal(tls_conn_error(c), "server sent non-TLS bytes: 16 04 (hex)");
  run_free(&r);
}

/* A client that speaks plain HTTP to our TLS server (listen mode). */
static void test_non_tls_to_server(void **state)
{
  struct fx *f = *state;
  struct run r;
  static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
  run_conns(&r, HOST);
  assert_int_equal(tls_conn_handshake(r.s), TLS_STEP_WANT_IO);
  assert_int_equal(tls_conn_feed(r.s, (const uint8_t *)get, strlen(get)), -1);
  assert_int_equal(tls_conn_handshake(r.s), TLS_STEP_FAILED);
  assert_string_equal(tls_conn_error(r.s), "client sent non-TLS bytes: \"GET / HTTP/1.1\"");
  run_free(&r);
}

/* Half of the server's first flight, then FIN. */
static void test_eof_mid_handshake(void **state)
{
  struct fx *f = *state;
  struct run r;
  uint8_t buf[8192];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
  run_conns(&r, HOST);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_WANT_IO);
  tls_pair_move(r.c, r.s);
  assert_int_equal(tls_conn_handshake(r.s), TLS_STEP_WANT_IO);
  size_t n = tls_conn_drain(r.s, buf, sizeof(buf));
  assert_true(n > 100);
  assert_int_equal(tls_conn_feed(r.c, buf, n / 2), 0);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_WANT_IO);
  tls_conn_eof(r.c);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_FAILED);
  assert_string_equal(tls_conn_error(r.c), "connection closed during TLS handshake");
  run_free(&r);
}

/* The whole server flight, then FIN: what was fed is still processed. */
static void test_eof_after_complete_flight(void **state)
{
  struct fx *f = *state;
  struct run r;
  uint8_t buf[16];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
  run_conns(&r, HOST);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_WANT_IO);
  tls_pair_move(r.c, r.s);
  assert_int_equal(tls_conn_handshake(r.s), TLS_STEP_WANT_IO);
  tls_pair_move(r.s, r.c);
  tls_conn_eof(r.c);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_DONE); /* TLS 1.3: done after Finished */
  assert_int_equal(tls_conn_read(r.c, buf, sizeof(buf)), -1);
  assert_string_equal(tls_conn_error(r.c), "connection closed by server");
  run_free(&r);
}

/* TLS 1.2: the server's whole first flight (certificate, CertificateRequest), then FIN
 * before its Finished. The handshake failed, but what was seen is kept as evidence. */
static void test_eof_after_certificate_keeps_evidence(void **state)
{
  struct fx *f = *state;
  struct run r;
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_REQUEST, NULL);
  assert_int_equal(SSL_CTX_set_max_proto_version(r.sctx, TLS1_2_VERSION), 1);
  run_conns(&r, HOST);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_WANT_IO);
  tls_pair_move(r.c, r.s);
  assert_int_equal(tls_conn_handshake(r.s), TLS_STEP_WANT_IO);
  tls_pair_move(r.s, r.c);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_WANT_IO);
  tls_conn_eof(r.c);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_FAILED);
  json_t *ev = judge(f, &r, 1, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_FAIL);
  assert_string_equal(reason, "connection closed during TLS handshake");
  assert_json(ev, "{\"version\": \"TLSv1.2\","
                  " \"cipher\": \"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\","
                  " \"client_cert_requested\": true, \"certificate\": " STD_CERT_JSON "}");
  json_decref(ev);
  run_free(&r);
}

/* A ServerHello record cut short and filled with garbage. */
static void test_garbage_after_partial_server_hello(void **state)
{
  struct fx *f = *state;
  struct run r;
  uint8_t buf[8192], junk[600];
  run_init(&r, f->std, f->key, TLS_CLIENT_CERT_NONE, NULL);
  run_conns(&r, HOST);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_WANT_IO);
  tls_pair_move(r.c, r.s);
  assert_int_equal(tls_conn_handshake(r.s), TLS_STEP_WANT_IO);
  size_t n = tls_conn_drain(r.s, buf, sizeof(buf));
  assert_true(n > 60);
  /* 5 record + 4 handshake header + 2 version + 32 random = 43: cut inside the random,
   * so the session id length byte becomes 'A' (65 > 32). */
  assert_int_equal(tls_conn_feed(r.c, buf, 40), 0);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_WANT_IO);
  memset(junk, 'A', sizeof(junk));
  assert_int_equal(tls_conn_feed(r.c, junk, sizeof(junk)), 0);
  assert_int_equal(tls_conn_handshake(r.c), TLS_STEP_FAILED);
  assert_string_equal(tls_conn_error(r.c), "TLS handshake failed: ssl3 session id too long");
  /* The client tells the server why, in an alert. */
  uint8_t alert[64];
  size_t an = tls_conn_drain(r.c, alert, sizeof(alert));
  assert_true(an >= 7);
  assert_int_equal(alert[0], 21);
  run_free(&r);
}

/* A well-formed record header followed by a body that is not a handshake message. */
/* ---- server replies as data: tests/data/tls/<case>/{input,env,expect} ----
 * input is what a server sent after our ClientHello; expect is what the client made of it:
 *   {"feed": "accepted" | "refused", "step": "done" | "want_io" | "failed", "error": "...",
 *    "outcome": "ok" | "warn" | "fail", "reason": "...", "evidence": {...} | null}
 * The bytes are fed at once after the ClientHello; then, unless the handshake failed, the
 * server's FIN (END=eof, the default) or nothing (END=none: judged while still waiting).
 * The judgement (tls_conn_evidence) is for HOST (fe01.contoso.test) in POOL
 * (pool.contoso.test), at NOW (seconds since 1970; 2026-11-25), warning 30 days before a
 * certificate expires, on an MTLS row with CLIENT_CERT=1. */

static const char *step_name(enum tls_step st)
{
  return st == TLS_STEP_DONE ? "done" : st == TLS_STEP_WANT_IO ? "want_io" : "failed";
}

static char *tls_case(const struct data_case *c, void *arg)
{
  char host[256], pool[256], buf[64], err[256] = "";
  uint8_t out[16384];
  data_case_env(c, "HOST", HOST, host, sizeof(host));
  data_case_env(c, "POOL", POOL, pool, sizeof(pool));
  SSL_CTX *ctx = tls_client_ctx_new(NULL, err, sizeof(err));
  if (!ctx)
    fail_msg("client ctx: %s", err);
  struct tls_conn *conn = tls_conn_new(ctx, 0, host);
  assert_int_equal(tls_conn_handshake(conn), TLS_STEP_WANT_IO);
  while (tls_conn_drain(conn, out, sizeof(out)) > 0)
    ; /* the ClientHello */
  uint8_t *copy = malloc(c->input_len ? c->input_len : 1);
  assert_non_null(copy);
  memcpy(copy, c->input, c->input_len);
  int fed = tls_conn_feed(conn, copy, c->input_len);
  free(copy);
  enum tls_step st = tls_conn_handshake(conn);
  if (st == TLS_STEP_WANT_IO &&
      strcmp(data_case_env(c, "END", "eof", buf, sizeof(buf)), "eof") == 0) {
    tls_conn_eof(conn);
    st = tls_conn_handshake(conn);
  }
  while (tls_conn_drain(conn, out, sizeof(out)) > 0)
    ; /* an alert, a Finished */
  struct tls_judge_opts o = {
      host, pool[0] ? pool : NULL, atoi(data_case_env(c, "CLIENT_CERT", "0", buf, sizeof(buf))),
      (time_t)atoll(data_case_env(c, "NOW", "1795564800", buf, sizeof(buf))), 30};
  enum uc_outcome oc = UC_OUT_NONE;
  char reason[UC_REASON_MAX];
  json_t *ev = tls_conn_evidence(conn, &o, &oc, reason, sizeof(reason));
  json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "feed", fed < 0 ? "refused" : "accepted",
                        "step", step_name(st), "error", tls_conn_error(conn), "outcome",
                        oc == UC_OUT_OK     ? "ok"
                        : oc == UC_OUT_WARN ? "warn"
                                            : "fail",
                        "reason", reason, "evidence", ev ? ev : json_null());
  assert_non_null(j);
  tls_conn_free(conn);
  SSL_CTX_free(ctx);
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
  json_decref(j);
  char *got = data_case_printf("%s\n", text);
  free(text);
  return got;
}

static void test_data_cases(void **state)
{
  data_cases_run("tls", DATA_JSON, tls_case, NULL);
}

static void test_null_arguments(void **state)
{
  uint8_t buf[4];
  assert_int_equal(tls_conn_handshake(NULL), TLS_STEP_FAILED);
  assert_int_equal(tls_conn_feed(NULL, buf, 1), -1);
  assert_int_equal(tls_conn_drain(NULL, buf, sizeof(buf)), 0);
  assert_int_equal(tls_conn_read(NULL, buf, sizeof(buf)), -1);
  assert_int_equal(tls_conn_write(NULL, buf, 1), -1);
  assert_string_equal(tls_conn_error(NULL), "");
  tls_conn_eof(NULL);
  tls_conn_free(NULL);
  enum uc_outcome oc;
  char reason[64];
  assert_null(tls_conn_evidence(NULL, NULL, &oc, reason, sizeof(reason)));
  assert_int_equal(oc, UC_OUT_FAIL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tls13_no_client_cert),
      cmocka_unit_test(test_tls13_client_cert_requested),
      cmocka_unit_test(test_tls12_client_cert_requested),
      cmocka_unit_test(test_tls12_no_client_cert),
      cmocka_unit_test(test_tls10_legacy_server),
      cmocka_unit_test(test_bytewise_handshake),
      cmocka_unit_test(test_sni),
      cmocka_unit_test(test_sni_refused),
      cmocka_unit_test(test_plaintext_exchange),
      cmocka_unit_test(test_plaintext_large),
      cmocka_unit_test(test_read_write_before_done),
      cmocka_unit_test(test_tls13_required_cert_alert_after_done),
      cmocka_unit_test(test_tls12_required_cert_refused),
      cmocka_unit_test(test_expired),
      cmocka_unit_test(test_not_yet_valid),
      cmocka_unit_test(test_wrong_name),
      cmocka_unit_test(test_wrong_name_without_pool),
      cmocka_unit_test(test_pool_name_matches),
      cmocka_unit_test(test_wildcard_san),
      cmocka_unit_test(test_cn_only),
      cmocka_unit_test(test_cn_ignored_with_dns_san),
      cmocka_unit_test(test_expiring_soon),
      cmocka_unit_test(test_mtls_without_request),
      cmocka_unit_test(test_several_warnings),
      cmocka_unit_test(test_chain_verified),
      cmocka_unit_test(test_chain_self_signed_leaf),
      cmocka_unit_test(test_chain_other_ca),
      cmocka_unit_test(test_chain_expired_leaf),
      cmocka_unit_test(test_chain_absent_without_ca),
      cmocka_unit_test(test_ctx_errors),
      cmocka_unit_test(test_alert_protocol_version),
      cmocka_unit_test(test_alert_no_shared_cipher),
      cmocka_unit_test(test_non_tls_split),
      cmocka_unit_test(test_non_tls_to_server),
      cmocka_unit_test(test_eof_mid_handshake),
      cmocka_unit_test(test_eof_after_complete_flight),
      cmocka_unit_test(test_eof_after_certificate_keeps_evidence),
      cmocka_unit_test(test_garbage_after_partial_server_hello),
      cmocka_unit_test(test_data_cases),
      cmocka_unit_test(test_null_arguments),
  };
  int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
  OPENSSL_cleanup();
  return rc;
}
