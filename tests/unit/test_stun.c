/* tests/unit/test_stun.c - STUN / MS-TURN probe, parser, writer and responders on byte
 * fixtures: the RFC 5769 sample messages and MS-TURN 401 replies written out by hand (kept here
 * annotated, for the parser tests that change them at an offset). What the probe makes of
 * answers and hostile datagrams and streams, each built from these, is in tests/data/stun/ and
 * tests/data/stun-tcp/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/probe.h"
#include "probes/stun.h"
#include "tests/support/data_cases.h"
#include "tests/support/probe_cases.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

/* RFC 5769 section 2.1, Sample Request (SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
 * MESSAGE-INTEGRITY, FINGERPRINT). Checked: its FINGERPRINT and HMAC verify. */
static const uint8_t rfc5769_request[108] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

/* RFC 5769 section 2.2, Sample IPv4 Response: SOFTWARE "test vector" (11 bytes, padded with
 * a space), XOR-MAPPED-ADDRESS 192.0.2.1:32853, MESSAGE-INTEGRITY, FINGERPRINT. */
static const uint8_t rfc5769_resp_v4[80] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

/* RFC 5769 section 2.3, Sample IPv6 Response: XOR-MAPPED-ADDRESS
 * [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t rfc5769_resp_v6[92] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};

/* The RFC 5769 transaction id, then our MS-TURN transaction id 10 11 .. 1f, then filler. */
static const uint8_t rnd_rfc5769[32] = {
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0xee, 0xee, 0xee, 0xee};

static const uint8_t ms_tid[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                   0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

/* An MS-TURN Allocate error, written out by hand the way a Microsoft server lays it out:
 * legacy header with a 16-byte transaction id, MAGIC-COOKIE first, attributes back to back
 * (no padding: the 26-byte REALM is followed at once by NONCE). */
/* clang-format off */
static const uint8_t msturn_401[20 + 86] = {
    0x01, 0x13, 0x00, 0x56,                           /* Allocate error, length 86 */
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,   /* transaction id ... */
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,   /* ... 16 bytes */
    0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b, 0xc6,   /* MAGIC-COOKIE 0x72c64bc6 */
    0x00, 0x09, 0x00, 0x10, 0x00, 0x00, 0x04, 0x01,   /* ERROR-CODE 401, 16 bytes */
    'U', 'n', 'a', 'u', 't', 'h', 'o', 'r', 'i', 'z', 'e', 'd',
    0x00, 0x15, 0x00, 0x1a,                           /* REALM (MS-TURN 0x0015), 26 bytes */
    'S', 'I', 'P', ' ', 'C', 'o', 'm', 'm', 'u', 'n', 'i', 'c', 'a',
    't', 'i', 'o', 'n', 's', ' ', 'S', 'e', 'r', 'v', 'i', 'c', 'e',
    0x00, 0x14, 0x00, 0x10,                           /* NONCE (MS-TURN 0x0014), 16 bytes */
    'b', '5', '8', '0', '1', 'd', '7', 'e', '3', 'a', '9', 'c', '4', 'f', '6', '2',
    0x80, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02,   /* MS-VERSION 2 */
};
/* clang-format on */

/* The same reply with RFC 5389-style padding (two zero bytes after REALM) and a SOFTWARE
 * attribute (0x8022, comprehension-optional) carrying the listener token. */
static const uint8_t msturn_401_padded[20 + 112] = {
    0x01, 0x13, 0x00, 0x70, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
    0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b, 0xc6, 0x00, 0x09,
    0x00, 0x10, 0x00, 0x00, 0x04, 0x01, 'U',  'n',  'a',  'u',  't',  'h',  'o',  'r',  'i',
    'z',  'e',  'd',  0x00, 0x15, 0x00, 0x1a, 'S',  'I',  'P',  ' ',  'C',  'o',  'm',  'm',
    'u',  'n',  'i',  'c',  'a',  't',  'i',  'o',  'n',  's',  ' ',  'S',  'e',  'r',  'v',
    'i',  'c',  'e',  0x00, 0x00, 0x00, 0x14, 0x00, 0x10, 'b',  '5',  '8',  '0',  '1',  'd',
    '7',  'e',  '3',  'a',  '9',  'c',  '4',  'f',  '6',  '2',  0x80, 0x08, 0x00, 0x04, 0x00,
    0x00, 0x00, 0x02, 0x80, 0x22, 0x00, 0x11, 'u',  'c',  's',  'c',  'a',  'n',  '-',  'l',
    'i',  's',  't',  'e',  'n',  'e',  'r',  '/',  '1',  0x00, 0x00, 0x00};

/* ---- helpers ----------------------------------------------------------------------------- */

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
  struct sockaddr_in s;
  memset(&s, 0, sizeof(s));
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  assert_int_equal(inet_pton(AF_INET, ip, &s.sin_addr), 1);
  return s;
}

