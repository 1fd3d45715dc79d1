/* scanner/portbits.h - two bits of state per port over the span of a target's ranges of
 * one transport, four ports to a byte.
 *
 * The stateless probers (the UDP sweep, udp_sweep.c; raw SYNs, engine_syn.c) keep no
 * structure per port, only these bits: a Front End's 16,384 media ports cost 4 KiB, and
 * 1,000 Front Ends 4 MiB per transport (a byte a port took 16). What the two bits mean is
 * the prober's: this module only stores them. Ports are indexed from the span's first port;
 * a port outside the span has no bits (portbits_index says -1). */
#ifndef UC_PORTBITS_H
#define UC_PORTBITS_H

#include <stddef.h>
#include <stdint.h>

#include "common/uc.h"
#include "model/plan.h"

struct portbits {
  uint8_t *v;    /* NULL: no span (nothing to probe, or not this prober's target) */
  uint16_t base; /* the first port of the span */
  uint32_t len;  /* ports in it */
};

/* Bits for every port from the lowest to the highest of spans[] of transport t, all zero.
 * 1 when made, 0 when t has no span (pb->v stays NULL), -1 when out of memory. */
int portbits_init(struct portbits *pb, const struct plan_span *spans, size_t nspans,
                  enum uc_transport t);
/* Widens [*lo, *hi] to the spans of transport t (start from lo 65536, hi 0: an empty range). */
void portbits_span_bounds(const struct plan_span *spans, size_t nspans, enum uc_transport t,
                          uint32_t *lo, uint32_t *hi);
/* Bits for every port from lo to hi, all zero: 1 when made, 0 when lo > hi (pb->v stays NULL),
 * -1 when out of memory. */
int portbits_init_bounds(struct portbits *pb, uint32_t lo, uint32_t hi);
void portbits_free(struct portbits *pb);

/* The port's index, or -1 when it has no bits. */
static inline int32_t portbits_index(const struct portbits *pb, uint16_t port)
{
  if (!pb->v || port < pb->base || (uint32_t)(port - pb->base) >= pb->len)
    return -1;
  return (int32_t)(port - pb->base);
}

/* The two bits of index i (i < len). */
static inline unsigned portbits_get(const struct portbits *pb, uint32_t i)
{
  return (pb->v[i >> 2] >> ((i & 3u) * 2)) & 3u;
}

static inline void portbits_set(struct portbits *pb, uint32_t i, unsigned bits)
{
  unsigned shift = (i & 3u) * 2;
  uint8_t *b = &pb->v[i >> 2];
  *b = (uint8_t)((*b & ~(3u << shift)) | ((bits & 3u) << shift));
}

#endif
