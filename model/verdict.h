/* model/verdict.h - the contract's verdict rules, applied to a finished check. */
#ifndef UC_VERDICT_H
#define UC_VERDICT_H

#include "model/plan.h"

/* Sets c->res.verdict (and, for ranges, the state and reason) from the result. */
void verdict_decide(struct plan_check *c);
/* Proven ports of a range (open, closed, filtered): what a person may rely on. */
uint32_t verdict_range_proven(const struct range_result *r);

#endif
