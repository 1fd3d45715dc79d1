/* catalog/catalog_json.c - the loaded catalog written back in its own file format
 * (docs/catalog-format.md), so that `ucscan catalog --json` output loads with --catalog. */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"

static json_t *string_or_null(const char *s)
{
  return s ? json_string(s) : json_null();
}

static json_t *string_list(const char *const *v, size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; a && i < n; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static json_t *ports_json(const struct cat_row *r)
{
  char buf[16];
  if (r->any_port)
    return json_string("any");
  snprintf(buf, sizeof(buf), "%u-%u", r->first, r->last);
  return json_string(buf);
}

static json_t *transports_json(unsigned transports)
{
  json_t *a = json_array();
  for (int t = 0; a && t < UC_TRANSPORT_COUNT; t++)
    if (transports & (1u << t))
      json_array_append_new(a, json_string(uc_transport_name((enum uc_transport)t)));
  return a;
}

static json_t *from_json(unsigned from)
{
  json_t *a = json_array();
  for (int v = 0; a && v < UC_VANTAGE_COUNT; v++)
    if (v != UC_V_ANY && (from & (1u << v)))
      json_array_append_new(a, json_string(uc_vantage_name((enum uc_vantage)v)));
  return a;
}

/* One row, keys in the order the catalog files use. */
static json_t *row_json(const struct cat_row *r)
{
  json_t *o = json_object();
  if (!o)
    return NULL;
  json_object_set_new(o, "id", json_string(r->id));
  json_object_set_new(o, "products", string_list(r->products, r->nproducts));
  json_object_set_new(o, "roles", string_list(r->roles, r->nroles));
  json_object_set_new(o, "when_role", string_or_null(r->when_role));
  json_object_set_new(o, "seed_role", json_string(r->seed_role));
  json_object_set_new(o, "service", json_string(r->service));
  if (r->seed_service)
    json_object_set_new(o, "seed_service", json_string(r->seed_service));
  if (r->is_range)
    json_object_set_new(o, "ports", ports_json(r));
  else
    json_object_set_new(o, "port", json_integer(r->first));
  json_object_set_new(o, "transport", transports_json(r->transports));
  json_object_set_new(o, "protocol", json_string(uc_proto_name(r->protocol)));
  json_object_set_new(o, "application", string_or_null(r->application));
  json_object_set_new(o, "seed_protocol", json_string(r->seed_protocol));
  json_object_set_new(o, "direction", json_string(cat_direction_name(r->direction)));
  json_object_set_new(o, "peer", json_string(r->peer));
  if (r->from_given) /* a site row without "from" stays without: every vantage */
    json_object_set_new(o, "from", from_json(r->from));
  json_object_set_new(o, "interface", string_or_null(uc_iface_name(r->iface)));
  json_object_set_new(o, "optional", json_boolean(r->optional));
  json_object_set_new(o, "probe", json_boolean(r->probe));
  json_object_set_new(o, "skip_reason", string_or_null(r->skip_reason));
  json_object_set_new(o, "note", json_string(r->note));
  json_object_set_new(o, "revision_note", string_or_null(r->revision_note));
  json_object_set_new(
      o, "source",
      json_pack("{s:s, s:s, s:i}", "file", r->src_file, "table", r->src_table, "row", r->src_row));
  return o;
}

/* The table `r` was read from, without its rows: id, the source document (its "file" the
 * rows' own, so that every row loads back under it), titles. */
static json_t *table_head(const struct cat_row *r)
{
  json_t *t = json_object();
  json_t *src = r->source_json ? json_deep_copy(r->source_json) : json_object();
  if (!t || !src || json_object_set_new(src, "file", json_string(r->src_file)) < 0) {
    json_decref(t);
    json_decref(src);
    return NULL;
  }
  json_object_set_new(t, "id", json_string(r->src_table));
  json_object_set_new(t, "source", src);
  const char *title = json_string_value(json_object_get(r->table_json, "title"));
  const char *title_en = json_string_value(json_object_get(r->table_json, "title_en"));
  if (title)
    json_object_set_new(t, "title", json_string(title));
  if (title_en || !title)
    json_object_set_new(t, "title_en", json_string(title_en ? title_en : r->table_title));
  json_object_set_new(t, "rows", json_array());
  return t;
}

/* The rows array of the output table for (r's file, r's table), made on first use: one table
 * per source table, however the catalog's documents spread its rows. */
static json_t *rows_of(json_t *tables, const struct cat_row *r)
{
  size_t i;
  json_t *t;
  json_array_foreach(tables, i, t)
  {
    const char *id = json_string_value(json_object_get(t, "id"));
    const char *file = json_string_value(json_object_get(json_object_get(t, "source"), "file"));
    if (id && file && strcmp(id, r->src_table) == 0 && strcmp(file, r->src_file) == 0)
      return json_object_get(t, "rows");
  }
  t = table_head(r);
  if (!t || json_array_append_new(tables, t) < 0)
    return NULL;
  return json_object_get(t, "rows");
}

/* Products and roles a site catalog defined (the built-in ones load anyway). */
static void site_definitions(const struct catalog *c, json_t *doc)
{
  if (c->nproducts > c->nbuiltin_products) {
    json_t *a = json_array();
    for (size_t i = c->nbuiltin_products; i < c->nproducts; i++)
      json_array_append_new(a,
                            json_pack("{s:s, s:s, s:b}", "id", c->products[i].id, "name",
                                      c->products[i].name, "default", c->products[i].is_default));
    json_object_set_new(doc, "products", a);
  }
  if (c->nroles > c->nbuiltin_roles) {
    json_t *a = json_array();
    for (size_t i = c->nbuiltin_roles; i < c->nroles; i++)
      json_array_append_new(a, json_pack("{s:s, s:s, s:s*}", "id", c->roles[i].id, "name",
                                         c->roles[i].name, "description", c->roles[i].description));
    json_object_set_new(doc, "roles", a);
  }
}

json_t *catalog_to_json(const struct catalog *c, bool (*keep)(const struct cat_row *r, void *arg),
                        void *arg)
{
  json_t *doc = json_pack("{s:s, s:s}", "schema", "ucscan-catalog/1", "mode", "replace");
  json_t *tables = json_array();
  if (!doc || !tables) {
    json_decref(doc);
    json_decref(tables);
    return NULL;
  }
  site_definitions(c, doc);
  for (size_t i = 0; i < c->nrows; i++) {
    const struct cat_row *r = &c->rows[i];
    if (keep && !keep(r, arg))
      continue;
    json_t *rows = rows_of(tables, r);
    if (!rows || json_array_append_new(rows, row_json(r)) < 0)
      goto oom;
  }
  json_object_set_new(doc, "tables", tables);
  return doc;
oom:
  json_decref(doc);
  json_decref(tables);
  return NULL;
}
