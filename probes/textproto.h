/* probes/textproto.h - what the line-based text protocols (SIP, HTTP) share: framing of the
 * header section, status lines, header lookup, a bounded output writer, and the reply reader
 * that the SIP and HTTP classify()/finish() are built on.
 *
 * Everything here is a pure function on buffers. Lines end with CRLF; a lone LF is accepted
 * as a line end too (RFC 9112 2.2, and the same leniency for SIP), a bare CR is not: a bare CR
 * in a status line makes it malformed, in a field value it is read as a space. */
#ifndef UC_TEXTPROTO_H
#define UC_TEXTPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "probe.h"

/* Most bytes a status line plus header section (blank line included) may take. */
#define TEXTPROTO_HDR_CAP 16384
/* Returned by the *_request_complete() functions for bytes that can never become a valid
 * request (malformed start line, oversized head, bad Content-Length): close the connection. */
#define TEXTPROTO_INVALID ((size_t)-1)

/* Offset just past the blank line that ends the header section starting at buf[0], or 0 while
 * no blank line has arrived. With a non-NULL resume (start it at 0), the search picks up where
 * the previous call stopped, so feeding a growing buffer costs O(total) rather than O(n^2). */
size_t textproto_header_end(const uint8_t *buf, size_t len, size_t *resume);

/* One header field. value points at the raw value with leading and trailing whitespace
 * trimmed; it may span obsolete folded continuation lines (see textproto_unfold). */
struct textproto_field {
  const uint8_t *name;
  size_t name_len;
  const uint8_t *value;
  size_t value_len;
};

/* Iterates the fields of a message head (start line included: buf[0] is the start line).
 * Start with *pos = 0; the start line is skipped. Returns 1 with *f filled, 0 at the blank line
 * or the end of buf. Lines without a colon or with an empty name are skipped. */
int textproto_next_field(const uint8_t *buf, size_t len, size_t *pos, struct textproto_field *f);

/* Copies a raw field value into out (NUL-terminated, truncated to cap - 1 bytes), each run of
 * whitespace that contains a line break or a bare CR replaced by one space. Returns the full
 * unfolded length, which is >= cap when out was truncated. */
size_t textproto_unfold(const uint8_t *value, size_t len, char *out, size_t cap);

/* The first field called name (ASCII case-insensitive) in a message head (start line
 * included), unfolded and trimmed into val as by textproto_unfold. Returns the full length of
 * the value (>= cap: truncated), or -1 when there is no such field. The value is raw bytes:
 * pass it through probe_printable() before it reaches a reason or evidence. */
long textproto_header_get(const uint8_t *buf, size_t len, const char *name, char *val, size_t cap);

/* A status line "<version> NNN phrase" ending in CRLF or LF, at buf[0]. version is a pattern
 * that includes the separating space; '#' in it matches any digit ("HTTP/1.# ");
 * version_ci makes the match ASCII case-insensitive. The code must lie in [lo, hi].
 * Returns 1 when the line is complete and valid (*code set, phrase = printable reason phrase,
 * possibly empty), 0 when buf is a valid but unfinished prefix (more bytes needed), -1 when
 * buf cannot start such a line (wrong version, not three digits, code out of range, control
 * bytes or a bare CR in the line). */
int textproto_status_line(const uint8_t *buf, size_t len, const char *version, int version_ci,
                          int lo, int hi, int *code, char *phrase, size_t cap);

/* A Content-Length value: 1 to 9 decimal digits and nothing else. Returns 0 or -1. */
int textproto_content_length(const char *value, size_t *out);

/* Is it worth waiting for more bytes before quoting an unexpected reply in a reason? True
 * while the first line is unfinished (no LF, no bare CR), short and plain text: a drip-fed
 * "HTTP/1.1 400 ..." then gets the same reason as one that arrives in one piece. Binary
 * bytes: quote at once. */
int textproto_want_context(const uint8_t *buf, size_t len);

/* Host part for a URI or a Host header: target->host, or the target address when the host is
 * missing; IPv6 literals are bracketed. Only letters, digits and ".-_:[]%" are accepted, so a
 * strange name can never inject a line. Returns 0, or -1 (nothing usable, or cap too small). */
int textproto_uri_host(const struct probe_target *t, char *buf, size_t cap);

/* A bounded writer: every put after the buffer is full only sets overflow. */
struct textproto_out {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int overflow;
};

