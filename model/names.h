/* model/names.h - role and product ids as people type them on a command line.
 *
 * Ids are matched without regard to case ("Director" is director), and stored as the
 * catalog spells them. A name that is no id gets the nearest id as "did you mean ...?"
 * (common/suggest.h), or the list of ids when none is near. */
#ifndef UC_NAMES_H
#define UC_NAMES_H

#include <stddef.h>

#include "catalog/catalog.h"
#include "common/err.h"

/* The catalog's role whose id is `s` in any case, or NULL. */
const struct cat_role *names_role(const struct catalog *cat, const char *s);

/* Reads a comma list of roles given with option `opt` ("--role"): no empty item, no role
 * twice, every item a role. On success *out (caller frees the array, not the strings: they
 * are the catalog's) holds the ids as the catalog spells them and *n their count; returns 0.
 * Returns -1 with err set (source opt, line 1, the column of the item), *out NULL. */
int names_roles(const struct catalog *cat, const char *opt, const char *list, const char ***out,
                size_t *n, struct uc_err *err);

/* The product whose id is `s` in any case: 0 and its id in *out, or -1 with err set
 * (source opt). */
int names_product(const struct catalog *cat, const char *opt, const char *s, const char **out,
                  struct uc_err *err);

#endif
