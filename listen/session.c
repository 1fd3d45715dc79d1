/* listen/session.c - TLS and application responders of one accepted connection, no I/O. */
#include "listen/session.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "probes/sip.h"
#include "probes/tls.h"

#define SESSION_OUT_MAX (256u * 1024u) /* unsent bytes a peer may leave us holding */
#define SESSION_REPLY_MAX (SIP_HDR_CAP + 4096u)

struct listen_session {
  struct tls_conn *tls; /* NULL: plain */
  bool tls_done;
  const struct listen_responder *app;
  struct listen_tcp_conn conn; /* what the responder sees: identity, peer, its state */
  struct listen_rate *rate;
  struct listen_counters *cnt;
  struct sockaddr_storage peer;
  enum listen_session_act ended; /* OPEN while the session runs */
  uint8_t *rx;
  size_t rx_len;
  uint8_t *out;
  size_t out_len, out_cap;
  char error[UC_REASON_MAX];
};

struct listen_session *listen_session_new(const struct listen_session_conf *c)
{
  struct listen_session *s = calloc(1, sizeof(*s));
  if (!s)
    return NULL;
  s->app = listen_responder(c->app);
  s->conn.id = c->id;
  s->conn.peer = (const struct sockaddr *)&s->peer;
  s->rate = c->rate;
  s->cnt = c->cnt;
  if (c->peer) {
    size_t len =
        c->peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    memcpy(&s->peer, c->peer, len);
  } else {
    s->peer.ss_family = AF_INET; /* 0.0.0.0:0 */
  }
  s->rx = malloc(LISTEN_SESSION_RX_MAX);
  if (!s->rx) {
    free(s);
    return NULL;
  }
  if (c->tls) {
    s->tls = tls_conn_new(c->tls, 1, NULL);
    if (!s->tls) {
      free(s->rx);
      free(s);
      return NULL;
    }
  }
  return s;
}

static bool out_append(struct listen_session *s, const uint8_t *p, size_t n)
{
  if (n == 0)
    return true;
  if (s->out_len + n > SESSION_OUT_MAX)
    return false;
  if (s->out_len + n > s->out_cap) {
    size_t ncap = s->out_cap ? s->out_cap : 4096;
    while (ncap < s->out_len + n)
      ncap *= 2;
    uint8_t *nb = realloc(s->out, ncap);
    if (!nb)
      return false;
    s->out = nb;
    s->out_cap = ncap;
  }
  memcpy(s->out + s->out_len, p, n);
  s->out_len += n;
  return true;
}

/* Ciphertext the TLS layer queued. */
static bool drain_tls(struct listen_session *s)
{
  uint8_t buf[16384];
  size_t n;
  bool ok = true;
  while ((n = tls_conn_drain(s->tls, buf, sizeof(buf))) > 0)
    ok = out_append(s, buf, n) && ok;
  return ok;
}

static enum listen_session_act end(struct listen_session *s, enum listen_session_act act,
                                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum listen_session_act end(struct listen_session *s, enum listen_session_act act,
                                   const char *fmt, ...)
{
  if (!s->error[0]) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof(s->error), fmt, ap);
    va_end(ap);
  }
  s->ended = act;
  return act;
}

/* One reply, if the budget allows. false: the connection cannot go on. */
static bool reply(struct listen_session *s, const uint8_t *p, size_t n)
{
  if (s->rate && !listen_rate_take(s->rate, uv_hrtime())) {
    if (s->cnt)
      s->cnt->rate_limited++;
    return true;
  }
  if (s->cnt)
    s->cnt->replies++;
  if (!s->tls)
    return out_append(s, p, n);
  return tls_conn_write(s->tls, p, n) == 0 && drain_tls(s);
}

static void consume(struct listen_session *s, size_t n)
{
  if (n >= s->rx_len) {
    s->rx_len = 0;
    return;
  }
  memmove(s->rx, s->rx + n, s->rx_len - n);
  s->rx_len -= n;
}

