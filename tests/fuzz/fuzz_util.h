/* tests/fuzz/fuzz_util.h - what the libFuzzer targets share: invariant checks that abort
 * (so libFuzzer records a crash and the input), exact-size copies of the input (so that
 * AddressSanitizer sees a read one byte past what a parser was given), and an engine
 * stand-in that drives a probe module through its contract (probes/probe.h) the way
 * scanner/attempt_tcp.c and scanner/attempt_udp.c do.
 *
 * Header-only (static functions): CMake builds every tests/fuzz/fuzz_*.c as one program. */
#ifndef UC_FUZZ_UTIL_H
#define UC_FUZZ_UTIL_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/err.h"
#include "common/uc.h"
#include "probes/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

__attribute__((noreturn, format(printf, 4, 5), unused)) static void
fuzz_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "\n%s:%d: fuzz invariant failed: %s\n  ", file, line, expr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

/* FUZZ_CHECK(cond, "format", args...): abort with a message when cond is false. */
#define FUZZ_CHECK(cond, ...)                                                                      \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                           \
  } while (0)

/* An exact-size heap copy (never NULL; size 0 gives a 1-byte block holding 0, which gcc's
 * -Wmaybe-uninitialized wants written). */
__attribute__((unused)) static uint8_t *fuzz_dup(const uint8_t *data, size_t n)
{
  uint8_t *p = malloc(n ? n : 1);
  if (!p)
    abort();
  if (n)
    memcpy(p, data, n);
  else
    p[0] = 0;
  return p;
}

/* A NUL-terminated heap copy of at most max bytes (embedded NULs stay: strlen stops there). */
__attribute__((unused)) static char *fuzz_str(const uint8_t *data, size_t n, size_t max)
{
  if (n > max)
    n = max;
  char *s = malloc(n + 1);
  if (!s)
    abort();
  if (n)
    memcpy(s, data, n);
  s[n] = '\0';
  return s;
}

/* FNV-1a: a seed for the input's own "random" choices (chunk sizes), so a run is reproducible
 * from the input alone. */
__attribute__((unused)) static uint64_t fuzz_hash(const uint8_t *p, size_t n)
{
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

__attribute__((unused)) static uint64_t fuzz_next(uint64_t *s)
{
  /* xorshift64* */
  uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 2685821657736338717ull;
}

/* s is a NUL-terminated string within cap bytes, every byte printable ASCII (0x20-0x7e);
 * non-empty unless allow_empty. */
__attribute__((unused)) static void fuzz_check_printable(const char *s, size_t cap, int allow_empty,
                                                         const char *what)
{
  size_t n = strnlen(s, cap);
  FUZZ_CHECK(n < cap, "%s is not NUL-terminated within %zu bytes", what, cap);
  FUZZ_CHECK(allow_empty || n > 0, "%s is empty", what);
  for (size_t i = 0; i < n; i++)
    FUZZ_CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f,
               "%s has byte 0x%02x at %zu: \"%s\"", what, (unsigned char)s[i], i, s);
}

/* An input error: has a message, NUL-terminated fields, a sane position. */
__attribute__((unused)) static void fuzz_check_err(const struct uc_err *e, const char *text,
                                                   size_t len)
{
  FUZZ_CHECK(strnlen(e->source, sizeof(e->source)) < sizeof(e->source), "err source unterminated");
  FUZZ_CHECK(strnlen(e->text, sizeof(e->text)) < sizeof(e->text), "err text unterminated");
  FUZZ_CHECK(e->text[0] != '\0', "an error without a message (source \"%s\")", e->source);
  FUZZ_CHECK(e->line >= 0 && e->column >= 0, "negative position %d:%d: %s", e->line, e->column,
             e->text);
  /* A command-line value ("--ports") has a column but no lines. */
  FUZZ_CHECK(e->column == 0 || e->line > 0 || strncmp(e->source, "--", 2) == 0,
             "a column without a line: %s", e->text);
  if (text && e->line > 0) {
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
      lines += text[i] == '\n';
    FUZZ_CHECK((size_t)e->line <= lines, "line %d past the end of the text (%zu lines): %s",
               e->line, lines, e->text);
  }
  char buf[600];
  uc_err_format(e, buf, sizeof(buf));
  FUZZ_CHECK(buf[0] != '\0', "uc_err_format gave nothing");
}

/* ---- probe modules ---------------------------------------------------------------------- */

/* What one run of a module ended with (evidence already checked and released). */
struct fuzz_result {
  int done_in_classify; /* classify said PROBE_DONE (else finish() decided) */
  size_t fed;           /* bytes the deciding call saw */
  enum uc_outcome outcome;
  enum uc_state state;
  int listener;
  int has_evidence;
  int foreign; /* another protocol answered (probe_outcome.foreign) */
  char reason[UC_REASON_MAX];
};

/* FUZZ_VERBOSE=1 in the environment: print each module outcome (to read what a target
 * decides for an input: `FUZZ_VERBOSE=1 ./fuzz_sip FILE`). */
__attribute__((unused)) static int fuzz_verbose(void)
{
  static int v = -1;
  if (v < 0)
    v = getenv("FUZZ_VERBOSE") != NULL;
  return v;
}

