/* model/topology.c - strict reading of the contract's topology file. */
#include "model/topology.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"

static const char *const root_keys[] = {"name", "product", "vantage", "hosts", NULL};
static const char *const root_required[] = {"hosts", NULL};
static const char *const host_keys[] = {"name", "address", "roles", "pool", "interfaces", NULL};
static const char *const iface_keys[] = {"internal", "access", "webconf", "av", NULL};
static const char *const host_required[] = {"name", "roles", NULL};

int topo_address_family(const char *s)
{
  unsigned char buf[16];
  if (inet_pton(AF_INET, s, buf) == 1)
    return 4;
  if (inet_pton(AF_INET6, s, buf) == 1)
    return 6;
  return 0;
}

int topo_address_problem(const char *s, char *why, size_t cap)
{
  unsigned char a6[16];
  struct in_addr a4;
  if (inet_pton(AF_INET, s, &a4) == 1) {
    uint32_t h = ntohl(a4.s_addr);
    const char *what = h == 0             ? "the unspecified address (this host, any address)"
                       : h == 0xffffffffu ? "the broadcast address"
                       : (h >> 28) == 0xe ? "a multicast address"
                       : (h >> 24) == 0   ? "in 0.0.0.0/8 (this network)"
                                          : NULL;
    if (!what)
      return 0;
    snprintf(why, cap, "\"%s\" is %s, not a host's", s, what);
    return 1;
  }
  if (inet_pton(AF_INET6, s, a6) == 1) {
    static const unsigned char any6[16];
    const char *what = memcmp(a6, any6, 16) == 0
                           ? "the unspecified address (this host, any address)"
                       : a6[0] == 0xff ? "a multicast address"
                                       : NULL;
    if (!what)
      return 0;
    snprintf(why, cap, "\"%s\" is %s, not a host's", s, what);
    return 1;
  }
  if (inet_aton(s, &a4) != 0) {
    char dq[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a4, dq, sizeof(dq));
    snprintf(why, cap,
             "\"%s\" would be read as the IPv4 address %s (leading zeros are octal, hex and "
             "fewer than four parts are accepted by the resolver): write the address as four "
             "decimal numbers",
             s, dq);
    return 1;
  }
  return 0;
}

int topo_valid_hostname(const char *s)
{
  size_t len = strlen(s), label = 0;
  if (len && s[len - 1] == '.')
    len--; /* an absolute name's trailing dot */
  if (len == 0 || len > 253)
    return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '.') {
      if (label == 0 || s[i - 1] == '-')
        return 0;
      label = 0;
      continue;
    }
    if (!(isalnum(ch) || ch == '-' || ch == '_'))
      return 0;
    if (label == 0 && ch == '-')
      return 0;
    if (++label > 63)
      return 0;
  }
  if (label == 0 || s[len - 1] == '-')
    return 0;
  /* No top-level domain is all digits (RFC 3696 2): "1.2.3.4.5" is a mistyped address, and
   * asking DNS for it only delays the error. */
  size_t last = len - label;
  while (last < len && isdigit((unsigned char)s[last]))
    last++;
  return last < len;
}

int topo_has_role(const struct topo_host *h, const char *role)
{
  for (size_t i = 0; i < h->nroles; i++)
    if (strcmp(h->roles[i], role) == 0)
      return 1;
  return 0;
}

/* Hash keys: "n:" and the name in lower case without a trailing dot; "a:" and the
 * address in its canonical text form (so 198.18.0.1 and ::ffff:... stay apart, but
 * 2001:db8::1 and 2001:DB8:0::1 meet). */
static void name_key(const char *name, char *key, size_t cap)
{
  size_t n = strlen(name);
  if (n && name[n - 1] == '.')
    n--;
  size_t o = (size_t)snprintf(key, cap, "n:");
  for (size_t i = 0; i < n && o + 1 < cap; i++)
    key[o++] = (char)tolower((unsigned char)name[i]);
  key[o < cap ? o : cap - 1] = '\0';
}