/* Answers what the plaintext buffer holds: the port's responder, one step at a time. */
static enum listen_session_act process(struct listen_session *s)
{
  if (!s->app->tcp) {
    s->rx_len = 0; /* held, not answered */
    return LISTEN_SESSION_OPEN;
  }
  uint8_t *out = malloc(SESSION_REPLY_MAX);
  if (!out)
    return end(s, LISTEN_SESSION_ABORT, "out of memory");
  enum listen_session_act act = LISTEN_SESSION_OPEN;
  while (s->rx_len > 0 && act == LISTEN_SESSION_OPEN) {
    struct listen_tcp_step st = {0};
    s->app->tcp(&s->conn, s->rx, s->rx_len, out, SESSION_REPLY_MAX, &st);
    if (st.more)
      break;
    if (st.close)
      act = end(s, LISTEN_SESSION_CLOSE, "%s", st.close);
    if (st.n > 0 && !reply(s, out, st.n))
      act = end(s, LISTEN_SESSION_ABORT, "cannot queue the reply (peer not reading)");
    consume(s, st.used);
  }
  free(out);
  return act;
}

static enum listen_session_act plaintext(struct listen_session *s, const uint8_t *p, size_t n)
{
  if (n > LISTEN_SESSION_RX_MAX - s->rx_len)
    return end(s, LISTEN_SESSION_ABORT, "request over %u bytes", LISTEN_SESSION_RX_MAX);
  memcpy(s->rx + s->rx_len, p, n);
  s->rx_len += n;
  return LISTEN_SESSION_OPEN;
}

/* Moves the handshake on and reads what TLS decrypted. */
static enum listen_session_act tls_pump(struct listen_session *s)
{
  if (!s->tls_done) {
    enum tls_step st = tls_conn_handshake(s->tls);
    drain_tls(s); /* an alert may be queued for the peer */
    if (st == TLS_STEP_FAILED) {
      if (s->cnt)
        s->cnt->tls_failures++;
      return end(s, LISTEN_SESSION_CLOSE, "%s", tls_conn_error(s->tls));
    }
    if (st != TLS_STEP_DONE)
      return LISTEN_SESSION_OPEN;
    s->tls_done = true;
    if (s->cnt)
      s->cnt->tls_handshakes++;
  }
  uint8_t buf[16384];
  for (;;) {
    ssize_t r = tls_conn_read(s->tls, buf, sizeof(buf));
    drain_tls(s);
    if (r > 0) {
      if (plaintext(s, buf, (size_t)r) != LISTEN_SESSION_OPEN)
        return s->ended;
      continue;
    }
    if (r < 0) {
      /* Answer what came before the close, then close too. */
      enum listen_session_act act = process(s);
      drain_tls(s);
      if (act != LISTEN_SESSION_OPEN)
        return act;
      return end(s, LISTEN_SESSION_CLOSE, "%s", tls_conn_error(s->tls));
    }
    break;
  }
  enum listen_session_act act = process(s);
  drain_tls(s);
  return act;
}

enum listen_session_act listen_session_input(struct listen_session *s, const uint8_t *p, size_t n)
{
  if (s->ended != LISTEN_SESSION_OPEN)
    return s->ended;
  if (!s->tls) {
    if (plaintext(s, p, n) != LISTEN_SESSION_OPEN)
      return s->ended;
    return process(s);
  }
  tls_conn_feed(s->tls, p, n); /* a failure shows in the handshake or the read */
  return tls_pump(s);
}

enum listen_session_act listen_session_eof(struct listen_session *s)
{
  if (s->ended != LISTEN_SESSION_OPEN)
    return s->ended;
  if (s->tls) {
    tls_conn_eof(s->tls);
    enum listen_session_act act = tls_pump(s);
    if (act != LISTEN_SESSION_OPEN)
      return act;
  }
  return end(s, LISTEN_SESSION_CLOSE, "connection closed by the peer");
}

uint8_t *listen_session_take_output(struct listen_session *s, size_t *len)
{
  if (s->out_len == 0) {
    *len = 0;
    return NULL;
  }
  uint8_t *p = s->out;
  *len = s->out_len;
  s->out = NULL;
  s->out_len = s->out_cap = 0;
  return p;
}

const char *listen_session_error(const struct listen_session *s)
{
  return s->error;
}

void listen_session_free(struct listen_session *s)
{
  if (!s)
    return;
  if (s->tls)
    tls_conn_free(s->tls);
  free(s->rx);
  free(s->out);
  free(s);
}