/* A filled-in outcome obeys the contract; releases its evidence. */
__attribute__((unused)) static void fuzz_take_outcome(struct probe_outcome *o,
                                                      struct fuzz_result *r, const char *who)
{
  char what[96];
  snprintf(what, sizeof(what), "%s reason", who);
  fuzz_check_printable(o->reason, sizeof(o->reason), 0, what);
  FUZZ_CHECK(o->outcome == UC_OUT_OK || o->outcome == UC_OUT_WARN || o->outcome == UC_OUT_FAIL,
             "%s: outcome %d (reason \"%s\")", who, (int)o->outcome, o->reason);
  FUZZ_CHECK(o->state > UC_ST_NONE && o->state < UC_ST_COUNT, "%s: state %d (reason \"%s\")", who,
             (int)o->state, o->reason);
  char *dump = NULL;
  if (o->evidence) {
    FUZZ_CHECK(json_is_object(o->evidence), "%s: evidence is not an object", who);
    dump = json_dumps(o->evidence, JSON_COMPACT);
    FUZZ_CHECK(dump != NULL, "%s: evidence does not serialise", who);
  }
  if (fuzz_verbose())
    fprintf(stderr, "%s: outcome %d state %d listener %d reason \"%s\" evidence %s\n", who,
            (int)o->outcome, (int)o->state, o->listener, o->reason, dump ? dump : "-");
  free(dump);
  if (r) {
    r->outcome = o->outcome;
    r->state = o->state;
    r->listener = o->listener;
    r->has_evidence = o->evidence != NULL;
    r->foreign = o->foreign;
    memcpy(r->reason, o->reason, sizeof(r->reason));
  }
  json_decref(o->evidence);
  o->evidence = NULL;
}

/* A target: host name, the address 198.18.0.2:port. */
struct fuzz_target {
  struct sockaddr_in sin;
  struct probe_target t;
};

__attribute__((unused)) static void fuzz_target_init(struct fuzz_target *ft, const char *host,
                                                     uint16_t port, enum uc_proto proto)
{
  memset(ft, 0, sizeof(*ft));
  ft->sin.sin_family = AF_INET;
  ft->sin.sin_port = htons(port);
  ft->sin.sin_addr.s_addr = htonl(0xC6120002u); /* 198.18.0.2 */
  ft->t.host = host;
  ft->t.pool = NULL;
  ft->t.addr = (const struct sockaddr *)&ft->sin;
  ft->t.port = port;
  ft->t.protocol = proto;
}

/* Calls build() as the engine does (i = 0, 1, ... until 0) and returns the concatenated
 * requests in out (cap bytes); *chunks gets how many build() produced. */
__attribute__((unused)) static size_t fuzz_build_all(const struct probe_module *m, void *state,
                                                     const struct probe_target *t, uint8_t *out,
                                                     size_t cap, unsigned *chunks)
{
  uint8_t buf[4096];
  size_t total = 0;
  unsigned i;
  for (i = 0; i < 16; i++) {
    memset(buf, 0xA5, sizeof(buf));
    size_t n = m->build(state, t, i, buf, sizeof(buf));
    if (n == 0)
      break;
    FUZZ_CHECK(n <= sizeof(buf), "%s build(%u) returned %zu > cap", m->name, i, n);
    if (out && total + n <= cap)
      memcpy(out + total, buf, n);
    total += n;
  }
  FUZZ_CHECK(i < 16, "%s build() never returned 0", m->name);
  if (chunks)
    *chunks = i;
  return total;
}

/* The TCP engine (attempt_tcp.c): the module sees the whole stream received so far, at most
 * read_cap bytes, after each arrival; when the cap is reached or the stream ends without
 * PROBE_DONE, finish(why). `cuts` are the arrival boundaries (ascending, last == len is
 * implied). Each classify() gets an exact-size copy of the stream. */
__attribute__((unused)) static void fuzz_run_tcp(const struct probe_module *m,
                                                 const struct probe_target *t,
                                                 const uint8_t rnd[32], const uint8_t *data,
                                                 size_t len, const size_t *cuts, size_t ncuts,
                                                 enum probe_end why, struct fuzz_result *r)
{
  void *state = calloc(1, m->state_size ? m->state_size : 1);
  if (!state)
    abort();
  memset(r, 0, sizeof(*r));
  if (m->init)
    m->init(state, t, rnd);
  fuzz_build_all(m, state, t, NULL, 0, NULL);
  if (len > m->read_cap)
    len = m->read_cap;
  size_t prev = 0;
  for (size_t c = 0; c <= ncuts; c++) {
    size_t k = c < ncuts ? cuts[c] : len;
    if (k > len)
      k = len;
    if (k <= prev)
      continue;
    prev = k;
    uint8_t *copy = fuzz_dup(data, k);
    struct probe_outcome o = {.state = UC_ST_OPEN};
    enum probe_status st = m->classify(state, t, copy, k, NULL, &o);
    FUZZ_CHECK(st == PROBE_MORE || st == PROBE_DONE, "%s classify returned %d", m->name, (int)st);
    if (st == PROBE_DONE) {
      fuzz_take_outcome(&o, r, m->name);
      r->done_in_classify = 1;
      r->fed = k;
      free(copy);
      free(state);
      return;
    }
    json_decref(o.evidence); /* the engine drops evidence of a PROBE_MORE */
    free(copy);
    if (k >= m->read_cap) {
      why = PROBE_END_CAP;
      break;
    }
  }
  uint8_t *copy = fuzz_dup(data, prev);
  struct probe_outcome o = {.state = UC_ST_OPEN};
  m->finish(state, t, why, copy, prev, &o);
  fuzz_take_outcome(&o, r, m->name);
  r->fed = prev;
  free(copy);
  free(state);
}

