/* cli/push.c - a Pushgateway client: one HTTP/1.1 PUT on a private libuv loop, plain or
 * through the project's TLS layer (probes/tls.c), the answer read with probes/http.c. */
#include "cli/push.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/platform.h"
#include "common/uc.h"
#include "probes/http.h"
#include "probes/probe.h"
#include "probes/textproto.h"
#include "probes/tls.h"
#include "reports/prom.h"

/* Most bytes of an answer read (the Pushgateway's are a few hundred). */
#define PUSH_ANSWER_CAP 65536

/* ---------------- URL and grouping key ---------------- */

static int url_error(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int url_error(char *err, size_t cap, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  return -1;
}

/* RFC 3986 unreserved characters: what a label value may be in a path as it is. */
static bool plain_char(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == '-';
}

static int parse_port(const char *s, size_t n, struct push_target *t, char *err, size_t cap)
{
  unsigned v = 0;
  if (n == 0 || n > 5)
    return url_error(err, cap, "the port must be a number from 1 to 65535");
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return url_error(err, cap, "the port must be a number from 1 to 65535");
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v < 1 || v > 65535)
    return url_error(err, cap, "the port must be a number from 1 to 65535");
  snprintf(t->port, sizeof(t->port), "%u", v);
  return 0;
}

/* host[:port] or [v6][:port]. */
static int parse_authority(const char *a, size_t n, struct push_target *t, char *err, size_t cap)
{
  const char *host = a, *port = NULL, *end = a + n;
  size_t hlen;
  bool v6 = false;
  if (memchr(a, '@', n))
    return url_error(err, cap,
                     "no user:password@ in the URL (the Pushgateway is pushed to "
                     "without credentials)");
  if (n > 0 && a[0] == '[') {
    const char *close = memchr(a, ']', n);
    if (!close)
      return url_error(err, cap, "an IPv6 address needs its closing ]");
    host = a + 1;
    hlen = (size_t)(close - host);
    v6 = true;
    if (close + 1 < end && close[1] != ':')
      return url_error(err, cap, "expected :PORT after the ]");
    port = close + 1 < end ? close + 2 : NULL;
  } else {
    const char *colon = memchr(a, ':', n);
    hlen = colon ? (size_t)(colon - a) : n;
    port = colon ? colon + 1 : NULL;
  }
  if (hlen == 0)
    return url_error(err, cap, "the URL names no host");
  if (hlen >= sizeof(t->host))
    return url_error(err, cap, "the host name is too long");
  memcpy(t->host, host, hlen);
  t->host[hlen] = '\0';
  unsigned char bin[16];
  if (v6 && uv_inet_pton(AF_INET6, t->host, bin) != 0)
    return url_error(err, cap, "\"%s\" is not an IPv6 address", t->host);
  if (port && parse_port(port, (size_t)(end - port), t, err, cap) < 0)
    return -1;
  if (!port)
    snprintf(t->port, sizeof(t->port), "%s", t->tls ? "443" : "80");
  snprintf(t->authority, sizeof(t->authority), "%s%s%s:%s", v6 ? "[" : "", t->host, v6 ? "]" : "",
           t->port);
  return 0;
}

static int parse_path(const char *p, struct push_target *t, char *err, size_t cap)
{
  size_t n = strlen(p);
  if (strpbrk(p, "?#"))
    return url_error(err, cap, "no ?query or #fragment: the grouping key goes in the path");
  while (n > 0 && p[n - 1] == '/')
    n--;
  if (n >= sizeof(t->path) - 1)
    return url_error(err, cap, "the path is too long");
  memcpy(t->path, p, n);
  t->path[n] = '\0';
  const char *job = strstr(t->path, "/metrics/job/");
  if (n >= 12 && strcmp(t->path + n - 12, "/metrics/job") == 0)
    return url_error(err, cap, "no job name after /metrics/job/");
  if (job) {
    const char *name = job + strlen("/metrics/job/");
    if (!*name || *name == '/')
      return url_error(err, cap, "no job name after /metrics/job/");
    t->has_job = true;
  } else if (n >= 8 && strcmp(t->path + n - 8, "/metrics") == 0) {
    return url_error(err, cap,
                     "give the Pushgateway's address (http://HOST:9091), or a path that ends "
                     "in /metrics/job/NAME; ucscan adds /metrics/job/ucscan itself");
  }
  return 0;
}

