/* cli/cmd_catalog.c - `ucscan catalog`: what the documentation requires, as a table or JSON. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/opts.h"

enum { C_PRODUCT = 1000, C_ROLE, C_JSON, C_CATALOG, C_HELP };

static const struct cli_opt catalog_opts[] = {
    {"product", "ID", C_PRODUCT, "only rows of this product (sfb2015, lync2013)"},
    {"role", "ROLE[,ROLE...]", C_ROLE, "only rows that apply to one of these roles"},
    {"json", NULL, C_JSON, "print the rows as JSON"},
    {"catalog", "FILE", C_CATALOG, "load a site catalog too (extends or replaces)"},
    {"help", NULL, C_HELP, "this help"},
    {NULL, NULL, 0, NULL},
};

const struct cli_cmd cli_cmd_catalog = {
    "catalog",
    "ucscan catalog [--product ID] [--role ROLE[,ROLE...]] [--json] [--catalog FILE]",
    "Prints the port tables ucscan checks against: every row of Microsoft's tables for\n"
    "Skype for Business Server 2015 (2020 revision) and Lync Server 2013, with the role,\n"
    "port, transport, expected protocol, direction and whether it is probed.",
    catalog_opts,
    "examples:\n"
    "  ucscan catalog --role director\n"
    "  ucscan catalog --product lync2013 --json > lync2013-ports.json\n",
};

static void ports_text(const struct cat_row *r, char *buf, size_t cap)
{
  char tr[16] = "";
  snprintf(tr, sizeof(tr), "%s%s%s", (r->transports & (1u << UC_TCP)) ? "tcp" : "",
           r->transports == 3u ? "+" : "", (r->transports & (1u << UC_UDP)) ? "udp" : "");
  if (r->any_port)
    snprintf(buf, cap, "any/%s", tr);
  else if (r->is_range)
    snprintf(buf, cap, "%u-%u/%s", r->first, r->last, tr);
  else
    snprintf(buf, cap, "%u/%s", r->first, tr);
}

static void roles_text(const struct cat_row *r, char *buf, size_t cap)
{
  size_t used = 0;
  buf[0] = '\0';
  if (r->nroles == 0) {
    snprintf(buf, cap, "(no ucscan role)");
    return;
  }
  for (size_t i = 0; i < r->nroles && used < cap; i++) {
    int w = snprintf(buf + used, cap - used, "%s%s", i ? "," : "", r->roles[i]);
    if (w < 0)
      break;
    used += (size_t)w;
  }
  if (r->when_role && used < cap)
    snprintf(buf + used, cap - used, " (with %s)", r->when_role);
  if (strlen(buf) > 40 && cap > 41) /* keep the table's columns */
    snprintf(buf + 37, cap - 37, "...");
}

static json_t *row_json(const struct cat_row *r)
{
  json_t *o = json_object();
  json_t *products = json_array(), *roles = json_array(), *tr = json_array();
  for (size_t i = 0; i < r->nproducts; i++)
    json_array_append_new(products, json_string(r->products[i]));
  for (size_t i = 0; i < r->nroles; i++)
    json_array_append_new(roles, json_string(r->roles[i]));
  for (int t = 0; t < UC_TRANSPORT_COUNT; t++)
    if (r->transports & (1u << t))
      json_array_append_new(tr, json_string(uc_transport_name((enum uc_transport)t)));
  json_object_set_new(o, "id", json_string(r->id));
  json_object_set_new(o, "products", products);
  json_object_set_new(o, "roles", roles);
  json_object_set_new(o, "when_role", r->when_role ? json_string(r->when_role) : json_null());
  json_object_set_new(o, "service", json_string(r->service));
  if (r->any_port)
    json_object_set_new(o, "ports", json_string("any"));
  else if (r->is_range)
    json_object_set_new(o, "ports", json_pack("{s:i, s:i}", "first", r->first, "last", r->last));
  else
    json_object_set_new(o, "port", json_integer(r->first));
  json_object_set_new(o, "transport", tr);
  json_object_set_new(o, "protocol", json_string(uc_proto_name(r->protocol)));
  json_object_set_new(o, "application", r->application ? json_string(r->application) : json_null());
  json_object_set_new(o, "direction", json_string(cat_direction_name(r->direction)));
  json_object_set_new(o, "peer", json_string(r->peer));
  json_object_set_new(o, "optional", json_boolean(r->optional));
  json_object_set_new(o, "probe", json_boolean(r->probe));
  json_object_set_new(o, "skip_reason", r->skip_reason ? json_string(r->skip_reason) : json_null());
  json_object_set_new(o, "note", json_string(r->note));
  json_object_set_new(o, "revision_note",
                      r->revision_note ? json_string(r->revision_note) : json_null());
  json_object_set_new(o, "seed",
                      json_pack("{s:s, s:s?, s:s}", "role", r->seed_role, "service",
                                r->seed_service, "protocol", r->seed_protocol));
  json_object_set_new(
      o, "source",
      json_pack("{s:s, s:s, s:i}", "file", r->src_file, "table", r->src_table, "row", r->src_row));
  return o;
}

