/* catalog/catalog.c - loads and validates catalog documents (docs/catalog-format.md). */
#include "catalog/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_data.h"

#define CAT_SCHEMA "ucscan-catalog/1"

static const char *const file_keys[] = {"schema", "mode",   "source", "products",
                                        "roles",  "tables", NULL};
static const char *const file_required[] = {"schema", NULL};
static const char *const source_keys[] = {"file",     "title",    "product", "date",
                                          "revision", "language", NULL};
static const char *const product_keys[] = {"id", "name", "default", NULL};
static const char *const product_required[] = {"id", "name", NULL};
static const char *const role_keys[] = {"id", "name", "description", NULL};
static const char *const role_required[] = {"id", "name", NULL};
static const char *const table_keys[] = {"id", "source", "title", "title_en", "rows", NULL};
static const char *const table_required[] = {"id", "rows", NULL};
static const char *const row_keys[] = {
    "id",   "products",  "roles",     "when_role",   "seed_role",   "service",       "seed_service",
    "port", "ports",     "transport", "protocol",    "application", "seed_protocol", "direction",
    "peer", "optional",  "probe",     "skip_reason", "note",        "revision_note", "source",
    "from", "interface", NULL};
static const char *const row_required[] = {"id",        "products",  "roles",    "seed_role",
                                           "service",   "transport", "protocol", "seed_protocol",
                                           "direction", "peer",      "optional", "probe",
                                           "note",      "source",    NULL};
static const char *const row_source_keys[] = {"file", "table", "row", NULL};
static const char *const row_source_required[] = {"file", "table", "row", NULL};

static const char *const direction_names[] = {"inbound", "outbound", "both", "none"};

/* What a row takes from its table and its file. */
struct table_ctx {
  const char *id;
  const char *title;       /* English title, else seed title, else id */
  json_t *json;            /* the table object */
  json_t *source;          /* the table's "source", else the file's, or NULL */
  const char *source_file; /* "file" of the table's own "source": rows must name it */
  bool builtin;            /* a compiled-in file: rows must say "from" */
};

bool cat_row_from(const struct cat_row *r, enum uc_vantage v)
{
  return v == UC_V_ANY || (r->from & (1u << v)) != 0;
}

const char *cat_direction_name(enum cat_direction d)
{
  return (unsigned)d < 4 ? direction_names[d] : "?";
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
  if (need <= *cap)
    return 0;
  size_t ncap = *cap ? *cap * 2 : 16;
  while (ncap < need)
    ncap *= 2;
  void *n = realloc(*arr, ncap * elem);
  if (!n)
    return -1;
  memset((char *)n + *cap * elem, 0, (ncap - *cap) * elem);
  *arr = n;
  *cap = ncap;
  return 0;
}

/* Arrays grow by doubling from 16; the capacity follows from the count. */
static size_t cap_for(size_t n)
{
  size_t cap = 0;
  if (n == 0)
    return 0;
  cap = 16;
  while (cap < n)
    cap *= 2;
  return cap;
}

static int push(void **arr, size_t count, size_t elem)
{
  size_t cap = cap_for(count);
  return grow(arr, &cap, count + 1, elem);
}

static int is_slug(const char *s)
{
  if (!*s)
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
      return 0;
  return 1;
}

const struct cat_role *catalog_role(const struct catalog *c, const char *id)
{
  for (size_t i = 0; i < c->nroles; i++)
    if (strcmp(c->roles[i].id, id) == 0)
      return &c->roles[i];
  return NULL;
}

const struct cat_product *catalog_product(const struct catalog *c, const char *id)
{
  for (size_t i = 0; i < c->nproducts; i++)
    if (strcmp(c->products[i].id, id) == 0)
      return &c->products[i];
  return NULL;
}

const char *catalog_default_product(const struct catalog *c)
{
  for (size_t i = 0; i < c->nproducts; i++)
    if (c->products[i].is_default)
      return c->products[i].id;
  return c->nproducts ? c->products[0].id : NULL;
}

bool cat_row_in_product(const struct cat_row *r, const char *product)
{
  for (size_t i = 0; i < r->nproducts; i++)
    if (strcmp(r->products[i], product) == 0)
      return true;
  return false;
}

