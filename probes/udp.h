/* probes/udp.h - generic UDP probe (probe_udp, declared in probe.h) for ports where no
 * protocol obliges an answer: sends "ucscan-probe/1 <nonce>\n", takes any datagram from the
 * target as proof that the port is open, and recognises the ucscan listener's echo of the
 * nonce. Plus the listener's side of that exchange. */
#ifndef UC_UDP_H
#define UC_UDP_H

#include <stddef.h>
#include <stdint.h>

/* Hex digits in a probe nonce (8 random bytes). */
#define UDP_NONCE_HEX 16

/* A datagram "ucscan-probe/1 <16 hex digits>" (optionally ended by LF or CRLF) is answered
 * with "ucscan-listener/1 <the same digits>\n". Returns the bytes written to out, or 0 for
 * anything else or when cap is too small. */
size_t udp_token_respond(const uint8_t *req, size_t len, uint8_t *out, size_t cap);

#endif
