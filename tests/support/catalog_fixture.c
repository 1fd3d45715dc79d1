/* tests/support/catalog_fixture.c - the built-in catalog for unit tests. */
#include "tests/support/catalog_fixture.h"

#include <stdio.h>

struct catalog test_catalog;

int test_catalog_setup(void **state)
{
  (void)state;
  struct uc_err err;
  if (catalog_load_builtin(&test_catalog, &err) < 0) {
    fprintf(stderr, "built-in catalog: %s\n", err.text);
    return -1;
  }
  return 0;
}

int test_catalog_teardown(void **state)
{
  (void)state;
  catalog_free(&test_catalog);
  return 0;
}