bool cat_row_has_role(const struct cat_row *r, const char *role)
{
  for (size_t i = 0; i < r->nroles; i++)
    if (strcmp(r->roles[i], role) == 0)
      return true;
  return false;
}

static const struct cat_row *find_row(const struct catalog *c, const char *id)
{
  for (size_t i = 0; i < c->nrows; i++)
    if (strcmp(c->rows[i].id, id) == 0)
      return &c->rows[i];
  return NULL;
}

static int load_products(struct catalog *c, const struct jdoc *d, struct jpath *p, json_t *arr,
                         struct uc_err *err)
{
  size_t i;
  json_t *v;
  if (!json_is_array(arr))
    return jdoc_error(d, p, 0, err, "\"products\" must be an array");
  json_array_foreach(arr, i, v)
  {
    jpath_index(p, i);
    struct cat_product prod = {0};
    int def = 0;
    if (jdoc_check_keys(d, p, v, product_keys, product_required, err) < 0 ||
        jdoc_get_string(d, p, v, "id", 1, &prod.id, err) < 0 ||
        jdoc_get_string(d, p, v, "name", 1, &prod.name, err) < 0 ||
        jdoc_get_bool(d, p, v, "default", 0, &def, err) < 0)
      return -1;
    if (!is_slug(prod.id)) {
      jpath_key(p, "id");
      return jdoc_error(d, p, 0, err, "product id \"%s\" must be lower-case a-z, 0-9 and -",
                        prod.id);
    }
    if (catalog_product(c, prod.id)) {
      jpath_key(p, "id");
      return jdoc_error(d, p, 0, err, "product \"%s\" is defined twice", prod.id);
    }
    prod.is_default = def;
    if (def && catalog_default_product(c) && c->nproducts &&
        catalog_product(c, catalog_default_product(c))->is_default)
      return jdoc_error(d, p, 0, err, "two default products (\"%s\" already is)",
                        catalog_default_product(c));
    if (push((void **)&c->products, c->nproducts, sizeof(*c->products)) < 0)
      return uc_err_set(err, d->source, 0, 0, "out of memory");
    c->products[c->nproducts++] = prod;
    jpath_pop(p);
  }
  return 0;
}

static int load_roles(struct catalog *c, const struct jdoc *d, struct jpath *p, json_t *arr,
                      struct uc_err *err)
{
  size_t i;
  json_t *v;
  if (!json_is_array(arr))
    return jdoc_error(d, p, 0, err, "\"roles\" must be an array");
  json_array_foreach(arr, i, v)
  {
    jpath_index(p, i);
    struct cat_role role = {0};
    if (jdoc_check_keys(d, p, v, role_keys, role_required, err) < 0 ||
        jdoc_get_string(d, p, v, "id", 1, &role.id, err) < 0 ||
        jdoc_get_string(d, p, v, "name", 1, &role.name, err) < 0 ||
        jdoc_get_string(d, p, v, "description", 0, &role.description, err) < 0)
      return -1;
    if (!is_slug(role.id)) {
      jpath_key(p, "id");
      return jdoc_error(d, p, 0, err, "role id \"%s\" must be lower-case a-z, 0-9 and -", role.id);
    }
    if (catalog_role(c, role.id)) {
      jpath_key(p, "id");
      return jdoc_error(d, p, 0, err, "role \"%s\" is defined twice", role.id);
    }
    if (push((void **)&c->roles, c->nroles, sizeof(*c->roles)) < 0)
      return uc_err_set(err, d->source, 0, 0, "out of memory");
    c->roles[c->nroles++] = role;
    jpath_pop(p);
  }
  return 0;
}

