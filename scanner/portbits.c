/* scanner/portbits.c - two bits a port over a target's span (portbits.h). */
#include "scanner/portbits.h"

#include <stdlib.h>

void portbits_span_bounds(const struct plan_span *spans, size_t nspans, enum uc_transport t,
                          uint32_t *lo, uint32_t *hi)
{
  for (size_t k = 0; k < nspans; k++) {
    if (spans[k].transport != t)
      continue;
    *lo = spans[k].first < *lo ? spans[k].first : *lo;
    *hi = spans[k].last > *hi ? spans[k].last : *hi;
  }
}

int portbits_init(struct portbits *pb, const struct plan_span *spans, size_t nspans,
                  enum uc_transport t)
{
  uint32_t lo = 65536, hi = 0;
  portbits_span_bounds(spans, nspans, t, &lo, &hi);
  return portbits_init_bounds(pb, lo, hi);
}

int portbits_init_bounds(struct portbits *pb, uint32_t lo, uint32_t hi)
{
  *pb = (struct portbits){0};
  if (lo > hi || hi > 65535)
    return 0;
  pb->v = calloc((hi - lo + 1 + 3) / 4, 1);
  if (!pb->v)
    return -1;
  pb->base = (uint16_t)lo;
  pb->len = hi - lo + 1;
  return 1;
}

void portbits_free(struct portbits *pb)
{
  free(pb->v);
  *pb = (struct portbits){0};
}