static struct sockaddr_in6 v6(const char *ip, uint16_t port)
{
  struct sockaddr_in6 s;
  memset(&s, 0, sizeof(s));
  s.sin6_family = AF_INET6;
  s.sin6_port = htons(port);
  assert_int_equal(inet_pton(AF_INET6, ip, &s.sin6_addr), 1);
  return s;
}

/* One probe attempt against 192.0.2.1:3478 (or an IPv6 target). */
struct attempt {
  const struct probe_module *mod;
  void *state;
  struct sockaddr_storage target;
  struct probe_target t;
  struct probe_outcome out;
};

static void attempt_start(struct attempt *a, const struct probe_module *mod,
                          const struct sockaddr *target, const uint8_t rnd[32])
{
  memset(a, 0, sizeof(*a));
  a->mod = mod;
  a->state = calloc(1, mod->state_size);
  assert_non_null(a->state);
  memcpy(&a->target, target,
         target->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
  a->t.host = "edge.contoso.test";
  a->t.addr = (const struct sockaddr *)&a->target;
  a->t.port = 3478;
  a->t.protocol = UC_P_STUN;
  mod->init(a->state, &a->t, rnd);
}

static void attempt_v4(struct attempt *a, const struct probe_module *mod, const uint8_t rnd[32])
{
  struct sockaddr_in t = v4("192.0.2.1", 3478);
  attempt_start(a, mod, (const struct sockaddr *)&t, rnd);
}

/* classify a datagram from the target itself */
static enum probe_status feed(struct attempt *a, const uint8_t *buf, size_t len)
{
  return a->mod->classify(a->state, &a->t, buf, len, a->t.addr, &a->out);
}

/* classify a copy in a heap block of exactly len bytes, so that ASan sees any overread */
static enum probe_status feed_exact(struct attempt *a, const uint8_t *buf, size_t len)
{
  uint8_t *copy = malloc(len ? len : 1);
  assert_non_null(copy);
  if (len)
    memcpy(copy, buf, len);
  enum probe_status s = feed(a, copy, len);
  free(copy);
  return s;
}

static void finish(struct attempt *a)
{
  a->mod->finish(a->state, &a->t, PROBE_END_TIMEOUT, NULL, 0, &a->out);
}

static void attempt_end(struct attempt *a)
{
  json_decref(a->out.evidence);
  a->out.evidence = NULL;
  free(a->state);
}

static json_t *stun_ev(const struct attempt *a)
{
  assert_non_null(a->out.evidence);
  json_t *s = json_object_get(a->out.evidence, "stun");
  assert_non_null(s);
  assert_true(json_is_object(s));
  return s;
}

static void expect_str(json_t *o, const char *key, const char *want)
{
  json_t *v = json_object_get(o, key);
  assert_non_null(v);
  assert_true(json_is_string(v));
  assert_string_equal(json_string_value(v), want);
}

static void expect_int(json_t *o, const char *key, json_int_t want)
{
  json_t *v = json_object_get(o, key);
  assert_non_null(v);
  assert_true(json_is_integer(v));
  assert_int_equal(json_integer_value(v), want);
}

/* Feeds one hostile datagram; the attempt must keep waiting and then report `reason`. */
static void expect_anomaly(const uint8_t *buf, size_t len, const char *reason)
{
  struct attempt a;
  attempt_v4(&a, &probe_stun, rnd_rfc5769);
  assert_int_equal(feed_exact(&a, buf, len), PROBE_MORE);
  finish(&a);
  assert_int_equal(a.out.outcome, UC_OUT_FAIL);
  assert_int_equal(a.out.state, UC_ST_OPEN);
  assert_string_equal(a.out.reason, reason);
  assert_null(a.out.evidence);
  attempt_end(&a);
}

/* ---- parser ------------------------------------------------------------------------------ */

static void test_parse_rfc5769_responses(void **s)
{
  struct stun_msg m;
  char err[160] = "";
  struct sockaddr_storage ss;
  char addr[80];

  assert_int_equal(stun_parse(rfc5769_resp_v4, sizeof(rfc5769_resp_v4), &m, err, sizeof(err)), 0);
  assert_int_equal(m.variant, STUN_V_RFC5389);
  assert_int_equal(m.type, STUN_BINDING_SUCCESS);
  assert_int_equal(m.length, 60);
  assert_int_equal(m.tid_len, 12);
  assert_memory_equal(m.tid, rnd_rfc5769, 12);
  assert_int_equal(m.total_attrs, 4);
  assert_int_equal(m.attrs[0].type, STUN_ATTR_SOFTWARE);
  assert_int_equal(m.attrs[0].len, 11);
  assert_memory_equal(m.attrs[0].val, "test vector", 11);
  assert_int_equal(m.attrs[3].type, STUN_ATTR_FINGERPRINT);
  assert_true(m.has_fingerprint);
  assert_false(m.has_unknown_required);
  const struct stun_attr *x = stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
  assert_non_null(x);
  assert_int_equal(stun_decode_address(&m, x, 1, &ss, err, sizeof(err)), 0);
  probe_addr_str((struct sockaddr *)&ss, addr, sizeof(addr));
  assert_string_equal(addr, "192.0.2.1:32853");

  assert_int_equal(stun_parse(rfc5769_resp_v6, sizeof(rfc5769_resp_v6), &m, err, sizeof(err)), 0);
  x = stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
  assert_non_null(x);
  assert_int_equal(x->len, 20);
  assert_int_equal(stun_decode_address(&m, x, 1, &ss, err, sizeof(err)), 0);
  probe_addr_str((struct sockaddr *)&ss, addr, sizeof(addr));
  assert_string_equal(addr, "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

static void test_parse_rfc5769_request(void **s)
{
  struct stun_msg m;
  char err[160] = "";
  assert_int_equal(stun_parse(rfc5769_request, sizeof(rfc5769_request), &m, err, sizeof(err)), 0);
  assert_int_equal(m.type, STUN_BINDING_REQUEST);
  assert_int_equal(m.total_attrs, 6);
  const struct stun_attr *u = stun_msg_find(&m, STUN_ATTR_USERNAME);
  assert_non_null(u);
  assert_int_equal(u->len, 9);
  assert_memory_equal(u->val, "evtj:h6vY", 9);
  assert_true(m.has_fingerprint);
}

static void test_parse_msturn_unpadded_and_padded(void **s)
{
  struct stun_msg m;
  char err[160] = "";
  assert_int_equal(stun_parse(msturn_401, sizeof(msturn_401), &m, err, sizeof(err)), 0);
  assert_int_equal(m.variant, STUN_V_MSTURN);
  assert_int_equal(m.type, STUN_ALLOCATE_ERROR);
  assert_int_equal(m.tid_len, 16);
  assert_memory_equal(m.tid, ms_tid, 16);
  assert_false(m.padded);
  assert_int_equal(m.total_attrs, 5);
  const struct stun_attr *r = stun_msg_find(&m, STUN_MS_ATTR_REALM);
  assert_non_null(r);
  assert_int_equal(r->len, 26);
  assert_memory_equal(r->val, "SIP Communications Service", 26);
  const struct stun_attr *n = stun_msg_find(&m, STUN_MS_ATTR_NONCE);
  assert_non_null(n);
  assert_memory_equal(n->val, "b5801d7e3a9c4f62", 16);
  unsigned code = 0;
  const uint8_t *rp;
  size_t rl;
  assert_int_equal(
      stun_decode_error(stun_msg_find(&m, STUN_ATTR_ERROR_CODE), &code, &rp, &rl, err, 160), 0);
  assert_int_equal(code, 401);
  assert_int_equal(rl, 12);

  assert_int_equal(stun_parse(msturn_401_padded, sizeof(msturn_401_padded), &m, err, sizeof(err)),
                   0);
  assert_true(m.padded);
  assert_int_equal(m.total_attrs, 6);
  assert_non_null(stun_msg_find(&m, STUN_ATTR_SOFTWARE));
}

static void test_parse_errors(void **s)
{
  struct stun_msg m;
  char err[160];
  uint8_t b[128];

  assert_int_equal(stun_parse(NULL, 0, &m, err, sizeof(err)), -1);
  assert_string_equal(err, "message too short (0 bytes, a STUN header has 20)");
  assert_int_equal(stun_parse(rfc5769_resp_v4, 19, &m, err, sizeof(err)), -1);
  assert_string_equal(err, "message too short (19 bytes, a STUN header has 20)");

  memcpy(b, rfc5769_resp_v4, 80);
  b[0] = 0x41; /* 01xxxxxx: TURN ChannelData, not a STUN message */
  assert_int_equal(stun_parse(b, 80, &m, err, sizeof(err)), -1);
  assert_string_equal(err, "not a STUN message (message type 0x4101 has its top bits set)");

  /* lying length, both ways */
  assert_int_equal(stun_parse(rfc5769_resp_v4, 76, &m, err, sizeof(err)), -1);
  assert_string_equal(err, "header length 60 but 56 bytes follow the header");
  memcpy(b, rfc5769_resp_v4, 80);
  memset(b + 80, 0, 8);
  assert_int_equal(stun_parse(b, 88, &m, err, sizeof(err)), -1);
  assert_string_equal(err, "header length 60 but 68 bytes follow the header");

  /* neither cookie */
  memcpy(b, msturn_401, sizeof(msturn_401));
  b[27] = 0xc7;
  assert_int_equal(stun_parse(b, sizeof(msturn_401), &m, err, sizeof(err)), -1);
  assert_string_equal(err, "neither the RFC 5389 magic cookie nor a leading MS-TURN MAGIC-COOKIE "
                           "attribute");

  /* a NULL err buffer is allowed */
  assert_int_equal(stun_parse(rfc5769_resp_v4, 3, &m, NULL, 0), -1);
}

static void test_parse_fingerprint_mismatch(void **s)
{
  struct stun_msg m;
  char err[160];
  uint8_t b[80];
  memcpy(b, rfc5769_resp_v4, sizeof(b));
  b[24] = 'T'; /* "Test vector": the CRC no longer matches */
  assert_int_equal(stun_parse(b, sizeof(b), &m, err, sizeof(err)), -1);
  assert_string_equal(err, "FINGERPRINT mismatch (0xc07d4c96, computed 0x1b84ce12)");
}

/* ---- probe: build ------------------------------------------------------------------------ */

static void test_build_requests(void **s)
{
  struct attempt a;
  uint8_t buf[256];
  struct stun_msg m;
  char err[160];
  attempt_v4(&a, &probe_stun, rnd_rfc5769);

  size_t n = probe_stun.build(a.state, &a.t, 0, buf, sizeof(buf));
  assert_int_equal(n, 20 + 4 + 16);
  assert_int_equal(stun_parse(buf, n, &m, err, sizeof(err)), 0);
  assert_int_equal(m.variant, STUN_V_RFC5389);
  assert_int_equal(m.type, STUN_BINDING_REQUEST);
  assert_memory_equal(buf + 4, "\x21\x12\xa4\x42", 4);
  assert_memory_equal(buf + 8, rnd_rfc5769, 12);
  const struct stun_attr *sw = stun_msg_find(&m, STUN_ATTR_SOFTWARE);
  assert_non_null(sw);
  assert_int_equal(sw->len, strlen(UC_PROBE_TOKEN));
  assert_memory_equal(sw->val, UC_PROBE_TOKEN, sw->len);

  n = probe_stun.build(a.state, &a.t, 1, buf, sizeof(buf));
  static const uint8_t want_alloc[36] = {0x00, 0x03, 0x00, 0x10, 0x10, 0x11, 0x12, 0x13, 0x14,
                                         0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
                                         0x1e, 0x1f, 0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b,
                                         0xc6, 0x80, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02};
  assert_int_equal(n, sizeof(want_alloc));
  assert_memory_equal(buf, want_alloc, sizeof(want_alloc));

  assert_int_equal(probe_stun.build(a.state, &a.t, 2, buf, sizeof(buf)), 0);
  assert_int_equal(probe_stun.build(a.state, &a.t, 0, buf, 39), 0); /* too small */
  assert_int_equal(probe_stun.build(a.state, &a.t, 1, buf, 35), 0);
  assert_int_equal(probe_stun.build(a.state, &a.t, 1, buf, 36), 36);
  attempt_end(&a);
}

static void test_init_ms_tid_never_looks_like_rfc5389(void **s)
{
  uint8_t rnd[32] = {0};
  uint8_t buf[64];
  struct attempt a;
  rnd[12] = 0x21, rnd[13] = 0x12, rnd[14] = 0xa4, rnd[15] = 0x42;
  attempt_v4(&a, &probe_stun, rnd);
  assert_int_equal(probe_stun.build(a.state, &a.t, 1, buf, sizeof(buf)), 36);
  assert_memory_not_equal(buf + 4, "\x21\x12\xa4\x42", 4);
  assert_int_equal(buf[4], 0xa1);
  attempt_end(&a);
}

/* ---- probe: classify valid answers ------------------------------------------------------- */

/* ---- probe: hostile datagrams ------------------------------------------------------------ */

static void test_anomaly_wrong_txid(void **s)
{
  uint8_t b[80];
  memcpy(b, rfc5769_resp_v4, 80);
  uint8_t rnd[32];
  memcpy(rnd, rnd_rfc5769, 32);
  rnd[11] ^= 1; /* our Binding id differs in its last byte */
  struct attempt a;
  attempt_v4(&a, &probe_stun, rnd);
  assert_int_equal(feed_exact(&a, b, sizeof(b)), PROBE_MORE);
  finish(&a);
  assert_int_equal(a.out.outcome, UC_OUT_FAIL);
  assert_int_equal(a.out.state, UC_ST_OPEN);
  assert_string_equal(a.out.reason, "invalid STUN reply: transaction id mismatch");
  attempt_end(&a);
  /* (an MS-TURN reply to someone else's Allocate: tests/data/stun/msturn-other-transaction) */
}

static void test_anomaly_wrong_source(void **s)
{
  struct attempt a;
  struct sockaddr_in other = v4("198.18.0.9", 3478), other_port = v4("192.0.2.1", 3479);
  attempt_v4(&a, &probe_stun, rnd_rfc5769);
  assert_int_equal(probe_stun.classify(a.state, &a.t, rfc5769_resp_v4, sizeof(rfc5769_resp_v4),
                                       (struct sockaddr *)&other, &a.out),
                   PROBE_MORE);
  assert_int_equal(probe_stun.classify(a.state, &a.t, rfc5769_resp_v4, sizeof(rfc5769_resp_v4),
                                       (struct sockaddr *)&other_port, &a.out),
                   PROBE_MORE);
  assert_int_equal(
      probe_stun.classify(a.state, &a.t, rfc5769_resp_v4, sizeof(rfc5769_resp_v4), NULL, &a.out),
      PROBE_MORE);
  finish(&a);
  assert_int_equal(a.out.outcome, UC_OUT_FAIL);
  assert_int_equal(a.out.state, UC_ST_OPEN_FILTERED);
  assert_string_equal(a.out.reason,
                      "invalid STUN reply: reply from 198.18.0.9:3478, not the target");
  attempt_end(&a);
}

static void test_anomaly_huge(void **s)
{
  /* (tiny ones: tests/data/stun/empty-datagram, one-byte) 64 KiB of pseudo-random garbage whose
   * first byte looks like STUN */
  size_t n = 65536;
  uint8_t *g = malloc(n);
  assert_non_null(g);
  uint32_t x = 12345;
  for (size_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    g[i] = (uint8_t)(x >> 16);
  }
  g[0] = 0x01;
  g[2] = 0xff, g[3] = 0xec; /* length 65516 == n - 20: passes the length check */
  expect_anomaly(g, n,
                 "invalid STUN reply: neither the RFC 5389 magic cookie nor a leading MS-TURN "
                 "MAGIC-COOKIE attribute");
  g[4] = 0x21, g[5] = 0x12, g[6] = 0xa4, g[7] = 0x42;
  memcpy(g + 8, rnd_rfc5769, 12);
  struct attempt a;
  attempt_v4(&a, &probe_stun, rnd_rfc5769);
  assert_int_equal(feed_exact(&a, g, n), PROBE_MORE); /* attribute soup does not parse */
  finish(&a);
  assert_int_equal(a.out.outcome, UC_OUT_FAIL);
  assert_true(strncmp(a.out.reason, "invalid STUN reply: attribute 0x", 32) == 0);
  attempt_end(&a);
  free(g);
}

static void test_anomaly_echoed_request(void **s)
{
  /* A UDP echo service sends our own Binding request back. */
  struct attempt a;
  uint8_t req[64];
  attempt_v4(&a, &probe_stun, rnd_rfc5769);
  size_t n = probe_stun.build(a.state, &a.t, 0, req, sizeof(req));
  assert_int_equal(feed_exact(&a, req, n), PROBE_MORE);
  n = probe_stun.build(a.state, &a.t, 1, req, sizeof(req));
  assert_int_equal(feed_exact(&a, req, n), PROBE_MORE);
  finish(&a);
  assert_string_equal(a.out.reason,
                      "invalid STUN reply: echoed request (message type 0x0001), not a response");
  attempt_end(&a);
}

static void test_first_anomaly_wins_and_genuine_reply_still_wins(void **s)
{
  struct attempt a;
  attempt_v4(&a, &probe_stun, rnd_rfc5769);
  assert_int_equal(feed_exact(&a, rfc5769_resp_v4, 10), PROBE_MORE);
  assert_int_equal(feed_exact(&a, (const uint8_t *)"GET / HTTP/1.0\r\n\r\n", 18), PROBE_MORE);
  finish(&a);
  assert_string_equal(a.out.reason,
                      "invalid STUN reply: message too short (10 bytes, a STUN header has 20)");

  /* same attempt, but the genuine answer arrives after the junk */
  attempt_end(&a);
  attempt_v4(&a, &probe_stun, rnd_rfc5769);
  assert_int_equal(feed_exact(&a, rfc5769_resp_v4, 10), PROBE_MORE);
  assert_int_equal(feed_exact(&a, msturn_401, sizeof(msturn_401)), PROBE_DONE);
  assert_int_equal(a.out.outcome, UC_OUT_OK);
  attempt_end(&a);
}

static void test_finish_without_answer(void **s)
{
  struct attempt a;
  attempt_v4(&a, &probe_stun, rnd_rfc5769);
  finish(&a);
  assert_int_equal(a.out.outcome, UC_OUT_FAIL);
  assert_int_equal(a.out.state, UC_ST_OPEN_FILTERED);
  assert_string_equal(a.out.reason, "no STUN or MS-TURN answer (open|filtered)");
  assert_null(a.out.evidence);
  assert_int_equal(a.out.listener, 0);
  attempt_end(&a);
}

/* ---- writer ------------------------------------------------------------------------------ */

static void test_writer_reproduces_rfc5769_v4_without_integrity(void **s)
{
  /* SOFTWARE + XOR-MAPPED-ADDRESS as in the sample, zero padding instead of a space. */
  uint8_t buf[64];
  struct stun_writer w;
  struct sockaddr_in mapped = v4("192.0.2.1", 32853);
  memset(buf, 0xaa, sizeof(buf)); /* padding must be written, not left over */
  stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING_SUCCESS, rnd_rfc5769, 12);
  stun_writer_attr(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
  stun_writer_address(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&mapped);
  size_t n = stun_writer_finish(&w);
  assert_int_equal(n, 48);
  uint8_t want[48];
  memcpy(want, rfc5769_resp_v4, 48);
  want[3] = 28;
  want[35] = 0x00;
  assert_memory_equal(buf, want, 48);

  /* overflow and misuse make finish return 0 */
  stun_writer_init(&w, buf, 30, STUN_BINDING_SUCCESS, rnd_rfc5769, 12);
  stun_writer_attr(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
  assert_int_equal(stun_writer_finish(&w), 0);
  stun_writer_init(&w, buf, sizeof(buf), STUN_ALLOCATE_ERROR, ms_tid, 16);
  stun_writer_address(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&mapped);
  assert_int_equal(stun_writer_finish(&w), 0);
  stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING_SUCCESS, rnd_rfc5769, 7);
  assert_int_equal(stun_writer_finish(&w), 0);
  stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING_ERROR, rnd_rfc5769, 12);
  stun_writer_error(&w, 999, "x");
  assert_int_equal(stun_writer_finish(&w), 0);
}

/* ---- responders and round trips ---------------------------------------------------------- */

static const uint8_t nonce16[16] = {0xb5, 0x80, 0x1d, 0x7e, 0x3a, 0x9c, 0x4f, 0x62,
                                    0x00, 0x01, 0x02, 0x03, 0xfc, 0xfd, 0xfe, 0xff};

static void test_respond_binding_to_rfc5769_request(void **s)
{
  uint8_t out[256];
  struct stun_msg m;
  char err[160];
  struct sockaddr_in from = v4("203.0.113.5", 40000);
  size_t n = stun_respond(rfc5769_request, sizeof(rfc5769_request), (struct sockaddr *)&from,
                          "ucscan " UC_LISTENER_TOKEN, nonce16, out, sizeof(out));
  assert_int_equal(n, 20 + 12 + 4 + 24 + 8);
  assert_int_equal(stun_parse(out, n, &m, err, sizeof(err)), 0);
  assert_int_equal(m.type, STUN_BINDING_SUCCESS);
  assert_memory_equal(m.tid, rfc5769_request + 8, 12);
  assert_true(m.has_fingerprint);
  struct sockaddr_storage ss;
  char a[64];
  assert_int_equal(stun_decode_address(&m, stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), 1, &ss,
                                       err, sizeof(err)),
                   0);
  probe_addr_str((struct sockaddr *)&ss, a, sizeof(a));
  assert_string_equal(a, "203.0.113.5:40000");
  /* no answer to responses, indications, garbage, or without room */
  assert_int_equal(stun_respond(rfc5769_resp_v4, sizeof(rfc5769_resp_v4), (struct sockaddr *)&from,
                                NULL, nonce16, out, sizeof(out)),
                   0);
  uint8_t ind[64];
  struct stun_writer w;
  stun_writer_init(&w, ind, sizeof(ind), STUN_BINDING_INDICATION, rnd_rfc5769, 12);
  size_t il = stun_writer_finish(&w);
  assert_int_equal(il, 20);
  assert_int_equal(stun_respond(ind, il, (struct sockaddr *)&from, NULL, nonce16, out, sizeof(out)),
                   0);
  assert_int_equal(stun_respond((const uint8_t *)"hello", 5, (struct sockaddr *)&from, NULL,
                                nonce16, out, sizeof(out)),
                   0);
  /* without SOFTWARE: header, XOR-MAPPED-ADDRESS, FINGERPRINT = 40 bytes exactly */
  assert_int_equal(stun_respond(rfc5769_request, sizeof(rfc5769_request), (struct sockaddr *)&from,
                                NULL, nonce16, out, 40),
                   40);
  assert_int_equal(stun_respond(rfc5769_request, sizeof(rfc5769_request), (struct sockaddr *)&from,
                                NULL, nonce16, out, 39),
                   0);
  assert_int_equal(
      stun_respond(rfc5769_request, sizeof(rfc5769_request), NULL, NULL, nonce16, out, sizeof(out)),
      0);
}

static void test_respond_msturn_401_bytes(void **s)
{
  /* The responder's 401 to our Allocate is byte for byte the hand-written fixture plus
   * SOFTWARE, with the nonce as hex. */
  struct attempt a;
  uint8_t req[64], out[256];
  attempt_v4(&a, &probe_stun, rnd_rfc5769);
  size_t n = probe_stun.build(a.state, &a.t, 1, req, sizeof(req));
  struct sockaddr_in from = v4("203.0.113.5", 40000);
  size_t r = stun_respond(req, n, (struct sockaddr *)&from, NULL, nonce16, out, sizeof(out));
  assert_int_equal(r, 20 + 8 + 20 + 30 + 36 + 8);
  assert_memory_equal(out, "\x01\x13\x00\x66", 4);
  assert_memory_equal(out + 4, ms_tid, 16);
  assert_memory_equal(out + 20, msturn_401 + 20, 8 + 20 + 30); /* cookie, 401, realm */
  assert_memory_equal(out + 78, "\x00\x14\x00\x20", 4);
  assert_memory_equal(out + 82, "b5801d7e3a9c4f6200010203fcfdfeff", 32);
  assert_memory_equal(out + 114, "\x80\x08\x00\x04\x00\x00\x00\x02", 8);
  attempt_end(&a);
}

static void roundtrip(const struct sockaddr *target, const struct sockaddr *client, unsigned which,
                      const char *want_reason)
{
  struct attempt a;
  uint8_t req[128], rep[256];
  static const uint8_t rnd[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  attempt_start(&a, &probe_stun, target, rnd);
  size_t n = probe_stun.build(a.state, &a.t, which, req, sizeof(req));
  assert_true(n > 0);
  size_t r = stun_respond(req, n, client, "ucscan " UC_LISTENER_TOKEN, nonce16, rep, sizeof(rep));
  assert_true(r > 0);
  assert_int_equal(feed_exact(&a, rep, r), PROBE_DONE);
  assert_int_equal(a.out.outcome, UC_OUT_OK);
  assert_int_equal(a.out.state, UC_ST_OPEN);
  assert_string_equal(a.out.reason, want_reason);
  assert_int_equal(a.out.listener, 1);
  json_t *e = stun_ev(&a);
  expect_str(e, "software", "ucscan " UC_LISTENER_TOKEN);
  if (which == 1) {
    expect_str(e, "variant", "ms-turn");
    expect_int(e, "error_code", 401);
    expect_str(e, "realm", STUN_MS_REALM);
  } else {
    expect_str(e, "variant", "rfc5389");
  }
  attempt_end(&a);
}

static void test_roundtrip_binding_v4_v6_and_msturn(void **s)
{
  struct sockaddr_in t4 = v4("192.0.2.1", 3478), c4 = v4("203.0.113.5", 40000);
  struct sockaddr_in6 t6 = v6("2001:db8::10", 3478), c6 = v6("2001:db8:ffff::5", 40001);
  roundtrip((struct sockaddr *)&t4, (struct sockaddr *)&c4, 0,
            "STUN Binding answered; mapped address 203.0.113.5");
  roundtrip((struct sockaddr *)&t6, (struct sockaddr *)&c6, 0,
            "STUN Binding answered; mapped address 2001:db8:ffff::5");
  roundtrip((struct sockaddr *)&t4, (struct sockaddr *)&c4, 1,
            "MS-TURN Allocate challenged: 401 Unauthorized, realm \"SIP Communications "
            "Service\"");
}

/* ---- MS-TURN over TCP -------------------------------------------------------------------- */

static void test_tcp_build_and_roundtrip_in_pieces(void **s)
{
  struct attempt a;
  uint8_t req[128], rep[256];
  struct stun_msg m;
  char err[160];
  assert_int_equal(probe_stun_tcp.transport, UC_TCP);
  attempt_v4(&a, &probe_stun_tcp, rnd_rfc5769);
  size_t n = probe_stun_tcp.build(a.state, &a.t, 0, req, sizeof(req));
  assert_int_equal(n, 4 + 36);
  assert_memory_equal(req, "\x02\x00\x00\x24", 4);
  assert_int_equal(stun_parse(req + 4, n - 4, &m, err, sizeof(err)), 0);
  assert_int_equal(m.variant, STUN_V_MSTURN);
  assert_int_equal(m.type, STUN_ALLOCATE_REQUEST);
  assert_int_equal(probe_stun_tcp.build(a.state, &a.t, 1, req, sizeof(req)), 0);

  size_t used = 99;
  struct sockaddr_in from = v4("203.0.113.5", 40000);
  assert_int_equal(stun_respond_tcp(req, n - 1, &used, (struct sockaddr *)&from, NULL, nonce16, rep,
                                    sizeof(rep)),
                   0);
  assert_int_equal(used, 0); /* incomplete frame */
  size_t r =
      stun_respond_tcp(req, n, &used, (struct sockaddr *)&from, "edge", nonce16, rep, sizeof(rep));
  assert_int_equal(used, n);
  assert_true(r > 4);
  /* two frames back to back: only the first is consumed */
  uint8_t two[2 * 40];
  memcpy(two, req, n);
  memcpy(two + n, req, n);
  size_t used2 = 0;
  assert_int_equal(stun_respond_tcp(two, 2 * n, &used2, (struct sockaddr *)&from, "edge", nonce16,
                                    rep, sizeof(rep)),
                   r);
  assert_int_equal(used2, n);
  assert_int_equal(rep[0], 0x02);
  assert_int_equal(rep[1], 0x00);
  assert_int_equal((rep[2] << 8) | rep[3], r - 4);

  /* the stream arrives in pieces: header split, body split */
  assert_int_equal(probe_stun_tcp.classify(a.state, &a.t, rep, 3, NULL, &a.out), PROBE_MORE);
  assert_int_equal(probe_stun_tcp.classify(a.state, &a.t, rep, 30, NULL, &a.out), PROBE_MORE);
  assert_int_equal(probe_stun_tcp.classify(a.state, &a.t, rep, r - 1, NULL, &a.out), PROBE_MORE);
  assert_int_equal(probe_stun_tcp.classify(a.state, &a.t, rep, r, NULL, &a.out), PROBE_DONE);
  assert_int_equal(a.out.outcome, UC_OUT_OK);
  assert_int_equal(a.out.state, UC_ST_OPEN);
  assert_string_equal(a.out.reason, "MS-TURN Allocate challenged: 401 Unauthorized, realm \"SIP "
                                    "Communications Service\"");
  expect_str(stun_ev(&a), "software", "edge");
  attempt_end(&a);
}

static void test_tcp_responder_drops_unframed(void **s)
{
  /* (what the probe makes of hostile streams: tests/data/stun-tcp) */
  static const uint8_t tls[8] = {0x16, 0x03, 0x03, 0x00, 0x4a, 0x02, 0x00, 0x00};
  size_t used = 0;
  uint8_t rep[64];
  assert_int_equal(stun_respond_tcp(tls, sizeof(tls), &used, NULL, NULL, nonce16, rep, sizeof(rep)),
                   0);
  assert_int_equal(used, sizeof(tls));
}

/* ---- replies as data: tests/data/stun/ (datagrams), tests/data/stun-tcp/ (streams) ------- */

static const struct probe_case_kind stun_kind = {&probe_stun, "edge.contoso.test", "192.0.2.1",
                                                 3478,        UC_P_STUN,           rnd_rfc5769};
static const struct probe_case_kind stun_tcp_kind = {
    &probe_stun_tcp, "edge.contoso.test", "192.0.2.1", 3478, UC_P_STUN, rnd_rfc5769};

static void test_data_cases(void **s)
{
  data_cases_run("stun", DATA_JSON, probe_case_run, (void *)&stun_kind);
}

static void test_data_cases_tcp(void **s)
{
  data_cases_run("stun-tcp", DATA_JSON, probe_case_run, (void *)&stun_tcp_kind);
}

/* ---- robustness: mutated fixtures -------------------------------------------------------- */

static void test_mutations_never_crash(void **s)
{
  const uint8_t *fx[] = {rfc5769_resp_v4, rfc5769_resp_v6, msturn_401, msturn_401_padded,
                         rfc5769_request};
  const size_t fl[] = {sizeof(rfc5769_resp_v4), sizeof(rfc5769_resp_v6), sizeof(msturn_401),
                       sizeof(msturn_401_padded), sizeof(rfc5769_request)};
  uint32_t x = 0xC0FFEE;
  unsigned done = 0, more = 0;
  for (unsigned it = 0; it < 20000; it++) {
    x = x * 1664525u + 1013904223u;
    unsigned k = (x >> 8) % 5;
    size_t len = fl[k];
    uint8_t b[160];
    memcpy(b, fx[k], len);
    for (unsigned j = 0; j < 1 + (x >> 28) % 4; j++) {
      x = x * 1664525u + 1013904223u;
      b[(x >> 8) % len] = (uint8_t)(x >> 20);
    }
    x = x * 1664525u + 1013904223u;
    if ((x >> 29) == 0)
      len = (x >> 8) % len; /* truncate */
    struct attempt a;
    attempt_v4(&a, &probe_stun, rnd_rfc5769);
    enum probe_status st = feed_exact(&a, b, len);
    if (st == PROBE_DONE) {
      done++;
      assert_true(a.out.outcome == UC_OUT_OK || a.out.outcome == UC_OUT_WARN);
      assert_non_null(a.out.evidence);
    } else {
      more++;
      finish(&a);
      assert_int_equal(a.out.outcome, UC_OUT_FAIL);
      assert_true(strlen(a.out.reason) > 0);
    }
    attempt_end(&a);
    uint8_t rep[512];
    struct sockaddr_in from = v4("203.0.113.5", 40000);
    (void)stun_respond(b, len, (struct sockaddr *)&from, "x", nonce16, rep, sizeof(rep));
  }
  /* both branches were exercised */
  assert_true(done > 100);
  assert_true(more > 100);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_rfc5769_responses),
      cmocka_unit_test(test_parse_rfc5769_request),
      cmocka_unit_test(test_parse_msturn_unpadded_and_padded),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_parse_fingerprint_mismatch),
      cmocka_unit_test(test_build_requests),
      cmocka_unit_test(test_init_ms_tid_never_looks_like_rfc5389),
      cmocka_unit_test(test_anomaly_wrong_txid),
      cmocka_unit_test(test_anomaly_wrong_source),
      cmocka_unit_test(test_anomaly_huge),
      cmocka_unit_test(test_anomaly_echoed_request),
      cmocka_unit_test(test_first_anomaly_wins_and_genuine_reply_still_wins),
      cmocka_unit_test(test_finish_without_answer),
      cmocka_unit_test(test_writer_reproduces_rfc5769_v4_without_integrity),
      cmocka_unit_test(test_respond_binding_to_rfc5769_request),
      cmocka_unit_test(test_respond_msturn_401_bytes),
      cmocka_unit_test(test_roundtrip_binding_v4_v6_and_msturn),
      cmocka_unit_test(test_tcp_build_and_roundtrip_in_pieces),
      cmocka_unit_test(test_tcp_responder_drops_unframed),
      cmocka_unit_test(test_data_cases),
      cmocka_unit_test(test_data_cases_tcp),
      cmocka_unit_test(test_mutations_never_crash),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