#define CATALOG_MAX_ROLES 32

/* --role's list: which rows to show (roles[0..n)); n == 0 is every row. */
struct role_filter {
  char *buf;
  const char *v[CATALOG_MAX_ROLES];
  size_t n;
};

static bool row_selected(const struct cat_row *r, const char *product, const struct role_filter *rf)
{
  if (product && !cat_row_in_product(r, product))
    return false;
  if (rf->n == 0)
    return true;
  for (size_t i = 0; i < rf->n; i++)
    if (cat_row_has_role(r, rf->v[i]))
      return true;
  return false;
}

/* Splits and checks --role: 0, or a message and 2. */
static int parse_roles(const char *list, const struct catalog *cat, struct role_filter *rf)
{
  rf->buf = strdup(list);
  if (!rf->buf)
    return 2;
  /* as scan and listen read --role: no empty item, no role twice */
  char *tok = rf->buf;
  for (char *next; tok; tok = next) {
    next = strchr(tok, ',');
    if (next)
      *next++ = '\0';
    if (!*tok)
      return opts_usage_error("catalog", "--role: column %d: empty item in the list",
                              (int)(tok - rf->buf) + 1);
    for (size_t k = 0; k < rf->n; k++)
      if (strcmp(rf->v[k], tok) == 0)
        return opts_usage_error("catalog", "--role: role \"%s\" listed twice", tok);
    if (rf->n == CATALOG_MAX_ROLES)
      return opts_usage_error("catalog", "--role: more than %d roles", CATALOG_MAX_ROLES);
    if (!catalog_role(cat, tok)) {
      fprintf(stderr, "ucscan catalog: unknown role \"%s\"; roles:\n", tok);
      for (size_t i = 0; i < cat->nroles; i++)
        fprintf(stderr, "  %-26s %s\n", cat->roles[i].id, cat->roles[i].name);
      return 2;
    }
    rf->v[rf->n++] = tok;
  }
  return 0;
}

/* Where a table comes from, for its heading: "Skype for Business Server 2015, revision
 * 2020; seed 001, es-ES", from the "source" of the catalog file that holds `file`. */
static void source_label(const struct catalog *cat, const char *file, char *buf, size_t cap)
{
  for (size_t i = 0; i < cat->ndocs; i++) {
    json_t *src = json_object_get(cat->docs[i].root, "source");
    const char *f = json_string_value(json_object_get(src, "file"));
    if (!f || strcmp(f, file) != 0)
      continue;
    const char *product = json_string_value(json_object_get(src, "product"));
    const char *rev = json_string_value(json_object_get(src, "revision"));
    const char *lang = json_string_value(json_object_get(src, "language"));
    /* the seeds are named NNN_<hash>.txt; a site catalog's source may be anything */
    bool seed = strlen(f) > 4 && isdigit((unsigned char)f[0]) && isdigit((unsigned char)f[1]) &&
                isdigit((unsigned char)f[2]) && f[3] == '_';
    snprintf(buf, cap, "%s%s%s; %s %.*s%s%s", product ? product : file, rev ? ", revision " : "",
             rev ? rev : "", seed ? "seed" : "source", seed ? 3 : (int)strlen(f), f,
             lang ? ", " : "", lang ? lang : "");
    return;
  }
  snprintf(buf, cap, "%s", file); /* a site catalog without a "source" */
}