int push_parse_url(const char *url, struct push_target *t, char *err, size_t cap)
{
  memset(t, 0, sizeof(*t));
  for (const unsigned char *c = (const unsigned char *)url; *c; c++)
    if (*c <= ' ' || *c >= 0x7f)
      return url_error(err, cap, "a URL is printable ASCII, without spaces");
  const char *rest;
  if (strncmp(url, "http://", 7) == 0) {
    rest = url + 7;
  } else if (strncmp(url, "https://", 8) == 0) {
    t->tls = true;
    rest = url + 8;
  } else {
    return url_error(err, cap, "give http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]");
  }
  size_t alen = strcspn(rest, "/?#");
  if (parse_authority(rest, alen, t, err, cap) < 0)
    return -1;
  return parse_path(rest + alen, t, err, cap);
}

int push_group_segment(char *buf, size_t cap, const char *name, const char *value)
{
  size_t vlen = strlen(value);
  bool plain = vlen > 0;
  for (size_t i = 0; i < vlen && plain; i++)
    plain = plain_char((unsigned char)value[i]);
  int n;
  if (plain) {
    n = snprintf(buf, cap, "/%s/%s", name, value);
  } else if (vlen == 0) {
    n = snprintf(buf, cap, "/%s@base64/=", name);
  } else {
    if (vlen > (size_t)1 << 20)
      return -1;
    size_t blen = 4 * ((vlen + 2) / 3) + 1;
    char *b64 = malloc(blen);
    if (!b64)
      return -1;
    int w = EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)value, (int)vlen);
    /* base64url (RFC 4648 section 5), padding left out */
    while (w > 0 && b64[w - 1] == '=')
      w--;
    b64[w < 0 ? 0 : w] = '\0';
    for (char *c = b64; *c; c++)
      *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    n = snprintf(buf, cap, "/%s@base64/%s", name, b64);
    free(b64);
  }
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

char *push_path(const struct push_target *t, const char *topology, const char *vantage)
{
  size_t cap = strlen(t->path) + 64 + 2 * (strlen(topology) + strlen(vantage)) + 64;
  char *p = malloc(cap);
  if (!p)
    return NULL;
  int n = snprintf(p, cap, "%s%s", t->path, t->has_job ? "" : "/metrics/job/ucscan");
  int a = n < 0 ? -1 : push_group_segment(p + n, cap - (size_t)n, "topology", topology);
  int b = a < 0 ? -1 : push_group_segment(p + n + a, cap - (size_t)(n + a), "vantage", vantage);
  if (b < 0) {
    free(p);
    return NULL;
  }
  return p;
}

/* ---------------- the exchange ---------------- */

struct push {
  uv_loop_t loop;
  uv_timer_t timer;
  uv_getaddrinfo_t gai;
  uv_connect_t conn;
  uv_tcp_t *tcp; /* the connection being tried or used, or NULL */
  struct addrinfo *ai, *next_ai;
  const struct push_target *t;
  SSL_CTX *ctx;
  struct tls_conn *tls;
  bool timer_inited, resolving, finished, abandoned;
  int result;
  unsigned timeout_ms;
  const char *phase; /* what the deadline interrupted */
  char peer[64];
  char *req;
  size_t reqlen;
  uint8_t *answer;
  size_t answer_len;
  char readbuf[16384];
  char err[600];
};

struct push_write {
  uv_write_t w;
  struct push *p;
  char data[];
};

static void finish(struct push *p, int result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void on_tcp_closed(uv_handle_t *h)
{
  free(h);
}

static void drop_tcp(struct push *p)
{
  if (p->tcp)
    uv_close((uv_handle_t *)p->tcp, on_tcp_closed);
  p->tcp = NULL;
}

/* The end of the exchange, once: the outcome, then every handle on its way to closing. */
static void finish(struct push *p, int result, const char *fmt, ...)
{
  if (p->finished)
    return;
  p->finished = true;
  p->result = result;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof(p->err), fmt, ap);
    va_end(ap);
  }
  if (p->timer_inited)
    uv_timer_stop(&p->timer);
  drop_tcp(p);
  /* A lookup not yet started is cancelled; one under way cannot be (see push.h). */
  if (p->resolving && uv_cancel((uv_req_t *)&p->gai) != 0)
    p->abandoned = true;
}

static void on_written(uv_write_t *w, int status)
{
  struct push_write *pw = (struct push_write *)w;
  struct push *p = pw->p;
  free(pw);
  if (status < 0 && status != UV_ECANCELED)
    finish(p, -1, "cannot send to %s: %s", p->peer, uv_strerror(status));
  else if (!p->finished && p->phase && strcmp(p->phase, "sending the metrics") == 0)
    p->phase = "waiting for the answer";
}

