/* tests/unit/test_listen_responders.c - the listener's responder table (an entry for every
 * id); its datagram responders, wired as the listener wires them (listen_udp_answer), judged by
 * the scanner's own probe modules, for every UDP row of the protocol table; the reply size
 * bound; the reply budget (token bucket). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listen/listen.h"
#include "listen/rate.h"
#include "listen/responders.h"
#include "listen/udp_server.h"
#include "probes/probe.h"
#include "probes/registry.h"
#include "probes/sqlbrowser.h"
#include "probes/stun.h"
#include "probes/udp.h"

static void identity(struct listen_identity *id)
{
  memset(id, 0, sizeof(*id));
  snprintf(id->server, sizeof(id->server), "%s (ucscan test)", UC_LISTENER_TOKEN);
  snprintf(id->domain, sizeof(id->domain), "edge01.contoso.test");
  snprintf(id->stream_id, sizeof(id->stream_id), "%s-0011223344556677", UC_LISTENER_TOKEN);
  for (size_t i = 0; i < sizeof(id->nonce); i++)
    id->nonce[i] = (uint8_t)(0xA0 + i);
}

static struct sockaddr_in addr4(const char *ip, unsigned port)
{
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
  return a;
}

/* The scanner's probe module `m` against the responder `kind`, datagram by datagram, as the
 * engine would run it (the replies come from the target's address). */
static enum probe_status scan_it(const struct probe_module *m, enum probe_responder kind,
                                 enum uc_proto proto, struct probe_outcome *o, size_t *replies)
{
  struct listen_identity id;
  identity(&id);
  struct sockaddr_in target = addr4("127.0.0.21", 3478), client = addr4("127.0.0.1", 40000);
  struct probe_target t = {.host = "edge01.contoso.test",
                           .addr = (const struct sockaddr *)&target,
                           .port = 3478,
                           .protocol = proto};
  void *st = calloc(1, m->state_size ? m->state_size : 1);
  assert_non_null(st);
  uint8_t rnd[32];
  for (int i = 0; i < 32; i++)
    rnd[i] = (uint8_t)(i * 37 + 11);
  if (m->init)
    m->init(st, &t, rnd);
  enum probe_status ps = PROBE_MORE;
  memset(o, 0, sizeof(*o));
  *replies = 0;
  for (unsigned i = 0; ps == PROBE_MORE; i++) {
    uint8_t req[2048], out[2048];
    size_t n = m->build(st, &t, i, req, sizeof(req));
    if (n == 0)
      break;
    size_t r =
        listen_udp_answer(kind, &id, req, n, (const struct sockaddr *)&client, out, sizeof(out));
    if (r == 0)
      continue;
    (*replies)++;
    assert_true(r <= LISTEN_UDP_REPLY_MAX);
    ps = m->classify(st, &t, out, r, (const struct sockaddr *)&target, o);
  }
  if (ps == PROBE_MORE)
    m->finish(st, &t, PROBE_END_TIMEOUT, NULL, 0, o);
  free(st);
  return ps;
}

/* Every responder id has its entry (the static assert in responders.c only sees the last):
 * a name, and at most one of a TCP and a UDP answer; an id out of range gets no answer. */
static void test_table(void **state)
{
  (void)state;
  for (int i = 0; i < PROBE_RESP_COUNT; i++) {
    const struct listen_responder *r = listen_responder((enum probe_responder)i);
    if (!r->what || !r->what[0])
      fail_msg("responder id %d has no entry in listen/responders.c", i);
    assert_false(r->tcp && r->udp);
    assert_true(i == PROBE_RESP_NONE || r->tcp || r->udp);
  }
  assert_ptr_equal(listen_responder(PROBE_RESP_COUNT), listen_responder(PROBE_RESP_NONE));
  /* every row's responder answers on the row's transport (or holds the connection) */
  size_t n;
  const struct probe_choice *t = probe_table(&n);
  for (size_t i = 0; i < n; i++) {
    const struct listen_responder *r = listen_responder(t[i].responder);
    if (t[i].transport == UC_UDP ? !r->udp : r->udp != NULL)
      fail_msg("row %zu (%s): responder \"%s\" does not answer on %s", i, t[i].name, r->what,
               uc_transport_name(t[i].transport));
  }
}