int cmd_catalog(int argc, char **argv)
{
  const char *product = NULL, *role = NULL, *file = NULL;
  bool as_json = false;
  if (opts_check_argv(&cli_cmd_catalog, argc, argv) != 0)
    return 2;
  struct option *lo = opts_getopt(catalog_opts);
  int c, rc = 0;
  optind = 1;
  opterr = 0;
  while (rc == 0 && (c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
    switch (c) {
    case C_PRODUCT:
      product = optarg;
      break;
    case C_ROLE:
      role = optarg;
      break;
    case C_JSON:
      as_json = true;
      break;
    case C_CATALOG:
      file = optarg;
      break;
    case C_HELP:
      opts_help(stdout, &cli_cmd_catalog);
      free(lo);
      return 0;
    case ':':
      rc = opts_usage_error("catalog", "option %s needs a value", argv[optind - 1]);
      break;
    default:
      rc = opts_usage_error("catalog", "unknown option %s", argv[optind - 1]);
      break;
    }
  }
  free(lo);
  if (rc)
    return rc;
  if (optind < argc)
    return opts_usage_error("catalog", "unexpected argument \"%s\"", argv[optind]);
  struct catalog cat = {0};
  struct uc_err err;
  if (catalog_load_builtin(&cat, &err) < 0 || (file && catalog_load_file(&cat, file, &err) < 0)) {
    char msg[800];
    uc_err_format(&err, msg, sizeof(msg));
    fprintf(stderr, "ucscan: %s\n", msg);
    catalog_free(&cat);
    return 2;
  }
  if (product && !catalog_product(&cat, product)) {
    catalog_free(&cat);
    return opts_usage_error("catalog", "unknown product \"%s\" (sfb2015 or lync2013)", product);
  }
  struct role_filter rf = {0};
  if (role && (rc = parse_roles(role, &cat, &rf)) != 0) {
    free(rf.buf);
    catalog_free(&cat);
    return rc;
  }
  if (as_json) {
    json_t *rows = json_array();
    for (size_t i = 0; i < cat.nrows; i++)
      if (row_selected(&cat.rows[i], product, &rf))
        json_array_append_new(rows, row_json(&cat.rows[i]));
    json_dumpf(rows, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(rows);
  } else {
    const char *last_table = NULL;
    size_t shown = 0;
    for (size_t i = 0; i < cat.nrows; i++) {
      const struct cat_row *r = &cat.rows[i];
      if (!row_selected(r, product, &rf))
        continue;
      if (!last_table || strcmp(last_table, r->table_title) != 0 ||
          (i && strcmp(cat.rows[i - 1].src_file, r->src_file) != 0)) {
        char from[200];
        source_label(&cat, r->src_file, from, sizeof(from));
        fprintf(stdout, "%s== %s  (%s)\n", shown ? "\n" : "", r->table_title, from);
        fprintf(stdout, "%-46s %-40s %-16s %-11s %-9s %s\n", "ID", "ROLES", "PORT", "PROTOCOL",
                "DIRECTION", "SERVICE / NOTES");
        last_table = r->table_title;
      }
      char ports[40], roles[120];
      ports_text(r, ports, sizeof(ports));
      roles_text(r, roles, sizeof(roles));
      fprintf(stdout, "%-46s %-40s %-16s %-11s %-9s %s%s%s%s%s\n", r->id, roles, ports,
              uc_proto_name(r->protocol), cat_direction_name(r->direction), r->service,
              r->optional ? " [optional]" : "",
              r->probe ? "" : " [not probed: ", r->probe ? "" : r->skip_reason,
              r->probe ? "" : "]");
      shown++;
    }
    fprintf(stdout, "\n%zu rows\n", shown);
  }
  free(rf.buf);
  catalog_free(&cat);
  return 0;
}
