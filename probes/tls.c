/* probes/tls.c - I/O-free TLS connections over memory BIOs, and their evidence. */
#include "probes/tls.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probes/cert.h"
#include "probes/probe.h"

#define TLS_HEAD_MAX 64 /* first bytes kept to judge and quote a non-TLS peer */
#define TLS_NO_ALERT (-1)

struct tls_conn {
  SSL *ssl;
  BIO *rbio; /* network -> OpenSSL; owned by ssl */
  BIO *wbio; /* OpenSSL -> network; owned by ssl */
  int is_server;
  int has_ca;           /* the context verifies chains against a CA file */
  int done;             /* handshake completed */
  int failed;           /* handshake failed (final) */
  int closed;           /* after DONE: the connection ended (read error, close, alert) */
  int eof;              /* the peer closed its side */
  int sniffed;          /* the first bytes were judged to be TLS */
  int cert_requested;   /* the server sent a CertificateRequest */
  int alert_in;         /* last fatal alert received, or TLS_NO_ALERT */
  int alert_in_certreq; /* that alert came after the CertificateRequest */
  int refused_after;    /* after DONE: a certificate refusal alert (TLS 1.3 answers our empty
                           Certificate only once our side has finished the handshake) */
  int alert_out;        /* last alert we sent, or TLS_NO_ALERT */
  size_t head_len;
  uint8_t head[TLS_HEAD_MAX];
  char err[UC_REASON_MAX];
};

/* RFC 8446 section 6 and the IANA registry, in words. */
static const struct {
  int code;
  const char *name;
} tls_alerts[] = {
    {0, "close notify"},
    {10, "unexpected message"},
    {20, "bad record mac"},
    {21, "decryption failed"},
    {22, "record overflow"},
    {30, "decompression failure"},
    {40, "handshake failure"},
    {41, "no certificate"},
    {42, "bad certificate"},
    {43, "unsupported certificate"},
    {44, "certificate revoked"},
    {45, "certificate expired"},
    {46, "certificate unknown"},
    {47, "illegal parameter"},
    {48, "unknown ca"},
    {49, "access denied"},
    {50, "decode error"},
    {51, "decrypt error"},
    {60, "export restriction"},
    {70, "protocol version"},
    {71, "insufficient security"},
    {80, "internal error"},
    {86, "inappropriate fallback"},
    {90, "user canceled"},
    {100, "no renegotiation"},
    {109, "missing extension"},
    {110, "unsupported extension"},
    {111, "certificate unobtainable"},
    {112, "unrecognized name"},
    {113, "bad certificate status response"},
    {114, "bad certificate hash value"},
    {115, "unknown psk identity"},
    {116, "certificate required"},
    {120, "no application protocol"},
};

static const char *tls_alert_name(int code)
{
  for (size_t i = 0; i < sizeof(tls_alerts) / sizeof(tls_alerts[0]); i++)
    if (tls_alerts[i].code == code)
      return tls_alerts[i].name;
  return "unknown alert";
}

/* Alerts a server sends when it wanted a client certificate and got none. */
static int tls_alert_is_cert_refusal(int code)
{
  return code == 40 || code == 41 || code == 42 || code == 46 || code == 48 || code == 49 ||
         code == 116;
}

static const char *tls_peer(const struct tls_conn *c)
{
  return c->is_server ? "client" : "server";
}

/* ---- OpenSSL callbacks (per connection data through SSL app data) ---- */

static void tls_info_cb(const SSL *ssl, int where, int ret)
{
  struct tls_conn *c = SSL_get_app_data(ssl);
  if (!c || !(where & SSL_CB_ALERT))
    return;
  int level = (ret >> 8) & 0xff, code = ret & 0xff;
  if (where & SSL_CB_READ) {
    if (level == SSL3_AL_FATAL) {
      c->alert_in = code;
      c->alert_in_certreq = c->cert_requested;
    }
  } else if (where & SSL_CB_WRITE) {
    if (code != SSL_AD_CLOSE_NOTIFY)
      c->alert_out = code;
  }
}

