/* tests/support/probe_cases.c - probe replies as data (probe_cases.h). */
#include "tests/support/probe_cases.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define PROBE_CASE_MAX_STEPS 16

/* One attempt of a case, set up from the kind's defaults and the case's env. */
struct probe_case {
  const struct probe_module *m;
  struct sockaddr_storage target, from;
  int from_none;
  char host[256];
  uint8_t rnd[32];
  struct probe_target t;
  enum probe_end end;
  size_t steps[PROBE_CASE_MAX_STEPS], nsteps;
};

static const char *env(const struct data_case *c, const char *key, const char *dflt, char *buf,
                       size_t cap)
{
  return data_case_env(c, key, dflt, buf, cap);
}

/* "198.18.1.11" or "2001:db8::1" with a port into *ss; -1 when it is no address. */
static int parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss)
{
  memset(ss, 0, sizeof(*ss));
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    return 0;
  }
  if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    return 0;
  }
  return -1;
}

/* "198.18.0.9:3478" or "[2001:db8::9]:3478". */
static int parse_addr_port(const char *s, struct sockaddr_storage *ss)
{
  char host[128];
  const char *colon = s[0] == '[' ? strstr(s, "]:") : strrchr(s, ':');
  if (!colon)
    return -1;
  const char *h = s[0] == '[' ? s + 1 : s;
  snprintf(host, sizeof(host), "%.*s", (int)(colon - h), h);
  long port = strtol(colon + (s[0] == '[' ? 2 : 1), NULL, 10);
  return port > 0 && port < 65536 ? parse_addr(host, (uint16_t)port, ss) : -1;
}

static int parse_hex32(const char *s, uint8_t out[32])
{
  if (strlen(s) != 64)
    return -1;
  for (int i = 0; i < 32; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1)
      return -1;
    out[i] = (uint8_t)v;
  }
  return 0;
}

static int parse_end(const char *s, enum probe_end *end)
{
  static const char *const names[] = {"timeout", "eof", "cap", "reset"};
  static const enum probe_end ends[] = {PROBE_END_TIMEOUT, PROBE_END_EOF, PROBE_END_CAP,
                                        PROBE_END_RESET};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcmp(s, names[i]) == 0) {
      *end = ends[i];
      return 0;
    }
  return -1;
}

static void parse_steps(const struct data_case *c, struct probe_case *p, const char *s)
{
  for (char *end; *s; s = end) {
    long v = strtol(s, &end, 10);
    if (end == s || v <= 0 || p->nsteps == PROBE_CASE_MAX_STEPS)
      fail_msg("%s/%s: env STEPS=%s: positive numbers, at most %d", c->kind, c->name, s,
               PROBE_CASE_MAX_STEPS);
    p->steps[p->nsteps++] = (size_t)v;
    while (*end == ' ')
      end++;
  }
}

/* The kind's defaults, then the case's env; a test failure on a value that does not parse. */
static void setup(struct probe_case *p, const struct data_case *c, const struct probe_case_kind *k)
{
  char buf[256], port[16];
  memset(p, 0, sizeof(*p));
  p->m = k->m;
  snprintf(port, sizeof(port), "%u", k->port);
  long portnum = strtol(env(c, "PORT", port, buf, sizeof(buf)), NULL, 10);
  if (portnum <= 0 || portnum > 65535 ||
      parse_addr(env(c, "ADDR", k->addr, buf, sizeof(buf)), (uint16_t)portnum, &p->target) < 0)
    fail_msg("%s/%s: env ADDR or PORT is not an address and port", c->kind, c->name);
  env(c, "HOST", k->host, p->host, sizeof(p->host));
  if (k->rnd)
    memcpy(p->rnd, k->rnd, 32);
  if (env(c, "RND", NULL, buf, sizeof(buf)) && parse_hex32(buf, p->rnd) < 0)
    fail_msg("%s/%s: env RND must be 64 hex digits", c->kind, c->name);
  p->t.protocol = k->proto;
  if (env(c, "PROTO", NULL, buf, sizeof(buf)) && uc_proto_parse(buf, &p->t.protocol) < 0)
    fail_msg("%s/%s: env PROTO=%s is no protocol", c->kind, c->name, buf);
  if (parse_end(env(c, "END", "timeout", buf, sizeof(buf)), &p->end) < 0)
    fail_msg("%s/%s: env END=%s: timeout, eof, cap or reset", c->kind, c->name, buf);
  parse_steps(c, p, env(c, "STEPS", "", buf, sizeof(buf)));
  p->from = p->target;
  env(c, "FROM", "", buf, sizeof(buf));
  p->from_none = strcmp(buf, "none") == 0;
  if (buf[0] && !p->from_none && parse_addr_port(buf, &p->from) < 0)
    fail_msg("%s/%s: env FROM=%s: address:port, [address]:port or none", c->kind, c->name, buf);
  p->t.host = p->host;
  p->t.addr = (const struct sockaddr *)&p->target;
  p->t.port = (uint16_t)portnum;
}

