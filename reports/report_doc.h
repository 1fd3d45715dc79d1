/* reports/report_doc.h - reading a "ucscan-report/1" document back.
 *
 * JUnit, Prometheus and diff all work from the report document (the object report_json
 * builds, or one read from a file), never from the plan: one source of truth, so that
 * `--format junit`, `--prom` and `--out` can never disagree, and a report kept on disk can be
 * converted or compared later by the same code. These are the small readers they share.
 * Every function accepts documents that lack a key or hold the wrong type (it then returns
 * NULL, 0 or an empty text): callers that must reject bad input validate first (diff.h). */
#ifndef UC_REPORT_DOC_H
#define UC_REPORT_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/uc.h"

/* "2026-11-21T22:00:03Z" (the report's and the certificate evidence's form) as Unix time.
 * Strict: exactly that form, UTC, fields in range. Returns 0, or -1 (*out untouched). */
int report_doc_time(const char *iso, time_t *out);

/* obj[key] as a string, or NULL when absent or not a string. */
const char *report_doc_str(const json_t *obj, const char *key);
/* obj[key] as an integer in [min, max], or -1 when absent, not an integer or out of range. */
long long report_doc_int(const json_t *obj, const char *key, long long min, long long max);

/* A check's port as text: "5061", or "57501-65535" for a range; "?" when neither is valid. */
const char *report_doc_port(const json_t *check, char *buf, size_t cap);
/* The check's key within its host: "5061/tcp", "57501-65535/udp", and on an Edge checked on
 * its interfaces the interface too: "443/tcp webconf" (one port, one check per interface). */
const char *report_doc_key(const json_t *check, char *buf, size_t cap);
/* First and last port (equal for a single port). Returns 0, or -1 when the check has neither
 * a valid "port" nor a valid "range". */
int report_doc_ports(const json_t *check, unsigned *first, unsigned *last);

/* The distinct roles of the check's requirements, in order, joined with ",":
 * "front-end,mediation". Empty when the check has none (ad hoc --ports scans). */
const char *report_doc_roles(const json_t *check, char *buf, size_t cap);

/* The check's verdict, or -1 when missing or unknown. */
int report_doc_verdict(const json_t *check);

/* Decodes one UTF-8 character at s (n > 0 bytes available). Returns its length with the code
 * point in *cp, or 0 for an invalid sequence (overlong forms, surrogates, beyond U+10FFFF,
 * truncated). Text from servers and from report files goes through this before it reaches
 * XML, Prometheus labels or a terminal. */
size_t report_doc_utf8(const unsigned char *s, size_t n, uint32_t *cp);

/* evidence.<kind> of a check, or NULL. */
json_t *report_doc_evidence(const json_t *check, const char *kind);

#endif
