/* tests/fuzz/fuzz_catalog.c - the catalog loader (catalog/catalog.h): the built-in catalog is
 * loaded first (once: each input gets a copy), then the input as a site file (catalog_load_text
 * with allow_replace, as
 * `--catalog FILE` does), then catalog_free.
 *
 * Checks, beyond "no crash" and no leak:
 *   - an error has a message, the site file's name as its source, a line inside the text;
 *   - after a successful load the catalog is consistent: product, role and row ids are
 *     lower-case slugs and unique; at most one default product; every row names at least
 *     one product, every product and role it names is defined, none twice; ports 1-65535 with
 *     first <= last ("port" rows single, "any" rows 1-65535); transports a non-empty subset
 *     of tcp/udp; protocol and direction in range; a row not probed has a skip reason; DHCP
 *     and IPsec rows are never probed; the source row number is positive;
 *   - every row is tested from at least one vantage (all of them when it names none) and its
 *     Edge interface is in range;
 *   - a site file in "extend" mode (the default) never loses a built-in row;
 *   - the site file's rows, written by catalog_to_json() (`ucscan catalog --json`), load back
 *     on the built-in catalog and give the same rows. */
#include "catalog/catalog.h"
#include "fuzz_util.h"

#define FUZZ_SRC "fuzz-site-catalog.json"

static struct catalog base; /* the built-in catalog, loaded once, never changed */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  struct uc_err err;
  if (catalog_load_builtin(&base, &err) < 0) {
    fprintf(stderr, "builtin catalog: %s\n", err.text);
    abort();
  }
  return 0;
}

/* Parsing the built-in catalog for every input would cost ~10 ms (100 inputs/s); instead
 * each input gets a copy of `base` that catalog_load_text() and catalog_free() may treat as
 * their own. This follows catalog.c's ownership rules: the products, roles, rows and docs
 * arrays are malloc'd with room for cap_for(count) elements (doubling from 16: push() derives
 * the capacity from the count), each row owns its products and roles arrays, and the strings
 * point into the docs, which the copy shares with `base` (the loader only reads them). */
static size_t cap_for(size_t n)
{
  size_t cap = 16;
  while (cap < n)
    cap *= 2;
  return n ? cap : 0;
}

static void *copy_array(const void *src, size_t n, size_t elem)
{
  size_t cap = cap_for(n);
  void *p = calloc(cap ? cap : 1, elem);
  if (!p)
    abort();
  if (n)
    memcpy(p, src, n * elem);
  return p;
}

static void catalog_from_base(struct catalog *c)
{
  *c = base;
  c->products = copy_array(base.products, base.nproducts, sizeof(*base.products));
  c->roles = copy_array(base.roles, base.nroles, sizeof(*base.roles));
  c->rows = copy_array(base.rows, base.nrows, sizeof(*base.rows));
  c->docs = copy_array(base.docs, base.ndocs, sizeof(*base.docs));
  for (size_t i = 0; i < c->nrows; i++) {
    struct cat_row *r = &c->rows[i];
    const char **p = malloc((r->nproducts ? r->nproducts : 1) * sizeof(*p));
    const char **q = malloc((r->nroles ? r->nroles : 1) * sizeof(*q));
    if (!p || !q)
      abort();
    memcpy(p, r->products, r->nproducts * sizeof(*p));
    memcpy(q, r->roles, r->nroles * sizeof(*q));
    r->products = p;
    r->roles = q;
  }
}

/* catalog_free() for a copy: the docs that came from `base` stay alive. */
static void catalog_free_copy(struct catalog *c)
{
  for (size_t i = base.ndocs; i < c->ndocs; i++)
    jdoc_free(&c->docs[i]);
  c->ndocs = 0;
  catalog_free(c);
}

static int slug(const char *s)
{
  if (!s || !*s)
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
      return 0;
  return 1;
}

