/* listen/responders.c - the listener's responders: one entry per responder id of
 * probes/registry.h (see responders.h). The bytes come from the probe modules' responder
 * functions, so the listener answers in the dialect the scanner's module parses. */
#include "listen/responders.h"

#include "probes/http.h"
#include "probes/probe.h"
#include "probes/sip.h"
#include "probes/sqlbrowser.h"
#include "probes/stun.h"
#include "probes/udp.h"
#include "probes/xmpp.h"

/* SIP: each complete request -> sip_respond (200 to OPTIONS, 405 to others, ACK ignored). */
static void sip_step(struct listen_tcp_conn *c, const uint8_t *rx, size_t len, uint8_t *out,
                     size_t cap, struct listen_tcp_step *st)
{
  size_t used = sip_request_complete(rx, len);
  if (used == TEXTPROTO_INVALID) {
    st->used = len;
    st->close = "not a SIP request";
    return;
  }
  if (used == 0) {
    st->more = true;
    return;
  }
  st->used = used;
  st->n = sip_respond(rx, used, c->id->server, out, cap);
}

/* HTTP: the first complete request -> http_respond (Connection: close), then close. */
static void http_step(struct listen_tcp_conn *c, const uint8_t *rx, size_t len, uint8_t *out,
                      size_t cap, struct listen_tcp_step *st)
{
  size_t used = http_request_complete(rx, len);
  if (used == TEXTPROTO_INVALID) {
    st->used = len;
    st->close = "not an HTTP request";
    return;
  }
  if (used == 0) {
    st->more = true;
    return;
  }
  st->used = used;
  st->n = http_respond(rx, used, c->id->server, out, cap);
  st->close = "HTTP request answered";
}

/* XMPP: the peer's stream header -> xmpp_respond (our header, empty features), then hold the
 * stream and drop what comes. */
static void xmpp_step(struct listen_tcp_conn *c, const uint8_t *rx, size_t len, uint8_t *out,
                      size_t cap, struct listen_tcp_step *st)
{
  st->used = len;
  if (c->answered)
    return;
  int r = xmpp_parse_stream_header(rx, len, NULL, NULL);
  if (r == 0) {
    st->more = true;
    return;
  }
  if (r < 0) {
    st->close = "not an XMPP stream header";
    return;
  }
  st->n = xmpp_respond(rx, len, c->id->domain, c->id->stream_id, out, cap);
  c->answered = true;
}

/* MS-TURN TCP framing -> stun_respond_tcp (401 to Allocate, Binding answered). */
static void stun_tcp_step(struct listen_tcp_conn *c, const uint8_t *rx, size_t len, uint8_t *out,
                          size_t cap, struct listen_tcp_step *st)
{
  bool framed = rx[0] == STUN_TCP_FRAME_CONTROL || rx[0] == STUN_TCP_FRAME_DATA;
  if (!framed || (len > 1 && rx[1] != 0)) {
    st->close = "not MS-TURN TCP framing";
    return;
  }
  size_t used = 0;
  size_t n = stun_respond_tcp(rx, len, &used, c->peer, c->id->server, c->id->nonce, out, cap);
  if (used == 0) {
    st->more = true;
    return;
  }
  st->used = used;
  st->n = n;
}

/* "ucscan-probe/1 <nonce>" -> "ucscan-listener/1 <nonce>". */
static size_t token_answer(const struct listen_identity *id, const uint8_t *req, size_t len,
                           const struct sockaddr *from, uint8_t *out, size_t cap)
{
  (void)id;
  (void)from;
  return udp_token_respond(req, len, out, cap);
}

/* STUN Binding, MS-TURN Allocate 401; SOFTWARE = id->server. */
static size_t stun_answer(const struct listen_identity *id, const uint8_t *req, size_t len,
                          const struct sockaddr *from, uint8_t *out, size_t cap)
{
  return stun_respond(req, len, from, id->server, id->nonce, out, cap);
}

/* SQL Browser: the bare token as server name (the reply is the largest for the bytes received,
 * one, so it stays as short as the probe allows), instances RTCLOCAL and LYNCLOCAL. */
static size_t sqlb_answer(const struct listen_identity *id, const uint8_t *req, size_t len,
                          const struct sockaddr *from, uint8_t *out, size_t cap)
{
  static const char *const instances[] = {"RTCLOCAL", "LYNCLOCAL"};
  (void)id;
  (void)from;
  return sqlb_respond(req, len, UC_LISTENER_TOKEN, instances, 2, out, cap);
}

static const struct listen_responder responders[] = {
    [PROBE_RESP_NONE] = {.what = "accepts and holds"},
    [PROBE_RESP_SIP] = {.what = "answers SIP", .tcp = sip_step},
    [PROBE_RESP_HTTP] = {.what = "answers HTTP", .tcp = http_step},
    [PROBE_RESP_XMPP] = {.what = "answers the XMPP stream header", .tcp = xmpp_step},
    [PROBE_RESP_STUN_TCP] = {.what = "answers MS-TURN", .tcp = stun_tcp_step},
    [PROBE_RESP_TOKEN] = {.what = "answers the ucscan UDP probe", .udp = token_answer},
    [PROBE_RESP_STUN] = {.what = "answers STUN Binding, MS-TURN Allocate (401)",
                         .udp = stun_answer},
    [PROBE_RESP_SQLB] = {.what = "answers SQL Browser (RTCLOCAL, LYNCLOCAL)", .udp = sqlb_answer},
};
_Static_assert(sizeof(responders) / sizeof(responders[0]) == PROBE_RESP_COUNT,
               "every responder id of probes/registry.h has its entry here");

const struct listen_responder *listen_responder(enum probe_responder id)
{
  return &responders[(unsigned)id < PROBE_RESP_COUNT ? id : PROBE_RESP_NONE];
}
