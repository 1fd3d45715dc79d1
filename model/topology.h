/* model/topology.h - the deployment to scan: hosts, their addresses and roles.
 * Read from the contract's topology file, or made from --target/--role on the
 * command line. Strings point into the parsed document (or the argv copies). */
#ifndef UC_TOPOLOGY_H
#define UC_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog/catalog.h"
#include "common/err.h"
#include "common/jdoc.h"
#include "model/targets.h"

struct topo_host {
  const char *name;    /* FQDN (or an address literal given with --target) */
  const char *address; /* literal IPv4/IPv6, or NULL: resolve `name` */
  const char *pool;    /* extra name a certificate may carry, or NULL */
  const char **roles;
  size_t nroles;
  /* Edge interfaces (contract v2): address or name per enum uc_iface, NULL when not given.
   * ifaces[UC_IF_NONE] is unused. has_ifaces: the host gave "interfaces". */
  const char *ifaces[UC_IF_COUNT];
  bool has_ifaces;
};

struct topology {
  const char *name;        /* topology name ("contoso"); file base name when absent */
  const char *product;     /* product id; NULL: the catalog's default */
  enum uc_vantage vantage; /* "vantage": where scans of this topology run (UC_V_ANY: not said) */
  bool has_vantage;
  struct topo_host *hosts;
  size_t nhosts;
  struct jdoc doc; /* when read from a file */
  char *owned;     /* storage for command-line topologies */
};

/* Reads and validates a topology file against the catalog's roles and products. */
int topo_load_file(struct topology *t, const char *path, const struct catalog *cat,
                   struct uc_err *err);
/* The same from text in memory (`name` is used in messages), e.g. the demo's topology. */
int topo_load_text(struct topology *t, const char *name, const char *text, size_t len,
                   const struct catalog *cat, struct uc_err *err);
/* Builds a topology from "--target a,b" and "--role r1,r2" (roles may be NULL for --ports
 * scans): the targets as model/targets.h reads them (blocks and ranges expanded), the roles
 * as model/names.h does (any case). Every target gets every role. */
int topo_from_targets(struct topology *t, const char *targets, const char *roles,
                      const struct catalog *cat, struct uc_err *err);
/* The same from a target list made by the caller (--target and --targets-file): host i is
 * the list's item i. */
int topo_from_list(struct topology *t, const struct target_list *l, const char *roles,
                   const struct catalog *cat, struct uc_err *err);
void topo_free(struct topology *t);

/* Checks shared with the command line. */
int topo_valid_hostname(const char *s);
/* 4 or 6 when s is an IPv4 / IPv6 literal, else 0. */
int topo_address_family(const char *s);
/* A host name or address that would probe something other than what was meant: an IPv4
 * address getaddrinfo() reads in inet_aton()'s forms (127.0.0.060 is 127.0.0.48; hex,
 * plain numbers, fewer parts), or an address that is no host (unspecified, broadcast,
 * multicast). Returns 1 and says why in `why`, else 0. */
int topo_address_problem(const char *s, char *why, size_t cap);
int topo_has_role(const struct topo_host *h, const char *role);

#endif