static void send_bytes(struct push *p, const void *data, size_t n)
{
  if (p->finished || !p->tcp)
    return;
  struct push_write *pw = malloc(sizeof(*pw) + n);
  if (!pw) {
    finish(p, -1, "out of memory");
    return;
  }
  pw->p = p;
  memcpy(pw->data, data, n);
  uv_buf_t b = uv_buf_init(pw->data, (unsigned)n);
  int rc = uv_write(&pw->w, (uv_stream_t *)p->tcp, &b, 1, on_written);
  if (rc < 0) {
    free(pw);
    finish(p, -1, "cannot send to %s: %s", p->peer, uv_strerror(rc));
  }
}

static void flush_tls(struct push *p)
{
  uint8_t buf[16384];
  size_t n;
  while (!p->finished && (n = tls_conn_drain(p->tls, buf, sizeof(buf))) > 0)
    send_bytes(p, buf, n);
}

static void send_request(struct push *p)
{
  p->phase = "sending the metrics";
  if (!p->tls) {
    send_bytes(p, p->req, p->reqlen);
    return;
  }
  if (tls_conn_write(p->tls, (const uint8_t *)p->req, p->reqlen) < 0) {
    finish(p, -1, "%s", tls_conn_error(p->tls));
    return;
  }
  flush_tls(p);
}

/* The first line of the answer's body, printable, for a refusal. */
static void body_line(const struct push *p, size_t hend, char *out, size_t cap)
{
  const uint8_t *b = p->answer + hend;
  size_t n = p->answer_len - hend, k = 0;
  while (k < n && b[k] != '\n' && b[k] != '\r' && k < 300)
    k++;
  probe_printable(out, cap, b, k);
}

/* Judges the answer once it is complete (or the connection ended: eof). */
static void check_answer(struct push *p, bool eof)
{
  size_t hend = textproto_header_end(p->answer, p->answer_len, NULL);
  char line[400];
  if (hend == 0) {
    if (!eof)
      return;
    if (p->answer_len == 0)
      finish(p, -1, "%s closed the connection without an answer", p->peer);
    else {
      probe_printable(line, sizeof(line), p->answer, p->answer_len < 120 ? p->answer_len : 120);
      finish(p, -1, "%s sent an incomplete answer: \"%s\"", p->peer, line);
    }
    return;
  }
  int code = 0;
  char phrase[128];
  if (http_parse_status_line(p->answer, hend, &code, phrase, sizeof(phrase)) != 1) {
    probe_printable(line, sizeof(line), p->answer, hend < 120 ? hend : 120);
    finish(p, -1, "%s answered, but not HTTP: \"%s\"", p->peer, line);
    return;
  }
  char v[32];
  long clen = -1;
  if (textproto_header_get(p->answer, hend, "Content-Length", v, sizeof(v)) >= 0)
    clen = strtol(v, NULL, 10);
  if (!eof && (clen < 0 || p->answer_len - hend < (size_t)clen))
    return;
  if (code >= 200 && code <= 299) {
    finish(p, 0, NULL);
    return;
  }
  body_line(p, hend, line, sizeof(line));
  finish(p, -1, "the Pushgateway answered %d %s%s%s", code, phrase, line[0] ? ": " : "", line);
}

static void add_answer(struct push *p, const uint8_t *b, size_t n)
{
  if (p->answer_len + n > PUSH_ANSWER_CAP) {
    finish(p, -1, "the answer from %s is longer than %d bytes", p->peer, PUSH_ANSWER_CAP);
    return;
  }
  memcpy(p->answer + p->answer_len, b, n);
  p->answer_len += n;
}

static void tls_failed(struct push *p)
{
  long v = SSL_get_verify_result(tls_conn_ssl(p->tls));
  if (v != X509_V_OK)
    finish(p, -1, "%s (%s)", tls_conn_error(p->tls), X509_verify_cert_error_string(v));
  else
    finish(p, -1, "%s", tls_conn_error(p->tls));
}