static bool address_key(const char *addr, char *key, size_t cap)
{
  unsigned char a[16];
  char text[INET6_ADDRSTRLEN];
  int fam = topo_address_family(addr);
  int af = fam == 4 ? AF_INET : AF_INET6;
  if (!fam || inet_pton(af, addr, a) != 1 || !inet_ntop(af, a, text, sizeof(text)))
    return false;
  snprintf(key, cap, "a:%s", text);
  return true;
}

/* Duplicates, found through hash keys (a 20,000-host file is checked at once, not
 * pairwise): remembers key -> i, and returns the index the key already had, or -1. */
static long seen_before(json_t *seen, const char *key, size_t i)
{
  json_t *k = json_object_get(seen, key);
  if (k)
    return (long)json_integer_value(k);
  json_object_set_new(seen, key, json_integer((json_int_t)i));
  return -1;
}

static int load_roles(const struct jdoc *d, struct jpath *p, json_t *arr, const struct catalog *cat,
                      struct topo_host *h, struct uc_err *err)
{
  jpath_key(p, "roles");
  if (!json_is_array(arr))
    return jdoc_error(d, p, 0, err, "\"roles\" must be an array of role ids");
  if (json_array_size(arr) == 0)
    return jdoc_error(d, p, 0, err, "\"roles\" is empty: a host needs at least one role");
  h->nroles = json_array_size(arr);
  h->roles = calloc(h->nroles, sizeof(*h->roles));
  if (!h->roles)
    return uc_err_set(err, d->source, 0, 0, "out of memory");
  for (size_t i = 0; i < h->nroles; i++) {
    json_t *v = json_array_get(arr, i);
    jpath_index(p, i);
    if (!json_is_string(v))
      return jdoc_error(d, p, 0, err, "a role must be a string");
    const char *r = json_string_value(v);
    if (!catalog_role(cat, r)) {
      char known[240] = "";
      size_t used = 0;
      for (size_t k = 0; k < cat->nroles && used + 1 < sizeof(known); k++) {
        int w =
            snprintf(known + used, sizeof(known) - used, "%s%s", k ? ", " : "", cat->roles[k].id);
        if (w < 0)
          break;
        used += (size_t)w;
      }
      return jdoc_error(d, p, 0, err, "unknown role \"%s\" (known roles: %s)", r, known);
    }
    for (size_t k = 0; k < i; k++)
      if (strcmp(h->roles[k], r) == 0)
        return jdoc_error(d, p, 0, err, "role \"%s\" listed twice", r);
    h->roles[i] = r;
    jpath_pop(p);
  }
  jpath_pop(p);
  return 0;
}

/* An address literal (checked as "address" is) or a host name, for an interface. */
static int check_target_spec(const struct jdoc *d, struct jpath *p, const char *what, const char *s,
                             struct uc_err *err)
{
  char why[300];
  if (topo_address_family(s)) {
    if (topo_address_problem(s, why, sizeof(why)))
      return jdoc_error(d, p, 0, err, "%s", why);
    return 0;
  }
  if (topo_address_problem(s, why, sizeof(why)))
    return jdoc_error(d, p, 0, err, "%s", why);
  if (!topo_valid_hostname(s))
    return jdoc_error(d, p, 0, err, "%s \"%s\" is neither an IPv4/IPv6 address nor a host name",
                      what, s);
  return 0;
}

