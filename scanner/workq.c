/* scanner/workq.c - one target's work queue and the scheduler's loop-free decisions. */
#include "scanner/workq.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

static bool is_single(const struct plan_check *c)
{
  return c->probe && !c->is_range;
}

/* Moves the cursor onto the next single check (or the end): workq_peek then answers in
 * constant time. It ran past the target's ranges and skips on every call, and the engine
 * peeks at every target per probe: 27% of a 1,000-host scan's CPU. */
static void skip_to_single(struct workq *q)
{
  while (q->next_check < q->nchecks && !is_single(&q->checks[q->next_check]))
    q->next_check++;
}

void workq_init(struct workq *q, struct plan_check *checks, size_t nchecks,
                const struct plan_span *spans, size_t nspans)
{
  memset(q, 0, sizeof(*q));
  q->checks = checks;
  q->nchecks = nchecks;
  q->spans = spans;
  q->nspans = nspans;
  skip_to_single(q);
}

/* Whether spans[k] has a port not yet handed out. */
static bool span_left(const struct workq *q, size_t k)
{
  return k > q->span_idx || q->span_next <= q->spans[k].last;
}

bool workq_peek(const struct workq *q, bool *single, enum uc_transport *t)
{
  if (q->retry_head) {
    *single = q->retry_head->check != NULL;
    *t = q->retry_head->transport;
    return true;
  }
  if (q->next_check < q->nchecks) { /* on a single check (skip_to_single) */
    *single = true;
    *t = q->checks[q->next_check].transport;
    return true;
  }
  for (size_t k = q->span_idx; k < q->nspans; k++)
    if (span_left(q, k)) {
      *single = false;
      *t = q->spans[k].transport;
      return true;
    }
  return false;
}

bool workq_peek_connect(const struct workq *q)
{
  return q->retry_head && q->retry_head->connect;
}

const struct plan_check *workq_peek_check(const struct workq *q)
{
  if (q->retry_head)
    return q->retry_head->check;
  return q->next_check < q->nchecks ? &q->checks[q->next_check] : NULL;
}

static bool take_retry(struct workq *q, struct work *out)
{
  struct work *n = q->retry_head;
  if (!n)
    return false;
  q->retry_head = n->next;
  if (!q->retry_head)
    q->retry_tail = NULL;
  *out = *n;
  out->next = NULL;
  free(n);
  return true;
}

static bool take_single(struct workq *q, struct work *out)
{
  if (q->next_check >= q->nchecks)
    return false;
  struct plan_check *c = &q->checks[q->next_check++];
  out->check = c;
  out->port = c->first;
  out->transport = c->transport;
  skip_to_single(q);
  return true;
}

static bool take_span_port(struct workq *q, struct work *out)
{
  while (q->span_idx < q->nspans) {
    const struct plan_span *s = &q->spans[q->span_idx];
    if (q->span_next < s->first)
      q->span_next = s->first;
    if (q->span_next <= s->last) {
      out->port = (uint16_t)q->span_next++;
      out->transport = s->transport;
      return true;
    }
    q->span_idx++;
    q->span_next = 0;
  }
  return false;
}

bool workq_take(struct workq *q, struct work *out)
{
  memset(out, 0, sizeof(*out));
  return take_retry(q, out) || take_single(q, out) || take_span_port(q, out);
}

int workq_push(struct workq *q, const struct work *w, bool front)
{
  struct work *n = malloc(sizeof(*n));
  if (!n)
    return -1;
  *n = *w;
  n->next = NULL;
  if (front) {
    n->next = q->retry_head;
    q->retry_head = n;
    if (!q->retry_tail)
      q->retry_tail = n;
  } else {
    if (q->retry_tail)
      q->retry_tail->next = n;
    else
      q->retry_head = n;
    q->retry_tail = n;
  }
  return 0;
}

bool workq_span_pending(const struct workq *q, enum uc_transport t)
{
  for (const struct work *w = q->retry_head; w; w = w->next)
    if (!w->check && w->transport == t)
      return true;
  for (size_t k = q->span_idx; k < q->nspans; k++)
    if (q->spans[k].transport == t && span_left(q, k))
      return true;
  return false;
}

bool workq_started(const struct workq *q, size_t k)
{
  const struct plan_check *c = &q->checks[k];
  if (!c->is_range)
    return is_single(c) && k < q->next_check;
  for (size_t s = 0; s < q->nspans && s <= q->span_idx; s++) {
    const struct plan_span *sp = &q->spans[s];
    if (sp->transport != c->transport || c->first < sp->first || c->first > sp->last)
      continue;
    return s < q->span_idx || c->first < q->span_next;
  }
  return false;
}

void workq_free(struct workq *q)
{
  struct work w;
  while (take_retry(q, &w))
    ;
}

/* --- decisions --- */

bool workq_session(const struct plan_check *c)
{
  return c && c->transport == UC_TCP && c->proto && (c->proto->tls || c->proto->app);
}

bool workq_plain_connect(const struct plan_check *c)
{
  return c && !c->is_range && c->transport == UC_TCP && c->proto && !c->proto->tls &&
         !c->proto->app;
}

bool workq_admit(const struct admit_view *v)
{
  if (v->session && v->sessions >= v->max_sessions)
    return false;
  if (v->needs_socket) {
    unsigned per_host = v->per_host ? v->per_host : 1;
    return v->inflight < v->max_inflight && v->target_inflight < per_host;
  }
  return !v->syn || v->syn_inflight < v->syn_window;
}

enum backoff_action workq_backoff(struct backoff *b, unsigned inflight, int err, unsigned limit)
{
  bool starved = inflight == 0 && ++b->starved >= limit;
  if (err == UV_EMFILE && inflight > 0) {
    /* Out of descriptors: the attempts open now are as many as fit. Keep to that for the
     * rest of the scan and go on as they finish, without a pause: lowering the cap by one
     * and raising it back on each success would hit the limit and pause on every round. */
    if (inflight < b->max_inflight)
      b->max_inflight = inflight;
    b->eff_inflight = b->max_inflight;
    return BACKOFF_GO_ON;
  }
  unsigned cap = inflight > 1 ? inflight - 1 : 1;
  if (cap < b->eff_inflight)
    b->eff_inflight = cap;
  return starved ? BACKOFF_STARVED : BACKOFF_PAUSE;
}

void workq_backoff_started(struct backoff *b)
{
  b->starved = 0;
}

void workq_backoff_recovered(struct backoff *b)
{
  if (b->eff_inflight < b->max_inflight)
    b->eff_inflight++;
}
