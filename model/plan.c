/* model/plan.c - merging catalog rows into checks, per contract. */
#include "model/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int port_list_add(struct port_list *l, uint16_t port)
{
  if (l->n == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 64;
    uint16_t *nv = realloc(l->v, ncap * sizeof(*nv));
    if (!nv)
      return -1;
    l->v = nv;
    l->cap = ncap;
  }
  l->v[l->n++] = port;
  return 0;
}

static int cmp_u16(const void *a, const void *b)
{
  uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
  return (x > y) - (x < y);
}

void port_list_sort(struct port_list *l)
{
  if (l->n > 1)
    qsort(l->v, l->n, sizeof(*l->v), cmp_u16);
}

void port_list_free(struct port_list *l)
{
  free(l->v);
  memset(l, 0, sizeof(*l));
}

static int cmp_checks(const void *a, const void *b)
{
  const struct plan_check *x = a, *y = b;
  if (x->target != y->target)
    return x->target < y->target ? -1 : 1;
  if (x->first != y->first)
    return x->first < y->first ? -1 : 1;
  if (x->is_range != y->is_range)
    return x->is_range ? 1 : -1;
  if (x->transport != y->transport)
    return x->transport < y->transport ? -1 : 1;
  return (x->last > y->last) - (x->last < y->last);
}

static struct plan_check *find_or_add(struct plan_host *h, size_t *cap, size_t target,
                                      uint16_t first, uint16_t last, bool is_range,
                                      enum uc_transport t)
{
  for (size_t i = 0; i < h->nchecks; i++) {
    struct plan_check *c = &h->checks[i];
    if (c->target == target && c->first == first && c->last == last && c->is_range == is_range &&
        c->transport == t)
      return c;
  }
  if (h->nchecks == *cap) {
    size_t ncap = *cap ? *cap * 2 : 32;
    struct plan_check *nv = realloc(h->checks, ncap * sizeof(*nv));
    if (!nv)
      return NULL;
    h->checks = nv;
    *cap = ncap;
  }
  struct plan_check *c = &h->checks[h->nchecks++];
  memset(c, 0, sizeof(*c));
  c->target = target;
  c->first = first;
  c->last = last;
  c->is_range = is_range;
  c->transport = t;
  c->res.rtt_ms = -1;
  return c;
}

static int add_req(struct plan_check *c, const struct cat_row *row, const char *role)
{
  for (size_t i = 0; i < c->nreqs; i++)
    if (c->reqs[i].row == row)
      return 0; /* the same row through a second role of the host */
  struct plan_req *nv = realloc(c->reqs, (c->nreqs + 1) * sizeof(*nv));
  if (!nv)
    return -1;
  c->reqs = nv;
  c->reqs[c->nreqs].row = row;
  c->reqs[c->nreqs].role = role;
  c->nreqs++;
  return 0;
}

static bool same_name(const char *a, const char *b)
{
  return a && b && strcasecmp(a, b) == 0;
}

static bool is_lb_host(const struct topo_host *th)
{
  for (size_t i = 0; i < th->nroles; i++)
    if (strncmp(th->roles[i], "lb-", 3) == 0)
      return true;
  return false;
}

/* A hardware load balancer VIP stands for its pool: a role held by a pool member counts
 * (a Front End pool that also runs Mediation makes its VIP take the 5070 row). Members are
 * the hosts whose "pool" is the VIP's name or pool. */
static bool holds_role(const struct topology *t, const struct topo_host *th, const char *role)
{
  if (topo_has_role(th, role))
    return true;
  if (!is_lb_host(th))
    return false;
  for (size_t i = 0; i < t->nhosts; i++) {
    const struct topo_host *m = &t->hosts[i];
    if (m != th && (same_name(m->pool, th->name) || same_name(m->pool, th->pool)) &&
        topo_has_role(m, role))
      return true;
  }
  return false;
}