static int tls_client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
  struct tls_conn *c = SSL_get_app_data(ssl);
  if (c)
    c->cert_requested = 1;
  *x509 = NULL;
  *pkey = NULL;
  return 0; /* no certificate: the scanner has none to give */
}

static int tls_accept_any_cb(int preverify_ok, X509_STORE_CTX *ctx)
{
  return 1; /* listen mode asks for client certificates but never judges them */
}

/* ---- errors ---- */

static void tls_openssl_reason(char *buf, size_t cap)
{
  unsigned long e = ERR_peek_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  if (e && ERR_SYSTEM_ERROR(e))
    snprintf(buf, cap, "%s", strerror(ERR_GET_REASON(e)));
  else if (r)
    snprintf(buf, cap, "%s", r);
  else if (e)
    ERR_error_string_n(e, buf, cap);
  else
    buf[0] = '\0';
}

/* Fills c->err after a failed handshake step; sslerr is SSL_get_error's answer. */
static void tls_fail(struct tls_conn *c, int sslerr)
{
  char why[160];
  c->failed = 1;
  tls_openssl_reason(why, sizeof(why));
  ERR_clear_error();
  if (c->err[0])
    return; /* first reason wins (non-TLS bytes) */
  if (c->alert_in != TLS_NO_ALERT)
    snprintf(c->err, sizeof(c->err), "TLS alert from %s: %s (%d)", tls_peer(c),
             tls_alert_name(c->alert_in), c->alert_in);
  else if (c->eof)
    snprintf(c->err, sizeof(c->err), "connection closed during TLS handshake");
  else if (why[0])
    snprintf(c->err, sizeof(c->err), "TLS handshake failed: %s", why);
  else if (c->alert_out != TLS_NO_ALERT)
    snprintf(c->err, sizeof(c->err), "TLS handshake failed: sent alert %s (%d)",
             tls_alert_name(c->alert_out), c->alert_out);
  else
    snprintf(c->err, sizeof(c->err), "TLS handshake failed: SSL error %d", sslerr);
}

/* ---- contexts ---- */

SSL_CTX *tls_client_ctx_new(const char *ca_file, char *err, size_t errcap)
{
  char why[160];
  ERR_clear_error();
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    tls_openssl_reason(why, sizeof(why));
    snprintf(err, errcap, "cannot create a TLS client context: %s", why);
    ERR_clear_error();
    return NULL;
  }
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_options(ctx, SSL_OP_ALL | SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  /* A connection's 16 KiB+ read and write buffers go back between records: thousands of
   * handshakes in flight held 66 MB of them on a 1,000-host scan */
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_client_cert_cb(ctx, tls_client_cert_cb);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, 0) != 1 ||
      SSL_CTX_set_cipher_list(ctx, "ALL:!aNULL:!eNULL:@SECLEVEL=0") != 1) {
    tls_openssl_reason(why, sizeof(why));
    snprintf(err, errcap, "cannot configure the TLS client context: %s", why);
    goto fail;
  }
  if (ca_file) {
    FILE *fp = fopen(ca_file, "r");
    if (!fp) {
      snprintf(err, errcap, "cannot load CA file %s: %s", ca_file, strerror(errno));
      goto fail;
    }
    fclose(fp);
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
      tls_openssl_reason(why, sizeof(why));
      snprintf(err, errcap, "cannot load CA file %s: %s", ca_file,
               why[0] ? why : "no certificate in it");
      goto fail;
    }
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
  }
  ERR_clear_error();
  return ctx;
fail:
  ERR_clear_error();
  SSL_CTX_free(ctx);
  return NULL;
}

SSL_CTX *tls_server_ctx_new(X509 *cert, EVP_PKEY *key, int request_client_cert, char *err,
                            size_t errcap)
{
  char why[160];
  static const unsigned char sid_ctx[] = "ucscan";
  if (!cert || !key) {
    snprintf(err, errcap, "a TLS server needs a certificate and its key");
    return NULL;
  }
  ERR_clear_error();
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    tls_openssl_reason(why, sizeof(why));
    snprintf(err, errcap, "cannot create a TLS server context: %s", why);
    ERR_clear_error();
    return NULL;
  }
  if (SSL_CTX_use_certificate(ctx, cert) != 1) {
    tls_openssl_reason(why, sizeof(why));
    snprintf(err, errcap, "cannot use the server certificate: %s", why);
    goto fail;
  }
  if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    tls_openssl_reason(why, sizeof(why));
    snprintf(err, errcap, "cannot use the server key: %s", why);
    goto fail;
  }
  SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
  if (request_client_cert == TLS_CLIENT_CERT_REQUEST)
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_accept_any_cb);
  else if (request_client_cert == TLS_CLIENT_CERT_REQUIRE)
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, tls_accept_any_cb);
  else
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  ERR_clear_error();
  return ctx;
