/* listen/plan.h - which ports a listener opens: every probeable inbound port of a host's
 * roles, exactly as a scan of that host would check them.
 *
 * The list is derived from the scanner's plan (model/plan.h), so the row rules are the
 * same by construction: product, roles, when_role, direction inbound or both, probe true.
 * Checks that land on the same (port, transport) already merged there; ranges are expanded
 * here to one entry per port, and where a range port is also a single check (or two ranges
 * overlap) the most demanding protocol wins (uc_proto_rank), the single check on a tie.
 * Entries are sorted by transport (TCP first), then port. */
#ifndef UC_LISTEN_PLAN_H
#define UC_LISTEN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "common/err.h"
#include "common/uc.h"
#include "model/plan.h"

struct listen_port {
  uint16_t port;
  enum uc_transport transport;
  enum uc_proto protocol;           /* expected protocol of the check (rtp for range ports) */
  const struct probe_choice *proto; /* the check's row: TLS, client certificate, responder */
  bool in_range;                    /* comes from a port range (tables print runs of these) */
};

struct listen_plan {
  struct listen_port *v;
  size_t n;
  size_t ntcp, nudp;
};

/* The ports of one planned host (its probeable checks). Returns 0, or -1 with *err set. */
int listen_plan_from_host(struct listen_plan *lp, const struct plan_host *h, struct uc_err *err);
/* The ports of a host holding `roles` ("mediation" or "front-end,mediation") under
 * `product`. Role names are checked against the catalog (an unknown one is an error).
 * lp points into nothing of `cat`. */
int listen_plan_for_roles(struct listen_plan *lp, const struct catalog *cat, const char *product,
                          const char *roles, struct uc_err *err);
/* The same for one interface of an Edge Server (roles must include edge): the rows of that
 * interface only, as a scan of that interface's address checks them. UC_IF_NONE: every row
 * (listen_plan_for_roles). */
int listen_plan_for_interface(struct listen_plan *lp, const struct catalog *cat,
                              const char *product, const char *roles, enum uc_iface iface,
                              struct uc_err *err);
/* The entry for (port, transport), or NULL. */
const struct listen_port *listen_plan_find(const struct listen_plan *lp, uint16_t port,
                                           enum uc_transport t);
void listen_plan_free(struct listen_plan *lp);

#endif
