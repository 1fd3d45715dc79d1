/* listen/rate.h - the listener's reply budget: a token bucket of `rate` replies per second
 * holding up to `burst` of them. Every reply a listener sends (UDP or TCP) takes a token;
 * without one the reply is dropped, so a listener cannot be turned into a traffic
 * amplifier beyond rate x LISTEN_UDP_REPLY_MAX bytes per second.
 *
 * The burst is a whole second's worth by default: a scanner starts thousands of probes at
 * once, and an answer dropped by a small bucket would read as a filtered port. Time is
 * passed in (nanoseconds, e.g. uv_hrtime()), so the bucket is plain data. */
#ifndef UC_LISTEN_RATE_H
#define UC_LISTEN_RATE_H

#include <stdbool.h>
#include <stdint.h>

#define LISTEN_DEFAULT_RATE 20000u

struct listen_rate {
  double rate;  /* tokens per second; 0 = unlimited */
  double burst; /* bucket size */
  double tokens;
  uint64_t last_ns;
};

/* burst 0: one second's worth (rate). */
void listen_rate_init(struct listen_rate *r, unsigned rate, unsigned burst, uint64_t now_ns);
/* Takes a token if one is there. */
bool listen_rate_take(struct listen_rate *r, uint64_t now_ns);

#endif
