/* tests/support/probe_cases.h - probe replies as data: tests/data/<kind>/<case>/input is what a
 * server sent, expect is what the probe module made of it, as JSON:
 *
 *   {"classify": "done" | "more",   what classify() said to the whole input
 *    "outcome": "ok" | "warn" | "fail" | "none",
 *    "state": "open", ...           uc_state_name
 *    "reason": "...",
 *    "listener": false, "foreign": false,
 *    "evidence": {...} | null}
 *
 * The module is driven as the engine drives it (probes/probe.h): init with the case's random
 * bytes, then
 *   a TCP module: classify() on the whole input (an exact-size copy); when it says MORE,
 *                 finish(END, input). With STEPS, the input is also delivered in growing
 *                 prefixes of each step, and each delivery must come to the same result;
 *   a UDP module: the input is one datagram from FROM; when classify() says MORE,
 *                 finish(END) with nothing.
 *
 * The case's env file (tests/support/data_cases.h) may set, over the kind's defaults:
 *   HOST=fe01.contoso.test   the target's name
 *   ADDR=198.18.1.11         the target's address (IPv4 or IPv6)
 *   PORT=5061
 *   PROTO=tls                the check's expected protocol (uc_proto_name)
 *   RND=<64 hex digits>      the 32 random bytes init() gets (transaction ids, nonces)
 *   END=timeout              why the engine stopped waiting: timeout, eof, reset or cap
 *   STEPS=1 2 4              TCP: segment sizes that must all give the same result
 *   FROM=198.18.0.9:3478     UDP: the datagram's source (default: the target), or "none" */
#ifndef UC_TEST_PROBE_CASES_H
#define UC_TEST_PROBE_CASES_H

#include <stdint.h>

#include "probes/probe.h"
#include "tests/support/data_cases.h"

struct probe_case_kind {
  const struct probe_module *m;
  const char *host;
  const char *addr;
  uint16_t port;
  enum uc_proto proto;
  const uint8_t *rnd; /* 32 bytes; NULL: zeros */
};

/* A data_case_fn: arg is a const struct probe_case_kind *. Use with DATA_JSON. */
char *probe_case_run(const struct data_case *c, void *arg);

#endif
