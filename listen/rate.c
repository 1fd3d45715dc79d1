/* listen/rate.c - token bucket for the listener's replies. */
#include "listen/rate.h"

void listen_rate_init(struct listen_rate *r, unsigned rate, unsigned burst, uint64_t now_ns)
{
  r->rate = rate;
  r->burst = rate == 0 ? 0 : (burst ? burst : rate);
  r->tokens = r->burst;
  r->last_ns = now_ns;
}

bool listen_rate_take(struct listen_rate *r, uint64_t now_ns)
{
  if (r->rate <= 0)
    return true;
  if (now_ns > r->last_ns) {
    r->tokens += (double)(now_ns - r->last_ns) * r->rate / 1e9;
    if (r->tokens > r->burst)
      r->tokens = r->burst;
    r->last_ns = now_ns;
  }
  if (r->tokens >= 1.0) {
    r->tokens -= 1.0;
    return true;
  }
  return false;
}
