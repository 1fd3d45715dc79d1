/* common/uc.h - vocabulary shared by every module: transports, protocols, states,
 * verdicts and outcomes, with their contract spellings. */
#ifndef UC_UC_H
#define UC_UC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UC_VERSION "0.1.0"
#define UC_REASON_MAX 256

enum uc_transport { UC_TCP = 0, UC_UDP = 1, UC_TRANSPORT_COUNT };

/* Expected protocol of a catalog row or check (contract spelling in uc_proto_name). */
enum uc_proto {
  UC_P_TCP,         /* plain TCP: accept is enough */
  UC_P_UDP,         /* plain UDP: no protocol obliges an answer */
  UC_P_RTP,         /* media port range, probed as plain TCP/UDP */
  UC_P_RPC,         /* DCOM/RPC endpoint mapper: TCP connect */
  UC_P_SMB,         /* SMB file share: TCP connect */
  UC_P_SIP,         /* SIP over plain TCP: OPTIONS */
  UC_P_HTTP,        /* HTTP: HEAD / */
  UC_P_XMPP,        /* XMPP server-to-server stream */
  UC_P_PSOM,        /* PSOM over TLS (web conferencing) */
  UC_P_TLS,         /* TLS handshake */
  UC_P_HTTPS,       /* TLS handshake, then HEAD / */
  UC_P_MTLS,        /* TLS handshake where the server must request a client certificate */
  UC_P_STUN,        /* STUN / MS-TURN */
  UC_P_SQL_BROWSER, /* SQL Server Browser ([MC-SQLR]) */
  UC_P_DHCP,        /* DHCP: not probeable from a scanner */
  UC_P_IPSEC,       /* IPsec exemption rule: a policy, not a port */
  UC_P_COUNT
};

enum uc_state {
  UC_ST_NONE = 0, /* not probed (skip) */
  UC_ST_OPEN,
  UC_ST_CLOSED,
  UC_ST_FILTERED,
  UC_ST_UNREACHABLE,
  UC_ST_OPEN_FILTERED,
  UC_ST_ERROR,
  UC_ST_COUNT
};

enum uc_verdict { UC_PASS = 0, UC_WARN, UC_FAIL, UC_SKIP, UC_VERDICT_COUNT };

/* Where a scan runs from (contract v2, "Vantages"). A catalog row lists the vantages its
 * documented sources stand in, as a bit set (1u << vantage); UC_V_ANY tests every row. */
enum uc_vantage {
  UC_V_ANY = 0,
  UC_V_SERVERS,
  UC_V_CLIENTS,
  UC_V_INTERNET,
  UC_V_REVERSE_PROXY,
  UC_V_PSTN,
  UC_VANTAGE_COUNT
};
#define UC_VANTAGE_ALL (((1u << UC_VANTAGE_COUNT) - 1u) & ~(1u << UC_V_ANY))

/* The Edge Server's interfaces (contract v2, "Edge interfaces"); UC_IF_NONE off the Edge. */
enum uc_iface {
  UC_IF_NONE = 0,
  UC_IF_INTERNAL,
  UC_IF_ACCESS,
  UC_IF_WEBCONF,
  UC_IF_AV,
  UC_IF_COUNT
};

/* What an application-level exchange proved, on top of the transport state. */
enum uc_outcome {
  UC_OUT_NONE = 0, /* no application step (plain TCP accept) */
  UC_OUT_OK,       /* expected protocol answered correctly */
  UC_OUT_WARN,     /* answered, but a person should look (expired cert, ...) */
  UC_OUT_FAIL      /* expected protocol failed (bad handshake, invalid reply) */
};

const char *uc_transport_name(enum uc_transport t);
int uc_transport_parse(const char *s, enum uc_transport *out);
const char *uc_proto_name(enum uc_proto p);
int uc_proto_parse(const char *s, enum uc_proto *out);
/* How demanding a protocol is to prove; merged checks use the highest. */
int uc_proto_rank(enum uc_proto p);
bool uc_proto_uses_tls(enum uc_proto p);
const char *uc_state_name(enum uc_state s);
int uc_state_parse(const char *s, enum uc_state *out);
const char *uc_verdict_name(enum uc_verdict v);
int uc_verdict_parse(const char *s, enum uc_verdict *out);
/* "servers", "clients", "internet", "reverse-proxy", "pstn", "any". */
const char *uc_vantage_name(enum uc_vantage v);
int uc_vantage_parse(const char *s, enum uc_vantage *out);
/* Who stands there, for reasons: "a scan from the Internet", "a scan from the server network". */
const char *uc_vantage_phrase(enum uc_vantage v);
/* "internal", "access", "webconf", "av"; NULL for UC_IF_NONE. */
const char *uc_iface_name(enum uc_iface i);
int uc_iface_parse(const char *s, enum uc_iface *out);

#endif
