/* cli/cmd_catalog.c - `ucscan catalog`: what the documentation requires, as a table or JSON. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "common/textcol.h"
#include "model/names.h"

struct catalog_args {
  const char *product, *role, *catalog;
  bool json;
};

#define A(field) offsetof(struct catalog_args, field)

static const struct cli_opt catalog_opts[] = {
    {"product", "ID", CLI_STR, A(product), .help = "only rows of this product (sfb2015, lync2013)",
     .man = "Only rows of this product (`sfb2015`, `lync2013`), in any case."},
    {"role", "ROLE[,ROLE...]", CLI_LIST, A(role),
     .help = "only rows that apply to one of these roles",
     .man = "Only rows that apply to one of these roles (in any case)."},
    {"json", NULL, CLI_FLAG, A(json),
     .help = "print the rows as a catalog file (--catalog loads\nit back)",
     .man = "Print the rows as a catalog file (`\"mode\": \"replace\"`, "
            "docs/catalog-format.md), which --catalog loads back: the same rows."},
    {"catalog", "FILE", CLI_STR, A(catalog),
     .help = "load a site catalog too (extends or replaces)",
     .man = "Load a site catalog too (extends or replaces the built-in one)."},
    {"help", NULL, CLI_HELP, 0, .help = "this help", .man = "The options of `ucscan catalog`."},
    {NULL, NULL, 0, 0, .help = NULL},
};

const struct cli_cmd cli_cmd_catalog = {
    "catalog",
    "ucscan catalog [--product ID] [--role ROLE[,ROLE...]] [--json]\n"
    "                      [--catalog FILE]",
    "Prints the port tables ucscan checks against: every row of Microsoft's tables for\n"
    "Skype for Business Server 2015 (2020 revision) and Lync Server 2013, with the role,\n"
    "port, transport, expected protocol, direction, the vantages that test it (FROM), the\n"
    "Edge interface it belongs to and whether it is probed. The table fits the\n"
    "terminal's width. --json writes the rows as a catalog file (\"mode\": \"replace\")\n"
    "that --catalog loads back.",
    catalog_opts,
    "examples:\n"
    "  ucscan catalog --role director\n"
    "  ucscan catalog --product lync2013 --json > lync2013-ports.json\n",
    false,
    NULL,
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
    int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", r->roles[i]);
    if (w < 0)
      break;
    used += (size_t)w;
  }
  if (r->when_role && used < cap)
    snprintf(buf + used, cap - used, " (with %s)", r->when_role);
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

/* --role's list: which rows to show (v[0..n)); n == 0 is every row. */
struct role_filter {
  const char **v;
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

/* What the rows are filtered by: --product and --role. */
struct row_filter {
  const char *product;
  const struct role_filter *roles;
};

static bool row_kept(const struct cat_row *r, void *arg)
{
  const struct row_filter *f = arg;
  return row_selected(r, f->product, f->roles);
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

enum { K_ID, K_ROLES, K_PORT, K_PROTO, K_DIR, K_FROM, K_IFACE, K_SERVICE, NCOLS };

/* The table's columns: one line here per column; the layout fits whatever is here. A file or
 * a pipe gets every column, each cell whole (scripts find the columns where they were). On a
 * terminal, columns no row fills are left out, and when the table does not fit with every
 * cell whole, the ID column goes and each row's id follows it on a line of its own; port
 * ranges may wrap after the "/", and when that is not enough DIRECTION goes (an outbound
 * row still says so in SERVICE / NOTES). */
static const struct textcol_col file_cols[NCOLS] = {
    [K_ID] = {"ID", 0, 0, 0, 0, 0},          [K_PORT] = {"PORT", 0, 0, 0, 0, 0},
    [K_PROTO] = {"PROTOCOL", 0, 0, 0, 0, 0}, [K_DIR] = {"DIRECTION", 0, 0, 0, 0, 0},
    [K_FROM] = {"FROM", 0, 0, 0, 0, 0},      [K_IFACE] = {"IFACE", 0, 0, 0, 0, 0},
    [K_ROLES] = {"ROLES", 0, 0, 0, 0, 0},    [K_SERVICE] = {"SERVICE / NOTES", 0, 0, 0, 0, 0},
};
static const struct textcol_col wide_cols[NCOLS] = {
    [K_ID] = {"ID", 0, 0, 0, 0, 0},
    [K_PORT] = {"PORT", 0, 0, 0, 0, 0},
    [K_PROTO] = {"PROTOCOL", 0, 0, 0, 0, 0},
    [K_DIR] = {"DIRECTION", 0, 0, 0, 0, 0},
    [K_FROM] = {"FROM", TEXTCOL_WRAP | TEXTCOL_HIDE_EMPTY, 12, 0, 0, 0},
    [K_IFACE] = {"IFACE", TEXTCOL_HIDE_EMPTY, 0, 0, 0, 0},
    [K_ROLES] = {"ROLES", TEXTCOL_WRAP, 16, 24, 0, 0},
    [K_SERVICE] = {"SERVICE / NOTES", TEXTCOL_WRAP, 20, 30, 0, 0},
};
static const struct textcol_col narrow_cols[NCOLS] = {
    [K_ID] = {"ID", TEXTCOL_HIDE_EMPTY, 0, 0, 0, 0},
    [K_PORT] = {"PORT", TEXTCOL_WRAP, 12, 0, 0, 0},
    [K_PROTO] = {"PROTOCOL", 0, 0, 0, 0, 0},
    [K_DIR] = {"DIRECTION", 0, 0, 0, 0, 1},
    [K_FROM] = {"FROM", TEXTCOL_WRAP | TEXTCOL_HIDE_EMPTY, 12, 0, 0, 0},
    [K_IFACE] = {"IFACE", TEXTCOL_HIDE_EMPTY, 0, 0, 0, 0},
    [K_ROLES] = {"ROLES", TEXTCOL_WRAP, 16, 24, 0, 0},
    [K_SERVICE] = {"SERVICE / NOTES", TEXTCOL_WRAP, 20, 30, 0, 0},
};

static int table_row(struct textcol *t, const struct cat_row *r, bool narrow)
{
  char ports[40], roles[600], from[120], service[1200];
  ports_text(r, ports, sizeof(ports));
  roles_text(r, roles, sizeof(roles));
  from_text(r, from, sizeof(from));
  bool outbound = r->probe && r->direction == CAT_OUTBOUND;
  snprintf(service, sizeof(service), "%s%s%s%s%s%s", r->service, r->optional ? " [optional]" : "",
           outbound ? " [outbound: not probed from here]" : "",
           r->probe ? "" : " [not probed: ", r->probe ? "" : r->skip_reason, r->probe ? "" : "]");
  const char *iface = uc_iface_name(r->iface);
  const char *cells[NCOLS] = {
      [K_ID] = narrow ? "" : r->id,
      [K_PORT] = ports,
      [K_PROTO] = uc_proto_name(r->protocol),
      [K_DIR] = cat_direction_name(r->direction),
      [K_FROM] = from,
      [K_IFACE] = iface ? iface : "-",
      [K_ROLES] = roles,
      [K_SERVICE] = service,
  };
  int rc = textcol_row(t, cells, NULL);
  if (rc == 0 && narrow) {
    char id[300];
    snprintf(id, sizeof(id), "id %s", r->id);
    rc = textcol_line(t, 2, id, NULL);
  }
  return rc;
}

/* The selected rows, one table per source table, each under its heading. */
static struct textcol *build_table(const struct catalog *cat, const char *product,
                                   const struct role_filter *rf, const struct textcol_col *cols,
                                   size_t *shown)
{
  bool narrow = cols == narrow_cols;
  struct textcol *t = textcol_new(cols, NCOLS);
  const struct cat_row *last = NULL;
  *shown = 0;
  for (size_t i = 0; t && i < cat->nrows; i++) {
    const struct cat_row *r = &cat->rows[i];
    if (!row_selected(r, product, rf))
      continue;
    if (!last || strcmp(last->table_title, r->table_title) != 0 ||
        strcmp(last->src_file, r->src_file) != 0) {
      char from[300], line[500];
      source_label(r, from, sizeof(from));
      snprintf(line, sizeof(line), "== %s  (%s)", r->table_title, from);
      if (*shown)
        textcol_line(t, 0, "", NULL);
      textcol_line(t, 0, line, NULL);
      textcol_head(t);
    }
    table_row(t, r, narrow);
    last = r;
    (*shown)++;
  }
  return t;
}

/* The table fitted to the terminal: the wide layout when it fits, else the narrow one. */
static int print_table(const struct catalog *cat, const char *product, const struct role_filter *rf)
{
  unsigned width = textcol_width(STDOUT_FILENO);
  size_t shown;
  struct textcol *t = build_table(cat, product, rf, width ? wide_cols : file_cols, &shown);
  if (t && width && textcol_natural_width(t, 0) > width) {
    textcol_free(t);
    t = build_table(cat, product, rf, narrow_cols, &shown);
  }
  if (!t)
    return -1;
  textcol_print(t, stdout, width, 0, false);
  textcol_free(t);
  fprintf(stdout, "\n%zu rows\n", shown);
  return 0;
}

static int load_error(const struct uc_err *err)
{
  char msg[800];
  uc_err_format(err, msg, sizeof(msg));
  fprintf(stderr, "ucscan catalog: %s\n", msg);
  return 2;
}

int cmd_catalog(int argc, char **argv)
{
  struct catalog_args a = {0};
  int rc = opts_parse(&cli_cmd_catalog, argc, argv, &a);
  if (rc)
    return rc == 1 ? 0 : 2;
  struct catalog cat = {0};
  struct role_filter rf = {0};
  struct uc_err err;
  const char *product = NULL;
  int status = 2;
  if (catalog_load_builtin(&cat, &err) < 0 ||
      (a.catalog && catalog_load_file(&cat, a.catalog, &err) < 0) ||
      (a.product && names_product(&cat, "--product", a.product, &product, &err) < 0) ||
      (a.role && names_roles(&cat, "--role", a.role, &rf.v, &rf.n, &err) < 0)) {
    load_error(&err);
    goto out;
  }
  status = 0;
  if (a.json) {
    struct row_filter f = {product, &rf};
    json_t *doc = catalog_to_json(&cat, row_kept, &f);
    if (!doc) {
      fprintf(stderr, "ucscan catalog: out of memory\n");
      status = 2;
      goto out;
    }
    json_dumpf(doc, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(doc);
  } else if (print_table(&cat, product, &rf) < 0) {
    fprintf(stderr, "ucscan catalog: out of memory\n");
    status = 2;
  }
out:
  free(rf.v);
  catalog_free(&cat);
  return status;
}
