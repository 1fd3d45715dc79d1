/* scanner/rtt.c - smoothed RTT and variation, as TCP does it (RFC 6298). */
#include "scanner/rtt.h"

#include <math.h>

void rtt_sample(struct rtt_est *e, double rtt_ms)
{
  if (rtt_ms < 0)
    return;
  if (e->samples == 0) {
    e->srtt_ms = rtt_ms;
    e->rttvar_ms = rtt_ms / 2;
  } else {
    e->rttvar_ms = 0.75 * e->rttvar_ms + 0.25 * fabs(e->srtt_ms - rtt_ms);
    e->srtt_ms = 0.875 * e->srtt_ms + 0.125 * rtt_ms;
  }
  e->samples++;
}

unsigned rtt_deadline_ms(const struct rtt_est *e, unsigned attempt, unsigned min_rto_ms,
                         unsigned timeout_ms)
{
  double rto;
  if (e->samples == 0) {
    rto = timeout_ms;
  } else {
    /* A few samples are not yet a distribution: demand several before trusting the floor. */
    double var = e->samples < 4 ? e->srtt_ms : 4 * e->rttvar_ms;
    rto = e->srtt_ms + (var > 1.0 ? var : 1.0);
    if (rto < min_rto_ms)
      rto = min_rto_ms;
  }
  for (unsigned i = 0; i < attempt && rto < timeout_ms; i++)
    rto *= 2;
  if (rto > timeout_ms)
    rto = timeout_ms;
  return (unsigned)ceil(rto);
}
