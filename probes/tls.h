/* probes/tls.h - one TLS connection, client or server, with no I/O.
 *
 * The TLS layer sits between the engine's socket and a probe module (SIP, HTTP, ...).
 * It is an OpenSSL state machine over two memory BIOs: the engine feeds it the ciphertext
 * it reads from the socket and drains the ciphertext it must write; nothing here touches a
 * socket, a timer or the clock, so a client and a server can be pumped against each other
 * in memory (tests/support/tls_pair.h).
 *
 * Driving one connection:
 *   c = tls_conn_new(ctx, 0, "fe01.contoso.test");
 *   loop:
 *     step = tls_conn_handshake(c);        after connect and after every feed
 *     while ((n = tls_conn_drain(c, buf, sizeof buf)) > 0) write n bytes to the socket
 *     if step == TLS_STEP_DONE:   break (then tls_conn_write / tls_conn_read)
 *     if step == TLS_STEP_FAILED: tls_conn_error(c) says why; still drain (an alert may
 *                                 be queued for the peer), then close
 *     on bytes from the socket: tls_conn_feed(c, bytes, n)
 *     on EOF from the socket:   tls_conn_eof(c)   (then call tls_conn_handshake again)
 *   evidence = tls_conn_evidence(c, &opts, &outcome, reason, sizeof reason);
 *   tls_conn_free(c);
 *
 * Failure reasons (tls_conn_error, "server" reads "client" on the server side):
 *   TLS alert from server: handshake failure (40)
 *   server sent non-TLS bytes: "HTTP/1.1 400 Bad Request"   (first bytes not a TLS record:
 *                                    record type 20-23 and version 3.x; printable bytes
 *                                    quoted up to CR/LF, otherwise the first bytes in hex)
 *   connection closed during TLS handshake
 *   TLS handshake failed: <OpenSSL reason>
 * After the handshake, tls_conn_read returns -1 with:
 *   TLS alert from server: certificate required (116)   (e.g. a TLS 1.3 server that required
 *                                    a client certificate: the handshake completed on our
 *                                    side, the refusal comes after our Finished)
 *   server closed the TLS connection (close notify)
 *   connection closed by server
 *   TLS read failed: <OpenSSL reason>
 *
 * OpenSSL keeps per-thread error queues; every call here clears it before use and leaves it
 * empty. One tls_conn belongs to one thread at a time.
 */
#ifndef UC_TLS_H
#define UC_TLS_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/uc.h"

struct tls_conn; /* opaque */

/* Client context for the scanner: accepts whatever a scanner may meet (TLS 1.0 to 1.3,
 * OpenSSL security level 0, legacy renegotiation, bug workarounds; no anonymous or null
 * ciphers), never fails on trust (SSL_VERIFY_NONE), never sends a client certificate but
 * records whether one was requested (TLS 1.2 and 1.3). When ca_file is given (PEM, one or
 * more CAs; partial chains accepted), the server's chain is verified against it anyway and
 * the result reported in the evidence's "chain"; host names are judged separately (cert.h).
 * Returns NULL with a message in err when the context or the CA file fails. Free with
 * SSL_CTX_free; connections keep their own reference. */
SSL_CTX *tls_client_ctx_new(const char *ca_file, char *err, size_t errcap);

/* Client certificate policy of a server context. */
enum tls_client_cert {
  TLS_CLIENT_CERT_NONE = 0,    /* no CertificateRequest */
  TLS_CLIENT_CERT_REQUEST = 1, /* ask; accept any certificate or none (listen mode, MTLS) */
  TLS_CLIENT_CERT_REQUIRE = 2  /* ask; abort the handshake when none comes (tests) */
};

/* Server context for listen mode and tests: `cert` and `key` (the caller keeps its
 * references), TLS 1.2 and 1.3 by OpenSSL's defaults, `request_client_cert` one of enum
 * tls_client_cert. Client certificates are never verified. Returns NULL with err set. */
SSL_CTX *tls_server_ctx_new(X509 *cert, EVP_PKEY *key, int request_client_cert, char *err,
                            size_t errcap);

/* A connection on ctx. Client side: `sni` is the server name to send (a trailing dot is
 * dropped); NULL or an IP literal sends no SNI. Server side: sni is ignored. The client
 * starts its ClientHello on the first tls_conn_handshake call. NULL when out of memory. */
struct tls_conn *tls_conn_new(SSL_CTX *ctx, int is_server, const char *sni);

/* Ciphertext from the network. Returns 0, or -1 when the connection has failed or closed
 * (including right now: the first bytes are not TLS) or memory ran out. */
int tls_conn_feed(struct tls_conn *c, const uint8_t *data, size_t len);
/* The peer closed its side (TCP FIN). Bytes already fed are still processed. */
void tls_conn_eof(struct tls_conn *c);
/* Ciphertext to send: copies up to cap pending bytes into buf and returns their count;
 * call until it returns 0. */
