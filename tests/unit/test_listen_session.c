/* tests/unit/test_listen_session.c - one accepted connection of a listener, without
 * sockets: the server side of TLS pumped against the scanner's tls_conn client in memory,
 * then the SIP, HTTP, XMPP and MS-TURN responders judged by the scanner's probe modules;
 * client-certificate requests, an expired certificate, hostile input, the reply budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/certgen.h"
#include "listen/session.h"
#include "probes/probe.h"
#include "probes/stun.h"
#include "probes/tls.h"
#include <uv.h>

#define HOST "med01.contoso.test"
#define DAY (24 * 3600)

struct fx {
  EVP_PKEY *key;
  X509 *cert, *expired;
  SSL_CTX *plain, *mtls, *old, *client;
  struct listen_identity id;
  struct listen_counters cnt;
  struct sockaddr_in peer;
};

static int group_setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  static const char *const names[] = {HOST};
  char err[160];
  time_t now = time(NULL);
  if (!f || !(f->key = certgen_key()))
    return -1;
  f->cert = certgen_issue(f->key, HOST, names, 1, now - 3600, now + 365 * DAY, NULL, NULL, 0);
  f->expired = certgen_issue(f->key, HOST, names, 1, now - 60 * DAY, now - 30 * DAY, NULL, NULL, 0);
  if (!f->cert || !f->expired)
    return -1;
  f->plain = tls_server_ctx_new(f->cert, f->key, TLS_CLIENT_CERT_NONE, err, sizeof(err));
  f->mtls = tls_server_ctx_new(f->cert, f->key, TLS_CLIENT_CERT_REQUEST, err, sizeof(err));
  f->old = tls_server_ctx_new(f->expired, f->key, TLS_CLIENT_CERT_REQUEST, err, sizeof(err));
  f->client = tls_client_ctx_new(NULL, err, sizeof(err));
  if (!f->plain || !f->mtls || !f->old || !f->client)
    return -1;
  snprintf(f->id.server, sizeof(f->id.server), "%s (ucscan test)", UC_LISTENER_TOKEN);
  snprintf(f->id.domain, sizeof(f->id.domain), HOST);
  snprintf(f->id.stream_id, sizeof(f->id.stream_id), "%s-00112233", UC_LISTENER_TOKEN);
  *state = f;
  return 0;
}

static int group_teardown(void **state)
{
  struct fx *f = *state;
  SSL_CTX_free(f->plain);
  SSL_CTX_free(f->mtls);
  SSL_CTX_free(f->old);
  SSL_CTX_free(f->client);
  X509_free(f->cert);
  X509_free(f->expired);
  EVP_PKEY_free(f->key);
  free(f);
  return 0;
}

static struct listen_session *session(struct fx *f, SSL_CTX *tls, enum probe_responder app,
                                      struct listen_rate *rate)
{
  f->peer.sin_family = AF_INET;
  f->peer.sin_port = htons(40000);
  inet_pton(AF_INET, "198.18.20.1", &f->peer.sin_addr);
  memset(&f->cnt, 0, sizeof(f->cnt));
  struct listen_session_conf c = {.tls = tls,
                                  .app = app,
                                  .id = &f->id,
                                  .rate = rate,
                                  .cnt = &f->cnt,
                                  .peer = (const struct sockaddr *)&f->peer};
  struct listen_session *s = listen_session_new(&c);
  assert_non_null(s);
  return s;
}

/* Client ciphertext to the session; returns bytes moved and the session's last word. */
static size_t to_server(struct tls_conn *c, struct listen_session *s, enum listen_session_act *act)
{
  uint8_t buf[4096];
  size_t n, total = 0;
  while ((n = tls_conn_drain(c, buf, sizeof(buf))) > 0) {
    *act = listen_session_input(s, buf, n);
    total += n;
  }
  return total;
}

static size_t to_client(struct listen_session *s, struct tls_conn *c)
{
  size_t n;
  uint8_t *p = listen_session_take_output(s, &n);
  if (!p)
    return 0;
  tls_conn_feed(c, p, n);
  free(p);
  return n;
}

