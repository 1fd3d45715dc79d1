/* tests/fuzz/fuzz_stun.c - STUN / MS-TURN (probes/stun.h): the parser, the attribute
 * decoders, the UDP and TCP responders, and the probe_stun (UDP) and probe_stun_tcp modules
 * driven through the probe contract.
 *
 * The input is one datagram (or, for the TCP module and stun_respond_tcp, the stream).
 * Checks, beyond "no crash":
 *   stun_parse      success: the variant matches the header, length == len - 20, the
 *                   transaction id and every kept attribute lie inside the buffer, in order,
 *                   4-aligned when padded, MS-TURN starts with MAGIC-COOKIE, FINGERPRINT is
 *                   last; failure: a printable one-line reason.
 *   decoders        an address decodes to AF_INET/AF_INET6, an ERROR-CODE to 300..699 with the
 *                   phrase inside the attribute.
 *   responders      every answer is a message stun_parse accepts, a response to the request
 *                   (same transaction id), that fits the buffer; a Binding success maps the
 *                   requester's address; TCP answers are framed; `used` is 0, a frame, or all.
 *   modules         every outcome obeys the contract (printable reason, valid outcome and
 *                   state, evidence an object); a datagram from another address first never
 *                   changes what a genuine reply decides; the TCP module decides the same
 *                   whatever the segmentation of the stream.
 * The modules' transaction ids are taken from the input (rnd), so that replies in the seed
 * corpus and their mutations reach the code after the transaction id check. */
#include <arpa/inet.h>

#include "fuzz_util.h"
#include "probes/stun.h"

static const uint8_t fixed_rnd[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                      23, 24, 25, 26, 27, 28, 29, 30, 31};

static struct sockaddr_in client4;
static struct sockaddr_in6 client6;
static struct sockaddr_in foreign4;

static void check_msg(const uint8_t *buf, size_t len, const struct stun_msg *m)
{
  FUZZ_CHECK(m->variant == STUN_V_RFC5389 || m->variant == STUN_V_MSTURN, "variant %d",
             (int)m->variant);
  FUZZ_CHECK((size_t)m->length + STUN_HEADER_LEN == len, "length %u for %zu bytes", m->length, len);
  FUZZ_CHECK((m->type & 0xC000) == 0, "type 0x%04x", m->type);
  if (m->variant == STUN_V_RFC5389) {
    FUZZ_CHECK(m->tid == buf + 8 && m->tid_len == STUN_TID_LEN && m->padded, "RFC 5389 layout");
    FUZZ_CHECK(len % 4 == 0, "RFC 5389 message of %zu bytes", len);
  } else {
    FUZZ_CHECK(m->tid == buf + 4 && m->tid_len == STUN_MS_TID_LEN, "MS-TURN layout");
    FUZZ_CHECK(m->nattrs >= 1 && m->attrs[0].type == STUN_MS_ATTR_MAGIC_COOKIE &&
                   m->attrs[0].len == 4 && m->attrs[0].offset == STUN_HEADER_LEN,
               "MS-TURN message without a leading MAGIC-COOKIE");
    FUZZ_CHECK(!m->has_fingerprint, "FINGERPRINT judged in an MS-TURN message");
  }
  FUZZ_CHECK(m->nattrs <= STUN_MAX_ATTRS && m->nattrs <= m->total_attrs &&
                 (m->nattrs == STUN_MAX_ATTRS || m->nattrs == m->total_attrs),
             "kept %zu of %zu attributes", m->nattrs, m->total_attrs);
  size_t prev_end = STUN_HEADER_LEN;
  for (size_t i = 0; i < m->nattrs; i++) {
    const struct stun_attr *a = &m->attrs[i];
    FUZZ_CHECK(a->offset >= prev_end && a->offset + 4 + a->len <= len,
               "attribute %zu at %zu+%u outside [%zu, %zu)", i, a->offset, a->len, prev_end, len);
    FUZZ_CHECK(a->val == buf + a->offset + 4, "attribute %zu value pointer", i);
    FUZZ_CHECK(!m->padded || a->offset % 4 == 0, "padded attribute %zu at %zu", i, a->offset);
    prev_end = a->offset + 4 + a->len;
    const struct stun_attr *f = stun_msg_find(m, a->type);
    FUZZ_CHECK(f && f <= a && f->type == a->type, "stun_msg_find(0x%04x)", a->type);
    if (m->has_fingerprint && i + 1 == m->total_attrs)
      FUZZ_CHECK(a->type == STUN_ATTR_FINGERPRINT && a->len == 4, "FINGERPRINT not last");

    /* every attribute through every decoder: they must check lengths themselves */
    char err[160];
    for (int xored = 0; xored < 2; xored++) {
      struct sockaddr_storage ss;
      err[0] = '\0';
      if (stun_decode_address(m, a, xored, &ss, err, sizeof(err)) == 0) {
        FUZZ_CHECK(ss.ss_family == AF_INET || ss.ss_family == AF_INET6, "family %d", ss.ss_family);
        char s[64];
        probe_addr_str((const struct sockaddr *)&ss, s, sizeof(s));
      } else {
        fuzz_check_printable(err, sizeof(err), 0, "stun_decode_address error");
      }
    }
    unsigned code = 0;
    const uint8_t *reason = NULL;
    size_t rlen = 0;
    err[0] = '\0';
    if (stun_decode_error(a, &code, &reason, &rlen, err, sizeof(err)) == 0) {
      FUZZ_CHECK(code >= 300 && code <= 699, "ERROR-CODE %u", code);
      FUZZ_CHECK(reason == a->val + 4 && rlen + 4 == a->len, "ERROR-CODE phrase bounds");
    } else {
      fuzz_check_printable(err, sizeof(err), 0, "stun_decode_error error");
    }
  }
  if (m->has_unknown_required)
    FUZZ_CHECK(m->unknown_required < 0x8000, "unknown 'required' 0x%04x", m->unknown_required);
}

