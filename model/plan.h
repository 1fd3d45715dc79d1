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
  char reason[UC_REASON_MAX];
  double rtt_ms; /* < 0: none measured */
  unsigned attempts;
  json_t *evidence; /* object or NULL */
  bool listener;    /* the answer carried the ucscan listener token */
  /* An interrupted scan (scanner/results.c): */
  bool partial; /* a range cut short: done, judged on the ports probed so far */
  bool started; /* not done, but its probing had begun (else never reached) */
};

struct plan_check {
  uint16_t first, last; /* a single port has first == last and !is_range */
  bool is_range;
  enum uc_transport transport;
  enum uc_proto protocol;  /* most demanding among the probeable requirements */
  const char *application; /* e.g. "sip", from the row that set the protocol */
  struct plan_req *reqs;
  size_t nreqs;
  bool probe;    /* false: reported skip with skip_reason */
  bool optional; /* every probeable requirement is optional */
  char skip_reason[UC_REASON_MAX];
  struct check_result res;
  struct range_result *range; /* is_range only */
};

/* Ports of a host that range checks need, per transport, merged. */
struct plan_span {
  enum uc_transport transport;
  uint16_t first, last;
};

struct plan_host {
  const char *name;
  const char *pool;
  const char *address; /* literal from the topology, or NULL */
  const char **roles;
  size_t nroles;
  struct sockaddr_storage addr; /* filled by resolution */
  bool resolved;
  char addr_text[64];
  char resolve_error[160]; /* set when the name did not resolve */
  struct plan_check *checks;
  size_t nchecks;
  struct plan_span *spans;
  size_t nspans;
};

struct plan {
  const char *topology;
  const char *product;
  struct plan_host *hosts;
  size_t nhosts;
};

int plan_from_catalog(struct plan *p, const struct topology *t, const struct catalog *c,
                      const char *product, struct uc_err *err);
int plan_from_ports(struct plan *p, const struct topology *t, const struct port_item *items,
                    size_t n, const char *product, struct uc_err *err);
void plan_free(struct plan *p);

/* How many probes the plan needs at least (progress total): one per single check, one
 * per port of every span. */
uint64_t plan_probe_count(const struct plan *p);

int port_list_add(struct port_list *l, uint16_t port);
void port_list_sort(struct port_list *l);
void port_list_free(struct port_list *l);

#endif