/* Every UDP row: its module's requests, answered by the row's responder as the listener runs
 * it, are classified as an answer from the listener. */
static void test_udp_rows(void **state)
{
  (void)state;
  size_t n, udp = 0;
  const struct probe_choice *t = probe_table(&n);
  for (size_t i = 0; i < n; i++) {
    if (t[i].transport != UC_UDP)
      continue;
    udp++;
    assert_non_null(t[i].app); /* every datagram protocol is its own exchange */
    struct probe_outcome o;
    size_t replies;
    enum uc_proto p = t[i].protocol == UC_P_COUNT ? UC_P_UDP : t[i].protocol;
    enum probe_status ps = scan_it(t[i].app, t[i].responder, p, &o, &replies);
    if (ps != PROBE_DONE || o.outcome != UC_OUT_OK || !o.listener)
      fail_msg("row %zu (%s): %s", i, t[i].name, o.reason);
    json_decref(o.evidence);
  }
  assert_true(udp >= 3);
}

static void test_token(void **state)
{
  (void)state;
  struct listen_identity id;
  identity(&id);
  struct sockaddr_in from = addr4("127.0.0.1", 40000);
  static const char probe[] = UC_PROBE_TOKEN " 0123456789abcdef\n";
  uint8_t out[600];
  size_t n = listen_udp_answer(PROBE_RESP_TOKEN, &id, (const uint8_t *)probe, strlen(probe),
                               (const struct sockaddr *)&from, out, sizeof(out));
  static const char want[] = UC_LISTENER_TOKEN " 0123456789abcdef\n";
  assert_int_equal(n, strlen(want));
  assert_memory_equal(out, want, n);
  /* Anything else is not answered: no reflection of arbitrary bytes. */
  static const char junk[] = "GET / HTTP/1.0\r\n\r\n";
  assert_int_equal(listen_udp_answer(PROBE_RESP_TOKEN, &id, (const uint8_t *)junk, strlen(junk),
                                     (const struct sockaddr *)&from, out, sizeof(out)),
                   0);

  struct probe_outcome o;
  size_t replies;
  assert_int_equal(scan_it(&probe_udp, PROBE_RESP_TOKEN, UC_P_RTP, &o, &replies), PROBE_DONE);
  assert_int_equal(replies, 1);
  assert_int_equal(o.outcome, UC_OUT_OK);
  assert_int_equal(o.state, UC_ST_OPEN);
  assert_true(o.listener);
  json_decref(o.evidence);
}

static void test_stun(void **state)
{
  (void)state;
  struct probe_outcome o;
  size_t replies;
  assert_int_equal(scan_it(&probe_stun, PROBE_RESP_STUN, UC_P_STUN, &o, &replies), PROBE_DONE);
  assert_int_equal(o.outcome, UC_OUT_OK);
  assert_true(o.listener);
  assert_non_null(o.evidence);
  json_t *stun = json_object_get(o.evidence, "stun");
  assert_non_null(stun);
  json_decref(o.evidence);

  /* The replies themselves: Binding success with our SOFTWARE and the client's address;
   * MS-TURN Allocate gets 401 with the realm. */
  struct listen_identity id;
  identity(&id);
  struct sockaddr_in from = addr4("198.18.20.1", 40001);
  uint8_t req[256], out[1024], tid[16];
  for (int i = 0; i < 16; i++)
    tid[i] = (uint8_t)(i + 1);
  struct stun_writer w;
  stun_writer_init(&w, req, sizeof(req), STUN_BINDING_REQUEST, tid, STUN_TID_LEN);
  size_t n = stun_writer_finish(&w);
  assert_true(n > 0);
  size_t r = listen_udp_answer(PROBE_RESP_STUN, &id, req, n, (const struct sockaddr *)&from, out,
                               sizeof(out));
  assert_true(r > 0 && r <= LISTEN_UDP_REPLY_MAX);
  struct stun_msg m;
  char why[160];
  assert_int_equal(stun_parse(out, r, &m, why, sizeof(why)), 0);
  assert_int_equal(m.type, STUN_BINDING_SUCCESS);
  const struct stun_attr *sw = stun_msg_find(&m, STUN_ATTR_SOFTWARE);
  assert_non_null(sw);
  assert_true(sw->len >= strlen(UC_LISTENER_TOKEN));
  assert_memory_equal(sw->val, UC_LISTENER_TOKEN, strlen(UC_LISTENER_TOKEN));
  struct sockaddr_storage mapped;
  assert_int_equal(stun_decode_address(&m, stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), 1,
                                       &mapped, why, sizeof(why)),
                   0);
  assert_memory_equal(&((struct sockaddr_in *)&mapped)->sin_addr, &from.sin_addr, 4);
  assert_int_equal(((struct sockaddr_in *)&mapped)->sin_port, from.sin_port);

  /* A caller with too little room gets no answer, never a truncated one. */
  assert_int_equal(
      listen_udp_answer(PROBE_RESP_STUN, &id, req, n, (const struct sockaddr *)&from, out, 20), 0);
}

