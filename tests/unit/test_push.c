/* tests/unit/test_push.c - the Pushgateway client: URL parsing, grouping-key segments, and
 * whole exchanges against a small server on 127.0.0.1 (a thread with blocking sockets, plain
 * or TLS) that answers 200, refuses with 400, says nothing, hangs up, sends garbage or too
 * much. Every exchange must end within its deadline and leave no libuv handle behind
 * (push_metrics fails when uv_loop_close does). The real Pushgateway is the e2e test's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>
#include <cmocka.h>

#include "cli/push.h"
#include "common/certgen.h"
#include "common/platform.h"
#include "probes/tls.h"

/* ---------------- URLs and grouping keys ---------------- */

static void test_parse_url(void **state)
{
  (void)state;
  struct push_target t;
  char err[300];
  assert_int_equal(push_parse_url("http://pg.example:9091", &t, err, sizeof(err)), 0);
  assert_false(t.tls);
  assert_string_equal(t.host, "pg.example");
  assert_string_equal(t.port, "9091");
  assert_string_equal(t.path, "");
  assert_false(t.has_job);
  assert_string_equal(t.authority, "pg.example:9091");

  assert_int_equal(push_parse_url("https://pg.example/gw/", &t, err, sizeof(err)), 0);
  assert_true(t.tls);
  assert_string_equal(t.port, "443");
  assert_string_equal(t.path, "/gw");
  assert_int_equal(push_parse_url("http://198.18.56.2", &t, err, sizeof(err)), 0);
  assert_string_equal(t.port, "80");

  assert_int_equal(
      push_parse_url("http://[::1]:9091/metrics/job/compliance/site/paris", &t, err, sizeof(err)),
      0);
  assert_string_equal(t.host, "::1");
  assert_string_equal(t.authority, "[::1]:9091");
  assert_string_equal(t.path, "/metrics/job/compliance/site/paris");
  assert_true(t.has_job);

  static const struct {
    const char *url, *why;
  } bad[] = {
      {"pg.example:9091", "http://"},
      {"ftp://pg", "http://"},
      {"http://", "no host"},
      {"http://:9091", "no host"},
      {"http://pg:0", "port"},
      {"http://pg:65536", "port"},
      {"http://pg:", "port"},
      {"http://pg:9a", "port"},
      {"http://user:secret@pg:9091", "user:password@"},
      {"http://pg:9091/x?a=b", "query"},
      {"http://pg:9091/#x", "fragment"},
      {"http://pg:9091/metrics", "/metrics/job/NAME"},
      {"http://pg:9091/metrics/", "/metrics/job/NAME"},
      {"http://pg:9091/metrics/job/", "no job name"},
      {"http://pg:9091/metrics/job//x", "no job name"},
      {"http://[::1:9091", "closing ]"},
      {"http://[::1]x", ":PORT"},
      {"http://[pg]:1", "not an IPv6"},
      {"http://pg 1:9091", "printable"},
      {"http://pg\n:9091", "printable"},
      {"http://p\xc3\xa9:9091", "printable"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    if (push_parse_url(bad[i].url, &t, err, sizeof(err)) == 0)
      fail_msg("accepted %s", bad[i].url);
    if (!strstr(err, bad[i].why))
      fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].url, err, bad[i].why);
  }
}

/* base64url without padding back to bytes. */
static size_t unb64url(const char *s, unsigned char *out)
{
  char std[256];
  size_t n = strlen(s), i;
  for (i = 0; i < n; i++)
    std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
  while (i % 4)
    std[i++] = '=';
  std[i] = '\0';
  int w = EVP_DecodeBlock(out, (const unsigned char *)std, (int)i);
  assert_true(w >= 0);
  size_t pad = 0;
  while (pad < i && std[i - 1 - pad] == '=')
    pad++;
  return (size_t)w - pad;
}