fail:
  ERR_clear_error();
  SSL_CTX_free(ctx);
  return NULL;
}

/* ---- connections ---- */

static int tls_ctx_has_ca(SSL_CTX *ctx)
{
  X509_STORE *st = SSL_CTX_get_cert_store(ctx);
  STACK_OF(X509_OBJECT) *objs = st ? X509_STORE_get0_objects(st) : NULL;
  return objs && sk_X509_OBJECT_num(objs) > 0;
}

struct tls_conn *tls_conn_new(SSL_CTX *ctx, int is_server, const char *sni)
{
  struct tls_conn *c;
  if (!ctx || !(c = calloc(1, sizeof(*c))))
    return NULL;
  c->is_server = is_server != 0;
  c->alert_in = TLS_NO_ALERT;
  c->alert_out = TLS_NO_ALERT;
  ERR_clear_error();
  c->ssl = SSL_new(ctx);
  c->rbio = BIO_new(BIO_s_mem());
  c->wbio = BIO_new(BIO_s_mem());
  if (!c->ssl || !c->rbio || !c->wbio) {
    BIO_free(c->rbio);
    BIO_free(c->wbio);
    SSL_free(c->ssl);
    free(c);
    ERR_clear_error();
    return NULL;
  }
  BIO_set_mem_eof_return(c->rbio, -1); /* empty means "wait", not EOF */
  BIO_set_mem_eof_return(c->wbio, -1);
  SSL_set_bio(c->ssl, c->rbio, c->wbio);
  SSL_set_app_data(c->ssl, c);
  SSL_set_info_callback(c->ssl, tls_info_cb);
  if (c->is_server) {
    SSL_set_accept_state(c->ssl);
  } else {
    SSL_set_connect_state(c->ssl);
    c->has_ca = tls_ctx_has_ca(ctx);
    if (sni && *sni && !cert_ip_literal(sni, NULL, NULL)) {
      char name[256];
      size_t n = strlen(sni);
      if (n > 1 && sni[n - 1] == '.')
        n--;
      if (n < sizeof(name)) {
        memcpy(name, sni, n);
        name[n] = '\0';
        SSL_set_tlsext_host_name(c->ssl, name);
      }
    }
  }
  ERR_clear_error();
  return c;
}

void tls_conn_free(struct tls_conn *c)
{
  if (!c)
    return;
  SSL_free(c->ssl); /* frees both BIOs */
  free(c);
}

/* Judges the first bytes of the peer's stream: 1 TLS, 0 not enough bytes yet, -1 not TLS. */
static int tls_sniff(struct tls_conn *c)
{
  const uint8_t *h = c->head;
  if (c->head_len < 1)
    return 0;
  if (h[0] >= 20 && h[0] <= 23) { /* change_cipher_spec, alert, handshake, application */
    if (c->head_len < 2)
      return 0;
    return h[1] == 3 ? 1 : -1;
  }
  if (c->is_server && (h[0] & 0x80)) { /* SSLv2-format ClientHello of an old client */
    if (c->head_len < 4)
      return 0;
    return (h[2] == 1 && h[3] == 3) ? 1 : -1;
  }
  return -1;
}

