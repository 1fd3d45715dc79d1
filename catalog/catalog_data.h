/* catalog/catalog_data.h - the catalog JSON files compiled into the binary
 * (generated into the build directory by cmake/embed_catalog.cmake). */
#ifndef UC_CATALOG_DATA_H
#define UC_CATALOG_DATA_H

#include <stddef.h>

struct catalog_blob {
  const char *name; /* file name under catalog/, e.g. "sfb2015.json" */
  const char *data; /* NUL-terminated */
  size_t len;       /* without the NUL */
};

extern const struct catalog_blob catalog_builtin[];
extern const size_t catalog_builtin_count;

#endif
