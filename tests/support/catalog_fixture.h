/* tests/support/catalog_fixture.h - the built-in catalog, loaded once per test group. */
#ifndef UC_TEST_CATALOG_FIXTURE_H
#define UC_TEST_CATALOG_FIXTURE_H

#include "catalog/catalog.h"

extern struct catalog test_catalog;

/* cmocka group setup/teardown: load and free test_catalog. */
int test_catalog_setup(void **state);
int test_catalog_teardown(void **state);

#endif