/* Ciphertext arrived (or EOF): handshake, then plaintext into the answer. */
static void on_tls_bytes(struct push *p, const uint8_t *b, size_t n, bool eof)
{
  if (n)
    tls_conn_feed(p->tls, b, n);
  if (eof)
    tls_conn_eof(p->tls);
  if (strcmp(p->phase, "TLS handshake") == 0) {
    enum tls_step st = tls_conn_handshake(p->tls);
    flush_tls(p);
    if (st == TLS_STEP_FAILED) {
      tls_failed(p);
      return;
    }
    if (st != TLS_STEP_DONE)
      return;
    send_request(p);
  }
  uint8_t plain[16384];
  ssize_t got = 0;
  while (!p->finished && (got = tls_conn_read(p->tls, plain, sizeof(plain))) > 0)
    add_answer(p, plain, (size_t)got);
  flush_tls(p);
  if (!p->finished)
    check_answer(p, got < 0 || eof);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  struct push *p = h->data;
  (void)suggested;
  *buf = uv_buf_init(p->readbuf, sizeof(p->readbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
  struct push *p = s->data;
  if (p->finished || nread == 0)
    return;
  if (nread < 0 && nread != UV_EOF) {
    finish(p, -1, "connection to %s lost (%s): %s", p->peer, p->phase, uv_strerror((int)nread));
    return;
  }
  bool eof = nread == UV_EOF;
  size_t n = eof ? 0 : (size_t)nread;
  if (p->tls) {
    on_tls_bytes(p, (const uint8_t *)buf->base, n, eof);
    return;
  }
  add_answer(p, (const uint8_t *)buf->base, n);
  if (!p->finished)
    check_answer(p, eof);
}

static void try_next(struct push *p, const char *last_error);

static void on_connect(uv_connect_t *c, int status)
{
  struct push *p = c->data;
  if (p->finished)
    return;
  if (status < 0) {
    char why[160];
    snprintf(why, sizeof(why), "%s (%s)", uv_strerror(status), p->peer);
    drop_tcp(p);
    try_next(p, why);
    return;
  }
  int rc = uv_read_start((uv_stream_t *)p->tcp, on_alloc, on_read);
  if (rc < 0) {
    finish(p, -1, "cannot read from %s: %s", p->peer, uv_strerror(rc));
    return;
  }
  if (!p->t->tls) {
    send_request(p);
    return;
  }
  p->tls = tls_conn_new(p->ctx, 0, p->t->host);
  if (!p->tls) {
    finish(p, -1, "out of memory");
    return;
  }
  p->phase = "TLS handshake";
  if (tls_conn_handshake(p->tls) == TLS_STEP_FAILED)
    tls_failed(p);
  flush_tls(p);
}

/* Connects to the next address of the name, or gives up with the last error. */
static void try_next(struct push *p, const char *last_error)
{
  while (p->next_ai) {
    struct addrinfo *a = p->next_ai;
    p->next_ai = a->ai_next;
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
      continue;
    p->tcp = malloc(sizeof(*p->tcp));
    if (!p->tcp || uv_tcp_init(&p->loop, p->tcp) != 0) {
      free(p->tcp);
      p->tcp = NULL;
      finish(p, -1, "out of memory");
      return;
    }
    p->tcp->data = p;
    p->conn.data = p;
    probe_addr_str(a->ai_addr, p->peer, sizeof(p->peer));
    p->phase = "connecting";
    int rc = uv_tcp_connect(&p->conn, p->tcp, a->ai_addr, on_connect);
    if (rc == 0)
      return;
    drop_tcp(p);
    last_error = uv_strerror(rc);
  }
  finish(p, -1, "cannot connect: %s", last_error ? last_error : "no address");
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
  struct push *p = req->data;
  p->resolving = false;
  if (p->finished) {
    uv_freeaddrinfo(res);
    return;
  }
  if (status < 0) {
    finish(p, -1, "cannot resolve %s: %s", p->t->host, uv_strerror(status));
    return;
  }
  p->ai = p->next_ai = res;
  try_next(p, NULL);
}

static void on_timeout(uv_timer_t *t)
{
  struct push *p = t->data;
  finish(p, -1, "no answer within %u ms (%s%s%s)", p->timeout_ms, p->phase, p->peer[0] ? ", " : "",
         p->peer);
}

/* The https context: TLS 1.2 or later, the server's chain verified against the system's
 * store (or ca_file) and its name or address checked. */
static SSL_CTX *client_ctx(const struct push_target *t, const char *ca_file, char *err, size_t cap)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    snprintf(err, cap, "cannot set up TLS");
    return NULL;
  }
  unsigned char bin[16];
  bool ip = uv_inet_pton(AF_INET, t->host, bin) == 0 || uv_inet_pton(AF_INET6, t->host, bin) == 0;
  X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(ctx);
  int ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
           (ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                    : plat_tls_default_verify_paths(ctx)) == 1 &&
           (ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, t->host)
               : X509_VERIFY_PARAM_set1_host(vp, t->host, 0)) == 1;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  if (!ok) {
    snprintf(err, cap, "cannot set up TLS%s%s", ca_file ? ": cannot read " : "",
             ca_file ? ca_file : "");
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

static char *build_request(const struct push_target *t, const char *path, const char *body,
                           size_t len, size_t *out_len)
{
  char head[2048];
  int h = snprintf(head, sizeof(head),
                   "PUT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ucscan/%s\r\n"
                   "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                   path, t->authority, UC_VERSION, len);
  if (h < 0 || (size_t)h >= sizeof(head))
    return NULL;
  char *req = malloc((size_t)h + len);
  if (!req)
    return NULL;
  memcpy(req, head, (size_t)h);
  memcpy(req + h, body, len);
  *out_len = (size_t)h + len;
  return req;
}

static void free_push(struct push *p)
{
  if (p->ai)
    uv_freeaddrinfo(p->ai);
  tls_conn_free(p->tls);
  SSL_CTX_free(p->ctx);
  free(p->req);
  free(p->answer);
  free(p);
}

/* Starts the exchange on p's loop: the deadline, then the name lookup. */
static void start(struct push *p)
{
  int rc = uv_timer_init(&p->loop, &p->timer);
  p->timer_inited = rc == 0;
  if (rc == 0) {
    p->timer.data = p;
    uv_timer_start(&p->timer, on_timeout, p->timeout_ms, 0);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    p->gai.data = p;
    p->phase = "looking up the name";
    rc = uv_getaddrinfo(&p->loop, &p->gai, on_resolved, p->t->host, p->t->port, &hints);
    p->resolving = rc == 0;
    if (rc < 0)
      finish(p, -1, "cannot resolve %s: %s", p->t->host, uv_strerror(rc));
  } else {
    finish(p, -1, "cannot start: %s", uv_strerror(rc));
  }
}

int push_metrics(const struct push_target *t, const char *path, const char *body, size_t len,
                 unsigned timeout_ms, const char *ca_file, char *err, size_t cap)
{
  struct push *p = calloc(1, sizeof(*p));
  if (!p || uv_loop_init(&p->loop) != 0) {
    free(p);
    snprintf(err, cap, "cannot start: out of memory or descriptors");
    return -1;
  }
  p->t = t;
  p->timeout_ms = timeout_ms;
  p->answer = malloc(PUSH_ANSWER_CAP);
  p->req = build_request(t, path, body, len, &p->reqlen);
  if (!p->answer || !p->req)
    finish(p, -1, "out of memory (or a path too long)");
  else if (t->tls && !(p->ctx = client_ctx(t, ca_file, p->err, sizeof(p->err))))
    finish(p, -1, NULL);
  if (!p->finished)
    start(p);
  while (!p->finished)
    uv_run(&p->loop, UV_RUN_ONCE);
  int result = p->result;
  snprintf(err, cap, "%s", result == 0 ? "" : p->err);
  if (p->abandoned) /* a resolver thread still holds p->gai: see push.h */
    return result;
  if (p->timer_inited)
    uv_close((uv_handle_t *)&p->timer, NULL);
  uv_run(&p->loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&p->loop) != 0 && result == 0) {
    snprintf(err, cap, "internal error: a libuv handle was left open");
    result = -1;
  }
  free_push(p);
  return result;
}

int push_report(const char *url, const json_t *report)
{
  struct push_target t;
  char err[700];
  if (push_parse_url(url, &t, err, sizeof(err)) < 0) {
    fprintf(stderr, "ucscan: --push %s: %s\n", url, err);
    return -1;
  }
  size_t len = 0;
  char *body = prom_render(report, &len);
  char *path = push_path(&t, prom_topology(report), prom_vantage(report));
  int rc = -1;
  if (!body || !path)
    fprintf(stderr, "ucscan: --push %s: out of memory\n", url);
  else if ((rc = push_metrics(&t, path, body, len, PUSH_TIMEOUT_MS, NULL, err, sizeof(err))) == 0)
    fprintf(stderr, "ucscan: metrics pushed to %s://%s%s\n", t.tls ? "https" : "http", t.authority,
            path);
  else
    fprintf(stderr, "ucscan: --push %s: %s; the metrics were not pushed\n", url, err);
  free(body);
  free(path);
  return rc;
}