/* Parses and checks; returns 0 when buf is a STUN message (m's views point into buf). */
static int parse_checked(const uint8_t *buf, size_t len, struct stun_msg *m)
{
  char err[160] = "";
  int rc = stun_parse(buf, len, m, err, sizeof(err));
  if (rc == 0) {
    check_msg(buf, len, m);
  } else {
    FUZZ_CHECK(rc == -1, "stun_parse returned %d", rc);
    fuzz_check_printable(err, sizeof(err), 0, "stun_parse error");
  }
  return rc;
}

/* An answer of stun_respond to req: a response to it, fitting in cap. */
static void check_answer(const uint8_t *req, size_t reqlen, const uint8_t *out, size_t n,
                         size_t cap, const struct sockaddr *from)
{
  struct stun_msg q, a;
  if (n == 0)
    return;
  FUZZ_CHECK(n <= cap, "answer of %zu bytes in a %zu-byte buffer", n, cap);
  FUZZ_CHECK(stun_parse(req, reqlen, &q, NULL, 0) == 0, "answered a request that does not parse");
  FUZZ_CHECK(parse_checked(out, n, &a) == 0, "answer does not parse");
  FUZZ_CHECK(a.variant == q.variant && a.tid_len == q.tid_len &&
                 memcmp(a.tid, q.tid, q.tid_len) == 0,
             "answer is not for this transaction");
  if (q.variant == STUN_V_RFC5389) {
    FUZZ_CHECK(q.type == STUN_BINDING_REQUEST && a.type == STUN_BINDING_SUCCESS,
               "RFC 5389 0x%04x answered with 0x%04x", q.type, a.type);
    const struct stun_attr *x = stun_msg_find(&a, STUN_ATTR_XOR_MAPPED_ADDRESS);
    struct sockaddr_storage ss;
    FUZZ_CHECK(x && stun_decode_address(&a, x, 1, &ss, NULL, 0) == 0,
               "Binding success without a decodable XOR-MAPPED-ADDRESS");
    FUZZ_CHECK(probe_addr_equal((const struct sockaddr *)&ss, from), "mapped a wrong address");
  } else {
    FUZZ_CHECK(q.type == STUN_ALLOCATE_REQUEST && a.type == STUN_ALLOCATE_ERROR,
               "MS-TURN 0x%04x answered with 0x%04x", q.type, a.type);
  }
}