static void tls_fail_non_tls(struct tls_conn *c)
{
  char quote[TLS_HEAD_MAX + 1];
  c->failed = 1;
  if (c->head[0] >= 0x20 && c->head[0] < 0x7f) {
    probe_printable(quote, sizeof(quote), c->head, c->head_len);
    snprintf(c->err, sizeof(c->err), "%s sent non-TLS bytes: \"%s\"", tls_peer(c), quote);
  } else {
    char hex[3 * 16 + 1];
    size_t n = c->head_len < 16 ? c->head_len : 16, off = 0;
    hex[0] = '\0';
    for (size_t i = 0; i < n; i++)
      off += (size_t)snprintf(hex + off, sizeof(hex) - off, "%s%02x", i ? " " : "", c->head[i]);
    snprintf(c->err, sizeof(c->err), "%s sent non-TLS bytes: %s (hex)", tls_peer(c), hex);
  }
}

int tls_conn_feed(struct tls_conn *c, const uint8_t *data, size_t len)
{
  if (!c || c->failed || c->closed)
    return -1;
  if (len == 0)
    return 0;
  if (!c->sniffed) {
    size_t take = TLS_HEAD_MAX - c->head_len;
    if (take > len)
      take = len;
    memcpy(c->head + c->head_len, data, take);
    c->head_len += take;
    int s = tls_sniff(c);
    if (s < 0) {
      tls_fail_non_tls(c);
      return -1;
    }
    c->sniffed = s > 0;
  }
  while (len > 0) {
    int chunk = len > INT_MAX ? INT_MAX : (int)len;
    if (BIO_write(c->rbio, data, chunk) != chunk) {
      ERR_clear_error();
      return -1;
    }
    data += chunk;
    len -= (size_t)chunk;
  }
  return 0;
}

void tls_conn_eof(struct tls_conn *c)
{
  if (!c)
    return;
  c->eof = 1;
  BIO_set_mem_eof_return(c->rbio, 0);
}

size_t tls_conn_drain(struct tls_conn *c, uint8_t *buf, size_t cap)
{
  if (!c || cap == 0)
    return 0;
  int n = BIO_read(c->wbio, buf, cap > INT_MAX ? INT_MAX : (int)cap);
  return n > 0 ? (size_t)n : 0;
}

enum tls_step tls_conn_handshake(struct tls_conn *c)
{
  if (!c)
    return TLS_STEP_FAILED;
  if (c->failed)
    return TLS_STEP_FAILED;
  if (c->done)
    return TLS_STEP_DONE;
  ERR_clear_error();
  int r = SSL_do_handshake(c->ssl);
  if (r == 1) {
    c->done = 1;
    ERR_clear_error();
    return TLS_STEP_DONE;
  }
  int e = SSL_get_error(c->ssl, r);
  if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && !c->eof) {
    ERR_clear_error();
    return TLS_STEP_WANT_IO;
  }
  tls_fail(c, e);
  return TLS_STEP_FAILED;
}