/* "interfaces": {"internal": ..., "access": ..., "webconf": ..., "av": ...}, Edge hosts only. */
static int load_interfaces(const struct jdoc *d, struct jpath *p, json_t *obj, struct topo_host *h,
                           struct uc_err *err)
{
  json_t *ifs = json_object_get(obj, "interfaces");
  if (!ifs)
    return 0;
  jpath_key(p, "interfaces");
  if (!json_is_object(ifs))
    return jdoc_error(d, p, 0, err,
                      "\"interfaces\" must be an object: {\"internal\": ADDRESS, \"access\": "
                      "ADDRESS, \"webconf\": ADDRESS, \"av\": ADDRESS} (names allowed)");
  if (json_object_size(ifs) == 0)
    return jdoc_error(
        d, p, 0, err,
        "\"interfaces\" is empty: give at least one of internal, access, webconf, av");
  if (jdoc_check_keys(d, p, ifs, iface_keys, NULL, err) < 0)
    return -1;
  for (int i = UC_IF_NONE + 1; i < UC_IF_COUNT; i++) {
    const char *key = uc_iface_name((enum uc_iface)i);
    if (jdoc_get_string(d, p, ifs, key, 0, &h->ifaces[i], err) < 0)
      return -1;
    if (!h->ifaces[i])
      continue;
    jpath_key(p, key);
    if (check_target_spec(d, p, "the interface", h->ifaces[i], err) < 0)
      return -1;
    jpath_pop(p);
  }
  h->has_ifaces = true;
  jpath_pop(p);
  return 0;
}

static int load_host(const struct jdoc *d, struct jpath *p, json_t *obj, const struct catalog *cat,
                     struct topo_host *h, struct uc_err *err)
{
  if (jdoc_check_keys(d, p, obj, host_keys, host_required, err) < 0 ||
      jdoc_get_string(d, p, obj, "name", 1, &h->name, err) < 0 ||
      jdoc_get_string(d, p, obj, "address", 0, &h->address, err) < 0 ||
      jdoc_get_string(d, p, obj, "pool", 0, &h->pool, err) < 0)
    return -1;
  char why[300];
  if (topo_address_problem(h->name, why, sizeof(why))) {
    jpath_key(p, "name");
    return jdoc_error(d, p, 0, err, "%s", why);
  }
  /* "address" is read with inet_pton() only: a form like 10.1.1.010 is simply no address */
  if (h->address && topo_address_family(h->address) &&
      topo_address_problem(h->address, why, sizeof(why))) {
    jpath_key(p, "address");
    return jdoc_error(d, p, 0, err, "%s", why);
  }
  if (!topo_valid_hostname(h->name) && !topo_address_family(h->name)) {
    jpath_key(p, "name");
    return jdoc_error(d, p, 0, err, "\"%s\" is not a valid host name", h->name);
  }
  if (h->address && !topo_address_family(h->address)) {
    jpath_key(p, "address");
    return jdoc_error(d, p, 0, err, "\"%s\" is not an IPv4 or IPv6 address", h->address);
  }
  if (h->pool && !topo_valid_hostname(h->pool)) {
    jpath_key(p, "pool");
    return jdoc_error(d, p, 0, err, "\"%s\" is not a valid pool name", h->pool);
  }
  if (load_roles(d, p, json_object_get(obj, "roles"), cat, h, err) < 0 ||
      load_interfaces(d, p, obj, h, err) < 0)
    return -1;
  if (h->has_ifaces && !topo_has_role(h, "edge")) {
    jpath_key(p, "interfaces");
    return jdoc_error(d, p, 0, err,
                      "\"interfaces\" are an Edge Server's (internal, access, webconf, av): "
                      "host \"%s\" has no role \"edge\"",
                      h->name);
  }
  return 0;
}

static const char *file_stem(const char *path, char *buf, size_t cap)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  snprintf(buf, cap, "%s", base);
  char *dot = strrchr(buf, '.');
  if (dot && dot != buf)
    *dot = '\0';
  for (char *c = buf; *c; c++) /* the name reaches terminals: no control characters */
    if ((unsigned char)*c < 0x20 || *c == 0x7f)
      *c = '?';
  return buf;
}

static int load_doc(struct topology *t, const char *path, const struct catalog *cat,
                    struct uc_err *err);

/* An interface address that another host already has (as its address or an interface's) is
 * refused like a duplicate address; the same Edge may repeat one (a single-address Edge). */