/* An array of strings, each checked by `known` (NULL: any non-empty string). */
static int load_string_list(const struct catalog *c, const struct jdoc *d, struct jpath *p,
                            json_t *row, const char *key, int allow_empty,
                            int (*known)(const struct catalog *, const char *), const char *what,
                            const char ***out, size_t *n, struct uc_err *err)
{
  json_t *arr = json_object_get(row, key);
  jpath_key(p, key);
  if (!json_is_array(arr))
    return jdoc_error(d, p, 0, err, "\"%s\" must be an array of strings", key);
  if (!allow_empty && json_array_size(arr) == 0)
    return jdoc_error(d, p, 0, err, "\"%s\" must not be empty", key);
  size_t count = json_array_size(arr);
  const char **list = calloc(count ? count : 1, sizeof(*list));
  if (!list)
    return uc_err_set(err, d->source, 0, 0, "out of memory");
  for (size_t i = 0; i < count; i++) {
    json_t *v = json_array_get(arr, i);
    jpath_index(p, i);
    if (!json_is_string(v)) {
      free(list);
      return jdoc_error(d, p, 0, err, "\"%s\" must hold strings", key);
    }
    const char *s = json_string_value(v);
    if (known && !known(c, s)) {
      free(list);
      return jdoc_error(d, p, 0, err, "unknown %s \"%s\"", what, s);
    }
    for (size_t k = 0; k < i; k++) {
      if (strcmp(list[k], s) == 0) {
        free(list);
        return jdoc_error(d, p, 0, err, "%s \"%s\" listed twice", what, s);
      }
    }
    list[i] = s;
    jpath_pop(p);
  }
  jpath_pop(p);
  *out = list;
  *n = count;
  return 0;
}

static int known_role(const struct catalog *c, const char *s)
{
  return catalog_role(c, s) != NULL;
}

static int known_product(const struct catalog *c, const char *s)
{
  return catalog_product(c, s) != NULL;
}

/* "a-b" with 1 <= a <= b <= 65535, or "any". */
static int parse_port_range(const char *s, uint16_t *first, uint16_t *last, bool *any)
{
  if (strcmp(s, "any") == 0) {
    *first = 1;
    *last = 65535;
    *any = true;
    return 0;
  }
  char *end;
  if (*s < '0' || *s > '9')
    return -1;
  unsigned long a = strtoul(s, &end, 10);
  if (*end != '-' || end[1] < '0' || end[1] > '9')
    return -1;
  unsigned long b = strtoul(end + 1, &end, 10);
  if (*end || a < 1 || b > 65535 || a > b)
    return -1;
  *first = (uint16_t)a;
  *last = (uint16_t)b;
  *any = false;
  return 0;
}

static int load_row_ports(const struct jdoc *d, struct jpath *p, json_t *row, struct cat_row *r,
                          struct uc_err *err)
{
  json_t *port = json_object_get(row, "port");
  json_t *ports = json_object_get(row, "ports");
  if ((port != NULL) == (ports != NULL))
    return jdoc_error(d, p, 0, err, "a row needs exactly one of \"port\" and \"ports\"");
  if (port) {
    jpath_key(p, "port");
    if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
      return jdoc_error(d, p, 0, err, "\"port\" must be a number from 1 to 65535");
    jpath_pop(p);
    r->first = r->last = (uint16_t)json_integer_value(port);
    return 0;
  }
  jpath_key(p, "ports");
  if (!json_is_string(ports) ||
      parse_port_range(json_string_value(ports), &r->first, &r->last, &r->any_port) < 0)
    return jdoc_error(d, p, 0, err,
                      "\"ports\" must be \"first-last\" (1-65535, first <= last) or \"any\"");
  jpath_pop(p);
  r->is_range = true;
  return 0;
}

static int load_row_transport(const struct jdoc *d, struct jpath *p, json_t *row, struct cat_row *r,
                              struct uc_err *err)
{
  json_t *arr = json_object_get(row, "transport");
  size_t i;
  json_t *v;
  jpath_key(p, "transport");
  if (!json_is_array(arr) || json_array_size(arr) == 0)
    return jdoc_error(d, p, 0, err, "\"transport\" must be [\"tcp\"], [\"udp\"] or both");
  json_array_foreach(arr, i, v)
  {
    enum uc_transport t;
    jpath_index(p, i);
    if (!json_is_string(v) || uc_transport_parse(json_string_value(v), &t) < 0)
      return jdoc_error(d, p, 0, err, "transport must be \"tcp\" or \"udp\"");
    if (r->transports & (1u << t))
      return jdoc_error(d, p, 0, err, "transport \"%s\" listed twice", uc_transport_name(t));
    r->transports |= 1u << t;
    jpath_pop(p);
  }
  jpath_pop(p);
  return 0;
}

