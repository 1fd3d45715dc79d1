/* model/targets.h - the hosts of a command-line scan: --target lists and --targets-file files.
 *
 * An item is a host name, an IPv4 or IPv6 address, a CIDR block (198.18.1.0/28,
 * 2001:db8::/124) or an IPv4 range (198.18.1.10-20, or 198.18.1.10-198.18.1.20). Blocks and
 * ranges are expanded here, into addresses, before anything is resolved: an address range is
 * never a name to ask DNS for. A block stands for its hosts: an IPv4 block of /30 or wider
 * leaves out its network and broadcast addresses (a /31 and a /32 keep theirs).
 *
 * A file has one item per line; '#' starts a comment, blank lines and spaces around an item
 * are ignored.
 *
 * The same host twice is refused when both were written out ("given twice"); a host that an
 * expansion also covers (198.18.1.0/28 and 198.18.1.5) is kept once. At most TARGETS_MAX
 * hosts in all: a block or range that would expand beyond it is refused before it is
 * expanded. Every error names where the item was written (the option, or the file and line)
 * and its column. */
#ifndef UC_TARGETS_H
#define UC_TARGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* Hosts one command line may name after expansion (a /20, or 16 /24 subnets). */
#define TARGETS_MAX 4096

struct target {
  const char *name;   /* host name or address literal (points into the list's storage) */
  const char *source; /* "--target", or the file's path */
  int line, column;   /* where the item was written (line 1 for an option) */
  bool expanded;      /* from a block or a range */
};

struct target_list {
  struct target *v;
  size_t n, cap;
  char **store; /* names and sources, each its own allocation */
  size_t nstore, capstore;
  void *seen; /* names and addresses so far (json object) */
};

/* A comma list given with option `opt`. Returns 0, or -1 with err set. */
int targets_add_text(struct target_list *l, const char *opt, const char *text, struct uc_err *err);
/* -1 with err set (the refusal add_text gives it) when an item of the comma list is written
 * HOST:PORT ("sip.contoso.com:5061", "[::1]:5061"); 0 otherwise. Checks nothing else: for the
 * command line to say so before it asks for --role or --ports. */
int targets_find_endpoint(const char *opt, const char *text, struct uc_err *err);
/* A file of targets (at most 1 MiB). Returns 0, or -1 with err set. */
int targets_add_file(struct target_list *l, const char *path, struct uc_err *err);
void targets_free(struct target_list *l);

#endif