static int iface_address_taken(const struct jdoc *d, struct jpath *p, const struct topology *t,
                               json_t *seen, size_t i, struct uc_err *err)
{
  const struct topo_host *h = &t->hosts[i];
  char key[INET6_ADDRSTRLEN + 8];
  for (int f = UC_IF_NONE + 1; f < UC_IF_COUNT; f++) {
    if (!h->ifaces[f] || !address_key(h->ifaces[f], key, sizeof(key)))
      continue;
    long k = seen_before(seen, key, i);
    if (k >= 0 && (size_t)k != i) {
      jpath_key(p, "interfaces");
      jpath_key(p, uc_iface_name((enum uc_iface)f));
      return jdoc_error(d, p, 0, err, "address %s is also host \"%s\"", h->ifaces[f],
                        t->hosts[k].name);
    }
  }
  return 0;
}

int topo_load_file(struct topology *t, const char *path, const struct catalog *cat,
                   struct uc_err *err)
{
  memset(t, 0, sizeof(*t));
  if (jdoc_load_file(&t->doc, path, JDOC_MAX_FILE, err) < 0)
    return -1;
  return load_doc(t, path, cat, err);
}

int topo_load_text(struct topology *t, const char *name, const char *text, size_t len,
                   const struct catalog *cat, struct uc_err *err)
{
  memset(t, 0, sizeof(*t));
  if (jdoc_load_buffer(&t->doc, name, text, len, err) < 0)
    return -1;
  return load_doc(t, name, cat, err);
}

