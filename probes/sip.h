/* probes/sip.h - SIP OPTIONS probe (probe_sip, declared in probe.h) and its pure parts:
 * the status line parser (a fuzz target) and the responder that listen mode and the tests use.
 * Header lookup: textproto_header_get() in textproto.h. */
#ifndef UC_SIP_H
#define UC_SIP_H

#include <stddef.h>
#include <stdint.h>

#include "textproto.h"

/* Status line and header section together may take at most this many bytes. */
#define SIP_HDR_CAP TEXTPROTO_HDR_CAP
/* Largest request body sip_request_complete() accepts. */
#define SIP_BODY_MAX 65536

/* "SIP/2.0 NNN phrase" (version case-insensitive, code 100-699) at buf[0], ended by CRLF or LF.
 * Returns 1 (complete and valid: *code, phrase = printable reason phrase truncated to cap - 1),
 * 0 (a valid prefix: more bytes needed), -1 (cannot be a SIP status line). */
int sip_parse_status_line(const uint8_t *buf, size_t len, int *code, char *phrase, size_t cap);

/* Length of the first complete SIP request in buf (leading CR/LF, request line, headers,
 * Content-Length body), 0 while incomplete, TEXTPROTO_INVALID when it can never become a
 * valid request (not a request line, head over SIP_HDR_CAP, bad or huge Content-Length). */
size_t sip_request_complete(const uint8_t *buf, size_t len);

/* Answers the first request in req. OPTIONS: "SIP/2.0 200 OK"; any other method but ACK:
 * "SIP/2.0 405 Method Not Allowed". The answer echoes every Via, From, To (a tag added when
 * it has none, derived from the Call-ID), Call-ID and CSeq, and carries Server: <server>,
 * Allow: OPTIONS, Accept: application/sdp and Content-Length: 0.
 * Returns the bytes written to out, or 0: request incomplete or invalid, a mandatory header
 * missing, an ACK (never answered), server NULL or not printable ASCII, or cap too small. */
size_t sip_respond(const uint8_t *req, size_t len, const char *server, uint8_t *out, size_t cap);

#endif
