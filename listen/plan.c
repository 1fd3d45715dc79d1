/* listen/plan.c - a host's planned checks turned into the ports a listener opens. */
#include "listen/plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/topology.h"

static int cmp_port(const void *a, const void *b)
{
  const struct listen_port *x = a, *y = b;
  if (x->transport != y->transport)
    return x->transport < y->transport ? -1 : 1;
  if (x->port != y->port)
    return x->port < y->port ? -1 : 1;
  /* Same port: the one to keep first (higher rank, then single before range). */
  int rx = uc_proto_rank(x->protocol), ry = uc_proto_rank(y->protocol);
  if (rx != ry)
    return rx > ry ? -1 : 1;
  return (int)x->in_range - (int)y->in_range;
}

/* A check whose rows all say "ports": "any" names no port a listener could open. */
static bool check_any_port(const struct plan_check *c)
{
  for (size_t i = 0; i < c->nreqs; i++)
    if (!c->reqs[i].row->any_port)
      return false;
  return c->nreqs > 0;
}

/* The checks a listener answers: probed, on a port, of a protocol; on one target only when
 * `target` is not SIZE_MAX. */
static bool listened(const struct plan_check *c, size_t target)
{
  return c->probe && !check_any_port(c) && uc_proto_rank(c->protocol) >= 0 &&
         (target == SIZE_MAX || c->target == target);
}

static int from_host(struct listen_plan *lp, const struct plan_host *h, size_t target,
                     struct uc_err *err)
{
  memset(lp, 0, sizeof(*lp));
  size_t total = 0;
  for (size_t i = 0; i < h->nchecks; i++) {
    const struct plan_check *c = &h->checks[i];
    if (listened(c, target))
      total += c->is_range ? (size_t)(c->last - c->first) + 1 : 1;
  }
  lp->v = calloc(total ? total : 1, sizeof(*lp->v));
  if (!lp->v)
    return uc_err_set(err, "listen", 0, 0, "out of memory");
  size_t n = 0;
  for (size_t i = 0; i < h->nchecks; i++) {
    const struct plan_check *c = &h->checks[i];
    if (!listened(c, target))
      continue;
    for (uint32_t p = c->first; p <= c->last; p++) {
      struct listen_port *e = &lp->v[n++];
      e->port = (uint16_t)p;
      e->transport = c->transport;
      e->protocol = c->protocol;
      e->proto = c->proto;
      e->in_range = c->is_range;
    }
  }
  qsort(lp->v, n, sizeof(*lp->v), cmp_port);
  /* Keep the first of every (transport, port): the sort put the winner there. */
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (k && lp->v[k - 1].transport == lp->v[i].transport && lp->v[k - 1].port == lp->v[i].port)
      continue;
    lp->v[k++] = lp->v[i];
  }
  lp->n = k;
  for (size_t i = 0; i < k; i++) {
    if (lp->v[i].transport == UC_TCP)
      lp->ntcp++;
    else
      lp->nudp++;
  }
  return 0;
}

int listen_plan_from_host(struct listen_plan *lp, const struct plan_host *h, struct uc_err *err)
{
  return from_host(lp, h, SIZE_MAX, err);
}

int listen_plan_for_roles(struct listen_plan *lp, const struct catalog *cat, const char *product,
                          const char *roles, struct uc_err *err)
{
  return listen_plan_for_interface(lp, cat, product, roles, UC_IF_NONE, err);
}

int listen_plan_for_interface(struct listen_plan *lp, const struct catalog *cat,
                              const char *product, const char *roles, enum uc_iface iface,
                              struct uc_err *err)
{
  static const char *const names[UC_IF_COUNT] = {NULL, "internal.invalid", "access.invalid",
                                                 "webconf.invalid", "av.invalid"};
  struct topology topo;
  struct plan plan;
  memset(lp, 0, sizeof(*lp));
  if (!catalog_product(cat, product))
    return uc_err_set(err, "--product", 0, 0, "unknown product \"%s\" (sfb2015 or lync2013)",
                      product);
  /* One host that holds the roles; its name plays no part in which ports it needs. */
  if (topo_from_targets(&topo, "localhost", roles, cat, err) < 0)
    return -1;
  if (iface != UC_IF_NONE) {
    if (!topo_has_role(&topo.hosts[0], "edge")) {
      topo_free(&topo);
      return uc_err_set(err, "--interface", 0, 0,
                        "an interface is an Edge Server's: --role must include edge");
    }
    /* every interface on a name of its own, so that each one's rows stay apart */
    topo.hosts[0].has_ifaces = true;
    for (int f = UC_IF_NONE + 1; f < UC_IF_COUNT; f++)
      topo.hosts[0].ifaces[f] = names[f];
  }
  if (plan_from_catalog(&plan, &topo, cat, product, err) < 0) {
    topo_free(&topo);
    return -1;
  }
  size_t target = SIZE_MAX;
  for (size_t t = 0; iface != UC_IF_NONE && t < plan.hosts[0].ntargets; t++)
    if (plan.hosts[0].targets[t].ifaces & (1u << iface))
      target = t;
  int rc = from_host(lp, &plan.hosts[0], target, err);
  plan_free(&plan);
  topo_free(&topo);
  return rc;
}

const struct listen_port *listen_plan_find(const struct listen_plan *lp, uint16_t port,
                                           enum uc_transport t)
{
  size_t lo = 0, hi = lp->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct listen_port *e = &lp->v[mid];
    if (e->transport == t && e->port == port)
      return e;
    if (e->transport < t || (e->transport == t && e->port < port))
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

void listen_plan_free(struct listen_plan *lp)
{
  if (!lp)
    return;
  free(lp->v);
  memset(lp, 0, sizeof(*lp));
}
