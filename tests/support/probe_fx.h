/* tests/support/probe_fx.h - drives one probe module the way the engine does, for unit tests
 * on byte fixtures: every classify()/finish() gets an exact-size heap copy of the bytes, so
 * that a read past len trips ASan or valgrind. */
#ifndef UC_TEST_PROBE_FX_H
#define UC_TEST_PROBE_FX_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/probe.h"

struct probe_fx {
  const struct probe_module *m;
  struct sockaddr_in sa;
  struct sockaddr_in6 sa6;
  struct probe_target t;
  void *st;
  struct probe_outcome out;
};

/* Target host/addr4:port, the check's protocol; rnd NULL means 32 zero bytes. */
void probe_fx_init(struct probe_fx *f, const struct probe_module *m, const char *host,
                   const char *addr4, uint16_t port, enum uc_proto proto, const uint8_t *rnd);
void probe_fx_done(struct probe_fx *f);
enum probe_status probe_fx_classify(struct probe_fx *f, const void *buf, size_t len);
void probe_fx_finish(struct probe_fx *f, enum probe_end why, const void *buf, size_t len);
/* Feeds buf in growing prefixes of step bytes; returns the length at which classify said
 * PROBE_DONE, or 0 if it never did. */
size_t probe_fx_feed(struct probe_fx *f, const void *buf, size_t len, size_t step);
/* build(0) into buf, NUL-terminated; returns its length. */
size_t probe_fx_build(struct probe_fx *f, char *buf, size_t cap);

#endif
