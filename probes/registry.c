/* probes/registry.c - the table that maps a check to its probe. */
#include "probes/registry.h"

#include <string.h>

#include "probes/stun.h"

static bool app_is(const char *application, const char *name)
{
  return application && strcmp(application, name) == 0;
}

void probe_choose_range(enum uc_transport t, struct probe_choice *out)
{
  memset(out, 0, sizeof(*out));
  out->name = t == UC_UDP ? probe_udp.name : "tcp";
  out->app = t == UC_UDP ? &probe_udp : NULL;
}

void probe_choose(enum uc_transport t, enum uc_proto p, const char *application,
                  struct probe_choice *out)
{
  memset(out, 0, sizeof(*out));
  if (t == UC_UDP) {
    out->app = p == UC_P_STUN          ? &probe_stun
               : p == UC_P_SQL_BROWSER ? &probe_sqlbrowser
                                       : &probe_udp;
    out->name = out->app->name;
    return;
  }
  switch (p) {
  case UC_P_SIP:
    out->app = &probe_sip;
    break;
  case UC_P_HTTP:
    out->app = &probe_http;
    break;
  case UC_P_XMPP:
    out->app = &probe_xmpp;
    break;
  case UC_P_STUN:
    out->app = &probe_stun_tcp; /* MS-TURN over TCP: [MS-TURN] 2.1.4 framing */
    break;
  case UC_P_TLS:
  case UC_P_PSOM:
  case UC_P_MTLS:
  case UC_P_HTTPS:
    out->tls = true;
    out->expect_client_cert = p == UC_P_MTLS;
    out->name = "tls";
    if (p == UC_P_HTTPS)
      out->app = &probe_http;
    else if (app_is(application, "sip"))
      out->app = &probe_sip;
    else if (app_is(application, "xmpp"))
      out->app = &probe_xmpp;
    out->app_is_secondary = out->app != NULL;
    return;
  default:
    break;
  }
  out->name = out->app ? out->app->name : "tcp";
}