/* An exact-size heap copy (1 byte for none), so that a read past len trips ASan or valgrind. */
static uint8_t *exact_copy(const uint8_t *buf, size_t len)
{
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy)
    abort();
  if (len)
    memcpy(copy, buf, len);
  return copy;
}

static enum probe_status classify(struct probe_case *p, void *st, const uint8_t *buf, size_t len,
                                  struct probe_outcome *out)
{
  uint8_t *copy = exact_copy(buf, len);
  const struct sockaddr *from = p->from_none ? NULL : (const struct sockaddr *)&p->from;
  enum probe_status s = p->m->classify(st, &p->t, copy, len, from, out);
  free(copy);
  return s;
}

/* finish(): a stream module gets what came, a datagram module nothing. */
static void finish(struct probe_case *p, void *st, const uint8_t *buf, size_t len,
                   struct probe_outcome *out)
{
  int stream = p->m->transport == UC_TCP;
  uint8_t *copy = exact_copy(buf, stream ? len : 0);
  p->m->finish(st, &p->t, p->end, stream ? copy : NULL, stream ? len : 0, out);
  free(copy);
}

static const char *outcome_name(enum uc_outcome o)
{
  switch (o) {
  case UC_OUT_OK:
    return "ok";
  case UC_OUT_WARN:
    return "warn";
  case UC_OUT_FAIL:
    return "fail";
  default:
    return "none";
  }
}

/* One attempt: the input whole (step 0) or in growing prefixes of `step` bytes. */
static json_t *attempt(struct probe_case *p, const uint8_t *in, size_t len, size_t step)
{
  struct probe_outcome out;
  memset(&out, 0, sizeof(out));
  void *st = calloc(1, p->m->state_size ? p->m->state_size : 1);
  if (!st)
    abort();
  p->m->init(st, &p->t, p->rnd);
  enum probe_status s = PROBE_MORE;
  for (size_t n = step ? (step < len ? step : len) : len;; n = n + step < len ? n + step : len) {
    s = classify(p, st, in, n, &out);
    if (s == PROBE_DONE || n == len)
      break;
  }
  if (s != PROBE_DONE)
    finish(p, st, in, len, &out);
  free(st);
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:o}", "classify",
                s == PROBE_DONE ? "done" : "more", "outcome", outcome_name(out.outcome), "state",
                uc_state_name(out.state), "reason", out.reason, "listener", out.listener != 0,
                "foreign", out.foreign != 0, "evidence", out.evidence ? out.evidence : json_null());
  if (!o) /* a reason that is no UTF-8: the module broke its contract */
    fail_msg("reason is not UTF-8 text: %s", out.reason);
  return o;
}

char *probe_case_run(const struct data_case *c, void *arg)
{
  struct probe_case p;
  setup(&p, c, arg);
  json_t *whole = attempt(&p, c->input, c->input_len, 0);
  json_t *differ = NULL;
  for (size_t i = 0; i < p.nsteps && p.m->transport == UC_TCP; i++) {
    json_t *seg = attempt(&p, c->input, c->input_len, p.steps[i]);
    if (!json_equal(seg, whole)) {
      char key[32];
      snprintf(key, sizeof(key), "%zu", p.steps[i]);
      if (!differ)
        differ = json_object();
      json_object_set(differ, key, seg);
    }
    json_decref(seg);
  }
  if (differ) /* the case fails, showing each step that differed; never an expect file */
    json_object_set_new(whole, "steps that differ", differ);
  char *text = json_dumps(whole, JSON_INDENT(2) | JSON_SORT_KEYS);
  json_decref(whole);
  char *got = data_case_printf("%s\n", text ? text : "null");
  free(text);
  if (differ) {
    print_error("%s/%s: delivered in segments (STEPS), the input gives another outcome:\n%s",
                c->kind, c->name, got);
    free(got);
    return NULL;
  }
  return got;
}
