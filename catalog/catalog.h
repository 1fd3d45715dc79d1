/* catalog/catalog.h - Microsoft's port tables in memory.
 *
 * The built-in catalog is the JSON under catalog/ compiled into the binary; a site file
 * (`--catalog FILE`) extends or replaces it. Format: docs/catalog-format.md. Strings
 * point into the parsed documents, which the catalog keeps until catalog_free(). */
#ifndef UC_CATALOG_H
#define UC_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/jdoc.h"
#include "common/uc.h"

enum cat_direction { CAT_INBOUND, CAT_OUTBOUND, CAT_BOTH, CAT_NONE };

struct cat_product {
  const char *id;
  const char *name;
  bool is_default;
};

struct cat_role {
  const char *id;
  const char *name;
  const char *description;
};

struct cat_row {
  const char *id;
  const char **products;
  size_t nproducts;
  const char **roles;
  size_t nroles;
  const char *when_role; /* NULL: unconditional */
  const char *seed_role;
  const char *service;
  const char *seed_service; /* may be NULL */
  uint16_t first, last;     /* a single port has first == last */
  bool is_range;            /* written as "ports" */
  bool any_port;            /* "ports": "any" */
  unsigned transports;      /* bit (1u << UC_TCP) | (1u << UC_UDP) */
  enum uc_proto protocol;
  const char *application; /* may be NULL */
  const char *seed_protocol;
  enum cat_direction direction;
  const char *peer;
  unsigned from;       /* vantages that test the row: bit (1u << UC_V_...); never UC_V_ANY */
  bool from_given;     /* "from" was in the row (built-in rows always; absent: every vantage) */
  enum uc_iface iface; /* the Edge interface the row belongs to, or UC_IF_NONE */
  bool optional;
  bool probe;
  const char *skip_reason; /* when !probe */
  const char *note;
  const char *revision_note; /* may be NULL */
  const char *src_file;
  const char *src_table;
  int src_row;
  const char *table_title; /* English title of the source table, or its seed title */
  json_t *table_json;      /* the table object the row was read from (borrowed) */
  json_t *source_json;     /* the "source" naming the row's document: its table's, else its
                            * file's; NULL when neither has one (borrowed) */
};

struct catalog {
  struct cat_product *products;
  size_t nproducts;
  struct cat_role *roles;
  size_t nroles;
  struct cat_row *rows;
  size_t nrows;
  struct jdoc *docs; /* kept alive: the strings above point into them */
  size_t ndocs;
  size_t nbuiltin_products, nbuiltin_roles; /* the first ones are the built-in catalog's */
};

/* Loads the compiled-in catalog: roles.json, then each product's files (<product>.json
 * first), then the rest, in file-name order. Built-in rows must say "from". Returns 0, or
 * -1 with *err set. */
int catalog_load_builtin(struct catalog *c, struct uc_err *err);
/* Adds a site file: "mode": "extend" (default) keeps what is loaded, "replace" drops it. */
int catalog_load_file(struct catalog *c, const char *path, struct uc_err *err);
/* Adds one document given as text (used by the two above and by tests). */
int catalog_load_text(struct catalog *c, const char *name, const char *text, size_t len,
                      int allow_replace, struct uc_err *err);
void catalog_free(struct catalog *c);

const struct cat_role *catalog_role(const struct catalog *c, const char *id);
const struct cat_product *catalog_product(const struct catalog *c, const char *id);
const char *catalog_default_product(const struct catalog *c);
bool cat_row_in_product(const struct cat_row *r, const char *product);
bool cat_row_has_role(const struct cat_row *r, const char *role);
const char *cat_direction_name(enum cat_direction d);
/* Whether a scan from vantage v tests row r (UC_V_ANY tests every row). */
bool cat_row_from(const struct cat_row *r, enum uc_vantage v);

/* The rows `keep` accepts (NULL: every row) as one catalog document in the format the
 * loader reads, "mode": "replace": loaded with --catalog it gives the same rows, field by
 * field, and the same table headings. Site-defined products and roles (not the built-in
 * ones) are included. Returns a new reference, or NULL when out of memory. */
json_t *catalog_to_json(const struct catalog *c, bool (*keep)(const struct cat_row *r, void *arg),
                        void *arg);

#endif