static int load_doc(struct topology *t, const char *path, const struct catalog *cat,
                    struct uc_err *err)
{
  const struct jdoc *d = &t->doc;
  struct jpath p = {0};
  json_t *root = d->root, *seen = NULL;
  if (jdoc_check_keys(d, &p, root, root_keys, root_required, err) < 0 ||
      jdoc_get_string(d, &p, root, "name", 0, &t->name, err) < 0 ||
      jdoc_get_string(d, &p, root, "product", 0, &t->product, err) < 0)
    goto fail;
  const char *vantage = NULL;
  if (jdoc_get_string(d, &p, root, "vantage", 0, &vantage, err) < 0)
    goto fail;
  if (vantage) {
    if (uc_vantage_parse(vantage, &t->vantage) < 0) {
      jpath_key(&p, "vantage");
      jdoc_error(d, &p, 0, err,
                 "unknown vantage \"%s\" (known: servers, clients, internet, reverse-proxy, "
                 "pstn, any)",
                 vantage);
      goto fail;
    }
    t->has_vantage = true;
  }
  if (t->product && !catalog_product(cat, t->product)) {
    jpath_key(&p, "product");
    jdoc_error(d, &p, 0, err, "unknown product \"%s\" (known: sfb2015, lync2013)", t->product);
    goto fail;
  }
  if (t->name && !*t->name) {
    jpath_key(&p, "name");
    jdoc_error(d, &p, 0, err, "\"name\" is empty: name the topology or leave the key out");
    goto fail;
  }
  /* The name goes to terminals (the table), JUnit and Prometheus labels: no control
   * characters (a tab, a newline, an escape sequence). */
  for (const unsigned char *c = (const unsigned char *)t->name; t->name && *c; c++)
    if (*c < 0x20 || *c == 0x7f) {
      jpath_key(&p, "name");
      jdoc_error(d, &p, 0, err, "\"name\" contains a control character (0x%02x)", *c);
      goto fail;
    }
  if (!t->name) {
    char stem[128];
    file_stem(path, stem, sizeof(stem));
    t->owned = strdup(stem);
    t->name = t->owned;
  }
  json_t *hosts = json_object_get(root, "hosts");
  jpath_key(&p, "hosts");
  if (!json_is_array(hosts)) {
    jdoc_error(d, &p, 0, err, "\"hosts\" must be an array");
    goto fail;
  }
  if (json_array_size(hosts) == 0) {
    jdoc_error(d, &p, 0, err, "\"hosts\" is empty: nothing to scan");
    goto fail;
  }
  t->hosts = calloc(json_array_size(hosts), sizeof(*t->hosts));
  if (!t->hosts) {
    uc_err_set(err, path, 0, 0, "out of memory");
    goto fail;
  }
  seen = json_object(); /* names and addresses so far */
  if (!seen) {
    uc_err_set(err, path, 0, 0, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < json_array_size(hosts); i++) {
    jpath_index(&p, i);
    struct topo_host *h = &t->hosts[i];
    t->nhosts = i + 1;
    if (load_host(d, &p, json_array_get(hosts, i), cat, h, err) < 0)
      goto fail;
    char key[INET6_ADDRSTRLEN + 300];
    name_key(h->name, key, sizeof(key));
    long k = seen_before(seen, key, i);
    if (k >= 0) {
      jpath_key(&p, "name");
      jdoc_error(d, &p, 0, err, "duplicate host \"%s\" (also hosts[%ld])", h->name, k);
      goto fail;
    }
    if (h->address && address_key(h->address, key, sizeof(key)) &&
        (k = seen_before(seen, key, i)) >= 0) {
      jpath_key(&p, "address");
      jdoc_error(d, &p, 0, err,
                 "address %s is also host \"%s\": list each machine once, with all its roles",
                 h->address, t->hosts[k].name);
      goto fail;
    }
    if (iface_address_taken(d, &p, t, seen, i, err) < 0)
      goto fail;
    jpath_pop(&p);
  }
  json_decref(seen);
  return 0;
fail:
  json_decref(seen);
  topo_free(t);
  return -1;
}

int topo_from_list(struct topology *t, const struct target_list *l, const char *roles,
                   const struct catalog *cat, struct uc_err *err)
{
  memset(t, 0, sizeof(*t));
  if (l->n == 0)
    return uc_err_set(err, "--target", 0, 0, "no target given");
  const char **rl = NULL;
  size_t nr = 0, total = 0;
  if (roles && names_roles(cat, "--role", roles, &rl, &nr, err) < 0)
    return -1;
  for (size_t i = 0; i < l->n; i++)
    total += strlen(l->v[i].name) + 1;
  t->owned = malloc(total);
  t->hosts = calloc(l->n, sizeof(*t->hosts));
  char *at = t->owned;
  for (size_t i = 0; at && t->hosts && i < l->n; i++) {
    struct topo_host *h = &t->hosts[i];
    size_t len = strlen(l->v[i].name);
    memcpy(at, l->v[i].name, len + 1);
    h->name = at;
    h->address = topo_address_family(at) ? at : NULL;
    at += len + 1;
    h->roles = calloc(nr ? nr : 1, sizeof(*h->roles));
    if (!h->roles)
      break;
    t->nhosts = i + 1;
    h->nroles = nr;
    if (nr) /* rl is NULL without --role (a --ports scan) */
      memcpy(h->roles, rl, nr * sizeof(*rl));
  }
  free(rl);
  if (t->nhosts != l->n) {
    topo_free(t);
    return uc_err_set(err, "<command line>", 0, 0, "out of memory");
  }
  t->name = "command-line";
  return 0;
}

int topo_from_targets(struct topology *t, const char *targets, const char *roles,
                      const struct catalog *cat, struct uc_err *err)
{
  struct target_list l = {0};
  memset(t, 0, sizeof(*t));
  int rc = targets_add_text(&l, "--target", targets, err);
  if (rc == 0)
    rc = topo_from_list(t, &l, roles, cat, err);
  targets_free(&l);
  return rc;
}

void topo_free(struct topology *t)
{
  if (!t)
    return;
  for (size_t i = 0; i < t->nhosts; i++)
    free(t->hosts[i].roles);
  free(t->hosts);
  free(t->owned);
  jdoc_free(&t->doc);
  memset(t, 0, sizeof(*t));
}