static void test_segments(void **state)
{
  (void)state;
  char buf[256];
  assert_int_equal(push_group_segment(buf, sizeof(buf), "vantage", "reverse-proxy"), 22);
  assert_string_equal(buf, "/vantage/reverse-proxy");
  assert_true(push_group_segment(buf, sizeof(buf), "topology", "") > 0);
  assert_string_equal(buf, "/topology@base64/=");

  static const char *const odd[] = {"a/b", "contoso eu", "caf\xc3\xa9", "%2F", "x+y", "?", "ab"};
  for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
    assert_true(push_group_segment(buf, sizeof(buf), "topology", odd[i]) > 0);
    if (strcmp(odd[i], "ab") == 0) {
      assert_string_equal(buf, "/topology/ab");
      continue;
    }
    const char *pre = "/topology@base64/";
    assert_memory_equal(buf, pre, strlen(pre));
    const char *enc = buf + strlen(pre);
    assert_null(strpbrk(enc, "/+="));
    unsigned char dec[64];
    size_t n = unb64url(enc, dec);
    assert_int_equal(n, strlen(odd[i]));
    assert_memory_equal(dec, odd[i], n);
  }
  assert_int_equal(push_group_segment(buf, 10, "topology", "contoso"), -1);

  struct push_target t;
  char err[200];
  assert_int_equal(push_parse_url("http://pg:9091", &t, err, sizeof(err)), 0);
  char *p = push_path(&t, "contoso", "servers");
  assert_string_equal(p, "/metrics/job/ucscan/topology/contoso/vantage/servers");
  free(p);
  assert_int_equal(
      push_parse_url("http://pg:9091/gw/metrics/job/cmp/site/paris/", &t, err, sizeof(err)), 0);
  p = push_path(&t, "a/b", "any");
  assert_string_equal(p, "/gw/metrics/job/cmp/site/paris/topology@base64/YS9i/vantage/any");
  free(p);
}

/* ---------------- a server to push to ---------------- */

enum srv_mode {
  SRV_OK,
  SRV_400,
  SRV_SILENT,
  SRV_HANGUP,
  SRV_GARBAGE,
  SRV_HUGE,
  SRV_SLOW_OK,
  SRV_HTTP_AT_ONCE /* answers before reading: a plain HTTP server meeting a ClientHello */
};

struct srv {
  int lfd;
  unsigned short port;
  enum srv_mode mode;
  SSL_CTX *tls; /* NULL: plain */
  char req[1 << 16];
  size_t reqlen;
  pthread_t th;
};

/* Reads until the request is complete (head + Content-Length) or the peer stops. */
static void srv_read_request(struct srv *s, int fd, SSL *ssl)
{
  for (;;) {
    if (s->reqlen == sizeof(s->req))
      return;
    int n = ssl ? SSL_read(ssl, s->req + s->reqlen, (int)(sizeof(s->req) - s->reqlen))
                : (int)recv(fd, s->req + s->reqlen, sizeof(s->req) - s->reqlen, 0);
    if (n <= 0)
      return;
    s->reqlen += (size_t)n;
    const char *end = memmem(s->req, s->reqlen, "\r\n\r\n", 4);
    const char *cl = memmem(s->req, s->reqlen, "Content-Length: ", 16);
    if (end && cl && s->reqlen - (size_t)(end + 4 - s->req) >= strtoul(cl + 16, NULL, 10))
      return;
  }
}