/* Arrival boundaries for a stream of len bytes: mode 0 all at once, 1 one byte at a time,
 * otherwise pseudo-random chunks (1..span bytes) seeded by seed. Returns the count. */
__attribute__((unused)) static size_t fuzz_cuts(size_t *cuts, size_t max, size_t len, int mode,
                                                uint64_t seed, size_t span)
{
  size_t n = 0, at = 0;
  if (mode == 0 || len == 0)
    return 0;
  while (at < len && n < max) {
    size_t step = mode == 1 ? 1 : 1 + (size_t)(fuzz_next(&seed) % (span ? span : 1));
    at += step;
    if (at > len)
      at = len;
    cuts[n++] = at;
  }
  return n;
}

/* Runs a TCP module over data three ways (all at once, one byte at a time when short, and in
 * pseudo-random chunks), ending with a `why` derived from the input, and checks that the
 * segmentation does not change the outcome, state and listener flag (nor, with same_reason,
 * the reason when it is not a failure: a failure may quote fewer bytes when it was decided
 * earlier). Returns the all-at-once result in *whole. */
__attribute__((unused)) static void
fuzz_run_tcp_segmented(const struct probe_module *m, const struct probe_target *t,
                       const uint8_t rnd[32], const uint8_t *data, size_t size, int same_reason,
                       struct fuzz_result *whole)
{
  static size_t cuts[1 << 16];
  struct fuzz_result r;
  uint64_t seed = fuzz_hash(data, size);
  enum probe_end why = (enum probe_end)(seed % 4);
  fuzz_run_tcp(m, t, rnd, data, size, NULL, 0, why, whole);
  for (int mode = 1; mode <= 2; mode++) {
    if (mode == 1 && size > 512)
      continue;
    size_t n =
        fuzz_cuts(cuts, sizeof(cuts) / sizeof(cuts[0]), size, mode, seed, size < 64 ? 8 : size / 8);
    fuzz_run_tcp(m, t, rnd, data, size, cuts, n, why, &r);
    FUZZ_CHECK(r.outcome == whole->outcome && r.state == whole->state &&
                   r.listener == whole->listener,
               "%s: segmentation (mode %d) changed the outcome: \"%s\" vs \"%s\"", m->name, mode,
               whole->reason, r.reason);
    if (same_reason && whole->outcome != UC_OUT_FAIL)
      FUZZ_CHECK(strcmp(r.reason, whole->reason) == 0, "%s: \"%s\" vs \"%s\"", m->name,
                 whole->reason, r.reason);
  }
}

/* The UDP engine (attempt_udp.c): each datagram is classified on its own (an exact-size
 * copy), with its source; finish(PROBE_END_TIMEOUT, NULL, 0) when none was PROBE_DONE. */
struct fuzz_dgram {
  const uint8_t *data;
  size_t len;
  const struct sockaddr *from;
};

__attribute__((unused)) static void fuzz_run_udp(const struct probe_module *m,
                                                 const struct probe_target *t,
                                                 const uint8_t rnd[32], const struct fuzz_dgram *dg,
                                                 size_t n, struct fuzz_result *r)
{
  void *state = calloc(1, m->state_size ? m->state_size : 1);
  if (!state)
    abort();
  memset(r, 0, sizeof(*r));
  if (m->init)
    m->init(state, t, rnd);
  fuzz_build_all(m, state, t, NULL, 0, NULL);
  for (size_t i = 0; i < n; i++) {
    size_t len = dg[i].len > m->read_cap ? m->read_cap : dg[i].len;
    uint8_t *copy = fuzz_dup(dg[i].data, len);
    struct probe_outcome o = {.state = UC_ST_OPEN_FILTERED};
    enum probe_status st = m->classify(state, t, copy, len, dg[i].from, &o);
    FUZZ_CHECK(st == PROBE_MORE || st == PROBE_DONE, "%s classify returned %d", m->name, (int)st);
    free(copy);
    if (st == PROBE_DONE) {
      fuzz_take_outcome(&o, r, m->name);
      r->done_in_classify = 1;
      r->fed = len;
      free(state);
      return;
    }
    json_decref(o.evidence);
  }
  struct probe_outcome o = {.state = UC_ST_OPEN_FILTERED};
  m->finish(state, t, PROBE_END_TIMEOUT, NULL, 0, &o);
  fuzz_take_outcome(&o, r, m->name);
  free(state);
}

#endif
