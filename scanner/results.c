/* scanner/results.c - recording answers into the plan's checks. */
#include <stdio.h>
#include <string.h>

#include "model/verdict.h"
#include "scanner/engine_int.h"

void results_single(struct host_sched *hs, struct plan_check *c, const struct attempt_result *r,
                    unsigned attempts)
{
  (void)hs;
  struct check_result *res = &c->res;
  res->done = true;
  res->state = r->state;
  res->outcome = r->outcome;
  check_reason_set(res, "%s", r->reason);
  res->rtt_ms = r->rtt_ms;
  res->attempts = attempts;
  json_decref(res->evidence);
  res->evidence = r->evidence; /* taken over */
  res->listener = r->listener;
}

void results_span_port(struct host_sched *hs, enum uc_transport t, uint16_t port, enum uc_state st)
{
  for (size_t i = 0; i < hs->nchecks; i++) {
    struct plan_check *c = &hs->checks[i];
    if (!c->is_range || !c->probe || c->transport != t || port < c->first || port > c->last)
      continue;
    struct range_result *rr = c->range;
    rr->probed++;
    switch (st) {
    case UC_ST_OPEN:
      rr->open++;
      port_list_add(&rr->open_ports, port);
      break;
    case UC_ST_CLOSED:
      rr->closed++;
      break;
    case UC_ST_UNREACHABLE:
      rr->unreachable++;
      /* for the contract's range object, blocked is blocked */
      __attribute__((fallthrough));
    case UC_ST_FILTERED:
      rr->filtered++;
      port_list_add(&rr->filtered_ports, port);
      break;
    case UC_ST_OPEN_FILTERED:
      rr->silent++;
      break;
    default:
      rr->errors++;
      break;
    }
    if (hs->udp_listener && t == UC_UDP)
      rr->listener = true;
  }
}

void results_host_unresolved(struct host_sched *hs)
{
  for (size_t i = 0; i < hs->nchecks; i++) {
    struct plan_check *c = &hs->checks[i];
    if (!c->probe || c->res.done)
      continue;
    c->res.done = true;
    c->res.state = UC_ST_UNREACHABLE;
    c->res.outcome = UC_OUT_NONE;
    c->res.attempts = 0;
    check_reason_set(&c->res, "%s", hs->tg->resolve_error);
  }
}

/* A range check's end: probed in full; or, in a stopped scan, cut short after some ports:
 * kept, judged on what was probed (partial). */
static void finalize_range(struct plan_check *c, bool stopping)
{
  uint32_t size = (uint32_t)(c->last - c->first + 1);
  if (c->range->probed == size)
    c->res.done = true;
  else if (stopping && c->range->probed > 0)
    c->res.done = c->res.partial = true;
}

void results_finalize(struct engine *e)
{
  for (size_t i = 0; i < e->nhosts; i++) {
    struct host_sched *hs = &e->hosts[i];
    /* Silent UDP span ports with no listener to prove them: open|filtered (in a stopped
     * scan too: their datagram went out and nothing came back). */
    for (size_t k = 0; k < hs->udp_silent.n; k++)
      results_span_port(hs, UC_UDP, hs->udp_silent.v[k], UC_ST_OPEN_FILTERED);
    port_list_free(&hs->udp_silent);
  }
  if (e->stopping)
    sweep_finish_stopped(e);
  /* Every check of the plan, probed or not (a target with nothing to probe has no
   * scheduler entry). */
  for (size_t i = 0; i < e->plan->nhosts; i++) {
    struct plan_host *h = &e->plan->hosts[i];
    for (size_t k = 0; k < h->nchecks; k++) {
      struct plan_check *c = &h->checks[k];
      if (!c->probe)
        c->res.done = true;
      else if (c->is_range && !c->res.done)
        finalize_range(c, e->stopping);
      if (c->res.done)
        verdict_decide(c);
    }
  }
  /* A stopped scan: which unfinished checks had been handed out (their target's slice). */
  for (size_t i = 0; e->stopping && i < e->nhosts; i++) {
    struct host_sched *hs = &e->hosts[i];
    for (size_t k = 0; k < hs->nchecks; k++)
      if (!hs->checks[k].res.done)
        hs->checks[k].res.started = workq_started(&hs->q, k);
  }
}