static void srv_send(int fd, SSL *ssl, const char *p, size_t n)
{
  while (n > 0) {
    int w = ssl ? SSL_write(ssl, p, (int)n) : (int)send(fd, p, n, 0);
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

static void *srv_main(void *arg)
{
  struct srv *s = arg;
  int fd = accept(s->lfd, NULL, NULL);
  if (fd < 0)
    return NULL;
#ifdef _WIN32
  DWORD tv = 5000; /* Windows takes milliseconds */
#else
  struct timeval tv = {.tv_sec = 5};
#endif
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  SSL *ssl = NULL;
  if (s->mode == SRV_HANGUP) {
    plat_sock_close(fd);
    return NULL;
  }
  if (s->tls) {
    ssl = SSL_new(s->tls);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      SSL_free(ssl);
      plat_sock_close(fd);
      return NULL;
    }
  }
  static const char http400[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
  if (s->mode == SRV_HTTP_AT_ONCE)
    srv_send(fd, ssl, http400, sizeof(http400) - 1);
  else
    srv_read_request(s, fd, ssl);
  static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  static const char refused[] =
      "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 58\r\n\r\n"
      "pushed metrics are invalid\x1b[31m or inconsistent\nsecond\n";
  static const char garbage[] = "\x16\x03\x01 \x1b]0;owned\x07 SSH-2.0-x\r\n\r\n";
  char *huge;
  switch (s->mode) {
  case SRV_OK:
    srv_send(fd, ssl, ok, sizeof(ok) - 1);
    break;
  case SRV_SLOW_OK: /* the answer in pieces */
    for (size_t i = 0; i < sizeof(ok) - 1; i += 7) {
      srv_send(fd, ssl, ok + i, sizeof(ok) - 1 - i < 7 ? sizeof(ok) - 1 - i : 7);
      usleep(2000);
    }
    break;
  case SRV_400:
    srv_send(fd, ssl, refused, sizeof(refused) - 1);
    break;
  case SRV_GARBAGE:
    srv_send(fd, ssl, garbage, sizeof(garbage) - 1);
    break;
  case SRV_HUGE:
    huge = malloc(200000);
    memset(huge, 'x', 200000);
    memcpy(huge, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
    srv_send(fd, ssl, huge, 200000);
    free(huge);
    break;
  case SRV_SILENT: { /* until the client gives up */
    char b[64];
    while (ssl ? SSL_read(ssl, b, sizeof(b)) > 0 : recv(fd, b, sizeof(b), 0) > 0)
      ;
    break;
  }
  default:
    break;
  }
  if (ssl) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  shutdown(fd, SHUT_WR);
  char b[64];
  while (recv(fd, b, sizeof(b), 0) > 0) /* let the client read everything before the close */
    ;
  plat_sock_close(fd);
  return NULL;
}

static void srv_start(struct srv *s, enum srv_mode mode, SSL_CTX *tls)
{
  memset(s, 0, sizeof(*s));
  s->mode = mode;
  s->tls = tls;
  s->lfd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(s->lfd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof(a);
  assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(listen(s->lfd, 4), 0);
  assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
  s->port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_join(struct srv *s)
{
  pthread_join(s->th, NULL);
  plat_sock_close(s->lfd);
}

static uint64_t now_ms(void)
{
  return uv_hrtime() / 1000000;
}

static const char body[] = "# HELP ucscan_x x\n# TYPE ucscan_x gauge\nucscan_x 1\n";

/* Pushes `body` to 127.0.0.1:port (http or https) within timeout_ms. */
static int push_to(unsigned short port, bool tls, unsigned timeout_ms, const char *ca, char *err,
                   size_t cap, uint64_t *took)
{
  char url[80];
  struct push_target t;
  snprintf(url, sizeof(url), "%s://127.0.0.1:%u", tls ? "https" : "http", port);
  assert_int_equal(push_parse_url(url, &t, err, cap), 0);
  char *path = push_path(&t, "contoso", "servers");
  uint64_t t0 = now_ms();
  int rc = push_metrics(&t, path, body, strlen(body), timeout_ms, ca, err, cap);
  if (took)
    *took = now_ms() - t0;
  free(path);
  return rc;
}

static void test_push_ok(void **state)
{
  (void)state;
  static const enum srv_mode modes[] = {SRV_OK, SRV_SLOW_OK};
  for (size_t m = 0; m < 2; m++) {
    struct srv s;
    char err[600] = "x";
    srv_start(&s, modes[m], NULL);
    int rc = push_to(s.port, false, 5000, NULL, err, sizeof(err), NULL);
    srv_join(&s);
    if (rc != 0)
      fail_msg("push failed: %s", err);
    assert_string_equal(err, "");
    s.req[s.reqlen < sizeof(s.req) ? s.reqlen : sizeof(s.req) - 1] = '\0';
    char head[200];
    snprintf(head, sizeof(head),
             "PUT /metrics/job/ucscan/topology/contoso/vantage/servers HTTP/1.1\r\n"
             "Host: 127.0.0.1:%u\r\n",
             s.port);
    assert_memory_equal(s.req, head, strlen(head));
    assert_non_null(
        strstr(s.req, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    assert_non_null(strstr(s.req, "\r\nConnection: close\r\n"));
    char cl[40];
    snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", strlen(body));
    assert_non_null(strstr(s.req, cl));
    const char *b = strstr(s.req, "\r\n\r\n");
    assert_non_null(b);
    assert_string_equal(b + 4, body);
  }
}

static void test_push_refused(void **state)
{
  (void)state;
  struct srv s;
  char err[600];
  srv_start(&s, SRV_400, NULL);
  assert_int_equal(push_to(s.port, false, 5000, NULL, err, sizeof(err), NULL), -1);
  srv_join(&s);
  /* the code, the phrase and the first line of the body, made printable */
  assert_non_null(strstr(err, "the Pushgateway answered 400 Bad Request: pushed metrics are"));
  assert_null(strchr(err, '\x1b'));
  assert_null(strstr(err, "second"));
}

static void test_push_failures(void **state)
{
  (void)state;
  struct srv s;
  char err[600];
  uint64_t took;

  /* says nothing: the deadline ends it, and says where it stood */
  srv_start(&s, SRV_SILENT, NULL);
  assert_int_equal(push_to(s.port, false, 300, NULL, err, sizeof(err), &took), -1);
  srv_join(&s);
  assert_non_null(strstr(err, "no answer within 300 ms (waiting for the answer, 127.0.0.1:"));
  assert_true(took >= 290 && took < 3000);

  srv_start(&s, SRV_HANGUP, NULL);
  assert_int_equal(push_to(s.port, false, 5000, NULL, err, sizeof(err), NULL), -1);
  srv_join(&s);
  if (!strstr(err, "closed the connection without an answer") && !strstr(err, "lost"))
    fail_msg("hang-up: %s", err);

  srv_start(&s, SRV_GARBAGE, NULL);
  assert_int_equal(push_to(s.port, false, 5000, NULL, err, sizeof(err), NULL), -1);
  srv_join(&s);
  assert_non_null(strstr(err, "not HTTP"));
  for (const char *c = err; *c; c++)
    assert_true((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);

  srv_start(&s, SRV_HUGE, NULL);
  assert_int_equal(push_to(s.port, false, 5000, NULL, err, sizeof(err), NULL), -1);
  srv_join(&s);
  assert_non_null(strstr(err, "longer than 65536 bytes"));

  /* nobody listens: the port of a server that has gone */
  srv_start(&s, SRV_HANGUP, NULL);
  unsigned short gone = s.port;
  int fd = socket(AF_INET, SOCK_STREAM, 0); /* let the thread's accept() return */
  struct sockaddr_in a = {
      .sin_family = AF_INET, .sin_port = htons(gone), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  plat_sock_close(fd);
  srv_join(&s);
  assert_int_equal(push_to(gone, false, 5000, NULL, err, sizeof(err), NULL), -1);
  assert_non_null(strstr(err, "cannot connect: connection refused (127.0.0.1:"));
}

/* ---------------- https ---------------- */

struct pki {
  EVP_PKEY *ca_key, *key;
  X509 *ca, *leaf;
  char ca_file[64];
  SSL_CTX *server;
};

static void pki_make(struct pki *p, const char *san)
{
  time_t now = time(NULL);
  const char *names[] = {san};
  p->ca_key = certgen_key();
  p->ca = certgen_issue(p->ca_key, "push test CA", NULL, 0, now - 3600, now + 86400, NULL, NULL, 1);
  p->key = certgen_key();
  p->leaf = certgen_issue(p->key, san, names, 1, now - 3600, now + 86400, p->ca, p->ca_key, 0);
  assert_non_null(p->leaf);
  snprintf(p->ca_file, sizeof(p->ca_file), "/tmp/ucscan-test-push-ca.XXXXXX");
  int fd = mkstemp(p->ca_file);
  assert_true(fd >= 0);
  close(fd);
  char err[200];
  assert_int_equal(certgen_write_pem(p->ca_file, p->ca, NULL, err, sizeof(err)), 0);
  p->server = tls_server_ctx_new(p->leaf, p->key, 0, err, sizeof(err));
  assert_non_null(p->server);
}

static void pki_free(struct pki *p)
{
  unlink(p->ca_file);
  SSL_CTX_free(p->server);
  X509_free(p->leaf);
  X509_free(p->ca);
  EVP_PKEY_free(p->key);
  EVP_PKEY_free(p->ca_key);
}

static void test_push_https(void **state)
{
  (void)state;
  struct pki p;
  struct srv s;
  char err[600];
  pki_make(&p, "127.0.0.1");
  srv_start(&s, SRV_OK, p.server);
  int rc = push_to(s.port, true, 5000, p.ca_file, err, sizeof(err), NULL);
  srv_join(&s);
  if (rc != 0)
    fail_msg("https push failed: %s", err);
  assert_non_null(memmem(s.req, s.reqlen, "PUT /metrics/job/ucscan/", 24));

  /* refused over TLS: the same message */
  srv_start(&s, SRV_400, p.server);
  assert_int_equal(push_to(s.port, true, 5000, p.ca_file, err, sizeof(err), NULL), -1);
  srv_join(&s);
  assert_non_null(strstr(err, "answered 400 Bad Request"));

  /* a CA that did not sign it: never sent */
  struct pki other;
  pki_make(&other, "127.0.0.1");
  srv_start(&s, SRV_OK, p.server);
  assert_int_equal(push_to(s.port, true, 5000, other.ca_file, err, sizeof(err), NULL), -1);
  srv_join(&s);
  assert_non_null(strstr(err, "certificate verify failed"));
  assert_int_equal(s.reqlen, 0);
  pki_free(&other);

  /* the right CA, the wrong name */
  struct pki named;
  pki_make(&named, "pg.contoso.test");
  srv_start(&s, SRV_OK, named.server);
  assert_int_equal(push_to(s.port, true, 5000, named.ca_file, err, sizeof(err), NULL), -1);
  srv_join(&s);
  assert_non_null(strstr(err, "mismatch"));
  assert_int_equal(s.reqlen, 0);
  pki_free(&named);

  /* https to a plain HTTP server */
  srv_start(&s, SRV_HTTP_AT_ONCE, NULL);
  assert_int_equal(push_to(s.port, true, 5000, p.ca_file, err, sizeof(err), NULL), -1);
  srv_join(&s);
  if (!strstr(err, "server sent non-TLS bytes: \"HTTP/1.1 400 Bad Request\""))
    fail_msg("https to http: %s", err);

  /* a TLS server that never finishes the handshake: the deadline */
  srv_start(&s, SRV_SILENT, NULL);
  uint64_t took;
  assert_int_equal(push_to(s.port, true, 300, p.ca_file, err, sizeof(err), &took), -1);
  srv_join(&s);
  assert_non_null(strstr(err, "no answer within 300 ms (TLS handshake"));
  assert_true(took < 3000);
  pki_free(&p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_url),     cmocka_unit_test(test_segments),
      cmocka_unit_test(test_push_ok),       cmocka_unit_test(test_push_refused),
      cmocka_unit_test(test_push_failures), cmocka_unit_test(test_push_https),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
