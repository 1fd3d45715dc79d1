/* model/plan.c - merging catalog rows into checks, per contract. */
#include "model/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  if (x->first != y->first)
    return x->first < y->first ? -1 : 1;
  if (x->is_range != y->is_range)
    return x->is_range ? 1 : -1;
  if (x->transport != y->transport)
    return x->transport < y->transport ? -1 : 1;
  return (x->last > y->last) - (x->last < y->last);
}

static struct plan_check *find_or_add(struct plan_host *h, size_t *cap, uint16_t first,
                                      uint16_t last, bool is_range, enum uc_transport t)
{
  for (size_t i = 0; i < h->nchecks; i++) {
    struct plan_check *c = &h->checks[i];
    if (c->first == first && c->last == last && c->is_range == is_range && c->transport == t)
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

/* The host's role through which `row` applies, or NULL. */
static const char *row_role_for(const struct cat_row *row, const struct topo_host *th)
{
  if (row->when_role && !topo_has_role(th, row->when_role))
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

static void settle_check(struct plan_check *c)
{
  int best = -2;
  bool any_mandatory = false;
  for (size_t i = 0; i < c->nreqs; i++) {
    const struct cat_row *r = c->reqs[i].row;
    if (!row_probeable(r))
      continue;
    enum uc_proto p = row_proto_on(r, c->transport);
    if (uc_proto_rank(p) > best) {
      best = uc_proto_rank(p);
      c->protocol = p;
      c->application = r->application;
    }
    if (!r->optional)
      any_mandatory = true;
  }
  if (best > -2) {
    c->probe = true;
    c->optional = !any_mandatory;
    return;
  }
  /* Nothing to probe: say why, from the first row. */
  const struct cat_row *r = c->reqs[0].row;
  c->probe = false;
  c->protocol = row_proto_on(r, c->transport);
  c->application = r->application;
  if (!r->probe)
    snprintf(c->skip_reason, sizeof(c->skip_reason), "%s", r->skip_reason);
  else if (r->direction == CAT_OUTBOUND)
    snprintf(c->skip_reason, sizeof(c->skip_reason),
             "outbound from %s to %s (%s): not testable from this vantage", c->reqs[0].role,
             r->peer, r->service);
  else
    snprintf(c->skip_reason, sizeof(c->skip_reason), "%s: not a connection to probe", r->service);
}

/* Union of the probeable range checks of one host, per transport. */
static int build_spans(struct plan_host *h)
{
  for (int t = 0; t < UC_TRANSPORT_COUNT; t++) {
    /* checks are sorted by first port, so one pass merges. */
    for (size_t i = 0; i < h->nchecks; i++) {
      struct plan_check *c = &h->checks[i];
      if (!c->is_range || !c->probe || c->transport != (enum uc_transport)t)
        continue;
      struct plan_span *last = NULL;
      for (size_t k = h->nspans; k > 0; k--) {
        if (h->spans[k - 1].transport == (enum uc_transport)t) {
          last = &h->spans[k - 1];
          break;
        }
      }
      if (last && c->first <= (unsigned)last->last + 1) {
        if (c->last > last->last)
          last->last = c->last;
        continue;
      }
      struct plan_span *nv = realloc(h->spans, (h->nspans + 1) * sizeof(*nv));
      if (!nv)
        return -1;
      h->spans = nv;
      h->spans[h->nspans].transport = (enum uc_transport)t;
      h->spans[h->nspans].first = c->first;
      h->spans[h->nspans].last = c->last;
      h->nspans++;
    }
  }
  return 0;
}

static int finish_host(struct plan_host *h)
{
  qsort(h->checks, h->nchecks, sizeof(*h->checks), cmp_checks);
  for (size_t i = 0; i < h->nchecks; i++) {
    struct plan_check *c = &h->checks[i];
    if (c->is_range) {
      c->range = calloc(1, sizeof(*c->range));
      if (!c->range)
        return -1;
    }
  }
  return build_spans(h);
}

static int init_hosts(struct plan *p, const struct topology *t, const char *product)
{
  memset(p, 0, sizeof(*p));
  p->topology = t->name;
  p->product = product;
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
  }
  return 0;
}

int plan_from_catalog(struct plan *p, const struct topology *t, const struct catalog *c,
                      const char *product, struct uc_err *err)
{
  if (init_hosts(p, t, product) < 0)
    return uc_err_set(err, "plan", 0, 0, "out of memory");
  for (size_t i = 0; i < t->nhosts; i++) {
    struct plan_host *h = &p->hosts[i];
    size_t cap = 0;
    for (size_t k = 0; k < c->nrows; k++) {
      const struct cat_row *row = &c->rows[k];
      if (!cat_row_in_product(row, product))
        continue;
      const char *role = row_role_for(row, &t->hosts[i]);
      if (!role)
        continue;
      for (int tr = 0; tr < UC_TRANSPORT_COUNT; tr++) {
        if (!(row->transports & (1u << tr)))
          continue;
        struct plan_check *ck =
            find_or_add(h, &cap, row->first, row->last, row->is_range, (enum uc_transport)tr);
        if (!ck || add_req(ck, row, role) < 0) {
          plan_free(p);
          return uc_err_set(err, "plan", 0, 0, "out of memory");
        }
      }
    }
    for (size_t k = 0; k < h->nchecks; k++)
      settle_check(&h->checks[k]);
    if (finish_host(h) < 0) {
      plan_free(p);
      return uc_err_set(err, "plan", 0, 0, "out of memory");
    }
  }
  return 0;
}

int plan_from_ports(struct plan *p, const struct topology *t, const struct port_item *items,
                    size_t n, const char *product, struct uc_err *err)
{
  if (init_hosts(p, t, product) < 0)
    return uc_err_set(err, "plan", 0, 0, "out of memory");
  for (size_t i = 0; i < t->nhosts; i++) {
    struct plan_host *h = &p->hosts[i];
    size_t cap = 0;
    for (size_t k = 0; k < n; k++) {
      struct plan_check *ck = find_or_add(h, &cap, items[k].first, items[k].last, items[k].is_range,
                                          items[k].transport);
      if (!ck) {
        plan_free(p);
        return uc_err_set(err, "plan", 0, 0, "out of memory");
      }
      ck->probe = true;
      ck->protocol = items[k].transport == UC_TCP ? UC_P_TCP : UC_P_UDP;
    }
    if (finish_host(h) < 0) {
      plan_free(p);
      return uc_err_set(err, "plan", 0, 0, "out of memory");
    }
  }
  return 0;
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
      json_decref(c->res.evidence);
      if (c->range) {
        port_list_free(&c->range->filtered_ports);
        port_list_free(&c->range->open_ports);
        free(c->range);
      }
    }
    free(h->checks);
    free(h->spans);
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
    for (size_t k = 0; k < h->nspans; k++)
      n += (uint64_t)h->spans[k].last - h->spans[k].first + 1;
  }
  return n;
}
