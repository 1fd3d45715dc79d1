/* probes/registry.c - the protocol table (see registry.h). Rows are tried in order; within a
 * transport the specific rows come first and a catch-all row ends each transport. */
#include "probes/registry.h"

#include <string.h>

#include "probes/stun.h"

#define ANY_PROTO UC_P_COUNT
#define ANY_APP NULL

/* TLS-family rows differ only by the application inside; one macro keeps them aligned. */
#define TLS_ROW(proto, appname, mod, resp)                                                         \
  {                                                                                                \
    UC_TCP, proto, appname, "tls", true, proto == UC_P_MTLS, mod, mod != NULL, resp                \
  }

#define UDP_ROW(proto, pname, mod, resp)                                                           \
  UC_UDP, proto, ANY_APP, pname, false, false, mod, false, resp

static const struct probe_choice table[] = {
    /* --- TCP: a protocol that speaks first on a plain connection --- */
    {UC_TCP, UC_P_SIP, ANY_APP, "sip", false, false, &probe_sip, false, PROBE_RESP_SIP},
    {UC_TCP, UC_P_HTTP, ANY_APP, "http", false, false, &probe_http, false, PROBE_RESP_HTTP},
    {UC_TCP, UC_P_XMPP, ANY_APP, "xmpp", false, false, &probe_xmpp, false, PROBE_RESP_XMPP},
    {UC_TCP, UC_P_STUN, ANY_APP, "stun", false, false, &probe_stun_tcp, false, PROBE_RESP_STUN_TCP},
    /* --- TCP over TLS: the handshake decides; the application inside is secondary --- */
    {UC_TCP, UC_P_HTTPS, ANY_APP, "tls", true, false, &probe_http, true, PROBE_RESP_HTTP},
    TLS_ROW(UC_P_MTLS, "sip", &probe_sip, PROBE_RESP_SIP),
    TLS_ROW(UC_P_MTLS, "xmpp", &probe_xmpp, PROBE_RESP_XMPP),
    TLS_ROW(UC_P_MTLS, "web", &probe_http, PROBE_RESP_HTTP),
    TLS_ROW(UC_P_MTLS, ANY_APP, NULL, PROBE_RESP_NONE),
    TLS_ROW(UC_P_TLS, "sip", &probe_sip, PROBE_RESP_SIP),
    TLS_ROW(UC_P_TLS, "xmpp", &probe_xmpp, PROBE_RESP_XMPP),
    TLS_ROW(UC_P_TLS, "web", &probe_http, PROBE_RESP_HTTP),
    TLS_ROW(UC_P_TLS, ANY_APP, NULL, PROBE_RESP_NONE),
    TLS_ROW(UC_P_PSOM, ANY_APP, NULL, PROBE_RESP_NONE),
    /* --- plain TCP rows that name what runs inside: the accept decides, the request is
     * evidence (and a wrong protocol answering warns); the listener answers the same --- */
    {UC_TCP, ANY_PROTO, "sip", "tcp", false, false, &probe_sip, true, PROBE_RESP_SIP},
    {UC_TCP, ANY_PROTO, "web", "tcp", false, false, &probe_http, true, PROBE_RESP_HTTP},
    {UC_TCP, ANY_PROTO, "xmpp", "tcp", false, false, &probe_xmpp, true, PROBE_RESP_XMPP},
    {UC_TCP, ANY_PROTO, ANY_APP, "tcp", false, false, NULL, false, PROBE_RESP_NONE},
    /* --- UDP: every datagram protocol is its own exchange --- */
    {UDP_ROW(UC_P_STUN, "stun", &probe_stun, PROBE_RESP_STUN)},
    {UDP_ROW(UC_P_SQL_BROWSER, "sql-browser", &probe_sqlbrowser, PROBE_RESP_SQLB)},
    {UDP_ROW(ANY_PROTO, "udp", &probe_udp, PROBE_RESP_TOKEN)},
};

/* One port of a range: the accept (or a SYN's answer) decides; UDP gets the token probe. */
static const struct probe_choice range_rows[UC_TRANSPORT_COUNT] = {
    [UC_TCP] = {UC_TCP, ANY_PROTO, ANY_APP, "tcp", false, false, NULL, false, PROBE_RESP_NONE},
    [UC_UDP] = {UDP_ROW(ANY_PROTO, "udp", &probe_udp, PROBE_RESP_TOKEN)},
};

static bool row_matches(const struct probe_choice *r, enum uc_transport t, enum uc_proto p,
                        const char *application)
{
  return r->transport == t && (r->protocol == ANY_PROTO || r->protocol == p) &&
         (!r->application || (application && strcmp(r->application, application) == 0));
}

const struct probe_choice *probe_lookup(enum uc_transport t, enum uc_proto p,
                                        const char *application)
{
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
    if (row_matches(&table[i], t, p, application))
      return &table[i];
  return probe_range(t); /* not reached: each transport ends with a catch-all row */
}

const struct probe_choice *probe_range(enum uc_transport t)
{
  return &range_rows[t == UC_UDP ? UC_UDP : UC_TCP];
}

const struct probe_choice *probe_table(size_t *n)
{
  *n = sizeof(table) / sizeof(table[0]);
  return table;
}
