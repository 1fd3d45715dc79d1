/* probes/cert.h - what a peer certificate says, and whether it names the host.
 *
 * Pure functions on an X509 already in memory: RFC 6125 name matching, ISO 8601 times,
 * and the contract's `evidence.tls.certificate` object with the warnings a person should
 * read (expired, not yet valid, expiring soon, wrong names). The clock is an argument,
 * never read here, so every judgement is reproducible in tests.
 */
#ifndef UC_CERT_H
#define UC_CERT_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <time.h>

/* Does the DNS-ID `pattern` (a dNSName SAN or a CN) match the reference host name `host`?
 * RFC 6125 section 6.4, the strict reading:
 *   - ASCII case-insensitive; one trailing dot on either side is ignored;
 *   - a wildcard is allowed only as the whole left-most label ("*.contoso.test"), matches
 *     exactly one non-empty label, and needs at least two labels after it ("*.test" never
 *     matches); partial wildcards ("f*.contoso.test", "xn--*.test") never match, which also
 *     keeps wildcards out of IDNA A-labels; a whole-label "*" may stand for an A-label host
 *     label, as RFC 6125 6.4.3 only forbids wildcards embedded in A-labels;
 *   - empty labels, spaces, non-ASCII or control bytes on either side never match;
 *   - an IP literal host never matches a DNS-ID (IP hosts match IP SANs only, see
 *     cert_matches_any).
 * Returns 1 on a match, 0 otherwise (NULL arguments included). */
int cert_name_matches(const char *pattern, const char *host);

/* Is `s` an IPv4 or IPv6 literal? If so and `out` is not NULL, writes its 4 or 16 network
 * bytes to out and their count to *outlen. Returns 1 or 0. */
int cert_ip_literal(const char *s, unsigned char out[16], size_t *outlen);

/* Does the certificate name `host` or `pool` (either may be NULL)? IP literals are compared
 * byte for byte against IP SANs only; names against DNS SANs, and against the subject's
 * CNs only when the certificate carries no DNS SAN at all. Returns 1 or 0. */
int cert_matches_any(X509 *leaf, const char *host, const char *pool);

/* ASN1_TIME as "2025-01-01T00:00:00Z". Returns 0, or -1 (buf then holds "") when the time
 * does not parse or cap is too small. */
int cert_time_iso(const ASN1_TIME *t, char *buf, size_t cap);
/* ASN1_TIME as seconds since the epoch (UTC). Returns 0 or -1. */
int cert_time_epoch(const ASN1_TIME *t, time_t *out);

/* The names a certificate answers to, for messages: DNS SANs and IP SANs in order, or its
 * CNs when it has no DNS SAN; comma-separated, "(none)" when empty, at most four then
 * " and N more". Untrusted bytes are made printable. */
void cert_names_text(X509 *leaf, char *buf, size_t cap);

/* Appends `text` to the "; "-joined list in buf (truncating, always NUL-terminated). */
void cert_reason_append(char *buf, size_t cap, const char *text);

/* How to judge a certificate. */
struct cert_judge {
  const char *host; /* reference name (topology name), or NULL: no name check */
  const char *pool; /* extra accepted name, or NULL */
  time_t now;       /* the clock, injected */
  int warn_days;    /* warn when days_left (below) is less than this; 0: off */
};

/* The contract's certificate object:
 *   {"subject": RFC 2253 text, "issuer": ..., "san": [DNS and IP SANs as text],
 *    "not_before": ISO, "not_after": ISO, "expired": bool,
 *    "not_yet_valid": true (only when so), "days_left": N (only when warn_days > 0 and the
 *    certificate is valid now: days from today's date to the expiry date, UTC, so 0 on the
 *    last day), "name_match": bool (only when host or pool is given)}
 * and appends to `warn` (via cert_reason_append) each warning, in this order:
 *   "certificate expired on 2024-01-01", "certificate not valid before 2030-01-01",
 *   "certificate expires 2026-12-01 (10 days left)",
 *   "certificate names fe01.other.test, not fe01.contoso.test or pool.contoso.test".
 * Returns a new reference, or NULL when out of memory. */
json_t *cert_evidence(X509 *leaf, const struct cert_judge *j, char *warn, size_t cap);

#endif