static void check_catalog(const struct catalog *c, int replaced)
{
  size_t defaults = 0;
  for (size_t i = 0; i < c->nproducts; i++) {
    const struct cat_product *p = &c->products[i];
    FUZZ_CHECK(slug(p->id) && p->name, "product %zu id \"%s\"", i, p->id ? p->id : "(null)");
    FUZZ_CHECK(catalog_product(c, p->id) == p, "product \"%s\" defined twice", p->id);
    defaults += p->is_default;
  }
  FUZZ_CHECK(defaults <= 1, "%zu default products", defaults);
  FUZZ_CHECK(c->nproducts == 0 || catalog_default_product(c), "no default product");
  for (size_t i = 0; i < c->nroles; i++) {
    const struct cat_role *r = &c->roles[i];
    FUZZ_CHECK(slug(r->id) && r->name, "role %zu id \"%s\"", i, r->id ? r->id : "(null)");
    FUZZ_CHECK(catalog_role(c, r->id) == r, "role \"%s\" defined twice", r->id);
  }
  for (size_t i = 0; i < c->nrows; i++) {
    const struct cat_row *r = &c->rows[i];
    FUZZ_CHECK(slug(r->id), "row %zu id \"%s\"", i, r->id ? r->id : "(null)");
    for (size_t k = 0; k < i; k++)
      FUZZ_CHECK(strcmp(c->rows[k].id, r->id) != 0, "row id \"%s\" twice", r->id);
    FUZZ_CHECK(r->nproducts > 0, "row \"%s\" has no product", r->id);
    for (size_t k = 0; k < r->nproducts; k++) {
      FUZZ_CHECK(catalog_product(c, r->products[k]), "row \"%s\" product \"%s\" undefined", r->id,
                 r->products[k]);
      FUZZ_CHECK(cat_row_in_product(r, r->products[k]), "cat_row_in_product misses");
      for (size_t j = 0; j < k; j++)
        FUZZ_CHECK(strcmp(r->products[j], r->products[k]) != 0, "row \"%s\" product twice", r->id);
    }
    for (size_t k = 0; k < r->nroles; k++) {
      FUZZ_CHECK(catalog_role(c, r->roles[k]), "row \"%s\" role \"%s\" undefined", r->id,
                 r->roles[k]);
      FUZZ_CHECK(cat_row_has_role(r, r->roles[k]), "cat_row_has_role misses");
      for (size_t j = 0; j < k; j++)
        FUZZ_CHECK(strcmp(r->roles[j], r->roles[k]) != 0, "row \"%s\" role twice", r->id);
    }
    FUZZ_CHECK(!r->when_role || catalog_role(c, r->when_role), "row \"%s\" when_role \"%s\"", r->id,
               r->when_role);
    FUZZ_CHECK(r->first >= 1 && r->first <= r->last, "row \"%s\" ports %u-%u", r->id, r->first,
               r->last);
    FUZZ_CHECK(r->is_range || r->first == r->last, "row \"%s\" single port %u-%u", r->id, r->first,
               r->last);
    FUZZ_CHECK(!r->any_port || (r->is_range && r->first == 1 && r->last == 65535),
               "row \"%s\" any port %u-%u", r->id, r->first, r->last);
    FUZZ_CHECK(r->transports != 0 && (r->transports & ~3u) == 0, "row \"%s\" transports 0x%x",
               r->id, r->transports);
    FUZZ_CHECK((unsigned)r->protocol < UC_P_COUNT, "row \"%s\" protocol %d", r->id,
               (int)r->protocol);
    FUZZ_CHECK((unsigned)r->direction <= CAT_NONE, "row \"%s\" direction %d", r->id,
               (int)r->direction);
    FUZZ_CHECK(r->probe || (r->skip_reason && *r->skip_reason), "row \"%s\" skipped silently",
               r->id);
    FUZZ_CHECK(!r->probe || (r->protocol != UC_P_DHCP && r->protocol != UC_P_IPSEC),
               "row \"%s\" probes %s", r->id, uc_proto_name(r->protocol));
    FUZZ_CHECK(r->service && r->seed_role && r->seed_protocol && r->peer && r->note &&
                   r->src_file && r->src_table && r->table_title,
               "row \"%s\" lacks a required string", r->id);
    FUZZ_CHECK(r->src_row >= 1, "row \"%s\" source row %d", r->id, r->src_row);
    FUZZ_CHECK(r->from != 0 && (r->from & ~UC_VANTAGE_ALL) == 0 &&
                   (r->from_given || r->from == UC_VANTAGE_ALL),
               "row \"%s\" from 0x%x", r->id, r->from);
    FUZZ_CHECK((unsigned)r->iface < UC_IF_COUNT, "row \"%s\" interface %d", r->id, (int)r->iface);
  }
  FUZZ_CHECK(replaced || c->nrows >= base.nrows, "extend mode lost rows: %zu < %zu", c->nrows,
             base.nrows);
}

