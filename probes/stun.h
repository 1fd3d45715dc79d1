/* probes/stun.h - STUN (RFC 5389) and MS-TURN ([MS-TURN]) probe, parser and responders.
 *
 * Two wire formats share one header layout (type, length, 16 bytes):
 *   RFC 5389   bytes 4..7 hold the magic cookie 0x2112A442, bytes 8..19 a 96-bit transaction
 *              id; attributes are padded to 4 bytes; the message length is a multiple of 4.
 *   MS-TURN    the "legacy" format of [MS-TURN] 2.2.1 (draft-ietf-behave-rfc3489bis-02): a
 *              128-bit transaction id in bytes 4..19, and a MAGIC-COOKIE attribute (0x000F,
 *              value 0x72C64BC6) that MUST be the first attribute ([MS-TURN] 2.2.2.8). Microsoft
 *              TURN servers do not pad attributes (libnice talks to them with
 *              STUN_AGENT_USAGE_NO_ALIGNED_ATTRIBUTES; Wireshark's classic STUN dissector walks
 * them unpadded), so the parser accepts an MS-TURN message whose attributes fill the body exactly
 * either unpadded or padded, and the responder writes them unpadded. Note that MS-TURN swaps two
 * attribute numbers against RFC 5389: NONCE is 0x0014 and REALM is 0x0015 in
 * [MS-TURN] 2.2.2.13/2.2.2.14, where RFC 5389 has REALM 0x0014, NONCE 0x0015.
 *
 * Over TCP ([MS-TURN] 2.1.4, and 3.1.10 for both directions) every TURN message is preceded by
 * a 4-byte framing header: Type (1 byte: 0x02 TURN control message, 0x03 end-to-end data),
 * Reserved (1 byte, zero), Length (2 bytes, big-endian: bytes of the frame after this field).
 *
 * Nothing here allocates except the evidence objects of the probe modules. Parsed attribute
 * values are views into the caller's buffer.
 */
#ifndef UC_PROBES_STUN_H
#define UC_PROBES_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "probe.h"

#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_MSTURN_COOKIE 0x72C64BC6u /* value of the MS-TURN MAGIC-COOKIE attribute */
#define STUN_HEADER_LEN 20
#define STUN_TID_LEN 12    /* RFC 5389 transaction id */
#define STUN_MS_TID_LEN 16 /* MS-TURN transaction id */
#define STUN_MAX_ATTRS 32  /* attributes kept in a struct stun_msg; more are checked, not kept */
#define STUN_MS_VERSION 2u /* MS-VERSION the probe sends: MS-ICE2, legacy message format */
#define STUN_MS_REALM "SIP Communications Service" /* realm of the responder's 401 */

/* Message types (method and class). */
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_INDICATION 0x0011
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_BINDING_ERROR 0x0111
#define STUN_ALLOCATE_REQUEST 0x0003
#define STUN_ALLOCATE_SUCCESS 0x0103
#define STUN_ALLOCATE_ERROR 0x0113

/* Attributes, RFC 5389 numbering. */
#define STUN_ATTR_MAPPED_ADDRESS 0x0001
#define STUN_ATTR_USERNAME 0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define STUN_ATTR_REALM 0x0014
#define STUN_ATTR_NONCE 0x0015
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_SOFTWARE 0x8022
#define STUN_ATTR_FINGERPRINT 0x8028
/* Attributes, MS-TURN numbering ([MS-TURN] 2.2.2). */
#define STUN_MS_ATTR_MAGIC_COOKIE 0x000F
#define STUN_MS_ATTR_NONCE 0x0014
#define STUN_MS_ATTR_REALM 0x0015
#define STUN_MS_ATTR_MS_VERSION 0x8008

/* [MS-TURN] 2.1.4 TCP framing. */
#define STUN_TCP_FRAME_HDR 4
#define STUN_TCP_FRAME_CONTROL 0x02
#define STUN_TCP_FRAME_DATA 0x03

enum stun_variant { STUN_V_RFC5389 = 1, STUN_V_MSTURN = 2 };

struct stun_attr {
  uint16_t type;
  uint16_t len;       /* value length, padding excluded */
  const uint8_t *val; /* points into the parsed buffer */
  size_t offset;      /* offset of the attribute header in the message */
};

struct stun_msg {
  enum stun_variant variant;
  uint16_t type;
  uint16_t length;    /* the header's length field (== bytes after the header) */
  const uint8_t *tid; /* RFC 5389: 12 bytes at offset 8; MS-TURN: 16 bytes at offset 4 */
  size_t tid_len;
  int padded;         /* attributes were laid out on 4-byte boundaries */
  size_t nattrs;      /* attributes kept in attrs[] */
  size_t total_attrs; /* attributes in the message */
  struct stun_attr attrs[STUN_MAX_ATTRS];
  int has_unknown_required;  /* an unknown comprehension-required attribute (< 0x8000) */
  uint16_t unknown_required; /* the first one */
  int has_fingerprint;       /* RFC 5389 FINGERPRINT present (and, parse succeeded, correct) */
};

