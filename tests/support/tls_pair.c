/* tests/support/tls_pair.c - in-memory pumping between a TLS client and server. */
#include "tests/support/tls_pair.h"

#include <stdint.h>

#define TLS_PAIR_MAX_ROUNDS 64

size_t tls_pair_move(struct tls_conn *from, struct tls_conn *to)
{
  uint8_t buf[4096];
  size_t n, total = 0;
  while ((n = tls_conn_drain(from, buf, sizeof(buf))) > 0) {
    total += n;
    (void)tls_conn_feed(to, buf, n);
  }
  return total;
}

/* Moves one direction a byte at a time, stepping the receiver after each byte. */
static size_t tls_pair_move_bytewise(struct tls_conn *from, struct tls_conn *to)
{
  uint8_t b;
  size_t total = 0;
  while (tls_conn_drain(from, &b, 1) == 1) {
    total++;
    (void)tls_conn_feed(to, &b, 1);
    (void)tls_conn_handshake(to);
  }
  return total;
}

static int tls_pair_run(struct tls_conn *client, struct tls_conn *server, enum tls_step *cs,
                        enum tls_step *ss, size_t (*move)(struct tls_conn *, struct tls_conn *))
{
  int rounds = 0;
  *cs = tls_conn_handshake(client);
  *ss = tls_conn_handshake(server);
  for (int i = 0; i < TLS_PAIR_MAX_ROUNDS; i++) {
    size_t moved = move(client, server);
    *ss = tls_conn_handshake(server);
    moved += move(server, client);
    *cs = tls_conn_handshake(client);
    if (moved == 0)
      break;
    rounds++;
  }
  return rounds;
}

int tls_pair_handshake(struct tls_conn *client, struct tls_conn *server, enum tls_step *cs,
                       enum tls_step *ss)
{
  return tls_pair_run(client, server, cs, ss, tls_pair_move);
}

int tls_pair_handshake_bytewise(struct tls_conn *client, struct tls_conn *server, enum tls_step *cs,
                                enum tls_step *ss)
{
  return tls_pair_run(client, server, cs, ss, tls_pair_move_bytewise);
}
