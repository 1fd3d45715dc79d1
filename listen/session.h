/* listen/session.h - one accepted TCP connection of a listener, with no I/O: optional TLS
 * (server side, probes/tls.h) and the application responder of the port.
 *
 * The libuv side (listen/tcp_server.c) feeds what it reads and writes what the session
 * hands back; tests pump a session against an in-memory tls_conn client instead.
 *
 *   s = listen_session_new(&conf);
 *   on bytes:  act = listen_session_input(s, p, n);
 *   on EOF:    act = listen_session_eof(s);
 *   then:      while ((out = listen_session_take_output(s, &len))) write and free(out);
 *              act LISTEN_SESSION_CLOSE: close after the writes (graceful);
 *              act LISTEN_SESSION_ABORT: close now (reset).
 *
 * The responder is the port's (its row of probes/registry.h holds the id, listen/responders.c
 * the code: SIP, HTTP, XMPP, MS-TURN; with none, bytes are read and dropped and the connection
 * is held). The session runs it over the buffered plaintext and knows no responder by name.
 * Every reply carries the ucscan listener token (Server header, stream id, SOFTWARE) and
 * takes a token from the listener's reply budget; without one it is dropped. A request that
 * can never become valid, or more than LISTEN_SESSION_RX_MAX buffered bytes, ends the
 * connection. */
#ifndef UC_LISTEN_SESSION_H
#define UC_LISTEN_SESSION_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/uc.h"
#include "listen/rate.h"
#include "listen/responders.h"
#include "probes/registry.h"

#define LISTEN_SESSION_RX_MAX (80u * 1024u) /* a SIP or HTTP head plus its largest body */

/* What a listener did, for its summary. */
struct listen_counters {
  uint64_t connections;    /* accepted */
  uint64_t refused;        /* accepted and closed at once: too many connections */
  uint64_t tls_handshakes; /* completed */
  uint64_t tls_failures;
  uint64_t datagrams;    /* UDP datagrams received */
  uint64_t replies;      /* replies sent (UDP and TCP) */
  uint64_t rate_limited; /* replies dropped for the reply budget */
  uint64_t ignored;      /* datagrams that deserved no answer */
};

struct listen_session_conf {
  SSL_CTX *tls;             /* NULL: plain TCP */
  enum probe_responder app; /* the port's row's responder (listen/responders.h) */
  const struct listen_identity *id;
  struct listen_rate *rate;    /* reply budget, or NULL */
  struct listen_counters *cnt; /* or NULL */
  const struct sockaddr *peer; /* the client (STUN's mapped address), or NULL */
};

enum listen_session_act {
  LISTEN_SESSION_OPEN = 0, /* keep going */
  LISTEN_SESSION_CLOSE,    /* send what is pending, then close */
  LISTEN_SESSION_ABORT     /* close now */
};

struct listen_session;

struct listen_session *listen_session_new(const struct listen_session_conf *c);
enum listen_session_act listen_session_input(struct listen_session *s, const uint8_t *p, size_t n);
enum listen_session_act listen_session_eof(struct listen_session *s);
/* Bytes to send, in a malloc'd buffer the caller frees; NULL when nothing is pending. */
uint8_t *listen_session_take_output(struct listen_session *s, size_t *len);
/* Why the session ended, one line ("" while it has not): TLS errors, invalid requests. */
const char *listen_session_error(const struct listen_session *s);
void listen_session_free(struct listen_session *s);

#endif