/* The host's role through which `row` applies, or NULL. */
static const char *row_role_for(const struct cat_row *row, const struct topology *t,
                                const struct topo_host *th)
{
  if (row->when_role && !holds_role(t, th, row->when_role))
    return NULL;
  for (size_t i = 0; i < th->nroles; i++)
    if (cat_row_has_role(row, th->roles[i]))
      return th->roles[i];
  return NULL;
}

static bool row_probeable(const struct cat_row *r)
{
  return r->probe && (r->direction == CAT_INBOUND || r->direction == CAT_BOTH);
}

/* Protocol seen on one transport of a row: a TCP/UDP media row is rtp on both, a row
 * that names a TCP protocol and lists UDP too is plain udp on the UDP side. */
static enum uc_proto row_proto_on(const struct cat_row *r, enum uc_transport t)
{
  if (t == UC_UDP) {
    switch (r->protocol) {
    case UC_P_STUN:
    case UC_P_SQL_BROWSER:
    case UC_P_RTP:
    case UC_P_UDP:
    case UC_P_DHCP:
    case UC_P_IPSEC:
      return r->protocol;
    default:
      return UC_P_UDP;
    }
  }
  if (r->protocol == UC_P_UDP || r->protocol == UC_P_SQL_BROWSER)
    return UC_P_TCP;
  return r->protocol;
}

/* "a scan from the Internet (--from internet)", or for several vantages "a scan from the
 * server network or the client network (--from servers, clients)". */
static void vantage_list(unsigned from, char *buf, size_t cap)
{
  char names[120] = "";
  size_t used = 0, nused = 0;
  int n = 0;
  for (int v = UC_V_ANY + 1; v < UC_VANTAGE_COUNT; v++) {
    if (!(from & (1u << v)))
      continue;
    const char *phrase = uc_vantage_phrase((enum uc_vantage)v);
    if (n > 0)
      phrase += strlen("a scan from "); /* "... or the client network" */
    if (used < cap)
      used += (size_t)snprintf(buf + used, cap - used, "%s%s", n ? " or " : "", phrase);
    if (nused < sizeof(names))
      nused += (size_t)snprintf(names + nused, sizeof(names) - nused, "%s%s", n ? ", " : "",
                                uc_vantage_name((enum uc_vantage)v));
    n++;
  }
  if (used < cap)
    snprintf(buf + used, cap - used, " (--from %s)", names);
}

/* Replaces *slot with the formatted text, cut at UC_REASON_MAX; NULL when memory ran out (no
 * reason, never a stale one). */