int tls_conn_write(struct tls_conn *c, const uint8_t *p, size_t n)
{
  if (!c || !c->done || c->closed)
    return -1;
  while (n > 0) {
    int chunk = n > INT_MAX ? INT_MAX : (int)n;
    ERR_clear_error();
    int r = SSL_write(c->ssl, p, chunk);
    if (r <= 0) {
      char why[160];
      tls_openssl_reason(why, sizeof(why));
      ERR_clear_error();
      snprintf(c->err, sizeof(c->err), "TLS write failed: %s", why[0] ? why : "unknown error");
      return -1;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

ssize_t tls_conn_read(struct tls_conn *c, uint8_t *buf, size_t cap)
{
  if (!c || !c->done || c->closed)
    return -1;
  if (cap == 0)
    return 0;
  /* A fatal alert during the handshake would have failed it: any alert_in now is new. */
  ERR_clear_error();
  int r = SSL_read(c->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
  if (r > 0)
    return r;
  int e = SSL_get_error(c->ssl, r);
  if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && !c->eof) {
    ERR_clear_error();
    return 0;
  }
  char why[160];
  tls_openssl_reason(why, sizeof(why));
  ERR_clear_error();
  c->closed = 1;
  if (c->alert_in != TLS_NO_ALERT && !c->is_server && c->alert_in_certreq &&
      tls_alert_is_cert_refusal(c->alert_in))
    c->refused_after = 1;
  if (c->alert_in != TLS_NO_ALERT)
    snprintf(c->err, sizeof(c->err), "TLS alert from %s: %s (%d)", tls_peer(c),
             tls_alert_name(c->alert_in), c->alert_in);
  else if (e == SSL_ERROR_ZERO_RETURN)
    snprintf(c->err, sizeof(c->err), "%s closed the TLS connection (close notify)", tls_peer(c));
  else if (c->eof)
    snprintf(c->err, sizeof(c->err), "connection closed by %s", tls_peer(c));
  else
    snprintf(c->err, sizeof(c->err), "TLS read failed: %s", why[0] ? why : "unknown error");
  return -1;
}

int tls_conn_shutdown(struct tls_conn *c)
{
  if (!c || !c->done)
    return -1;
  ERR_clear_error();
  SSL_shutdown(c->ssl);
  ERR_clear_error();
  return 0;
}

const char *tls_conn_error(const struct tls_conn *c)
{
  return c ? c->err : "";
}

int tls_conn_cert_requested(const struct tls_conn *c)
{
  return c ? c->cert_requested : 0;
}

/* A refusal during the handshake (TLS 1.2) or right after it (TLS 1.3), from a server that
 * had asked for a client certificate. */
static int tls_refused(const struct tls_conn *c)
{
  return !c->is_server && c->cert_requested && c->alert_in_certreq && c->alert_in != TLS_NO_ALERT &&
         tls_alert_is_cert_refusal(c->alert_in) && (c->failed || c->refused_after);
}

int tls_conn_cert_refused(const struct tls_conn *c)
{
  return c ? tls_refused(c) : 0;
}

int tls_conn_alert(const struct tls_conn *c)
{
  return c && c->alert_in != TLS_NO_ALERT ? c->alert_in : -1;
}

const SSL *tls_conn_ssl(const struct tls_conn *c)
{
  return c ? c->ssl : NULL;
}

/* ---- names to offer by SNI ---- */

static int tls_name_eq(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  if (la && a[la - 1] == '.')
    la--;
  if (lb && b[lb - 1] == '.')
    lb--;
  return la == lb && strncasecmp(a, b, la) == 0;
}

int tls_sni_alternative(const char *host, const char *pool, unsigned i, char *buf, size_t cap)
{
  const char *cand[3];
  size_t n = 0;
  const char *dot = host ? strchr(host, '.') : NULL;
  const char *domain = dot && strchr(dot + 1, '.') ? dot + 1 : NULL;
  if (host && cert_ip_literal(host, NULL, NULL))
    domain = NULL; /* an address: no SNI was sent, nothing to derive */
  if (pool && *pool && !cert_ip_literal(pool, NULL, NULL) && !(host && tls_name_eq(pool, host)))
    cand[n++] = pool;
  if (domain && !(pool && tls_name_eq(domain, pool)))
    cand[n++] = domain;
  cand[n++] = "";
  if (i >= n || cap == 0)
    return 0;
  size_t len = strlen(cand[i]);
  if (len >= cap)
    return 0;
  memcpy(buf, cand[i], len + 1);
  return 1;
}

/* ---- evidence ---- */

static const char *tls_version_name(int v, const char **words)
{
  switch (v) {
  case TLS1_3_VERSION:
    *words = "TLS 1.3";
    return "TLSv1.3";
  case TLS1_2_VERSION:
    *words = "TLS 1.2";
    return "TLSv1.2";
  case TLS1_1_VERSION:
    *words = "TLS 1.1";
    return "TLSv1.1";
  case TLS1_VERSION:
    *words = "TLS 1.0";
    return "TLSv1.0";
  case SSL3_VERSION:
    *words = "SSL 3.0";
    return "SSLv3";
  default:
    *words = "TLS";
    return NULL;
  }
}

static int tls_set(json_t *obj, const char *key, json_t *val)
{
  return val ? json_object_set_new(obj, key, val) : -1;
}

/* Builds the tls object; NULL when out of memory. Called once the ServerHello is known
 * (handshake done, or a server certificate seen). */
static json_t *tls_object(const struct tls_conn *c, X509 *leaf, const struct tls_judge_opts *o,
                          char *warn, size_t cap)
{
  const char *words;
  int bad = 0;
  json_t *t = json_object();
  if (!t)
    return NULL;
  const char *v = tls_version_name(SSL_version(c->ssl), &words);
  const SSL_CIPHER *ci = SSL_get_current_cipher(c->ssl);
  const char *cn = ci ? SSL_CIPHER_standard_name(ci) : NULL;
  if (!cn && ci)
    cn = SSL_CIPHER_get_name(ci);
  if (v)
    bad |= tls_set(t, "version", json_string(v));
  if (cn)
    bad |= tls_set(t, "cipher", json_string(cn));
  bad |= tls_set(t, "client_cert_requested", json_boolean(c->cert_requested));
  if (leaf) {
    struct cert_judge j = {o->host, o->pool, o->now, o->cert_warn_days};
    bad |= tls_set(t, "certificate", cert_evidence(leaf, &j, warn, cap));
    ERR_clear_error(); /* a malformed certificate leaves decoding errors: keep tls.h's promise */
    if (c->has_ca) {
      long vr = SSL_get_verify_result(c->ssl);
      json_t *ch = json_object();
      bad |= tls_set(t, "chain", ch);
      if (ch) {
        bad |= tls_set(ch, "verified", json_boolean(vr == X509_V_OK));
        if (vr != X509_V_OK)
          bad |= tls_set(ch, "error", json_string(X509_verify_cert_error_string(vr)));
      }
    }
  }
  if (bad) {
    json_decref(t);
    return NULL;
  }
  return t;
}

json_t *tls_conn_evidence(const struct tls_conn *c, const struct tls_judge_opts *o,
                          enum uc_outcome *outcome, char *reason, size_t cap)
{
  char warn[UC_REASON_MAX] = "";
  const char *words = "TLS";
  struct tls_judge_opts none;
  enum uc_outcome oc;
  char tmp[UC_REASON_MAX];
  json_t *t;

  if (!o) {
    memset(&none, 0, sizeof(none));
    none.now = time(NULL);
    o = &none;
  }
  if (!outcome)
    outcome = &oc;
  if (!reason || cap == 0) {
    reason = tmp;
    cap = sizeof(tmp);
  }
  reason[0] = '\0';
  if (!c) {
    *outcome = UC_OUT_FAIL;
    snprintf(reason, cap, "no TLS connection");
    return NULL;
  }
  X509 *leaf = SSL_get0_peer_certificate(c->ssl);
  int refused = tls_refused(c);

  if (!c->done && !refused) {
    *outcome = UC_OUT_FAIL;
    snprintf(reason, cap, "%s", c->err[0] ? c->err : "TLS handshake not completed");
    return leaf ? tls_object(c, leaf, o, warn, sizeof(warn)) : NULL;
  }

  t = tls_object(c, leaf, o, warn, sizeof(warn));
  tls_version_name(SSL_version(c->ssl), &words);
  if (!leaf)
    cert_reason_append(warn, sizeof(warn), "server presented no certificate");
  int mtls_unasked = o->expect_client_cert && !c->cert_requested;
  if (mtls_unasked)
    cert_reason_append(warn, sizeof(warn),
                       "server did not request a client certificate (MTLS expected)");
  /* What the handshake proved, said whatever the warnings: a person reading a warning still
   * needs to know that a client certificate was requested or required. */
  char status[UC_REASON_MAX];
  if (refused)
    snprintf(status, sizeof(status),
             "client certificate required%s: %s server requested a client certificate and "
             "refused to go on without one (alert %s (%d))",
             o->expect_client_cert ? "" : " (not an MTLS row)", words, tls_alert_name(c->alert_in),
             c->alert_in);
  else
    snprintf(status, sizeof(status), "%s handshake completed%s", words,
             c->cert_requested ? "; client certificate requested"
             : mtls_unasked    ? ""
                               : "; no client certificate requested");
  if (warn[0] || (refused && !o->expect_client_cert)) {
    *outcome = UC_OUT_WARN;
    if (warn[0])
      snprintf(reason, cap, "%s; %s", warn, status);
    else
      snprintf(reason, cap, "%s", status);
  } else {
    *outcome = UC_OUT_OK;
    snprintf(reason, cap, "%s", status);
  }
  return t;
}
