/* tests/fuzz/fuzz_topology.c - the topology loader (model/topology.h, topo_load_text) against
 * the built-in catalog (loaded once: the loader only reads it).
 *
 * Checks, beyond "no crash" and no leak (topo_free after success and failure alike):
 *   - an error has a message, the source name, and a line inside the text;
 *   - a success holds at least one host; every host has a valid host name or an address
 *     literal as its name, a valid literal (or nothing) as its address, a valid pool name
 *     (or nothing), at least one role, every role known to the catalog and none twice;
 *     no two hosts share a name (case-insensitive, trailing dot ignored) or an address;
 *     the topology has a name (possibly empty), and a product the catalog knows (or none).
 * The same input, cut at its first newline into "--target" and "--role" text, also goes
 * through topo_from_targets, where a success obeys the same rules (roles may be empty only
 * when no --role was given). */
#include <arpa/inet.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "fuzz_util.h"
#include "model/topology.h"

#define FUZZ_SRC "fuzz-topology.json"

static struct catalog cat;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  struct uc_err err;
  if (catalog_load_builtin(&cat, &err) < 0) {
    fprintf(stderr, "builtin catalog: %s\n", err.text);
    abort();
  }
  return 0;
}

static int same_name(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  if (la && a[la - 1] == '.')
    la--;
  if (lb && b[lb - 1] == '.')
    lb--;
  return la == lb && strncasecmp(a, b, la) == 0;
}

static int same_address(const char *a, const char *b)
{
  unsigned char x[16] = {0}, y[16] = {0};
  int fa = topo_address_family(a), fb = topo_address_family(b);
  if (!fa || fa != fb)
    return 0;
  inet_pton(fa == 4 ? AF_INET : AF_INET6, a, x);
  inet_pton(fa == 4 ? AF_INET : AF_INET6, b, y);
  return memcmp(x, y, sizeof(x)) == 0;
}

static void check_hosts(const struct topology *t, int need_roles)
{
  FUZZ_CHECK(t->nhosts > 0 && t->hosts, "a topology without hosts");
  for (size_t i = 0; i < t->nhosts; i++) {
    const struct topo_host *h = &t->hosts[i];
    FUZZ_CHECK(h->name && (topo_valid_hostname(h->name) || topo_address_family(h->name)),
               "host %zu name \"%s\"", i, h->name ? h->name : "(null)");
    FUZZ_CHECK(!h->address || topo_address_family(h->address), "host %zu address \"%s\"", i,
               h->address);
    FUZZ_CHECK(!h->pool || topo_valid_hostname(h->pool), "host %zu pool \"%s\"", i, h->pool);
    FUZZ_CHECK(!need_roles || (h->nroles > 0 && h->roles), "host %zu has no role", i);
    for (size_t r = 0; r < h->nroles; r++) {
      FUZZ_CHECK(h->roles[r] && catalog_role(&cat, h->roles[r]), "host %zu role \"%s\"", i,
                 h->roles[r] ? h->roles[r] : "(null)");
      FUZZ_CHECK(topo_has_role(h, h->roles[r]), "topo_has_role misses \"%s\"", h->roles[r]);
      if (need_roles)
        for (size_t k = 0; k < r; k++)
          FUZZ_CHECK(strcmp(h->roles[k], h->roles[r]) != 0, "host %zu role \"%s\" twice", i,
                     h->roles[r]);
    }
    for (size_t k = 0; k < i; k++) {
      FUZZ_CHECK(!same_name(t->hosts[k].name, h->name), "hosts %zu and %zu are both \"%s\"", k, i,
                 h->name);
      FUZZ_CHECK(!h->address || !t->hosts[k].address ||
                     !same_address(h->address, t->hosts[k].address),
                 "hosts %zu and %zu share address %s", k, i, h->address);
    }
  }
}

/* --target and --role from the command line: "targets\nroles" (no newline: no --role). */
static void from_targets(const uint8_t *data, size_t size)
{
  const uint8_t *nl = memchr(data, '\n', size);
  size_t tl = nl ? (size_t)(nl - data) : size;
  char *targets = fuzz_str(data, tl, 4096);
  char *roles = nl ? fuzz_str(nl + 1, size - tl - 1, 4096) : NULL;
  struct topology t;
  struct uc_err err;
  uc_err_clear(&err);
  if (topo_from_targets(&t, targets, roles, &cat, &err) == 0) {
    check_hosts(&t, 0);
    for (size_t i = 0; i < t.nhosts; i++)
      FUZZ_CHECK(t.hosts[i].nroles == t.hosts[0].nroles && (roles || !t.hosts[i].nroles),
                 "host %zu has %zu roles", i, t.hosts[i].nroles);
    topo_free(&t);
  } else {
    fuzz_check_err(&err, NULL, 0);
    FUZZ_CHECK(t.hosts == NULL && t.nhosts == 0 && t.owned == NULL,
               "a failed topo_from_targets left storage behind");
  }
  free(targets);
  free(roles);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  from_targets(data, size);
  struct topology t;
  struct uc_err err;
  char *text = (char *)fuzz_dup(data, size);
  uc_err_clear(&err);
  int rc = topo_load_text(&t, FUZZ_SRC, text, size, &cat, &err);
  if (rc != 0) {
    FUZZ_CHECK(rc == -1, "topo_load_text returned %d", rc);
    fuzz_check_err(&err, text, size);
    FUZZ_CHECK(strcmp(err.source, FUZZ_SRC) == 0, "error source \"%s\"", err.source);
    FUZZ_CHECK(t.hosts == NULL && t.nhosts == 0 && t.doc.root == NULL && t.owned == NULL,
               "a failed load left storage behind");
    topo_free(&t); /* idempotent on a failed load */
    free(text);
    return 0;
  }
  /* Not *t.name: the loader takes "name": "" as given (reported as a finding, see README). */
  FUZZ_CHECK(t.name != NULL, "topology without a name");
  FUZZ_CHECK(!t.product || catalog_product(&cat, t.product), "unknown product \"%s\" accepted",
             t.product);
  check_hosts(&t, 1);
  topo_free(&t);
  FUZZ_CHECK(t.hosts == NULL && t.nhosts == 0, "topo_free left hosts");
  free(text);
  return 0;
}