size_t tls_conn_drain(struct tls_conn *c, uint8_t *buf, size_t cap);

enum tls_step { TLS_STEP_WANT_IO, TLS_STEP_DONE, TLS_STEP_FAILED };
/* Advances the handshake as far as the fed bytes allow (call after tls_conn_new, after each
 * feed and after tls_conn_eof, then drain). DONE and FAILED are final. */
enum tls_step tls_conn_handshake(struct tls_conn *c);

/* Plaintext, after DONE: queues n bytes (then drain). Returns 0, or -1 (not DONE, closed,
 * or OpenSSL refused; tls_conn_error says why). */
int tls_conn_write(struct tls_conn *c, const uint8_t *p, size_t n);
/* Plaintext, after DONE: up to cap decrypted bytes. Returns their count, 0 when nothing is
 * available yet (feed more), or -1 when the connection is closed or failed (not DONE
 * included; tls_conn_error says why). Drain afterwards: reading may queue replies. */
ssize_t tls_conn_read(struct tls_conn *c, uint8_t *buf, size_t cap);
/* Queues a close_notify (then drain). Returns 0 or -1 (not DONE). */
int tls_conn_shutdown(struct tls_conn *c);

/* Why the connection failed or closed, one line; "" when it has not. */
const char *tls_conn_error(const struct tls_conn *c);
/* Did the peer (server) send a CertificateRequest? */
int tls_conn_cert_requested(const struct tls_conn *c);
/* Did the server ask for a client certificate and then refuse to go on without one? With
 * TLS 1.2 the refusal (a certificate alert: handshake failure, bad certificate, certificate
 * unknown, unknown CA, access denied, certificate required) ends the handshake; with TLS 1.3
 * the client has finished its side first and the alert (normally 116 certificate required)
 * is what tls_conn_read returns -1 for. */
int tls_conn_cert_refused(const struct tls_conn *c);
/* The last fatal alert the peer sent (e.g. 112 unrecognized name, a server refusing the SNI
 * name), or -1. */
int tls_conn_alert(const struct tls_conn *c);
/* The underlying SSL, read-only uses (peer certificate, version, ...). */
const SSL *tls_conn_ssl(const struct tls_conn *c);
void tls_conn_free(struct tls_conn *c);

/* The names to offer by SNI, in turn, after a server refused the host's own name with alert
 * 112 (unrecognized name: it serves other names): i = 0, 1, ... gives the pool name, the
 * host's domain (its name less the first label, when that still has a dot: "contoso.test"
 * for "edge01.contoso.test"), then no SNI at all (buf ""), skipping names already offered.
 * Returns 1 with the name in buf, 0 when there is none left (or cap is too small). */
int tls_sni_alternative(const char *host, const char *pool, unsigned i, char *buf, size_t cap);

/* How to judge a client connection. */
struct tls_judge_opts {
  const char *host;       /* topology name, or NULL: no name check */
  const char *pool;       /* topology pool name, or NULL */
  int expect_client_cert; /* the check is an MTLS row */
  time_t now;             /* the clock, injected */
  int cert_warn_days;     /* warn when a certificate has fewer days left; 0: off */
};

/* The contract's evidence.tls object for a client connection, and the outcome:
 *   {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384" (IANA name),
 *    "client_cert_requested": bool, "certificate": {...cert_evidence...},
 *    "chain": {"verified": bool, "error": "..." (when not verified)} (only with a CA file)}
 * Outcome and reason (reason one line, at most cap-1 bytes):
 *   OK   "TLS 1.3 handshake completed; client certificate requested"
 *        "TLS 1.2 handshake completed; no client certificate requested"
 *   WARN the warnings, joined with "; ": the certificate's (cert_evidence), then
 *        "server presented no certificate", "server did not request a client certificate
 *        (MTLS expected)"; then what the handshake proved, as for OK ("...; TLS 1.3 handshake
 *        completed; client certificate requested"), so a warning never hides it
 *   FAIL tls_conn_error(c) ("TLS handshake not completed" while still in progress).
 * A server that requested a client certificate and then refused to go on without one
 * (tls_conn_cert_refused: in the handshake with TLS 1.2, or with an alert read after it with
 * TLS 1.3) proves a live MTLS service that demands a certificate the scanner cannot have:
 * on an MTLS row that is OK,
 *   "client certificate required: TLS 1.2 server requested a client certificate and refused
 *    to go on without one (alert handshake failure (40))",
 * on other rows a WARN "client certificate required (not an MTLS row): ..."; certificate
 * warnings apply as usual. Other failures return the object only when a server certificate
 * was seen (NULL otherwise). The caller owns the reference. */
json_t *tls_conn_evidence(const struct tls_conn *c, const struct tls_judge_opts *o,
                          enum uc_outcome *outcome, char *reason, size_t cap);

#endif