/* The rows the site file brought: all of them after "replace", the ones after the built-in
 * catalog's otherwise. */
struct site_rows {
  const struct catalog *c;
  size_t first;
};

static bool site_row(const struct cat_row *r, void *arg)
{
  const struct site_rows *s = arg;
  return (size_t)(r - s->c->rows) >= s->first;
}

static void check_written(const struct catalog *c, size_t first)
{
  struct site_rows sel = {c, first};
  json_t *doc = catalog_to_json(c, site_row, &sel);
  FUZZ_CHECK(doc != NULL, "catalog_to_json failed");
  char *text = json_dumps(doc, 0);
  json_decref(doc);
  FUZZ_CHECK(text != NULL, "json_dumps failed");
  struct catalog d;
  struct uc_err err;
  catalog_from_base(&d);
  uc_err_clear(&err);
  int rc = catalog_load_text(&d, "written.json", text, strlen(text), 1, &err);
  FUZZ_CHECK(rc == 0, "the written catalog is refused: %d:%d %s", err.line, err.column, err.text);
  FUZZ_CHECK(d.nrows == c->nrows - first, "%zu rows written back, %zu loaded", c->nrows - first,
             d.nrows);
  for (size_t i = first; i < c->nrows; i++) {
    const struct cat_row *a = &c->rows[i], *b = NULL;
    for (size_t k = 0; k < d.nrows && !b; k++)
      if (strcmp(d.rows[k].id, a->id) == 0)
        b = &d.rows[k];
    FUZZ_CHECK(b && a->first == b->first && a->last == b->last && a->is_range == b->is_range &&
                   a->any_port == b->any_port && a->transports == b->transports &&
                   a->protocol == b->protocol && a->direction == b->direction &&
                   a->from == b->from && a->from_given == b->from_given && a->iface == b->iface &&
                   a->optional == b->optional && a->probe == b->probe && a->nroles == b->nroles &&
                   a->nproducts == b->nproducts && a->src_row == b->src_row &&
                   strcmp(a->src_file, b->src_file) == 0 && strcmp(a->note, b->note) == 0,
               "row \"%s\" differs when written and loaded back", a->id);
  }
  catalog_free_copy(&d);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct catalog c;
  struct uc_err err;
  char *text = (char *)fuzz_dup(data, size);
  catalog_from_base(&c);
  uc_err_clear(&err);
  int rc = catalog_load_text(&c, FUZZ_SRC, text, size, 1, &err);
  if (rc != 0) {
    FUZZ_CHECK(rc == -1, "catalog_load_text returned %d", rc);
    fuzz_check_err(&err, text, size);
    FUZZ_CHECK(strcmp(err.source, FUZZ_SRC) == 0, "error source \"%s\"", err.source);
  } else {
    /* "replace" dropped the built-in rows: the site file's own must still be consistent. */
    json_t *mode = json_object_get(c.docs[c.ndocs - 1].root, "mode");
    int replaced = json_is_string(mode) && strcmp(json_string_value(mode), "replace") == 0;
    check_catalog(&c, replaced);
    check_written(&c, replaced ? 0 : base.nrows);
  }
  FUZZ_CHECK(c.ndocs >= base.ndocs, "documents lost");
  catalog_free_copy(&c);
  free(text);
  return 0;
}
