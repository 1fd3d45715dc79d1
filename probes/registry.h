/* probes/registry.h - what a port means: the one table that says, for a check's transport,
 * expected protocol and application, what the scanner asks there and what `ucscan listen`
 * answers. The plan resolves a check's row once (model/plan.c) and keeps it on the check;
 * the scanner (scanner/attempt_*.c), the listener (listen/) and the report read that row, so
 * the three cannot disagree. ZMap's probe_modules[] and curl's struct Curl_scheme are the
 * model: a port's meaning kept apart from the code that runs on it.
 *
 * Adding a probe module: its file, its rows in registry.c, tests/unit/test_<name>.c, a fuzz
 * target; and, if the listener should answer it, a responder id below with its entry (name
 * and answer) in listen/responders.c. */
#ifndef UC_REGISTRY_H
#define UC_REGISTRY_H

#include <stdbool.h>

#include "common/uc.h"
#include "probes/probe.h"

/* What the listener answers on a port: an id into the listener's one responder table
 * (listen/responders.c, [id] = {name, TCP or UDP answer}), which sits a layer above this one.
 * The bytes come from the probe modules' responder functions. */
enum probe_responder {
  PROBE_RESP_NONE,     /* TCP: accept (and TLS), then hold the connection */
  PROBE_RESP_SIP,      /* TCP: sip_respond to every request */
  PROBE_RESP_HTTP,     /* TCP: http_respond to the first request, then close */
  PROBE_RESP_XMPP,     /* TCP: xmpp_respond to the stream header */
  PROBE_RESP_STUN_TCP, /* TCP: MS-TURN framing, stun_respond_tcp */
  PROBE_RESP_TOKEN,    /* UDP: udp_token_respond (the ucscan probe token) */
  PROBE_RESP_STUN,     /* UDP: stun_respond (Binding, MS-TURN Allocate 401) */
  PROBE_RESP_SQLB,     /* UDP: sqlb_respond (SQL Server Browser) */
  PROBE_RESP_COUNT
};

/* One row: (transport, protocol, application) -> the probe and the responder. */
struct probe_choice {
  enum uc_transport transport;
  enum uc_proto protocol;         /* UC_P_COUNT: any protocol of the transport */
  const char *application;        /* NULL: any application */
  const char *name;               /* reported as the check's "probe" */
  bool tls;                       /* TLS handshake after connect */
  bool expect_client_cert;        /* MTLS: the server must request a client certificate */
  const struct probe_module *app; /* application exchange (after TLS), or NULL */
  bool app_is_secondary;          /* the app's silence does not fail the check (it rests on the
                                     accept or the handshake); another protocol answering warns */
  enum probe_responder responder; /* what ucscan listen answers */
};

/* The row for a single check: the first that matches, never NULL (the last rows of each
 * transport match anything). */
const struct probe_choice *probe_lookup(enum uc_transport t, enum uc_proto p,
                                        const char *application);
/* The row for one port of a range: plain connect, or the generic UDP probe. */
const struct probe_choice *probe_range(enum uc_transport t);
/* The whole table, for tests and documentation: *n rows. */
const struct probe_choice *probe_table(size_t *n);

#endif