/* "from": a non-empty array of vantages ("any" is a scan's choice, not a row's source).
 * Absent: every vantage (a site catalog written before contract v2); the built-in catalog
 * must say it on every row. */
static int load_row_from(const struct jdoc *d, struct jpath *p, json_t *row, bool required,
                         struct cat_row *r, struct uc_err *err)
{
  json_t *arr = json_object_get(row, "from");
  size_t i;
  json_t *v;
  if (!arr && required)
    return jdoc_error(d, p, 0, err,
                      "a built-in catalog row needs \"from\" (its sources' vantages)");
  if (!arr) {
    r->from = UC_VANTAGE_ALL;
    return 0;
  }
  r->from_given = true;
  jpath_key(p, "from");
  if (!json_is_array(arr) || json_array_size(arr) == 0)
    return jdoc_error(d, p, 0, err,
                      "\"from\" must be a list of vantages: servers, clients, internet, "
                      "reverse-proxy, pstn");
  json_array_foreach(arr, i, v)
  {
    enum uc_vantage vt;
    jpath_index(p, i);
    if (!json_is_string(v) || uc_vantage_parse(json_string_value(v), &vt) < 0 || vt == UC_V_ANY)
      return jdoc_error(d, p, 0, err,
                        "a vantage must be servers, clients, internet, reverse-proxy or pstn");
    if (r->from & (1u << vt))
      return jdoc_error(d, p, 0, err, "vantage \"%s\" listed twice", uc_vantage_name(vt));
    r->from |= 1u << vt;
    jpath_pop(p);
  }
  jpath_pop(p);
  return 0;
}

static int load_row_iface(const struct jdoc *d, struct jpath *p, json_t *row, struct cat_row *r,
                          struct uc_err *err)
{
  const char *s = NULL;
  if (jdoc_get_string_or_null(d, p, row, "interface", &s, err) < 0)
    return -1;
  r->iface = UC_IF_NONE;
  if (s && uc_iface_parse(s, &r->iface) < 0) {
    jpath_key(p, "interface");
    return jdoc_error(d, p, 0, err,
                      "\"interface\" must be internal, access, webconf or av (not \"%s\")", s);
  }
  return 0;
}