static void responders(const uint8_t *data, size_t size)
{
  static const uint8_t nonce[16] = {0xde, 0xad, 0xbe, 0xef};
  uint8_t out[1024];
  const struct sockaddr *froms[2] = {(const struct sockaddr *)&client4,
                                     (const struct sockaddr *)&client6};
  uint8_t *req = fuzz_dup(data, size);
  for (int k = 0; k < 2; k++) {
    size_t n = stun_respond(req, size, froms[k], "ucscan-listener/1 fuzz", nonce, out, sizeof(out));
    check_answer(req, size, out, n, sizeof(out), froms[k]);
  }
  /* a buffer too small for the whole answer: nothing, or a smaller valid answer */
  size_t small = 20 + (size % 64);
  size_t n = stun_respond(req, size, froms[0], NULL, NULL, out, small);
  check_answer(req, size, out, n, small, froms[0]);
  free(req);

  /* TCP framing: the stream is the input */
  uint8_t *stream = fuzz_dup(data, size);
  size_t used = SIZE_MAX;
  n = stun_respond_tcp(stream, size, &used, froms[0], "ucscan-listener/1", nonce, out, sizeof(out));
  FUZZ_CHECK(used == 0 || used == size ||
                 (size >= 4 && used == 4 + (size_t)((stream[2] << 8) | stream[3])),
             "used %zu of %zu", used, size);
  FUZZ_CHECK(used <= size, "used %zu of %zu", used, size);
  if (n) {
    FUZZ_CHECK(used >= 4 && used < size + 1 && stream[0] == STUN_TCP_FRAME_CONTROL,
               "answered an unframed stream");
    FUZZ_CHECK(n >= 4 + 20 && out[0] == STUN_TCP_FRAME_CONTROL && out[1] == 0 &&
                   (size_t)((out[2] << 8) | out[3]) + 4 == n,
               "answer is not one control frame");
    check_answer(stream + 4, used - 4, out + 4, n - 4, sizeof(out) - 4, froms[0]);
  } else {
    FUZZ_CHECK(used != SIZE_MAX, "used not set");
  }
  free(stream);
}

/* rnd for the modules: transaction ids copied from a reply at data[off] (RFC 5389 id at 8,
 * MS-TURN id at 4), so that a reply's id matches what the module "sent". */
static void rnd_from(const uint8_t *data, size_t size, size_t off, uint8_t rnd[32])
{
  memcpy(rnd, fixed_rnd, 32);
  if (size >= off + 20) {
    memcpy(rnd, data + off + 8, STUN_TID_LEN);
    memcpy(rnd + STUN_TID_LEN, data + off + 4, STUN_MS_TID_LEN);
  }
}

