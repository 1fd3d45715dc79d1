/* scanner/ratelimit.h - token bucket for --rate (new probes per second). Time is passed
 * in, so the bucket is a pure data structure. */
#ifndef UC_RATELIMIT_H
#define UC_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
  double rate;  /* tokens per second; 0 = unlimited */
  double burst; /* bucket size */
  double tokens;
  uint64_t last_ns;
};

void ratelimit_init(struct ratelimit *r, unsigned rate, uint64_t now_ns);
/* Takes a token if one is there. */
bool ratelimit_take(struct ratelimit *r, uint64_t now_ns);
/* Returns a token taken for work that did not start after all. */
void ratelimit_give_back(struct ratelimit *r);
/* Milliseconds until the next token (at least 1 when none is there). */
uint64_t ratelimit_wait_ms(const struct ratelimit *r, uint64_t now_ns);

#endif
