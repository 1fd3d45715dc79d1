/* common/uc.c - names of the shared enums, as the contract spells them. */
#include "uc.h"

#include <string.h>

static const char *const transport_names[UC_TRANSPORT_COUNT] = {"tcp", "udp"};

static const struct {
  const char *name;
  int rank;
} proto_info[UC_P_COUNT] = {
    [UC_P_TCP] = {"tcp", 0},     [UC_P_UDP] = {"udp", 0},
    [UC_P_RTP] = {"rtp", 0},     [UC_P_RPC] = {"rpc", 1},
    [UC_P_SMB] = {"smb", 1},     [UC_P_SIP] = {"sip", 2},
    [UC_P_HTTP] = {"http", 2},   [UC_P_XMPP] = {"xmpp", 2},
    [UC_P_PSOM] = {"psom", 3},   [UC_P_TLS] = {"tls", 3},
    [UC_P_HTTPS] = {"https", 4}, [UC_P_MTLS] = {"mtls", 5},
    [UC_P_STUN] = {"stun", 2},   [UC_P_SQL_BROWSER] = {"sql-browser", 2},
    [UC_P_DHCP] = {"dhcp", -1},  [UC_P_IPSEC] = {"ipsec", -1},
};

static const char *const state_names[UC_ST_COUNT] = {
    [UC_ST_NONE] = "none",
    [UC_ST_OPEN] = "open",
    [UC_ST_CLOSED] = "closed",
    [UC_ST_FILTERED] = "filtered",
    [UC_ST_UNREACHABLE] = "unreachable",
    [UC_ST_OPEN_FILTERED] = "open|filtered",
    [UC_ST_ERROR] = "error",
};

static const char *const verdict_names[UC_VERDICT_COUNT] = {"pass", "warn", "fail", "skip"};

static const char *const vantage_names[UC_VANTAGE_COUNT] = {
    [UC_V_ANY] = "any",
    [UC_V_SERVERS] = "servers",
    [UC_V_CLIENTS] = "clients",
    [UC_V_INTERNET] = "internet",
    [UC_V_REVERSE_PROXY] = "reverse-proxy",
    [UC_V_PSTN] = "pstn",
};

static const char *const vantage_phrases[UC_VANTAGE_COUNT] = {
    [UC_V_ANY] = "a scan from anywhere",
    [UC_V_SERVERS] = "a scan from the server network",
    [UC_V_CLIENTS] = "a scan from the client network",
    [UC_V_INTERNET] = "a scan from the Internet",
    [UC_V_REVERSE_PROXY] = "a scan from the reverse proxy",
    [UC_V_PSTN] = "a scan from the PSTN gateway network",
};

static const char *const iface_names[UC_IF_COUNT] = {
    [UC_IF_NONE] = NULL,       [UC_IF_INTERNAL] = "internal",
    [UC_IF_ACCESS] = "access", [UC_IF_WEBCONF] = "webconf",
    [UC_IF_AV] = "av",
};

static int find_name(const char *const *names, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (names[i] && strcmp(names[i], s) == 0)
      return (int)i;
  return -1;
}

const char *uc_transport_name(enum uc_transport t)
{
  return (unsigned)t < UC_TRANSPORT_COUNT ? transport_names[t] : "?";
}

int uc_transport_parse(const char *s, enum uc_transport *out)
{
  int i = find_name(transport_names, UC_TRANSPORT_COUNT, s);
  if (i < 0)
    return -1;
  *out = (enum uc_transport)i;
  return 0;
}

const char *uc_proto_name(enum uc_proto p)
{
  return (unsigned)p < UC_P_COUNT ? proto_info[p].name : "?";
}

int uc_proto_parse(const char *s, enum uc_proto *out)
{
  for (int i = 0; i < UC_P_COUNT; i++) {
    if (strcmp(proto_info[i].name, s) == 0) {
      *out = (enum uc_proto)i;
      return 0;
    }
  }
  return -1;
}

int uc_proto_rank(enum uc_proto p)
{
  return (unsigned)p < UC_P_COUNT ? proto_info[p].rank : -1;
}

bool uc_proto_uses_tls(enum uc_proto p)
{
  return p == UC_P_TLS || p == UC_P_MTLS || p == UC_P_HTTPS || p == UC_P_PSOM;
}

const char *uc_state_name(enum uc_state s)
{
  return (unsigned)s < UC_ST_COUNT ? state_names[s] : "?";
}

int uc_state_parse(const char *s, enum uc_state *out)
{
  int i = find_name(state_names, UC_ST_COUNT, s);
  if (i < 0)
    return -1;
  *out = (enum uc_state)i;
  return 0;
}

const char *uc_verdict_name(enum uc_verdict v)
{
  return (unsigned)v < UC_VERDICT_COUNT ? verdict_names[v] : "?";
}

int uc_verdict_parse(const char *s, enum uc_verdict *out)
{
  int i = find_name(verdict_names, UC_VERDICT_COUNT, s);
  if (i < 0)
    return -1;
  *out = (enum uc_verdict)i;
  return 0;
}

const char *uc_vantage_name(enum uc_vantage v)
{
  return (unsigned)v < UC_VANTAGE_COUNT ? vantage_names[v] : "?";
}

int uc_vantage_parse(const char *s, enum uc_vantage *out)
{
  int i = find_name(vantage_names, UC_VANTAGE_COUNT, s);
  if (i < 0)
    return -1;
  *out = (enum uc_vantage)i;
  return 0;
}

const char *uc_vantage_phrase(enum uc_vantage v)
{
  return (unsigned)v < UC_VANTAGE_COUNT ? vantage_phrases[v] : "?";
}

const char *uc_iface_name(enum uc_iface i)
{
  return (unsigned)i < UC_IF_COUNT ? iface_names[i] : NULL;
}

int uc_iface_parse(const char *s, enum uc_iface *out)
{
  int i = find_name(iface_names, UC_IF_COUNT, s);
  if (i <= 0)
    return -1;
  *out = (enum uc_iface)i;
  return 0;
}