static void udp_module(const uint8_t *data, size_t size)
{
  struct fuzz_target ft;
  struct fuzz_result a, b, c;
  uint8_t rnd[32];
  fuzz_target_init(&ft, "edge01.contoso.test", 3478, UC_P_STUN);
  rnd_from(data, size, 0, rnd);
  struct fuzz_dgram one[1] = {{data, size, ft.t.addr}};
  struct fuzz_dgram two[2] = {{data, size, (const struct sockaddr *)&foreign4},
                              {data, size, ft.t.addr}};
  fuzz_run_udp(&probe_stun, &ft.t, rnd, one, 1, &a);
  fuzz_run_udp(&probe_stun, &ft.t, rnd, two, 2, &b);
  fuzz_run_udp(&probe_stun, &ft.t, fixed_rnd, one, 1, &c); /* ids that do not match */

  struct stun_msg m;
  if (a.done_in_classify) {
    FUZZ_CHECK(stun_parse(data, size, &m, NULL, 0) == 0,
               "a reply that does not parse was accepted");
    FUZZ_CHECK(a.state == UC_ST_OPEN && a.outcome != UC_OUT_FAIL && a.has_evidence,
               "accepted reply: state %d outcome %d", (int)a.state, (int)a.outcome);
    FUZZ_CHECK(b.done_in_classify && b.outcome == a.outcome && strcmp(a.reason, b.reason) == 0,
               "a foreign datagram first changed the verdict: \"%s\" vs \"%s\"", a.reason,
               b.reason);
  } else {
    FUZZ_CHECK(a.outcome == UC_OUT_FAIL && !a.has_evidence, "no answer but outcome %d",
               (int)a.outcome);
    FUZZ_CHECK(!b.done_in_classify && b.state == UC_ST_OPEN_FILTERED,
               "foreign first: state %d \"%s\"", (int)b.state, b.reason);
  }
  (void)c;
}

static void tcp_module(const uint8_t *data, size_t size)
{
  struct fuzz_target ft;
  struct fuzz_result whole, r;
  uint8_t rnd[32];
  fuzz_target_init(&ft, "edge01.contoso.test", 443, UC_P_STUN);
  rnd_from(data, size, STUN_TCP_FRAME_HDR, rnd);
  fuzz_run_tcp_segmented(&probe_stun_tcp, &ft.t, rnd, data, size, 1, &whole);
  fuzz_run_tcp(&probe_stun_tcp, &ft.t, fixed_rnd, data, size, NULL, 0, PROBE_END_EOF, &r);
}

/* The harness itself: our own requests, answered by our own responder, must be accepted. */
static void self_test(void)
{
  struct fuzz_target ft;
  uint8_t reqs[1024], ans[1024];
  unsigned chunks = 0;
  fuzz_target_init(&ft, "edge01.contoso.test", 3478, UC_P_STUN);
  uint8_t state[512] = {0};
  FUZZ_CHECK(probe_stun.state_size <= sizeof(state), "state");
  probe_stun.init(state, &ft.t, fixed_rnd);
  for (unsigned i = 0;; i++) {
    size_t n = probe_stun.build(state, &ft.t, i, reqs, sizeof(reqs));
    if (!n)
      break;
    chunks++;
    size_t an = stun_respond(reqs, n, (const struct sockaddr *)&client4, UC_LISTENER_TOKEN, NULL,
                             ans, sizeof(ans));
    FUZZ_CHECK(an > 0, "our request %u got no answer", i);
    struct fuzz_result r;
    struct fuzz_dgram d = {ans, an, ft.t.addr};
    fuzz_run_udp(&probe_stun, &ft.t, fixed_rnd, &d, 1, &r);
    FUZZ_CHECK(r.done_in_classify && r.outcome == UC_OUT_OK && r.listener,
               "our own answer %u: \"%s\"", i, r.reason);
  }
  FUZZ_CHECK(chunks == 2, "%u requests", chunks);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  client4.sin_family = AF_INET;
  client4.sin_port = htons(50000);
  client4.sin_addr.s_addr = htonl(0xC6120001u); /* 198.18.0.1 */
  client6.sin6_family = AF_INET6;
  client6.sin6_port = htons(50001);
  inet_pton(AF_INET6, "2001:db8::1", &client6.sin6_addr);
  foreign4.sin_family = AF_INET;
  foreign4.sin_port = htons(3478);
  foreign4.sin_addr.s_addr = htonl(0xC6120063u); /* 198.18.0.99 */
  self_test();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct stun_msg m;
  uint8_t *copy = fuzz_dup(data, size); /* exact size: a read past the end is caught */
  parse_checked(copy, size, &m);
  free(copy);
  responders(data, size);
  udp_module(data, size);
  tcp_module(data, size);
  return 0;
}
