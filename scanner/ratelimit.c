/* scanner/ratelimit.c - token bucket. */
#include "scanner/ratelimit.h"

#include <math.h>

void ratelimit_init(struct ratelimit *r, unsigned rate, uint64_t now_ns)
{
  r->rate = rate;
  /* A burst of 1/20 s worth of tokens keeps a steady pace with millisecond timers. */
  r->burst = rate ? fmax(1.0, rate / 20.0) : 0;
  r->tokens = r->burst;
  r->last_ns = now_ns;
}

static void refill(struct ratelimit *r, uint64_t now_ns)
{
  if (now_ns > r->last_ns) {
    r->tokens += (double)(now_ns - r->last_ns) * r->rate / 1e9;
    if (r->tokens > r->burst)
      r->tokens = r->burst;
    r->last_ns = now_ns;
  }
}

bool ratelimit_take(struct ratelimit *r, uint64_t now_ns)
{
  if (r->rate <= 0)
    return true;
  refill(r, now_ns);
  if (r->tokens >= 1.0) {
    r->tokens -= 1.0;
    return true;
  }
  return false;
}

uint64_t ratelimit_wait_ms(const struct ratelimit *r, uint64_t now_ns)
{
  if (r->rate <= 0)
    return 0;
  double tokens = r->tokens;
  if (now_ns > r->last_ns)
    tokens += (double)(now_ns - r->last_ns) * r->rate / 1e9;
  if (tokens >= 1.0)
    return 0;
  double ms = (1.0 - tokens) * 1000.0 / r->rate;
  return ms < 1.0 ? 1 : (uint64_t)ceil(ms);
}

void ratelimit_give_back(struct ratelimit *r)
{
  if (r->rate > 0)
    r->tokens = fmin(r->tokens + 1.0, r->burst);
}