static int load_row(struct catalog *c, const struct jdoc *d, struct jpath *p, json_t *row,
                    const struct table_ctx *t, struct uc_err *err)
{
  struct cat_row r = {0};
  const char *s = NULL;
  int b;
  if (jdoc_check_keys(d, p, row, row_keys, row_required, err) < 0)
    return -1;
  if (jdoc_get_string(d, p, row, "id", 1, &r.id, err) < 0)
    return -1;
  if (!is_slug(r.id)) {
    jpath_key(p, "id");
    return jdoc_error(d, p, 0, err, "row id \"%s\" must be lower-case a-z, 0-9 and -", r.id);
  }
  if (find_row(c, r.id)) {
    jpath_key(p, "id");
    return jdoc_error(d, p, 0, err, "duplicate row id \"%s\"", r.id);
  }
  if (load_string_list(c, d, p, row, "products", 0, known_product, "product", &r.products,
                       &r.nproducts, err) < 0)
    return -1;
  if (load_string_list(c, d, p, row, "roles", 1, known_role, "role", &r.roles, &r.nroles, err) < 0)
    goto fail;
  if (jdoc_get_string_or_null(d, p, row, "when_role", &r.when_role, err) < 0)
    goto fail;
  if (r.when_role && !catalog_role(c, r.when_role)) {
    jpath_key(p, "when_role");
    jdoc_error(d, p, 0, err, "unknown role \"%s\"", r.when_role);
    goto fail;
  }
  if (jdoc_get_string(d, p, row, "seed_role", 1, &r.seed_role, err) < 0 ||
      jdoc_get_string(d, p, row, "service", 1, &r.service, err) < 0 ||
      jdoc_get_string_or_null(d, p, row, "seed_service", &r.seed_service, err) < 0 ||
      load_row_ports(d, p, row, &r, err) < 0 || load_row_transport(d, p, row, &r, err) < 0 ||
      jdoc_get_string(d, p, row, "protocol", 1, &s, err) < 0)
    goto fail;
  if (uc_proto_parse(s, &r.protocol) < 0) {
    jpath_key(p, "protocol");
    jdoc_error(d, p, 0, err, "unknown protocol \"%s\"", s);
    goto fail;
  }
  if (jdoc_get_string_or_null(d, p, row, "application", &r.application, err) < 0 ||
      jdoc_get_string(d, p, row, "seed_protocol", 1, &r.seed_protocol, err) < 0 ||
      jdoc_get_string(d, p, row, "direction", 1, &s, err) < 0)
    goto fail;
  r.direction = (enum cat_direction)4;
  for (int k = 0; k < 4; k++)
    if (strcmp(s, direction_names[k]) == 0)
      r.direction = (enum cat_direction)k;
  if ((int)r.direction == 4) {
    jpath_key(p, "direction");
    jdoc_error(d, p, 0, err, "direction must be inbound, outbound, both or none (not \"%s\")", s);
    goto fail;
  }
  if (jdoc_get_string(d, p, row, "peer", 1, &r.peer, err) < 0 ||
      load_row_from(d, p, row, t->builtin, &r, err) < 0 || load_row_iface(d, p, row, &r, err) < 0 ||
      jdoc_get_bool(d, p, row, "optional", 1, &b, err) < 0)
    goto fail;
  r.optional = b;
  if (jdoc_get_bool(d, p, row, "probe", 1, &b, err) < 0)
    goto fail;
  r.probe = b;
  if (jdoc_get_string_or_null(d, p, row, "skip_reason", &r.skip_reason, err) < 0 ||
      jdoc_get_string(d, p, row, "note", 1, &r.note, err) < 0 ||
      jdoc_get_string_or_null(d, p, row, "revision_note", &r.revision_note, err) < 0)
    goto fail;
  if (!r.probe && (!r.skip_reason || !*r.skip_reason)) {
    jpath_key(p, "skip_reason");
    jdoc_error(d, p, 0, err, "a row with \"probe\": false needs a \"skip_reason\"");
    goto fail;
  }
  if (r.probe && (r.protocol == UC_P_DHCP || r.protocol == UC_P_IPSEC)) {
    jpath_key(p, "probe");
    jdoc_error(d, p, 0, err, "protocol \"%s\" cannot be probed: set \"probe\": false",
               uc_proto_name(r.protocol));
    goto fail;
  }
  json_t *src = json_object_get(row, "source");
  jpath_key(p, "source");
  if (jdoc_check_keys(d, p, src, row_source_keys, row_source_required, err) < 0 ||
      jdoc_get_string(d, p, src, "file", 1, &r.src_file, err) < 0 ||
      jdoc_get_string(d, p, src, "table", 1, &r.src_table, err) < 0)
    goto fail;
  json_t *rown = json_object_get(src, "row");
  if (!json_is_integer(rown) || json_integer_value(rown) < 1) {
    jpath_key(p, "row");
    jdoc_error(d, p, 0, err, "\"row\" must be a positive number");
    goto fail;
  }
  r.src_row = (int)json_integer_value(rown);
  if (strcmp(r.src_table, t->id) != 0) {
    jpath_key(p, "table");
    jdoc_error(d, p, 0, err, "source table \"%s\" differs from the enclosing table \"%s\"",
               r.src_table, t->id);
    goto fail;
  }
  if (t->source_file && strcmp(r.src_file, t->source_file) != 0) {
    jpath_key(p, "file");
    jdoc_error(d, p, 0, err, "source file \"%s\" differs from the table's source \"%s\"",
               r.src_file, t->source_file);
    goto fail;
  }
  jpath_pop(p);
  r.table_title = t->title;
  r.table_json = t->json;
  r.source_json = t->source;
  if (push((void **)&c->rows, c->nrows, sizeof(*c->rows)) < 0) {
    uc_err_set(err, d->source, 0, 0, "out of memory");
    goto fail;
  }
  c->rows[c->nrows++] = r;
  return 0;
fail:
  free(r.products);
  free(r.roles);
  return -1;
}

