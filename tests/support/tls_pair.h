/* tests/support/tls_pair.h - pump ciphertext between two in-memory TLS connections.
 *
 * No sockets: what one side drains is fed to the other, as the engine would do through a
 * TCP connection. Used by the TLS unit tests and by any test that needs a TLS peer. */
#ifndef UC_TEST_TLS_PAIR_H
#define UC_TEST_TLS_PAIR_H

#include <stddef.h>

#include "probes/tls.h"

/* Drains everything `from` has queued and feeds it to `to` (bytes `to` refuses, after it
 * failed, are dropped). Returns the number of bytes drained. */
size_t tls_pair_move(struct tls_conn *from, struct tls_conn *to);

/* Runs both handshakes, moving bytes both ways, until nothing more moves (both DONE, one
 * FAILED and its alert delivered, or both waiting). Stores the final steps and returns
 * the number of rounds that moved bytes. */
int tls_pair_handshake(struct tls_conn *client, struct tls_conn *server, enum tls_step *cs,
                       enum tls_step *ss);

/* Same, but each direction delivers its bytes one at a time (handshake after every byte):
 * proves the state machine copes with any TCP segmentation. */
int tls_pair_handshake_bytewise(struct tls_conn *client, struct tls_conn *server, enum tls_step *cs,
                                enum tls_step *ss);

#endif