/* Parse one STUN or MS-TURN message occupying exactly buf[0..len). Checks the header length
 * against len, the attribute lengths against the bytes present, RFC 5389 padding, MS-TURN's
 * leading MAGIC-COOKIE attribute and a FINGERPRINT when present. Unknown attributes are not an
 * error here (they are flagged in out->has_unknown_required). Returns 0, or -1 with a one-line
 * reason in err (e.g. "attribute 0x0020 length 20 exceeds message (8 bytes left)"). */
int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *out, char *err, size_t errcap);

/* First kept attribute of that type, or NULL. */
const struct stun_attr *stun_msg_find(const struct stun_msg *m, uint16_t type);

/* Decode a MAPPED-ADDRESS (xored == 0) or XOR-MAPPED-ADDRESS (xored != 0, RFC 5389 only) value
 * into *ss (sockaddr_in or sockaddr_in6, port included). Returns 0 or -1 with err. */
int stun_decode_address(const struct stun_msg *m, const struct stun_attr *a, int xored,
                        struct sockaddr_storage *ss, char *err, size_t errcap);

/* ERROR-CODE value -> code (300..699) and a view of the reason phrase. Returns 0 or -1. */
int stun_decode_error(const struct stun_attr *a, unsigned *code, const uint8_t **reason,
                      size_t *reason_len, char *err, size_t errcap);

/* Message writer, for the probes, the responders, and tests that need hostile messages (build
 * a valid message, then patch bytes: the length field is at offset 2, the transaction id at
 * 8 (RFC 5389) or 4 (MS-TURN), the first attribute at 20). */
struct stun_writer {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int pad; /* pad attributes to 4 bytes (RFC 5389) */
  int err; /* ran out of room or was misused: finish returns 0 */
};
/* tid_len 12: RFC 5389 header (cookie, then tid), attributes padded with zeros.
 * tid_len 16: MS-TURN header (tid only), attributes unpadded. */
void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
                      const uint8_t *tid, size_t tid_len);
void stun_writer_attr(struct stun_writer *w, uint16_t type, const void *val, size_t len);
void stun_writer_u32(struct stun_writer *w, uint16_t type, uint32_t v);
/* XOR-MAPPED-ADDRESS (RFC 5389 writers only) or MAPPED-ADDRESS of sa. */
void stun_writer_address(struct stun_writer *w, uint16_t type, const struct sockaddr *sa);
void stun_writer_error(struct stun_writer *w, unsigned code, const char *reason);
/* Appends FINGERPRINT (RFC 5389 writers only); call last. */
void stun_writer_fingerprint(struct stun_writer *w);
/* Writes the length field; returns the message size, or 0 after an error. */
size_t stun_writer_finish(struct stun_writer *w);

/* Responder for listen mode and tests. req is one datagram:
 *   RFC 5389 Binding request     -> Binding success: XOR-MAPPED-ADDRESS of `from`, SOFTWARE
 *                                   (when software is not NULL), FINGERPRINT.
 *   MS-TURN Allocate request     -> Allocate error 401: MAGIC-COOKIE, ERROR-CODE 401
 *                                   "Unauthorized", REALM STUN_MS_REALM, NONCE (nonce as 32 hex
 *                                   digits), MS-VERSION (the request's, else STUN_MS_VERSION),
 *                                   SOFTWARE.
 *   anything else                -> 0: no answer.
 * Pass UC_LISTENER_TOKEN inside `software` so that probes recognise the listener. Returns the
 * reply size, or 0 (no answer, or cap too small). */
size_t stun_respond(const uint8_t *req, size_t len, const struct sockaddr *from,
                    const char *software, const uint8_t nonce[16], uint8_t *out, size_t cap);

/* The same over a TCP stream with [MS-TURN] 2.1.4 framing; stream holds the bytes received so
 * far and the reply is framed too. *used tells the caller what to drop from the stream:
 *   0          an incomplete frame: wait for more bytes (returns 0);
 *   frame size a complete control frame was consumed (returns the reply size, or 0 when that
 *              frame deserves no answer);
 *   len        not MS-TURN framing (type byte not 0x02, or reserved byte not 0): nothing in
 *              this stream can be answered, close the connection (returns 0). */
size_t stun_respond_tcp(const uint8_t *stream, size_t len, size_t *used,
                        const struct sockaddr *from, const char *software, const uint8_t nonce[16],
                        uint8_t *out, size_t cap);

/* TCP module: one framed, unauthenticated MS-TURN Allocate request on a stream (A/V Edge
 * 443/tcp and other TCP rows that carry STUN/MS-TURN). No pseudo-TLS handshake ([MS-TURN]
 * 2.1.1) is sent first: that section makes it the client's choice ("If the protocol client
 * sends this message, it MUST be the first message"), while the server MUST support it. A
 * server that insisted on it would show up as "no MS-TURN answer on the stream". */
extern const struct probe_module probe_stun_tcp;

#endif
