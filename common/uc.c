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
