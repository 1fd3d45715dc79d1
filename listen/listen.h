/* listen/listen.h - pre-deployment listener (`ucscan listen`, `ucscan demo`): opens every
 * inbound port a host's roles need and answers there as the real service would, enough for
 * `ucscan scan` to prove the firewall path, with replies that carry UC_LISTENER_TOKEN.
 *
 * Per port (listen/plan.h gives the ports and their expected protocols):
 *   TCP, plain       accept and hold until the peer closes or LISTEN idle timeout; SIP
 *                    ports answer SIP requests, web/HTTP ports answer HTTP, XMPP ports the
 *                    stream header (listen/session.h)
 *   TCP, tls/psom/https/mtls   TLS server (certificate from the conf, or generated in memory
 *                    for host_name), a CertificateRequest on mtls ports; then the same
 *                    responders inside TLS
 *   UDP, stun        STUN Binding and MS-TURN Allocate (401) responder
 *   UDP, sql-browser SQL Browser responder (instances RTCLOCAL, LYNCLOCAL)
 *   UDP, other       the ucscan token responder (probes/udp.h), every port of ranges too
 * Replies take tokens from one bucket per listener (listen/rate.h); UDP replies are never
 * larger than LISTEN_UDP_REPLY_MAX bytes.
 *
 * Everything runs on the caller's loop; listen_stop closes every handle, then calls back.
 * One listener serves one address (conf->bind); the demo runs one per sample host. */
#ifndef UC_LISTEN_H
#define UC_LISTEN_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "common/uc.h"
#include "listen/plan.h"
#include "listen/session.h"

#define LISTEN_UDP_REPLY_MAX 512       /* bytes: no UDP answer is larger */
#define LISTEN_DEFAULT_IDLE_MS 60000u  /* a held connection with no bytes for this long closes */
#define LISTEN_DEFAULT_MAX_CONNS 1024u /* accepted connections held at once; more are reset */
#define LISTEN_CERT_DAYS 365           /* validity of a generated certificate */

/* Deliberate faults, for the demo (and tests): what a misconfigured server would do. */
enum listen_fault {
  LISTEN_FAULT_NONE = 0,
  LISTEN_FAULT_CLOSED,         /* leave the port closed */
  LISTEN_FAULT_NO_CLIENT_CERT, /* TLS without a CertificateRequest, even on an mtls port */
  LISTEN_FAULT_EXPIRED_CERT    /* TLS with a certificate that expired 30 days ago */
};

struct listen_override {
  uint16_t port;
  enum uc_transport transport;
  enum listen_fault fault;
};

struct listen_conf {
  const struct listen_plan *plan; /* ports to open; must outlive the listener */
  const char *bind;               /* IPv4 or IPv6 literal; NULL: "0.0.0.0" ("::" = dual stack) */
  const char *host_name;          /* certificate name, XMPP domain; NULL: "localhost" */
  X509 *cert;                     /* both or neither (the caller keeps its references); */
  EVP_PKEY *key;                  /* neither: a self-signed certificate made in memory */
  unsigned rate;                  /* replies per second; 0: LISTEN_DEFAULT_RATE */
  unsigned idle_ms;               /* 0: LISTEN_DEFAULT_IDLE_MS */
  unsigned max_conns;             /* 0: LISTEN_DEFAULT_MAX_CONNS */
  size_t max_ports;               /* open at most this many (file descriptor budget); 0: all */
  const char *budget_note;        /* why max_ports, shown for the ports beyond it */
  const struct listen_override *overrides;
  size_t noverrides;
};

enum listen_status { LISTEN_OPEN, LISTEN_FAILED, LISTEN_LEFT_CLOSED };

struct listen_result {
  uint16_t port;
  enum uc_transport transport;
  enum uc_proto protocol;
  bool in_range;
  enum listen_status status;
  int error;        /* LISTEN_FAILED: the libuv error, or 0 (budget) */
  char what[96];    /* LISTEN_OPEN: what answers ("TLS, client certificate requested; SIP") */
  char reason[200]; /* LISTEN_FAILED, LISTEN_LEFT_CLOSED: why */
};

struct listen_report {
  char bind[64];           /* the address, as text */
  char error[256];         /* listen_start returned NULL: why */
  struct listen_result *v; /* one per plan port, in plan order */
  size_t n;
  size_t opened, failed, left_closed;
};

struct listener;
typedef void (*listen_stopped_cb)(void *arg);

/* Opens the ports on `loop`. Returns the listener (even when some or all ports failed:
 * the report says which and why), or NULL when nothing could start (bad address,
 * certificate or memory: rep->error says why). rep must be zeroed by the caller and
 * freed with listen_report_free. */
struct listener *listen_start(uv_loop_t *loop, const struct listen_conf *conf,
                              struct listen_report *rep);
/* Closes every port and connection; cb(arg) runs once all handles are closed, then the
 * listener is freed. */
void listen_stop(struct listener *l, listen_stopped_cb cb, void *arg);
void listen_counters_get(const struct listener *l, struct listen_counters *out);
/* Connections accepted and not yet closed. */
unsigned listen_live_connections(const struct listener *l);

/* The table of what opened and what did not, ranges collapsed to runs. */
void listen_report_print(FILE *out, const struct listen_report *rep, bool color);
void listen_report_free(struct listen_report *rep);

#endif
