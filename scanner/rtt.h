/* scanner/rtt.h - adaptive per-host timeouts (RFC 6298 style): smoothed RTT plus four
 * times its variation, clamped to [min_rto, timeout]. Before the first sample the full
 * timeout applies, so a slow WAN host is never misjudged; after a few LAN samples a
 * dropped port costs a fraction of a second. Retries back off exponentially. */
#ifndef UC_RTT_H
#define UC_RTT_H

struct rtt_est {
  double srtt_ms;
  double rttvar_ms;
  unsigned samples;
};

void rtt_sample(struct rtt_est *e, double rtt_ms);
/* Deadline for attempt number `attempt` (0 = first) in milliseconds. */
unsigned rtt_deadline_ms(const struct rtt_est *e, unsigned attempt, unsigned min_rto_ms,
                         unsigned timeout_ms);

#endif
