/* common/count.h - counters that one owner changes, checked: libuv's uv__req_register and
 * uv__handle_start are the model (one place counts, a decrement below zero is a bug and
 * asserts, never a silent wrap to UINT_MAX that would keep a loop alive or free too early).
 *
 *   struct uc_count inflight = {0};
 *   uc_count_inc(&inflight);  ...  uc_count_dec(&inflight);
 *
 * A handle group counts libuv handles from uv_*_init until their close callbacks have run;
 * the owner frees its memory when the last one reports:
 *
 *   uc_handles_open(&a->handles, 2);          after uv_tcp_init + uv_timer_init
 *   static void on_close(uv_handle_t *h) { if (uc_handles_closed(&a->handles)) free(a); } */
#ifndef UC_COUNT_H
#define UC_COUNT_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

struct uc_count {
  unsigned n;
};

static inline void uc_count_inc(struct uc_count *c)
{
  c->n++;
}

static inline void uc_count_dec(struct uc_count *c)
{
  assert(c->n > 0 && "counter underflow");
  c->n--;
}

static inline unsigned uc_count_get(const struct uc_count *c)
{
  return c->n;
}

/* The same for counts that may pass 2^32 in one run (probes of a scan: hosts x 65,536 ports x
 * transports, retries included). */
struct uc_count64 {
  uint64_t n;
};

static inline void uc_count64_inc(struct uc_count64 *c)
{
  c->n++;
}

static inline void uc_count64_dec(struct uc_count64 *c)
{
  assert(c->n > 0 && "counter underflow");
  c->n--;
}

static inline uint64_t uc_count64_get(const struct uc_count64 *c)
{
  return c->n;
}

struct uc_handles {
  unsigned open;
};

/* n more handles were initialised (each will be closed, and its close callback called). */
static inline void uc_handles_open(struct uc_handles *h, unsigned n)
{
  h->open += n;
}

/* One close callback ran; true when it was the group's last. */
static inline bool uc_handles_closed(struct uc_handles *h)
{
  assert(h->open > 0 && "close callback for a handle the group did not count");
  return --h->open == 0;
}

/* Handles of the group whose close callback has not run yet. */
static inline unsigned uc_handles_left(const struct uc_handles *h)
{
  return h->open;
}

#endif
