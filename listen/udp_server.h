/* listen/udp_server.h - the listener's datagram responders. listen_udp_answer is the pure
 * part (a datagram in, the reply out); udp_server.c binds the sockets around it. */
#ifndef UC_LISTEN_UDP_SERVER_H
#define UC_LISTEN_UDP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/uc.h"
#include "listen/session.h"

/* The reply of responder `kind` (a row's id: listen/responders.c has the answers) to one
 * datagram `req` from `from`, at most min(cap, LISTEN_UDP_REPLY_MAX) bytes; 0: no answer (not
 * a request the responder knows, the reply would be larger, or `kind` answers no datagram). */
size_t listen_udp_answer(enum probe_responder kind, const struct listen_identity *id,
                         const uint8_t *req, size_t len, const struct sockaddr *from, uint8_t *out,
                         size_t cap);

#endif