static enum tls_step handshake(struct fx *f, struct listen_session *s, struct tls_conn **out,
                               enum listen_session_act *act)
{
  struct tls_conn *c = tls_conn_new(f->client, 0, HOST);
  assert_non_null(c);
  *act = LISTEN_SESSION_OPEN;
  for (int i = 0; i < 20; i++) {
    tls_conn_handshake(c);
    size_t moved = to_server(c, s, act);
    moved += to_client(s, c);
    if (moved == 0)
      break;
  }
  *out = c;
  return tls_conn_handshake(c);
}

/* Runs the scanner's module m over the connection (TLS when c is not NULL) and returns its
 * final outcome. */
static void exchange(struct listen_session *s, struct tls_conn *c, const struct probe_module *m,
                     enum uc_proto proto, struct probe_outcome *o, enum listen_session_act *act)
{
  struct sockaddr_in dst;
  memset(&dst, 0, sizeof(dst));
  dst.sin_family = AF_INET;
  struct probe_target t = {.host = HOST, .addr = (const struct sockaddr *)&dst, .protocol = proto};
  void *st = calloc(1, m->state_size);
  uint8_t rnd[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
  uint8_t buf[16384], rx[65536];
  size_t rx_len = 0;
  assert_non_null(st);
  if (m->init)
    m->init(st, &t, rnd);
  *act = LISTEN_SESSION_OPEN;
  for (unsigned i = 0;; i++) {
    size_t n = m->build(st, &t, i, buf, sizeof(buf));
    if (n == 0)
      break;
    if (c) {
      assert_int_equal(tls_conn_write(c, buf, n), 0);
      to_server(c, s, act);
    } else {
      *act = listen_session_input(s, buf, n);
    }
  }
  size_t n;
  uint8_t *p;
  if (c) {
    to_client(s, c);
    ssize_t r;
    while ((r = tls_conn_read(c, rx + rx_len, sizeof(rx) - rx_len)) > 0)
      rx_len += (size_t)r;
  } else {
    while ((p = listen_session_take_output(s, &n)) != NULL) {
      assert_true(rx_len + n <= sizeof(rx));
      memcpy(rx + rx_len, p, n);
      rx_len += n;
      free(p);
    }
  }
  memset(o, 0, sizeof(*o));
  if (m->classify(st, &t, rx, rx_len, NULL, o) != PROBE_DONE)
    m->finish(st, &t, PROBE_END_EOF, rx, rx_len, o);
  free(st);
}

static void judge(struct tls_conn *c, int expect_cc, enum uc_outcome *oc, char *reason, size_t cap)
{
  struct tls_judge_opts jo = {.host = HOST, .expect_client_cert = expect_cc, .now = time(NULL)};
  json_decref(tls_conn_evidence(c, &jo, oc, reason, cap));
}

static void test_mtls_sip(void **state)
{
  struct fx *f = *state;
  struct listen_session *s = session(f, f->mtls, PROBE_RESP_SIP, NULL);
  struct tls_conn *c;
  enum listen_session_act act;
  assert_int_equal(handshake(f, s, &c, &act), TLS_STEP_DONE);
  assert_int_equal(act, LISTEN_SESSION_OPEN);
  assert_true(tls_conn_cert_requested(c));
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  judge(c, 1, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_OK);
  struct probe_outcome o;
  exchange(s, c, &probe_sip, UC_P_MTLS, &o, &act);
  assert_int_equal(o.outcome, UC_OUT_OK);
  assert_true(o.listener);
  assert_non_null(strstr(o.reason, "200"));
  assert_int_equal(act, LISTEN_SESSION_OPEN); /* SIP connections stay up */
  assert_int_equal(f->cnt.tls_handshakes, 1);
  assert_int_equal(f->cnt.replies, 1);
  json_decref(o.evidence);
  /* A second OPTIONS on the same connection is answered too. */
  exchange(s, c, &probe_sip, UC_P_MTLS, &o, &act);
  assert_true(o.listener);
  assert_int_equal(f->cnt.replies, 2);
  json_decref(o.evidence);
  /* The peer closes: the session says close. */
  tls_conn_shutdown(c);
  to_server(c, s, &act);
  assert_int_equal(listen_session_eof(s), LISTEN_SESSION_CLOSE);
  tls_conn_free(c);
  listen_session_free(s);
}

static void test_no_client_cert_request(void **state)
{
  struct fx *f = *state;
  struct listen_session *s = session(f, f->plain, PROBE_RESP_NONE, NULL);
  struct tls_conn *c;
  enum listen_session_act act;
  assert_int_equal(handshake(f, s, &c, &act), TLS_STEP_DONE);
  assert_false(tls_conn_cert_requested(c));
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  judge(c, 1, &oc, reason, sizeof(reason)); /* as the scanner judges an MTLS row */
  assert_int_equal(oc, UC_OUT_WARN);
  assert_non_null(strstr(reason, "client certificate"));
  /* Held, not answered: bytes go nowhere. */
  static const uint8_t junk[] = "hello";
  assert_int_equal(tls_conn_write(c, junk, 5), 0);
  to_server(c, s, &act);
  assert_int_equal(act, LISTEN_SESSION_OPEN);
  assert_int_equal(to_client(s, c), 0);
  tls_conn_free(c);
  listen_session_free(s);
}

static void test_expired_https(void **state)
{
  struct fx *f = *state;
  struct listen_session *s = session(f, f->old, PROBE_RESP_HTTP, NULL);
  struct tls_conn *c;
  enum listen_session_act act;
  assert_int_equal(handshake(f, s, &c, &act), TLS_STEP_DONE);
  enum uc_outcome oc;
  char reason[UC_REASON_MAX];
  judge(c, 0, &oc, reason, sizeof(reason));
  assert_int_equal(oc, UC_OUT_WARN);
  assert_non_null(strstr(reason, "expired"));
  struct probe_outcome o;
  exchange(s, c, &probe_http, UC_P_HTTPS, &o, &act);
  assert_int_equal(o.outcome, UC_OUT_OK);
  assert_true(o.listener);
  assert_int_equal(act, LISTEN_SESSION_CLOSE); /* HTTP: Connection: close */
  json_decref(o.evidence);
  tls_conn_free(c);
  listen_session_free(s);
}

static void test_tls_xmpp(void **state)
{
  struct fx *f = *state;
  struct listen_session *s = session(f, f->mtls, PROBE_RESP_XMPP, NULL);
  struct tls_conn *c;
  enum listen_session_act act;
  assert_int_equal(handshake(f, s, &c, &act), TLS_STEP_DONE);
  struct probe_outcome o;
  exchange(s, c, &probe_xmpp, UC_P_MTLS, &o, &act);
  assert_int_equal(o.outcome, UC_OUT_OK);
  assert_true(o.listener);
  assert_int_equal(act, LISTEN_SESSION_OPEN);
  json_decref(o.evidence);
  tls_conn_free(c);
  listen_session_free(s);
}

static void test_plain(void **state)
{
  struct fx *f = *state;
  struct probe_outcome o;
  enum listen_session_act act;
  struct listen_session *s = session(f, NULL, PROBE_RESP_SIP, NULL);
  exchange(s, NULL, &probe_sip, UC_P_SIP, &o, &act);
  assert_int_equal(o.outcome, UC_OUT_OK);
  assert_true(o.listener);
  json_decref(o.evidence);
  listen_session_free(s);

  s = session(f, NULL, PROBE_RESP_HTTP, NULL);
  exchange(s, NULL, &probe_http, UC_P_HTTP, &o, &act);
  assert_true(o.listener);
  assert_int_equal(act, LISTEN_SESSION_CLOSE);
  json_decref(o.evidence);
  listen_session_free(s);

  s = session(f, NULL, PROBE_RESP_XMPP, NULL);
  exchange(s, NULL, &probe_xmpp, UC_P_XMPP, &o, &act);
  assert_int_equal(o.outcome, UC_OUT_OK);
  assert_true(o.listener);
  json_decref(o.evidence);
  listen_session_free(s);

  s = session(f, NULL, PROBE_RESP_STUN_TCP, NULL);
  exchange(s, NULL, &probe_stun_tcp, UC_P_STUN, &o, &act);
  assert_int_equal(o.outcome, UC_OUT_OK);
  assert_true(o.listener);
  json_decref(o.evidence);
  listen_session_free(s);
}

static void test_hostile(void **state)
{
  struct fx *f = *state;
  /* Non-TLS bytes on a TLS port: the handshake fails, the session closes and says why. */
  struct listen_session *s = session(f, f->mtls, PROBE_RESP_SIP, NULL);
  static const char opt[] = "OPTIONS sip:x SIP/2.0\r\n\r\n";
  assert_int_equal(listen_session_input(s, (const uint8_t *)opt, strlen(opt)),
                   LISTEN_SESSION_CLOSE);
  assert_non_null(strstr(listen_session_error(s), "non-TLS"));
  assert_int_equal(f->cnt.tls_failures, 1);
  listen_session_free(s);

  /* Bytes that can never be a SIP request. */
  s = session(f, NULL, PROBE_RESP_SIP, NULL);
  static const uint8_t bin[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x02, '\r', '\n', '\r', '\n'};
  assert_int_equal(listen_session_input(s, bin, sizeof(bin)), LISTEN_SESSION_CLOSE);
  assert_int_equal(listen_session_input(s, bin, sizeof(bin)), LISTEN_SESSION_CLOSE); /* final */
  listen_session_free(s);

  /* A head that never ends is cut off before it exhausts memory. */
  s = session(f, NULL, PROBE_RESP_HTTP, NULL);
  uint8_t *big = malloc(LISTEN_SESSION_RX_MAX + 1);
  assert_non_null(big);
  memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
  memset(big + 19, 'a', LISTEN_SESSION_RX_MAX + 1 - 19);
  enum listen_session_act act = LISTEN_SESSION_OPEN;
  for (size_t off = 0; off < LISTEN_SESSION_RX_MAX + 1 && act == LISTEN_SESSION_OPEN; off += 1000)
    act = listen_session_input(
        s, big + off,
        off + 1000 > LISTEN_SESSION_RX_MAX + 1 ? LISTEN_SESSION_RX_MAX + 1 - off : 1000);
  assert_int_not_equal(act, LISTEN_SESSION_OPEN);
  free(big);
  listen_session_free(s);

  /* Not MS-TURN framing on a STUN-over-TCP port. */
  s = session(f, NULL, PROBE_RESP_STUN_TCP, NULL);
  assert_int_equal(listen_session_input(s, (const uint8_t *)"GET /", 5), LISTEN_SESSION_CLOSE);
  listen_session_free(s);
}

static void test_reply_budget(void **state)
{
  struct fx *f = *state;
  struct listen_rate rate;
  listen_rate_init(&rate, 1, 1, uv_hrtime()); /* one reply, then one per second */
  struct listen_session *s = session(f, NULL, PROBE_RESP_SIP, &rate);
  struct probe_outcome o;
  enum listen_session_act act;
  exchange(s, NULL, &probe_sip, UC_P_SIP, &o, &act);
  assert_true(o.listener);
  json_decref(o.evidence);
  exchange(s, NULL, &probe_sip, UC_P_SIP, &o, &act);
  assert_false(o.listener); /* nothing came back */
  assert_int_not_equal(o.outcome, UC_OUT_OK);
  json_decref(o.evidence);
  assert_int_equal(f->cnt.replies, 1);
  assert_int_equal(f->cnt.rate_limited, 1);
  assert_int_equal(act, LISTEN_SESSION_OPEN);
  listen_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mtls_sip),      cmocka_unit_test(test_no_client_cert_request),
      cmocka_unit_test(test_expired_https), cmocka_unit_test(test_tls_xmpp),
      cmocka_unit_test(test_plain),         cmocka_unit_test(test_hostile),
      cmocka_unit_test(test_reply_budget),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