static void set_text(char **slot, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void set_text(char **slot, const char *fmt, va_list ap)
{
  char buf[UC_REASON_MAX];
  vsnprintf(buf, sizeof(buf), fmt, ap);
  free(*slot);
  *slot = strdup(buf);
}

void check_reason_set(struct check_result *res, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  set_text(&res->reason, fmt, ap);
  va_end(ap);
}

const char *check_reason(const struct check_result *res)
{
  return res->reason ? res->reason : "";
}

void check_result_clear(struct check_result *res)
{
  free(res->reason);
  res->reason = NULL;
  json_decref(res->evidence);
  res->evidence = NULL;
}

/* Says why the check is not probed (printf-style); the reason is cut at UC_REASON_MAX. */
static void set_skip(struct plan_check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_skip(struct plan_check *c, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  set_text(&c->skip_reason, fmt, ap);
  va_end(ap);
}

static void skip_unaddressed(struct plan_check *c, const struct plan_target *tg)
{
  for (int f = UC_IF_NONE + 1; f < UC_IF_COUNT; f++) {
    if (tg->ifaces & (1u << f)) {
      set_skip(c,
               "no address for the Edge's %s interface: give it in the topology "
               "(\"interfaces\": {\"%s\": ADDRESS})",
               uc_iface_name((enum uc_iface)f), uc_iface_name((enum uc_iface)f));
      return;
    }
  }
}

/* Says why nothing is probed, from the first row. */
static void skip_unprobeable(struct plan_check *c)
{
  const struct cat_row *r = c->reqs[0].row;
  c->protocol = row_proto_on(r, c->transport);
  c->application = r->application;
  if (!r->probe)
    set_skip(c, "%s", r->skip_reason);
  else if (r->direction == CAT_OUTBOUND)
    set_skip(c, "outbound from %s to %s (%s): not testable from this vantage", c->reqs[0].role,
             r->peer, r->service);
  else
    set_skip(c, "%s: not a connection to probe", r->service);
}

/* The check's interface: its requirements' one interface, or none when they differ. */
static enum uc_iface common_iface(const struct plan_check *c)
{
  enum uc_iface f = c->nreqs ? c->reqs[0].row->iface : UC_IF_NONE;
  for (size_t i = 1; i < c->nreqs; i++)
    if (c->reqs[i].row->iface != f)
      return UC_IF_NONE;
  return f;
}

static void settle_check(struct plan_check *c, const struct plan_target *tg, enum uc_vantage v)
{
  int best = -2, best_any = -2;
  bool any_mandatory = false;
  c->iface = common_iface(c);
  for (size_t i = 0; i < c->nreqs; i++) {
    const struct cat_row *r = c->reqs[i].row;
    if (!row_probeable(r))
      continue;
    c->from |= r->from;
    enum uc_proto p = row_proto_on(r, c->transport);
    if (!cat_row_from(r, v)) {
      if (best < -1 && uc_proto_rank(p) > best_any) { /* what a scan from there would probe */
        best_any = uc_proto_rank(p);
        c->protocol = p;
        c->application = r->application;
      }
      continue;
    }
    if (uc_proto_rank(p) > best) {
      best = uc_proto_rank(p);
      c->protocol = p;
      c->application = r->application;
    }
    if (!r->optional)
      any_mandatory = true;
  }
  if (best > -2 && tg->spec) {
    c->probe = true;
    c->optional = !any_mandatory;
    return;
  }
  c->probe = false;
  if (best > -2) {
    skip_unaddressed(c, tg);
  } else if (best_any > -2) {
    char who[200];
    vantage_list(c->from, who, sizeof(who));
    set_skip(c, "not testable from %s: needs %s", uc_vantage_phrase(v) + strlen("a scan from "),
             who);
  } else {
    skip_unprobeable(c);
  }
}

/* Union of the probeable range checks of each target, per transport. */
static int build_spans(struct plan_host *h)
{
  for (size_t ti = 0; ti < h->ntargets; ti++) {
    struct plan_target *tg = &h->targets[ti];
    for (int t = 0; t < UC_TRANSPORT_COUNT; t++) {
      struct plan_span *last = NULL;
      /* checks are sorted by target, then first port, so one pass merges. */
      for (size_t i = 0; i < h->nchecks; i++) {
        struct plan_check *c = &h->checks[i];
        if (c->target != ti || !c->is_range || !c->probe || c->transport != (enum uc_transport)t)
          continue;
        if (last && c->first <= (unsigned)last->last + 1) {
          if (c->last > last->last)
            last->last = c->last;
          continue;
        }
        struct plan_span *nv = realloc(tg->spans, (tg->nspans + 1) * sizeof(*nv));
        if (!nv)
          return -1;
        tg->spans = nv;
        last = &tg->spans[tg->nspans++];
        last->transport = (enum uc_transport)t;
        last->first = c->first;
        last->last = c->last;
      }
    }
  }
  return 0;
}

static int finish_host(struct plan_host *h)
{
  if (h->nchecks) { /* qsort(NULL, 0, ...) is undefined (UBSan says so) */
    qsort(h->checks, h->nchecks, sizeof(*h->checks), cmp_checks);
    /* no check is added after this: give back the doubling's spare room */
    struct plan_check *fit = realloc(h->checks, h->nchecks * sizeof(*h->checks));
    if (fit)
      h->checks = fit;
  }
  for (size_t i = 0; i < h->nchecks; i++) {
    struct plan_check *c = &h->checks[i];
    c->proto = c->is_range ? probe_range(c->transport)
                           : probe_lookup(c->transport, c->protocol, c->application);
    if (c->probe)
      h->targets[c->target].probe = true;
    if (c->is_range) {
      c->range = calloc(1, sizeof(*c->range));
      if (!c->range)
        return -1;
    }
  }
  return build_spans(h);
}

static int add_target(struct plan_host *h, const char *spec, unsigned ifaces)
{
  for (size_t i = 0; i < h->ntargets; i++) {
    struct plan_target *tg = &h->targets[i];
    if ((spec && same_name(tg->spec, spec)) || (!spec && !tg->spec && tg->ifaces == ifaces)) {
      tg->ifaces |= ifaces;
      return 0;
    }
  }
  struct plan_target *nv = realloc(h->targets, (h->ntargets + 1) * sizeof(*nv));
  if (!nv)
    return -1;
  h->targets = nv;
  struct plan_target *tg = &h->targets[h->ntargets++];
  memset(tg, 0, sizeof(*tg));
  tg->spec = spec;
  tg->literal = spec && topo_address_family(spec) != 0;
  tg->ifaces = ifaces;
  return 0;
}

/* targets[0]: the host's address or name; then one per distinct interface address, and one
 * per interface the topology leaves out (its rows are skipped). */
static int host_targets(struct plan_host *h, const struct topo_host *th)
{
  if (add_target(h, th->address ? th->address : th->name, 0) < 0)
    return -1;
  if (!th->has_ifaces)
    return 0;
  for (int f = UC_IF_NONE + 1; f < UC_IF_COUNT; f++)
    if (add_target(h, th->ifaces[f], 1u << f) < 0)
      return -1;
  return 0;
}

/* Where a row of host th is probed: its interface's target; a row of no interface on an
 * Edge given only by interfaces goes to the internal one (the server's own side). */
static size_t row_target(const struct plan_host *h, const struct topo_host *th,
                         const struct cat_row *row)
{
  enum uc_iface f = row->iface;
  if (!th->has_ifaces)
    return 0;
  if (f == UC_IF_NONE && !th->address && th->ifaces[UC_IF_INTERNAL])
    f = UC_IF_INTERNAL;
  if (f == UC_IF_NONE)
    return 0;
  for (size_t i = 0; i < h->ntargets; i++)
    if (h->targets[i].ifaces & (1u << f))
      return i;
  return 0;
}

static int init_hosts(struct plan *p, const struct topology *t, const char *product,
                      enum uc_vantage vantage)
{
  memset(p, 0, sizeof(*p));
  p->topology = t->name;
  p->product = product;
  p->vantage = vantage;
  p->hosts = calloc(t->nhosts ? t->nhosts : 1, sizeof(*p->hosts));
  if (!p->hosts)
    return -1;
  p->nhosts = t->nhosts;
  for (size_t i = 0; i < t->nhosts; i++) {
    struct plan_host *h = &p->hosts[i];
    h->name = t->hosts[i].name;
    h->pool = t->hosts[i].pool;
    h->address = t->hosts[i].address;
    h->roles = t->hosts[i].roles;
    h->nroles = t->hosts[i].nroles;
    if (host_targets(h, &t->hosts[i]) < 0)
      return -1;
  }
  return 0;
}

static int host_rows(struct plan_host *h, const struct topology *t, const struct topo_host *th,
                     const struct catalog *c, const char *product)
{
  size_t cap = 0;
  for (size_t k = 0; k < c->nrows; k++) {
    const struct cat_row *row = &c->rows[k];
    if (!cat_row_in_product(row, product))
      continue;
    const char *role = row_role_for(row, t, th);
    if (!role)
      continue;
    size_t target = row_target(h, th, row);
    for (int tr = 0; tr < UC_TRANSPORT_COUNT; tr++) {
      if (!(row->transports & (1u << tr)))
        continue;
      struct plan_check *ck =
          find_or_add(h, &cap, target, row->first, row->last, row->is_range, (enum uc_transport)tr);
      if (!ck || add_req(ck, row, role) < 0)
        return -1;
    }
  }
  return 0;
}

int plan_build(struct plan *p, const struct topology *t, const struct catalog *c,
               const char *product, enum uc_vantage vantage, struct uc_err *err)
{
  if (init_hosts(p, t, product, vantage) < 0)
    goto oom;
  for (size_t i = 0; i < t->nhosts; i++) {
    struct plan_host *h = &p->hosts[i];
    if (host_rows(h, t, &t->hosts[i], c, product) < 0)
      goto oom;
    for (size_t k = 0; k < h->nchecks; k++)
      settle_check(&h->checks[k], &h->targets[h->checks[k].target], vantage);
    if (finish_host(h) < 0)
      goto oom;
  }
  return 0;
oom:
  plan_free(p);
  return uc_err_set(err, "plan", 0, 0, "out of memory");
}

int plan_from_catalog(struct plan *p, const struct topology *t, const struct catalog *c,
                      const char *product, struct uc_err *err)
{
  return plan_build(p, t, c, product, UC_V_ANY, err);
}

int plan_from_ports(struct plan *p, const struct topology *t, const struct port_item *items,
                    size_t n, const char *product, struct uc_err *err)
{
  if (init_hosts(p, t, product, UC_V_ANY) < 0)
    goto oom;
  for (size_t i = 0; i < t->nhosts; i++) {
    struct plan_host *h = &p->hosts[i];
    size_t cap = 0;
    for (size_t k = 0; k < n; k++) {
      struct plan_check *ck = find_or_add(h, &cap, 0, items[k].first, items[k].last,
                                          items[k].is_range, items[k].transport);
      if (!ck)
        goto oom;
      ck->probe = true;
      ck->protocol = items[k].transport == UC_TCP ? UC_P_TCP : UC_P_UDP;
    }
    if (finish_host(h) < 0)
      goto oom;
  }
  return 0;
oom:
  plan_free(p);
  return uc_err_set(err, "plan", 0, 0, "out of memory");
}

void plan_free(struct plan *p)
{
  if (!p)
    return;
  for (size_t i = 0; i < p->nhosts; i++) {
    struct plan_host *h = &p->hosts[i];
    for (size_t k = 0; k < h->nchecks; k++) {
      struct plan_check *c = &h->checks[k];
      free(c->reqs);
      free(c->skip_reason);
      check_result_clear(&c->res);
      if (c->range) {
        port_list_free(&c->range->filtered_ports);
        port_list_free(&c->range->open_ports);
        free(c->range);
      }
    }
    free(h->checks);
    for (size_t k = 0; k < h->ntargets; k++)
      free(h->targets[k].spans);
    free(h->targets);
  }
  free(p->hosts);
  memset(p, 0, sizeof(*p));
}

uint64_t plan_probe_count(const struct plan *p)
{
  uint64_t n = 0;
  for (size_t i = 0; i < p->nhosts; i++) {
    const struct plan_host *h = &p->hosts[i];
    for (size_t k = 0; k < h->nchecks; k++)
      if (h->checks[k].probe && !h->checks[k].is_range)
        n++;
    for (size_t t = 0; t < h->ntargets; t++)
      for (size_t k = 0; k < h->targets[t].nspans; k++)
        n += (uint64_t)h->targets[t].spans[k].last - h->targets[t].spans[k].first + 1;
  }
  return n;
}

const struct plan_target *plan_check_target(const struct plan_host *h, const struct plan_check *c)
{
  return &h->targets[c->target];
}

bool plan_target_spans(const struct plan_target *t, enum uc_transport tr, uint16_t port)
{
  for (size_t k = 0; k < t->nspans; k++)
    if (t->spans[k].transport == tr && port >= t->spans[k].first && port <= t->spans[k].last)
      return true;
  return false;
}

const char *plan_target_address(const struct plan_target *t)
{
  if (t->resolved)
    return t->addr_text;
  return t->literal ? t->spec : NULL;
}

const char *plan_target_name(const struct plan_host *h, const struct plan_target *t)
{
  return t->spec && !t->literal && t->ifaces ? t->spec : h->name;
}

const char *plan_host_address(const struct plan_host *h)
{
  for (size_t i = 0; i < h->ntargets; i++) {
    const char *a = plan_target_address(&h->targets[i]);
    if (a)
      return a;
  }
  return NULL;
}
