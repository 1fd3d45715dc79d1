/* probes/probe.h - the contract between the engine and a probe module.
 *
 * A probe module knows one application protocol (SIP, HTTP, XMPP, STUN, SQL Browser,
 * generic UDP). It builds requests and classifies replies; it never touches a socket,
 * a timer or the clock. The engine (scanner/) owns the sockets, the TLS layer, the
 * deadlines, retries and read caps, and calls the module with plain buffers, so every
 * function here can be unit-tested on byte fixtures.
 *
 * Life of one attempt, as the engine drives it:
 *   1. The engine zeroes `state_size` bytes of per-attempt scratch and calls
 *      init(state, target, rnd) with 32 fresh random bytes (transaction ids, nonces).
 *   2. build(state, target, i, buf, cap) for i = 0, 1, 2, ... until it returns 0.
 *      UDP: each call yields one datagram. TCP: each call yields a chunk that is written
 *      in order, after the TLS handshake when the check uses TLS. On a UDP retransmit the
 *      engine calls build() again from i = 0 with the same state.
 *   3. Whenever bytes arrive: classify(state, target, buf, len, from, out).
 *        TCP: buf holds the whole stream received so far (never more than read_cap
 *             bytes; the engine stops reading at the cap and calls finish()).
 *        UDP: buf holds one datagram; `from` is its source address. The engine does not
 *             filter sources: a module decides whether a datagram belongs to it.
 *      Return PROBE_MORE to keep waiting, or PROBE_DONE with *out filled in: final.
 *      A reply that does not belong (wrong transaction id, other source) should be noted
 *      in the state and answered with PROBE_MORE, so that a genuine reply that follows
 *      still wins; finish() then reports the anomaly if nothing valid came.
 *   4. If no PROBE_DONE came: finish(state, target, why, buf, len, out) with everything
 *      received so far (TCP) or nothing (UDP), and the reason the engine stopped.
 *      finish() must always fill *out.
 *
 * Rules for modules: no I/O, no global mutable state, no allocation that outlives the
 * call except out->evidence (a jansson object the caller takes over). Parse defensively:
 * every length in a reply is checked against the bytes actually present.
 */
#ifndef UC_PROBE_H
#define UC_PROBE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "common/uc.h"

enum probe_status { PROBE_MORE = 0, PROBE_DONE = 1 };

/* Why the engine stopped waiting before the module said PROBE_DONE. */
enum probe_end {
  PROBE_END_TIMEOUT, /* deadline passed */
  PROBE_END_EOF,     /* TCP peer closed the stream */
  PROBE_END_CAP,     /* read cap reached (TCP) */
  PROBE_END_RESET    /* TCP connection reset */
};

struct probe_target {
  const char *host;            /* topology name: SNI, Host header, SIP and XMPP domain */
  const char *pool;            /* topology pool name, or NULL */
  const struct sockaddr *addr; /* destination, port included */
  uint16_t port;
  enum uc_proto protocol; /* the check's expected protocol */
};

struct probe_outcome {
  enum uc_outcome outcome;    /* UC_OUT_OK, UC_OUT_WARN or UC_OUT_FAIL */
  enum uc_state state;        /* what the answer proves: normally UC_ST_OPEN; a UDP
                                 module with no answer says UC_ST_OPEN_FILTERED */
  char reason[UC_REASON_MAX]; /* one line, says what was seen or what went wrong */
  json_t *evidence;           /* object merged into the check's "evidence", e.g.
                                 {"stun": {...}}; NULL when none; caller takes it */
  int listener;               /* nonzero: the answer carried the ucscan listener token */
  int foreign;                /* nonzero: something answered, but not in this protocol
                                 (an HTTP server where SIP belongs): the port is served by
                                 the wrong thing, which no TLS handshake makes right */
};

struct probe_module {
  const char *name;            /* reported as the check's "probe" */
  enum uc_transport transport; /* UC_TCP modules run on a stream, UC_UDP on datagrams */
  size_t read_cap;             /* TCP: most bytes buffered; UDP: largest datagram read */
  size_t state_size;           /* per-attempt scratch, zeroed by the engine */
  void (*init)(void *state, const struct probe_target *t, const uint8_t rnd[32]);
  size_t (*build)(void *state, const struct probe_target *t, unsigned i, uint8_t *buf, size_t cap);
  enum probe_status (*classify)(void *state, const struct probe_target *t, const uint8_t *buf,
                                size_t len, const struct sockaddr *from, struct probe_outcome *out);
  void (*finish)(void *state, const struct probe_target *t, enum probe_end why, const uint8_t *buf,
                 size_t len, struct probe_outcome *out);
};

/* Helpers for modules (probes/probe_util.c). */
void probe_outcome_set(struct probe_outcome *o, enum uc_outcome oc, enum uc_state st,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Printable, bounded copy of untrusted bytes for reasons and evidence: stops at CR/LF/NUL,
 * replaces other control and non-ASCII bytes with '?', truncates to cap-1. */
void probe_printable(char *dst, size_t cap, const uint8_t *src, size_t len);
/* Address as text: "192.0.2.1:3478" or "[2001:db8::1]:3478" (port left out when 0). */
void probe_addr_str(const struct sockaddr *sa, char *buf, size_t cap);
/* Same address and port? */
int probe_addr_equal(const struct sockaddr *a, const struct sockaddr *b);

/* The first datagram that did not belong (step 3 above), kept for finish(). */
enum probe_anomaly_kind { PROBE_ANOM_NONE = 0, PROBE_ANOM_INVALID, PROBE_ANOM_FOREIGN };
struct probe_anomaly {
  enum probe_anomaly_kind kind; /* FOREIGN: from another source; INVALID: malformed */
  char what[160];
};
/* Records the anomaly unless one is already recorded: the first is the one reported. */
void probe_anomaly_note(struct probe_anomaly *a, enum probe_anomaly_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* finish() of a datagram protocol whose live service always answers: "invalid <proto>
 * reply: <what>" (state open, or open|filtered for a foreign source), else `silence`
 * (open|filtered). Always UC_OUT_FAIL. */
void probe_anomaly_finish(const struct probe_anomaly *a, const char *proto, const char *silence,
                          struct probe_outcome *out);

/* The ucscan listener token (listen mode). A probe that finds it in a reply sets
 * out->listener, which lets the engine treat silence on other ports as proof. */
#define UC_LISTENER_TOKEN "ucscan-listener/1"
#define UC_PROBE_TOKEN "ucscan-probe/1"

/* Registered modules (probes/registry.c). */
extern const struct probe_module probe_sip;
extern const struct probe_module probe_http;
extern const struct probe_module probe_xmpp;
extern const struct probe_module probe_stun;
extern const struct probe_module probe_sqlbrowser;
extern const struct probe_module probe_udp;

#endif
