/* probes/http.h - HTTP HEAD probe (probe_http, declared in probe.h), plain or after TLS, and
 * its pure parts: the status line parser (a fuzz target) and the listen-mode responder.
 * Header lookup: textproto_header_get() in textproto.h. */
#ifndef UC_HTTP_H
#define UC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "textproto.h"

/* Status line and header section together may take at most this many bytes. */
#define HTTP_HDR_CAP TEXTPROTO_HDR_CAP
/* Largest request body http_request_complete() accepts. */
#define HTTP_BODY_MAX 65536

/* "HTTP/1.x NNN phrase" (x a digit, code 100-599) at buf[0], ended by CRLF or LF.
 * Returns 1 (complete and valid: *code, phrase = printable reason phrase truncated to cap - 1),
 * 0 (a valid prefix: more bytes needed), -1 (cannot be an HTTP/1 status line). */
int http_parse_status_line(const uint8_t *buf, size_t len, int *code, char *phrase, size_t cap);

/* Length of the first complete HTTP/1.x request in buf (leading CR/LF, request line, headers,
 * Content-Length body; a chunked body is not read: the responder closes after answering),
 * 0 while incomplete, TEXTPROTO_INVALID when it can never become a valid request. */
size_t http_request_complete(const uint8_t *buf, size_t len);

/* Answers a complete request with "HTTP/1.1 200 OK", Server: <server>, Content-Length: 0,
 * Connection: close. Returns the bytes written, or 0: request incomplete or invalid, server
 * NULL or not printable ASCII, or cap too small. */
size_t http_respond(const uint8_t *req, size_t len, const char *server, uint8_t *out, size_t cap);

#endif