/* The file a table's rows come from, for telling tables apart: its own "source", else its
 * file's. */
static const char *table_source_file(json_t *table, json_t *doc_source)
{
  json_t *src = json_object_get(table, "source");
  const char *f = json_string_value(json_object_get(src ? src : doc_source, "file"));
  return f ? f : "";
}

/* A table's id, titles and "source"; 0, or -1 with *err set. Table ids are unique per
 * source document within a file (a file such as `catalog --json` writes gathers several). */
static int load_table_head(const struct jdoc *d, struct jpath *p, json_t *arr, size_t i,
                           json_t *doc_source, struct table_ctx *t, struct uc_err *err)
{
  json_t *tab = json_array_get(arr, i);
  const char *title = NULL, *title_en = NULL;
  if (jdoc_check_keys(d, p, tab, table_keys, table_required, err) < 0 ||
      jdoc_get_string(d, p, tab, "id", 1, &t->id, err) < 0 ||
      jdoc_get_string(d, p, tab, "title", 0, &title, err) < 0 ||
      jdoc_get_string(d, p, tab, "title_en", 0, &title_en, err) < 0)
    return -1;
  json_t *src = json_object_get(tab, "source");
  if (src) {
    jpath_key(p, "source");
    if (jdoc_check_keys(d, p, src, source_keys, NULL, err) < 0 ||
        jdoc_get_string(d, p, src, "file", 0, &t->source_file, err) < 0)
      return -1;
    jpath_pop(p);
  }
  const char *file = table_source_file(tab, doc_source);
  for (size_t k = 0; k < i; k++) {
    json_t *other = json_array_get(arr, k);
    const char *oid = json_string_value(json_object_get(other, "id"));
    if (oid && strcmp(oid, t->id) == 0 && strcmp(table_source_file(other, doc_source), file) == 0) {
      jpath_key(p, "id");
      return jdoc_error(d, p, 0, err, "table id \"%s\" used twice in this file", t->id);
    }
  }
  t->title = title_en ? title_en : (title ? title : t->id);
  t->json = tab;
  t->source = src ? src : doc_source;
  return 0;
}

static int load_tables(struct catalog *c, const struct jdoc *d, struct jpath *p, json_t *arr,
                       bool builtin, struct uc_err *err)
{
  if (!json_is_array(arr))
    return jdoc_error(d, p, 0, err, "\"tables\" must be an array");
  json_t *doc_source = json_object_get(d->root, "source");
  for (size_t i = 0; i < json_array_size(arr); i++) {
    struct table_ctx t = {.builtin = builtin};
    jpath_index(p, i);
    if (load_table_head(d, p, arr, i, doc_source, &t, err) < 0)
      return -1;
    json_t *rows = json_object_get(t.json, "rows");
    jpath_key(p, "rows");
    if (!json_is_array(rows))
      return jdoc_error(d, p, 0, err, "\"rows\" must be an array");
    size_t k;
    json_t *row;
    json_array_foreach(rows, k, row)
    {
      jpath_index(p, k);
      if (load_row(c, d, p, row, &t, err) < 0)
        return -1;
      jpath_pop(p);
    }
    jpath_pop(p);
    jpath_pop(p);
  }
  return 0;
}

static void drop_rows(struct catalog *c)
{
  for (size_t i = 0; i < c->nrows; i++) {
    free(c->rows[i].products);
    free(c->rows[i].roles);
  }
  c->nrows = 0;
}

