/* listen/responders.h - what `ucscan listen` answers on a port. The port's row of the protocol
 * table (probes/registry.h) holds a responder id; this layer holds the code, in ONE table
 * indexed by that id (listen/responders.c), each entry with its name and its TCP or UDP
 * answer. The session (listen/session.c) and the datagram server (listen/udp_server.c) run
 * the entry they are given and know no responder by name. A new responder is an id in
 * probes/registry.h and its entry in responders.c (a static assert refuses a missing last
 * entry; test_listen_responders a missing one anywhere). */
#ifndef UC_LISTEN_RESPONDERS_H
#define UC_LISTEN_RESPONDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "probes/registry.h"

/* Who the listener says it is. */
struct listen_identity {
  char server[64];    /* SIP and HTTP Server header, SQL Browser server name: has the token */
  char domain[256];   /* XMPP "from", certificate name */
  char stream_id[64]; /* XMPP stream id: has the token */
  uint8_t nonce[16];  /* MS-TURN 401 NONCE */
};

/* One connection, as a TCP responder sees it. */
struct listen_tcp_conn {
  const struct listen_identity *id;
  const struct sockaddr *peer; /* the client (STUN's mapped address) */
  bool answered;               /* the responder has answered once (XMPP: the stream is open) */
};

/* What a TCP responder made of the buffered plaintext. */
struct listen_tcp_step {
  bool more;         /* the request is not complete: wait for more bytes (nothing else applies) */
  size_t used;       /* bytes of the buffer consumed */
  size_t n;          /* reply bytes written to out; 0: no reply */
  const char *close; /* end the connection (after the reply) for this reason; NULL: go on */
};

struct listen_responder {
  /* The listener's table: "answers SIP", "accepts and holds", ... (after "TLS...; " on TLS
   * ports). */
  const char *what;
  /* TCP: one step over rx[0 .. len), len > 0; the reply goes to out (cap bytes). NULL: what
   * arrives is read and dropped, the connection held. */
  void (*tcp)(struct listen_tcp_conn *c, const uint8_t *rx, size_t len, uint8_t *out, size_t cap,
              struct listen_tcp_step *st);
  /* UDP: the reply to one datagram `req` from `from`, at most cap bytes; 0: no answer. NULL:
   * not a datagram responder (nothing is answered). */
  size_t (*udp)(const struct listen_identity *id, const uint8_t *req, size_t len,
                const struct sockaddr *from, uint8_t *out, size_t cap);
};

/* The entry for a row's responder id; never NULL (an id out of range gets PROBE_RESP_NONE's). */
const struct listen_responder *listen_responder(enum probe_responder id);

#endif