void textproto_out_init(struct textproto_out *o, uint8_t *buf, size_t cap);
void textproto_put(struct textproto_out *o, const void *p, size_t n);
void textproto_puts(struct textproto_out *o, const char *s);
void textproto_putf(struct textproto_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes a raw field value unfolded (as textproto_unfold). */
void textproto_put_unfolded(struct textproto_out *o, const uint8_t *value, size_t len);
/* Bytes written, or 0 if anything did not fit. */
size_t textproto_out_done(const struct textproto_out *o);

/* ---- reply reader, shared by the SIP and HTTP probes ---- */

struct textproto_reader;

struct textproto_dialect {
  const char *name;     /* "SIP" */
  const char *a_name;   /* "a SIP", for "not a SIP reply" */
  const char *request;  /* what was sent: "OPTIONS", "HEAD /" */
  const char *version;  /* status line version pattern, see textproto_status_line */
  int version_ci;       /* version matched case-insensitively */
  int lo, hi;           /* valid status codes */
  int interim_has_body; /* a 1xx may carry Content-Length bytes of body (SIP) */
  /* Fills *out for a final response: r->code, r->phrase and the head at
   * buf[r->msg_start, r->msg_start + r->hdr_len). */
  void (*ok)(const struct textproto_reader *r, const uint8_t *buf, struct probe_outcome *out);
  const char *unbuildable; /* finish() reason when build() could not make the request */
};

/* Lives in a module's per-attempt state (zeroed by the engine). */
struct textproto_reader {
  size_t msg_start; /* offset of the message being read; past len while a 1xx body is due */
  size_t scan;      /* header-end search resumes here (relative to msg_start) */
  size_t line_end;  /* end of the first line (relative), 0 while unknown */
  size_t blank;     /* CR/LF bytes skipped before start lines */
  int line_ok;      /* the current message's status line was checked */
  int code;         /* its status code */
  char phrase[64];  /* its reason phrase, printable */
  unsigned interim; /* interim (1xx) responses passed over */
  int interim_code;
  char interim_phrase[64];
  size_t hdr_len; /* TEXTPROTO_FINAL: the head is buf[msg_start, msg_start + hdr_len) */
};

enum textproto_step { TEXTPROTO_MORE, TEXTPROTO_FINAL, TEXTPROTO_FAILED };

/* Reads the stream received so far. FINAL: a complete final response head is available
 * (r->code, r->phrase, r->msg_start, r->hdr_len). FAILED: *out is filled with the failure.
 * MORE: wait. With final != 0 (the stream ended), MORE is only returned when the bytes are a
 * valid but unfinished reply; textproto_finish() then says what was missing. */
enum textproto_step textproto_read(struct textproto_reader *r, const struct textproto_dialect *d,
                                   const uint8_t *buf, size_t len, int final,
                                   struct probe_outcome *out);

/* Fills *out after textproto_read(..., final = 1) returned MORE. */
void textproto_finish(const struct textproto_reader *r, const struct textproto_dialect *d,
                      enum probe_end why, const uint8_t *buf, size_t len,
                      struct probe_outcome *out);

/* A module's classify() and finish() for a request/response dialect: the reader and
 * whether build() failed live in the module's state. */
enum probe_status textproto_classify(struct textproto_reader *r, const struct textproto_dialect *d,
                                     const uint8_t *buf, size_t len, struct probe_outcome *out);
void textproto_module_finish(struct textproto_reader *r, int unbuildable,
                             const struct textproto_dialect *d, enum probe_end why,
                             const uint8_t *buf, size_t len, struct probe_outcome *out);

/* Another line-based protocol's response where `expected_version` (a status line pattern, as
 * in textproto_status_line) was due: an HTTP server's where SIP belongs, a SIP server's where
 * HTTP belongs. Returns 1 when buf starts with a complete status line and header section of
 * one of them (with final != 0: a complete status line is enough): *out is a FAIL, state
 * open, foreign set, reason "<what>: an HTTP server answered 400 Bad Request (Server:
 * nginx/1.22.1)" (what: "not a SIP reply"), evidence {"http": {"status", "server"}} (or "sip").
 * Returns 0 while such a response is still arriving, -1 when buf is not one. */
int textproto_foreign(const uint8_t *buf, size_t len, int final, const char *expected_version,
                      const char *what, struct probe_outcome *out);

/* "timeout", "connection closed", "read cap reached", "connection reset". */
const char *textproto_end_name(enum probe_end why);

#endif
