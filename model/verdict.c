/* model/verdict.c - pass, warn, fail or skip, per contract ("Verdicts").
 *
 *  pass  open and the expected protocol answered; a range with no port filtered or
 *        unreachable (closed ports prove the firewall lets traffic through)
 *  warn  answering but a person should look (certificate, missing client-certificate
 *        request, plain UDP with no answer either way, a range only partly verified)
 *  fail  closed, filtered or unreachable; the expected protocol failed; silence from a
 *        protocol whose live service always answers (STUN, SQL Browser); a range with
 *        filtered ports
 *  skip  an optional port not in use, an outbound row, a row no scanner can test
 *
 * Ad hoc --ports checks (no catalog row behind them: nothing says a service must listen) ask
 * whether the network lets the port through, single ports as ranges: a port closed by the
 * host itself (RST, ICMP port unreachable) passes, like a range's closed ports. */
#include "model/verdict.h"

#include <stdio.h>
#include <string.h>

static bool always_answers(enum uc_proto p)
{
  return p == UC_P_STUN || p == UC_P_SQL_BROWSER;
}

uint32_t verdict_range_proven(const struct range_result *r)
{
  return r->open + r->closed + r->filtered;
}

static void optional_skip(struct check_result *res)
{
  char why[UC_REASON_MAX];
  snprintf(why, sizeof(why), "%s", check_reason(res));
  check_reason_set(res, "optional port not in use (%s): %.200s", uc_state_name(res->state), why);
  res->verdict = UC_SKIP;
}

/* A range an interrupted scan cut short: what its probed ports prove. A filtered port is a
 * failure already; otherwise the range is only partly verified (warn). */
static void decide_partial_range(struct plan_check *c, uint32_t size)
{
  struct check_result *res = &c->res;
  const struct range_result *r = c->range;
  uint32_t left = size - r->probed;
  if (r->filtered) {
    res->state = UC_ST_FILTERED;
    res->verdict = UC_FAIL;
  } else {
    res->state = r->open ? UC_ST_OPEN : r->closed ? UC_ST_CLOSED : UC_ST_OPEN_FILTERED;
    res->verdict = UC_WARN;
  }
  check_reason_set(
      res,
      "interrupted: %u of %u ports probed (%u open, %u closed, %u filtered, %u without an "
      "answer), %u not probed%s",
      r->probed, size, r->open, r->closed, r->filtered, r->silent + r->errors, left,
      r->filtered ? "" : "; partly verified");
  if (c->optional && res->verdict == UC_FAIL)
    optional_skip(res);
}

static void decide_range(struct plan_check *c)
{
  struct check_result *res = &c->res;
  const struct range_result *r = c->range;
  uint32_t size = (uint32_t)(c->last - c->first + 1);
  if (res->state == UC_ST_UNREACHABLE && r->probed == 0) {
    res->verdict = c->optional ? UC_SKIP : UC_FAIL; /* host did not resolve */
    return;
  }
  uint32_t unverified = r->silent + r->errors;
  if (res->partial) {
    decide_partial_range(c, size);
    return;
  }
  if (r->filtered) {
    res->state = UC_ST_FILTERED;
    res->verdict = UC_FAIL;
    if (r->unreachable)
      check_reason_set(
          res, "%u of %u ports blocked (%u filtered, %u unreachable); %u open, %u closed",
          r->filtered, size, r->filtered - r->unreachable, r->unreachable, r->open, r->closed);
    else
      check_reason_set(res, "%u of %u ports filtered; %u open, %u closed", r->filtered, size,
                       r->open, r->closed);
  } else if (unverified) {
    res->state = r->silent ? UC_ST_OPEN_FILTERED : UC_ST_ERROR;
    res->verdict = UC_WARN;
    check_reason_set(
        res,
        "partly verified: %u of %u ports proven reachable (%u open, %u closed); %u gave no "
        "answer%s%s",
        verdict_range_proven(r), size, r->open, r->closed, unverified,
        r->silent ? " (open|filtered: open, filtered, or a port unreachable that never came "
                    "back; run `ucscan listen` on the host to prove every port)"
                  : "",
        r->errors ? " or could not be probed" : "");
  } else {
    res->state = r->open ? UC_ST_OPEN : UC_ST_CLOSED;
    res->verdict = UC_PASS;
    check_reason_set(res,
                     "all %u ports reachable: %u open, %u closed (closed answers prove the path)%s",
                     size, r->open, r->closed, r->listener ? "; ucscan listener answered" : "");
  }
  if (c->optional && res->verdict == UC_FAIL)
    optional_skip(res);
}

/* A single ad hoc port the host itself closed: reachable, so a pass, as in a range. The
 * reason stays what was seen ("connection refused (RST)"); the table's footer and
 * docs/report.md state the rule. */
static bool adhoc_reachable(struct plan_check *c)
{
  if (c->nreqs != 0 || c->res.state != UC_ST_CLOSED)
    return false;
  c->res.verdict = UC_PASS;
  return true;
}

void verdict_decide(struct plan_check *c)
{
  struct check_result *res = &c->res;
  if (!c->probe) {
    res->state = UC_ST_NONE;
    res->verdict = UC_SKIP;
    check_reason_set(res, "%s",
                     c->skip_reason ? c->skip_reason
                                    : "not probed (no reason recorded: out of memory)");
    return;
  }
  if (c->is_range) {
    decide_range(c);
    return;
  }
  switch (res->state) {
  case UC_ST_OPEN:
    res->verdict = res->outcome == UC_OUT_FAIL   ? UC_FAIL
                   : res->outcome == UC_OUT_WARN ? UC_WARN
                                                 : UC_PASS;
    return;
  case UC_ST_OPEN_FILTERED:
    if (c->optional) {
      optional_skip(res);
      return;
    }
    res->verdict = always_answers(c->protocol) || res->outcome == UC_OUT_FAIL ? UC_FAIL : UC_WARN;
    return;
  default:
    if (c->optional) {
      optional_skip(res);
      return;
    }
    if (adhoc_reachable(c))
      return;
    res->verdict = UC_FAIL;
    return;
  }
}