static void test_sql_browser(void **state)
{
  (void)state;
  struct probe_outcome o;
  size_t replies;
  assert_int_equal(scan_it(&probe_sqlbrowser, PROBE_RESP_SQLB, UC_P_SQL_BROWSER, &o, &replies),
                   PROBE_DONE);
  assert_int_equal(o.outcome, UC_OUT_OK);
  assert_true(o.listener);
  json_t *inst = json_object_get(json_object_get(o.evidence, "sql_browser"), "instances");
  assert_int_equal(json_array_size(inst), 2);
  assert_string_equal(json_string_value(json_array_get(inst, 0)), "RTCLOCAL");
  assert_string_equal(json_string_value(json_array_get(inst, 1)), "LYNCLOCAL");
  json_decref(o.evidence);

  struct listen_identity id;
  identity(&id);
  struct sockaddr_in from = addr4("127.0.0.1", 40000);
  const uint8_t ucast = SQLB_CLNT_UCAST_EX;
  uint8_t out[LISTEN_UDP_REPLY_MAX * 2];
  size_t r = listen_udp_answer(PROBE_RESP_SQLB, &id, &ucast, 1, (const struct sockaddr *)&from, out,
                               sizeof(out));
  struct sqlb_reply rep;
  char why[160];
  assert_true(r > 0 && r <= LISTEN_UDP_REPLY_MAX);
  assert_int_equal(sqlb_parse(out, r, &rep, why, sizeof(why)), 0);
  assert_int_equal(rep.ninstances, 2);
  assert_non_null(memmem(rep.inst[0].server, rep.inst[0].server_len, UC_LISTENER_TOKEN,
                         strlen(UC_LISTENER_TOKEN)));
  /* Only SQL Browser requests are answered there. */
  static const char probe[] = UC_PROBE_TOKEN " 0123456789abcdef\n";
  assert_int_equal(listen_udp_answer(PROBE_RESP_SQLB, &id, (const uint8_t *)probe, strlen(probe),
                                     (const struct sockaddr *)&from, out, sizeof(out)),
                   0);
}

static void test_rate(void **state)
{
  (void)state;
  const uint64_t s = 1000000000ull;
  struct listen_rate r;
  listen_rate_init(&r, 10, 0, 5 * s); /* 10/s, a burst of 10 */
  for (int i = 0; i < 10; i++)
    assert_true(listen_rate_take(&r, 5 * s));
  assert_false(listen_rate_take(&r, 5 * s));
  assert_false(listen_rate_take(&r, 5 * s + s / 20)); /* half a token */
  assert_true(listen_rate_take(&r, 5 * s + s / 10));  /* one token after 100 ms */
  assert_false(listen_rate_take(&r, 5 * s + s / 10));
  /* A long pause refills to the burst, no further. */
  int got = 0;
  for (int i = 0; i < 50; i++)
    got += listen_rate_take(&r, 100 * s);
  assert_int_equal(got, 10);
  /* An explicit burst; the clock going backwards adds nothing. */
  listen_rate_init(&r, 1000, 3, 5 * s);
  got = 0;
  for (int i = 0; i < 10; i++)
    got += listen_rate_take(&r, 4 * s);
  assert_int_equal(got, 3);
  /* 0: unlimited. */
  listen_rate_init(&r, 0, 0, 0);
  for (int i = 0; i < 100000; i++)
    assert_true(listen_rate_take(&r, 0));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),       cmocka_unit_test(test_udp_rows),
      cmocka_unit_test(test_token),       cmocka_unit_test(test_stun),
      cmocka_unit_test(test_sql_browser), cmocka_unit_test(test_rate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
