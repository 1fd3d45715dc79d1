/* model/plan.h - what will be probed: topology x catalog, merged per contract into
 * one check per host and (port or range, transport), each listing every catalog row
 * it satisfies. Checks also hold their results once the engine has run.
 *
 * Port ranges are not expanded: a range check is a pair of numbers, and the engine walks
 * each host's "spans" (the union of its probeable ranges per transport) port by port, so
 * a 65,535-port range never becomes 65,535 structures. */
#ifndef UC_PLAN_H
#define UC_PLAN_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "catalog/catalog.h"
#include "common/uc.h"
#include "model/portspec.h"
#include "model/topology.h"
#include "probes/registry.h"

struct plan_req {
  const struct cat_row *row;
  const char *role; /* the host's role that brought the row in */
};

/* A growable list of ports (results of range checks). */
struct port_list {
  uint16_t *v;
  size_t n, cap;
};

struct range_result {
  uint32_t probed, open, closed, filtered; /* filtered includes unreachable */
  uint32_t unreachable;
  uint32_t errors;                 /* ports we could not probe (local errors) */
  uint32_t silent;                 /* UDP ports with no answer and no ICMP (open|filtered),
                                      where no ucscan listener proves they should answer */
  struct port_list filtered_ports; /* proven filtered: no answer where one was due, or an
                                      ICMP "administratively prohibited" */
  struct port_list open_ports;     /* answered: a TCP accept (or SYN-ACK), a UDP reply */
  bool listener;                   /* a ucscan listener answered on a port of this range */
};

struct check_result {
  bool done;
  enum uc_state state;
  enum uc_outcome outcome;
  enum uc_verdict verdict;
  char *reason;  /* allocated (check_reason_set), NULL: none yet; read it with check_reason().
                    Not a buffer: a 1,000-host plan's checks carried 14 MB of them, mostly
                    empty until the end */
  double rtt_ms; /* < 0: none measured */
  unsigned attempts;
  json_t *evidence; /* object or NULL */
  bool listener;    /* the answer carried the ucscan listener token */
  /* An interrupted scan (scanner/results.c): */
  bool partial; /* a range cut short: done, judged on the ports probed so far */
  bool started; /* not done, but its probing had begun (else never reached) */
};

/* Sets the result's reason, printf-style, cut at UC_REASON_MAX bytes; the result owns it. */
void check_reason_set(struct check_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The result's reason, or "" when it has none. */
const char *check_reason(const struct check_result *res);
/* Frees what a result holds (its reason, its evidence) and empties them: for a check that is
 * not part of a plan (plan_free does it for the plan's). */
void check_result_clear(struct check_result *res);

struct plan_check {
  uint16_t first, last; /* a single port has first == last and !is_range */
  bool is_range;
  enum uc_transport transport;
  size_t target;           /* index into the host's targets: where the check is probed */
  enum uc_iface iface;     /* the Edge interface of every requirement, or UC_IF_NONE (off the Edge,
                              or requirements of several interfaces on one address) */
  unsigned from;           /* vantages entitled to test the check: union of its probeable rows' */
  enum uc_proto protocol;  /* most demanding among the probeable requirements */
  const char *application; /* e.g. "sip", from the row that set the protocol */
  const struct probe_choice *proto; /* what the port means (probes/registry.h): what the
                                       scanner asks, what the listener answers */
  struct plan_req *reqs;
  size_t nreqs;
  bool probe;        /* false: reported skip with skip_reason */
  bool optional;     /* every probeable requirement is optional */
  char *skip_reason; /* !probe: why (allocated; plan_free frees it); else NULL. A pointer, not
                       a buffer: every check of a 1,000-host plan carried 256 unused bytes */
  struct check_result res;
  struct range_result *range; /* is_range only */
};

/* Ports of a target that range checks need, per transport, merged. */
struct plan_span {
  enum uc_transport transport;
  uint16_t first, last;
};

/* Where checks are probed: a host's address (or its name, resolved), or one of an Edge's
 * interfaces (contract v2). Interfaces given the same address or name share one target.
 * The engine resolves only targets that have a check to probe (split-brain DNS: a scan from
 * the server network must not even ask for the external names of rows it skips). */
struct plan_target {
  const char *spec; /* address literal or name; NULL: the topology gave no address for the
                       interfaces in `ifaces`, and their checks are skipped */
  bool literal;     /* spec is an address literal */
  unsigned ifaces;  /* bit (1u << enum uc_iface) per interface it stands for; 0: the host's
                       own address */
  bool probe;       /* a check of this target is probed */
  struct sockaddr_storage addr; /* filled by resolution */
  bool resolved;
  char addr_text[64];
  char resolve_error[160]; /* set when the name did not resolve */
  struct plan_span *spans;
  size_t nspans;
};

struct plan_host {
  const char *name;
  const char *pool;
  const char *address; /* literal from the topology, or NULL */
  const char **roles;
  size_t nroles;
  struct plan_target *targets; /* [0] is the host's own address or name */
  size_t ntargets;
  struct plan_check *checks; /* sorted by target, then port: each target's are contiguous */
  size_t nchecks;
};

struct plan {
  const char *topology;
  const char *product;
  enum uc_vantage vantage; /* where the scan runs: rows it cannot test are skipped */
  struct plan_host *hosts;
  size_t nhosts;
};

/* Checks for every host of the topology from the catalog rows of `product` that its roles
 * take, as a scan from `vantage` sees them: a row that vantage cannot test is skipped with a
 * reason naming the vantage that can. An lb-* VIP satisfies a row's when_role when it holds
 * the role or a host of its pool does (a host whose "pool" is the VIP's name or pool). */
int plan_build(struct plan *p, const struct topology *t, const struct catalog *c,
               const char *product, enum uc_vantage vantage, struct uc_err *err);
/* plan_build from every vantage (UC_V_ANY). */
int plan_from_catalog(struct plan *p, const struct topology *t, const struct catalog *c,
                      const char *product, struct uc_err *err);
int plan_from_ports(struct plan *p, const struct topology *t, const struct port_item *items,
                    size_t n, const char *product, struct uc_err *err);
void plan_free(struct plan *p);

/* How many probes the plan needs at least (progress total): one per single check, one
 * per port of every span. */
uint64_t plan_probe_count(const struct plan *p);

/* The check's target. */
const struct plan_target *plan_check_target(const struct plan_host *h, const struct plan_check *c);
/* Whether one of t's spans of transport tr holds port (a range check needs its answer). */
bool plan_target_spans(const struct plan_target *t, enum uc_transport tr, uint16_t port);
/* Where the check was (or would be) probed, as text: the resolved address, the address
 * literal, or NULL when neither is known. */
const char *plan_target_address(const struct plan_target *t);
/* The name a server at the target answers to (TLS SNI, certificate names, SIP and XMPP
 * domains): an interface given by name is that name (sip.contoso.com on the Access Edge),
 * anything else the host's name. */
const char *plan_target_name(const struct plan_host *h, const struct plan_target *t);
/* The address to show for a host as a whole: its own target's, else its first interface's
 * that is known, else NULL. */
const char *plan_host_address(const struct plan_host *h);

int port_list_add(struct port_list *l, uint16_t port);
void port_list_sort(struct port_list *l);
void port_list_free(struct port_list *l);

#endif