static int load_doc(struct catalog *c, const char *name, const char *text, size_t len,
                    int allow_replace, bool builtin, struct uc_err *err)
{
  if (push((void **)&c->docs, c->ndocs, sizeof(*c->docs)) < 0)
    return uc_err_set(err, name, 0, 0, "out of memory");
  struct jdoc *d = &c->docs[c->ndocs];
  if (jdoc_load_buffer(d, name, text, len, err) < 0)
    return -1;
  c->ndocs++;
  struct jpath p = {0};
  json_t *root = d->root;
  const char *schema = NULL, *mode = NULL;
  if (jdoc_check_keys(d, &p, root, file_keys, file_required, err) < 0 ||
      jdoc_get_string(d, &p, root, "schema", 1, &schema, err) < 0 ||
      jdoc_get_string(d, &p, root, "mode", 0, &mode, err) < 0)
    return -1;
  if (strcmp(schema, CAT_SCHEMA) != 0) {
    jpath_key(&p, "schema");
    return jdoc_error(d, &p, 0, err, "unsupported schema \"%s\" (expected \"%s\")", schema,
                      CAT_SCHEMA);
  }
  if (mode && strcmp(mode, "extend") != 0 && strcmp(mode, "replace") != 0) {
    jpath_key(&p, "mode");
    return jdoc_error(d, &p, 0, err, "mode must be \"extend\" or \"replace\"");
  }
  if (mode && strcmp(mode, "replace") == 0) {
    if (!allow_replace) {
      jpath_key(&p, "mode");
      return jdoc_error(d, &p, 0, err, "\"mode\": \"replace\" is only for --catalog files");
    }
    drop_rows(c);
  }
  json_t *src = json_object_get(root, "source");
  if (src) {
    jpath_key(&p, "source");
    if (jdoc_check_keys(d, &p, src, source_keys, NULL, err) < 0)
      return -1;
    jpath_pop(&p);
  }
  json_t *v;
  if ((v = json_object_get(root, "products"))) {
    if (load_products(c, d, jpath_key(&p, "products"), v, err) < 0)
      return -1;
    jpath_pop(&p);
  }
  if ((v = json_object_get(root, "roles"))) {
    if (load_roles(c, d, jpath_key(&p, "roles"), v, err) < 0)
      return -1;
    jpath_pop(&p);
  }
  if ((v = json_object_get(root, "tables"))) {
    if (load_tables(c, d, jpath_key(&p, "tables"), v, builtin, err) < 0)
      return -1;
    jpath_pop(&p);
  }
  return 0;
}

int catalog_load_text(struct catalog *c, const char *name, const char *text, size_t len,
                      int allow_replace, struct uc_err *err)
{
  return load_doc(c, name, text, len, allow_replace, false, err);
}

/* Load order of a built-in file: roles.json (the others refer to its products and roles),
 * then sfb2015's files (the default product), then lync2013's, each product's own file
 * first; then the rest. Within a rank, file-name order. */
static int builtin_rank(const char *name)
{
  static const char *const products[] = {"sfb2015", "lync2013"};
  if (strcmp(name, "roles.json") == 0)
    return 0;
  for (int k = 0; k < 2; k++) {
    size_t n = strlen(products[k]);
    if (strncmp(name, products[k], n) == 0 && strcmp(name + n, ".json") == 0)
      return 1 + 2 * k;
    if (strncmp(name, products[k], n) == 0 && name[n] == '-')
      return 2 + 2 * k;
  }
  return 5;
}

int catalog_load_builtin(struct catalog *c, struct uc_err *err)
{
  for (int rank = 0; rank <= 5; rank++) {
    for (size_t i = 0; i < catalog_builtin_count; i++) {
      const struct catalog_blob *b = &catalog_builtin[i];
      if (builtin_rank(b->name) != rank)
        continue;
      if (load_doc(c, b->name, b->data, b->len, 0, true, err) < 0)
        return -1;
    }
  }
  c->nbuiltin_products = c->nproducts;
  c->nbuiltin_roles = c->nroles;
  return 0;
}

int catalog_load_file(struct catalog *c, const char *path, struct uc_err *err)
{
  char *text;
  size_t len;
  if (jdoc_read_file(path, JDOC_MAX_FILE, &text, &len, err) < 0)
    return -1;
  int rc = catalog_load_text(c, path, text, len, 1, err);
  free(text);
  return rc;
}

void catalog_free(struct catalog *c)
{
  if (!c)
    return;
  drop_rows(c);
  free(c->rows);
  free(c->roles);
  free(c->products);
  for (size_t i = 0; i < c->ndocs; i++)
    jdoc_free(&c->docs[i]);
  free(c->docs);
  memset(c, 0, sizeof(*c));
}
