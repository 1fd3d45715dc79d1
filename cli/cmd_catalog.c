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
    {"json", NULL, C_JSON, "print the rows as a catalog file (--catalog loads it back)"},
    {"catalog", "FILE", C_CATALOG, "load a site catalog too (extends or replaces)"},
    {"help", NULL, C_HELP, "this help"},
    {NULL, NULL, 0, NULL},
};

const struct cli_cmd cli_cmd_catalog = {
    "catalog",
    "ucscan catalog [--product ID] [--role ROLE[,ROLE...]] [--json] [--catalog FILE]",
    "Prints the port tables ucscan checks against: every row of Microsoft's tables for\n"
    "Skype for Business Server 2015 (2020 revision) and Lync Server 2013, with the role,\n"
    "port, transport, expected protocol, direction, the vantages that test it (FROM), the\n"
    "Edge interface it belongs to and whether it is probed. --json writes the rows as a\n"
    "catalog file (\"mode\": \"replace\") that --catalog loads back.",
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

/* "servers,clients", "any" for a site row that names no vantage. */
static void from_text(const struct cat_row *r, char *buf, size_t cap)
{
  size_t used = 0;
  buf[0] = '\0';
  if (!r->from_given) {
    snprintf(buf, cap, "any");
    return;
  }
  for (int v = 0; v < UC_VANTAGE_COUNT && used < cap; v++) {
    if (v == UC_V_ANY || !(r->from & (1u << v)))
      continue;
    int w = snprintf(buf + used, cap - used, "%s%s", used ? "," : "",
                     uc_vantage_name((enum uc_vantage)v));
    if (w < 0)
      break;
    used += (size_t)w;
  }
}

#define CATALOG_MAX_ROLES 32

/* --role's list: which rows to show (roles[0..n)); n == 0 is every row. */
struct role_filter {
  char *buf;
  const char *v[CATALOG_MAX_ROLES];
  size_t n;
};

/* What the rows are filtered by: --product and --role. */
struct row_filter {
  const char *product;
  const struct role_filter *roles;
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

static bool row_kept(const struct cat_row *r, void *arg)
{
  const struct row_filter *f = arg;
  return row_selected(r, f->product, f->roles);
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
 * 2020; seed 001, es-ES" or "...; page sfb2015-edge-environmental-requirements, es-ES", from
 * the "source" of the row's table or file. */
static void source_label(const struct cat_row *r, char *buf, size_t cap)
{
  const char *f = json_string_value(json_object_get(r->source_json, "file"));
  if (!f || json_object_size(r->source_json) == 1) { /* no "source", or only a file name */
    snprintf(buf, cap, "%s", r->src_file);
    return;
  }
  const char *product = json_string_value(json_object_get(r->source_json, "product"));
  const char *rev = json_string_value(json_object_get(r->source_json, "revision"));
  const char *lang = json_string_value(json_object_get(r->source_json, "language"));
  /* the seeds are named NNN_<hash>.txt, the reference pages <name>.<language>.md; a site
   * catalog's source may be anything */
  size_t n = strlen(f);
  bool seed = n > 4 && isdigit((unsigned char)f[0]) && isdigit((unsigned char)f[1]) &&
              isdigit((unsigned char)f[2]) && f[3] == '_';
  bool page = !seed && n > 3 && strcmp(f + n - 3, ".md") == 0;
  int shown = seed ? 3 : (int)n;
  if (page) {
    shown = (int)n - 3;
    if (lang && (size_t)shown > strlen(lang) + 1 &&
        strncmp(f + shown - strlen(lang), lang, strlen(lang)) == 0 &&
        f[shown - strlen(lang) - 1] == '.')
      shown -= (int)strlen(lang) + 1;
  }
  snprintf(buf, cap, "%s%s%s; %s %.*s%s%s", product ? product : f, rev ? ", revision " : "",
           rev ? rev : "", seed ? "seed" : (page ? "page" : "source"), shown, f, lang ? ", " : "",
           lang ? lang : "");
}

/* The rows as a table, one heading per source table. */
static void print_table(const struct catalog *cat, const char *product,
                        const struct role_filter *rf)
{
  const struct cat_row *last = NULL;
  size_t shown = 0;
  for (size_t i = 0; i < cat->nrows; i++) {
    const struct cat_row *r = &cat->rows[i];
    if (!row_selected(r, product, rf))
      continue;
    if (!last || strcmp(last->table_title, r->table_title) != 0 ||
        strcmp(last->src_file, r->src_file) != 0) {
      char from[300];
      source_label(r, from, sizeof(from));
      fprintf(stdout, "%s== %s  (%s)\n", shown ? "\n" : "", r->table_title, from);
      fprintf(stdout, "%-46s %-40s %-16s %-11s %-9s %-22s %-8s %s\n", "ID", "ROLES", "PORT",
              "PROTOCOL", "DIRECTION", "FROM", "IFACE", "SERVICE / NOTES");
    }
    char ports[40], roles[120], vantages[80];
    ports_text(r, ports, sizeof(ports));
    roles_text(r, roles, sizeof(roles));
    from_text(r, vantages, sizeof(vantages));
    const char *iface = uc_iface_name(r->iface);
    bool outbound = r->probe && r->direction == CAT_OUTBOUND;
    fprintf(stdout, "%-46s %-40s %-16s %-11s %-9s %-22s %-8s %s%s%s%s%s%s\n", r->id, roles, ports,
            uc_proto_name(r->protocol), cat_direction_name(r->direction), vantages,
            iface ? iface : "-", r->service, r->optional ? " [optional]" : "",
            outbound ? " [outbound: not probed from here]" : "",
            r->probe ? "" : " [not probed: ", r->probe ? "" : r->skip_reason, r->probe ? "" : "]");
    last = r;
    shown++;
  }
  fprintf(stdout, "\n%zu rows\n", shown);
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
    struct row_filter f = {product, &rf};
    json_t *doc = catalog_to_json(&cat, row_kept, &f);
    if (!doc) {
      fprintf(stderr, "ucscan: out of memory\n");
      free(rf.buf);
      catalog_free(&cat);
      return 2;
    }
    json_dumpf(doc, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(doc);
  } else {
    print_table(&cat, product, &rf);
  }
  free(rf.buf);
  catalog_free(&cat);
  return 0;
}
