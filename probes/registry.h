/* probes/registry.h - which probe a check gets, from its transport, expected protocol
 * and application. */
#ifndef UC_REGISTRY_H
#define UC_REGISTRY_H

#include <stdbool.h>

#include "common/uc.h"
#include "probes/probe.h"

struct probe_choice {
  const char *name;               /* reported as the check's "probe" */
  bool tls;                       /* TLS handshake after connect */
  bool expect_client_cert;        /* MTLS: the server must request a client certificate */
  const struct probe_module *app; /* application exchange (after TLS), or NULL */
  bool app_is_secondary;          /* after TLS, the app's silence does not fail the check */
};

void probe_choose(enum uc_transport t, enum uc_proto p, const char *application,
                  struct probe_choice *out);
/* The probe for one port of a range: plain connect, or generic UDP. */
void probe_choose_range(enum uc_transport t, struct probe_choice *out);

#endif
