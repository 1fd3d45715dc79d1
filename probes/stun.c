/* probes/stun.c - STUN (RFC 5389) and MS-TURN ([MS-TURN]) probe modules, parser, writer and
 * responders. See stun.h for the wire formats and where they are specified. */
#include "stun.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define STUN_READ_CAP 4096 /* MS-TURN over TCP: one framed reply */
/* UDP: a whole datagram. The engine hands a module at most read_cap bytes of a datagram and
 * says nothing about the rest, so a smaller cap would make a large reply look like one whose
 * header length lies. The length field allows 20 + 65,535 bytes; the engine's read buffer
 * (64 KiB, shared) bounds what is kept. */
#define STUN_UDP_READ_CAP (STUN_HEADER_LEN + 65535)
#define STUN_FINGERPRINT_XOR 0x5354554Eu
#define STUN_WHY_MAX 160

/* ---- byte helpers ------------------------------------------------------------------------ */

static uint16_t stun_get16(const uint8_t *p)
{
  return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t stun_get32(const uint8_t *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void stun_put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void stun_put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* CRC-32 (ISO-HDLC, the one RFC 5389 section 15.5 names), bitwise: messages are small. */
static uint32_t stun_crc32(const uint8_t *p, size_t n)
{
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

static void stun_err(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stun_err(char *err, size_t errcap, const char *fmt, ...)
{
  if (!err || errcap == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errcap, fmt, ap);
  va_end(ap);
}

static int stun_contains(const uint8_t *hay, size_t n, const char *needle)
{
  size_t m = strlen(needle);
  if (m == 0 || n < m)
    return 0;
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0)
      return 1;
  return 0;
}

/* ---- parser ------------------------------------------------------------------------------ */

/* Comprehension-required attributes (< 0x8000) a response may carry. RFC 5389 messages: the
 * IANA STUN attribute registry (RFC 8489, RFC 3489 leftovers, TURN RFC 8656 / 6156 / 6062,
 * ICE RFC 8445, RFC 5780, RFC 7635). MS-TURN messages: the list of [MS-TURN] 2.2.2. */
static const uint16_t stun_rfc_required[] = {
    0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008, 0x0009, 0x000A, 0x000B,
    0x000C, 0x000D, 0x0012, 0x0013, 0x0014, 0x0015, 0x0016, 0x0017, 0x0018, 0x0019, 0x001A,
    0x001B, 0x001C, 0x001D, 0x001E, 0x0020, 0x0022, 0x0024, 0x0025, 0x0026, 0x0027, 0x002A};
static const uint16_t stun_ms_required[] = {0x0001, 0x0006, 0x0008, 0x0009, 0x000A,
                                            0x000D, 0x000E, 0x000F, 0x0010, 0x0011,
                                            0x0012, 0x0013, 0x0014, 0x0015, 0x0017};

static int stun_known_required(enum stun_variant v, uint16_t type)
{
  const uint16_t *tab = v == STUN_V_MSTURN ? stun_ms_required : stun_rfc_required;
  size_t n = v == STUN_V_MSTURN ? sizeof(stun_ms_required) / sizeof(stun_ms_required[0])
                                : sizeof(stun_rfc_required) / sizeof(stun_rfc_required[0]);
  for (size_t i = 0; i < n; i++)
    if (tab[i] == type)
      return 1;
  return 0;
}

/* Walks the attributes of msg[20 .. 20+blen). Returns 0 when they fill the body exactly. */
static int stun_walk(const uint8_t *msg, size_t blen, int pad, struct stun_msg *out, char *err,
                     size_t errcap)
{
  size_t off = STUN_HEADER_LEN, end = STUN_HEADER_LEN + blen;
  out->padded = pad;
  out->nattrs = 0;
  out->total_attrs = 0;
  out->has_unknown_required = 0;
  out->unknown_required = 0;
  out->has_fingerprint = 0;
  while (off < end) {
    size_t left = end - off;
    if (left < 4) {
      stun_err(err, errcap, "attribute header truncated at offset %zu (%zu bytes left)", off, left);
      return -1;
    }
    uint16_t type = stun_get16(msg + off);
    uint16_t alen = stun_get16(msg + off + 2);
    left -= 4;
    if (alen > left) {
      stun_err(err, errcap, "attribute 0x%04x length %u exceeds message (%zu bytes left)", type,
               (unsigned)alen, left);
      return -1;
    }
    size_t step = pad ? (((size_t)alen + 3u) & ~(size_t)3u) : alen;
    if (step > left) {
      stun_err(err, errcap, "attribute 0x%04x padding runs past the end of the message", type);
      return -1;
    }
    if (out->has_fingerprint) {
      stun_err(err, errcap, "attribute 0x%04x follows FINGERPRINT", type);
      return -1;
    }
    if (out->nattrs < STUN_MAX_ATTRS) {
      struct stun_attr *a = &out->attrs[out->nattrs++];
      a->type = type;
      a->len = alen;
      a->val = msg + off + 4;
      a->offset = off;
    }
    out->total_attrs++;
    if (type < 0x8000 && !out->has_unknown_required && !stun_known_required(out->variant, type)) {
      out->has_unknown_required = 1;
      out->unknown_required = type;
    }
    if (type == STUN_ATTR_FINGERPRINT && out->variant == STUN_V_RFC5389) {
      if (alen != 4) {
        stun_err(err, errcap, "FINGERPRINT length %u, expected 4", (unsigned)alen);
        return -1;
      }
      uint32_t want = stun_crc32(msg, off) ^ STUN_FINGERPRINT_XOR;
      uint32_t got = stun_get32(msg + off + 4);
      if (want != got) {
        stun_err(err, errcap, "FINGERPRINT mismatch (0x%08x, computed 0x%08x)", got, want);
        return -1;
      }
      out->has_fingerprint = 1;
    }
    off += 4 + step;
  }
  return 0;
}

int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *out, char *err, size_t errcap)
{
  memset(out, 0, sizeof(*out));
  if (!buf || len < STUN_HEADER_LEN) {
    stun_err(err, errcap, "message too short (%zu bytes, a STUN header has %d)", buf ? len : 0,
             STUN_HEADER_LEN);
    return -1;
  }
  out->type = stun_get16(buf);
  out->length = stun_get16(buf + 2);
  if (out->type & 0xC000) {
    stun_err(err, errcap, "not a STUN message (message type 0x%04x has its top bits set)",
             out->type);
    return -1;
  }
  if ((size_t)out->length != len - STUN_HEADER_LEN) {
    stun_err(err, errcap, "header length %u but %zu bytes follow the header", (unsigned)out->length,
             len - STUN_HEADER_LEN);
    return -1;
  }
  if (stun_get32(buf + 4) == STUN_MAGIC_COOKIE) {
    out->variant = STUN_V_RFC5389;
    out->tid = buf + 8;
    out->tid_len = STUN_TID_LEN;
    if (out->length % 4) {
      stun_err(err, errcap, "message length %u is not a multiple of 4 (bad padding)",
               (unsigned)out->length);
      return -1;
    }
    return stun_walk(buf, out->length, 1, out, err, errcap);
  }
  if (out->length < 8 || stun_get16(buf + 20) != STUN_MS_ATTR_MAGIC_COOKIE ||
      stun_get16(buf + 22) != 4 || stun_get32(buf + 24) != STUN_MSTURN_COOKIE) {
    stun_err(err, errcap,
             "neither the RFC 5389 magic cookie nor a leading MS-TURN MAGIC-COOKIE attribute");
    return -1;
  }
  out->variant = STUN_V_MSTURN;
  out->tid = buf + 4;
  out->tid_len = STUN_MS_TID_LEN;
  /* Microsoft's servers write attributes back to back; accept padded ones too. */
  if (stun_walk(buf, out->length, 0, out, err, errcap) == 0)
    return 0;
  char padded_err[STUN_WHY_MAX];
  if (stun_walk(buf, out->length, 1, out, padded_err, sizeof(padded_err)) == 0)
    return 0;
  return -1; /* err holds the unpadded walk's reason */
}

const struct stun_attr *stun_msg_find(const struct stun_msg *m, uint16_t type)
{
  for (size_t i = 0; i < m->nattrs; i++)
    if (m->attrs[i].type == type)
      return &m->attrs[i];
  return NULL;
}

int stun_decode_address(const struct stun_msg *m, const struct stun_attr *a, int xored,
                        struct sockaddr_storage *ss, char *err, size_t errcap)
{
  const char *name = xored ? "XOR-MAPPED-ADDRESS" : "MAPPED-ADDRESS";
  memset(ss, 0, sizeof(*ss));
  if (xored && m->variant != STUN_V_RFC5389) {
    stun_err(err, errcap, "%s outside an RFC 5389 message", name);
    return -1;
  }
  if (a->len < 4) {
    stun_err(err, errcap, "%s length %u is too short", name, (unsigned)a->len);
    return -1;
  }
  uint8_t family = a->val[1];
  uint16_t port = stun_get16(a->val + 2);
  if (xored)
    port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
  if (family == 0x01) {
    if (a->len != 8) {
      stun_err(err, errcap, "%s length %u for IPv4, expected 8", name, (unsigned)a->len);
      return -1;
    }
    uint32_t v4 = stun_get32(a->val + 4);
    if (xored)
      v4 ^= STUN_MAGIC_COOKIE;
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    s4->sin_addr.s_addr = htonl(v4);
    return 0;
  }
  if (family == 0x02) {
    if (a->len != 20) {
      stun_err(err, errcap, "%s length %u for IPv6, expected 20", name, (unsigned)a->len);
      return -1;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    uint8_t key[16];
    stun_put32(key, STUN_MAGIC_COOKIE);
    memcpy(key + 4, m->tid, STUN_TID_LEN);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    for (int i = 0; i < 16; i++)
      s6->sin6_addr.s6_addr[i] = (uint8_t)(a->val[4 + i] ^ (xored ? key[i] : 0));
    return 0;
  }
  stun_err(err, errcap, "%s has unknown address family 0x%02x", name, family);
  return -1;
}

int stun_decode_error(const struct stun_attr *a, unsigned *code, const uint8_t **reason,
                      size_t *reason_len, char *err, size_t errcap)
{
  if (a->len < 4) {
    stun_err(err, errcap, "ERROR-CODE length %u is too short", (unsigned)a->len);
    return -1;
  }
  unsigned cls = a->val[2] & 0x07u, num = a->val[3];
  if (cls < 3 || cls > 6 || num > 99) {
    stun_err(err, errcap, "ERROR-CODE class %u number %u is out of range", cls, num);
    return -1;
  }
  *code = cls * 100 + num;
  *reason = a->val + 4;
  *reason_len = (size_t)a->len - 4;
  return 0;
}

/* ---- writer ------------------------------------------------------------------------------ */

void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
                      const uint8_t *tid, size_t tid_len)
{
  memset(w, 0, sizeof(*w));
  w->buf = buf;
  w->cap = cap;
  if (!buf || !tid || cap < STUN_HEADER_LEN ||
      (tid_len != STUN_TID_LEN && tid_len != STUN_MS_TID_LEN)) {
    w->err = 1;
    return;
  }
  stun_put16(buf, type);
  stun_put16(buf + 2, 0);
  if (tid_len == STUN_TID_LEN) {
    stun_put32(buf + 4, STUN_MAGIC_COOKIE);
    memcpy(buf + 8, tid, STUN_TID_LEN);
    w->pad = 1;
  } else {
    memcpy(buf + 4, tid, STUN_MS_TID_LEN);
  }
  w->len = STUN_HEADER_LEN;
}

void stun_writer_attr(struct stun_writer *w, uint16_t type, const void *val, size_t len)
{
  if (w->err)
    return;
  size_t step = w->pad ? ((len + 3u) & ~(size_t)3u) : len;
  if (len > 0xFFFF || (len > 0 && !val) || w->cap - w->len < 4 + step ||
      w->len + 4 + step - STUN_HEADER_LEN > 0xFFFF) {
    w->err = 1;
    return;
  }
  uint8_t *p = w->buf + w->len;
  stun_put16(p, type);
  stun_put16(p + 2, (uint16_t)len);
  if (len)
    memcpy(p + 4, val, len);
  memset(p + 4 + len, 0, step - len);
  w->len += 4 + step;
}

void stun_writer_u32(struct stun_writer *w, uint16_t type, uint32_t v)
{
  uint8_t b[4];
  stun_put32(b, v);
  stun_writer_attr(w, type, b, sizeof(b));
}

void stun_writer_address(struct stun_writer *w, uint16_t type, const struct sockaddr *sa)
{
  int xored = type == STUN_ATTR_XOR_MAPPED_ADDRESS;
  uint8_t v[20] = {0};
  size_t n;
  if (w->err)
    return;
  if (!sa || (xored && !w->pad)) {
    w->err = 1;
    return;
  }
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    uint16_t port = ntohs(s4->sin_port);
    uint32_t a4 = ntohl(s4->sin_addr.s_addr);
    if (xored) {
      port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
      a4 ^= STUN_MAGIC_COOKIE;
    }
    v[1] = 0x01;
    stun_put16(v + 2, port);
    stun_put32(v + 4, a4);
    n = 8;
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    uint16_t port = ntohs(s6->sin6_port);
    uint8_t key[16];
    stun_put32(key, STUN_MAGIC_COOKIE);
    memcpy(key + 4, w->buf + 8, STUN_TID_LEN);
    if (xored)
      port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
    v[1] = 0x02;
    stun_put16(v + 2, port);
    for (int i = 0; i < 16; i++)
      v[4 + i] = (uint8_t)(s6->sin6_addr.s6_addr[i] ^ (xored ? key[i] : 0));
    n = 20;
  } else {
    w->err = 1;
    return;
  }
  stun_writer_attr(w, type, v, n);
}

void stun_writer_error(struct stun_writer *w, unsigned code, const char *reason)
{
  uint8_t v[4 + 128];
  size_t rlen = reason ? strlen(reason) : 0;
  if (code < 300 || code > 699 || rlen > 128) {
    w->err = 1;
    return;
  }
  v[0] = 0;
  v[1] = 0;
  v[2] = (uint8_t)(code / 100);
  v[3] = (uint8_t)(code % 100);
  if (rlen)
    memcpy(v + 4, reason, rlen);
  stun_writer_attr(w, STUN_ATTR_ERROR_CODE, v, 4 + rlen);
}

void stun_writer_fingerprint(struct stun_writer *w)
{
  if (w->err)
    return;
  if (!w->pad || w->cap - w->len < 8) {
    w->err = 1;
    return;
  }
  stun_put16(w->buf + 2, (uint16_t)(w->len + 8 - STUN_HEADER_LEN));
  stun_writer_u32(w, STUN_ATTR_FINGERPRINT, stun_crc32(w->buf, w->len) ^ STUN_FINGERPRINT_XOR);
}

size_t stun_writer_finish(struct stun_writer *w)
{
  if (w->err)
    return 0;
  stun_put16(w->buf + 2, (uint16_t)(w->len - STUN_HEADER_LEN));
  return w->len;
}

/* ---- responders -------------------------------------------------------------------------- */

size_t stun_respond(const uint8_t *req, size_t len, const struct sockaddr *from,
                    const char *software, const uint8_t nonce[16], uint8_t *out, size_t cap)
{
  struct stun_msg m;
  struct stun_writer w;
  if (!req || !out || stun_parse(req, len, &m, NULL, 0) != 0)
    return 0;
  if (m.variant == STUN_V_RFC5389 && m.type == STUN_BINDING_REQUEST) {
    if (!from || (from->sa_family != AF_INET && from->sa_family != AF_INET6))
      return 0;
    stun_writer_init(&w, out, cap, STUN_BINDING_SUCCESS, m.tid, STUN_TID_LEN);
    stun_writer_address(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, from);
    if (software)
      stun_writer_attr(&w, STUN_ATTR_SOFTWARE, software, strlen(software));
    stun_writer_fingerprint(&w);
    return stun_writer_finish(&w);
  }
  if (m.variant == STUN_V_MSTURN && m.type == STUN_ALLOCATE_REQUEST) {
    static const char hex[] = "0123456789abcdef";
    char nhex[32];
    uint32_t version = STUN_MS_VERSION;
    const struct stun_attr *ver = stun_msg_find(&m, STUN_MS_ATTR_MS_VERSION);
    if (ver && ver->len == 4)
      version = stun_get32(ver->val);
    for (int i = 0; i < 16; i++) {
      uint8_t b = nonce ? nonce[i] : 0;
      nhex[2 * i] = hex[b >> 4];
      nhex[2 * i + 1] = hex[b & 15];
    }
    stun_writer_init(&w, out, cap, STUN_ALLOCATE_ERROR, m.tid, STUN_MS_TID_LEN);
    stun_writer_u32(&w, STUN_MS_ATTR_MAGIC_COOKIE, STUN_MSTURN_COOKIE);
    stun_writer_error(&w, 401, "Unauthorized");
    stun_writer_attr(&w, STUN_MS_ATTR_REALM, STUN_MS_REALM, strlen(STUN_MS_REALM));
    stun_writer_attr(&w, STUN_MS_ATTR_NONCE, nhex, sizeof(nhex));
    stun_writer_u32(&w, STUN_MS_ATTR_MS_VERSION, version);
    if (software)
      stun_writer_attr(&w, STUN_ATTR_SOFTWARE, software, strlen(software));
    return stun_writer_finish(&w);
  }
  return 0;
}

size_t stun_respond_tcp(const uint8_t *stream, size_t len, size_t *used,
                        const struct sockaddr *from, const char *software, const uint8_t nonce[16],
                        uint8_t *out, size_t cap)
{
  *used = 0;
  if (!stream || len < STUN_TCP_FRAME_HDR)
    return 0;
  if (stream[0] != STUN_TCP_FRAME_CONTROL || stream[1] != 0) {
    *used = len; /* not MS-TURN framing: nothing in this stream can be answered */
    return 0;
  }
  size_t flen = stun_get16(stream + 2);
  if (len < STUN_TCP_FRAME_HDR + flen)
    return 0;
  *used = STUN_TCP_FRAME_HDR + flen;
  if (!out || cap < STUN_TCP_FRAME_HDR)
    return 0;
  size_t n = stun_respond(stream + STUN_TCP_FRAME_HDR, flen, from, software, nonce,
                          out + STUN_TCP_FRAME_HDR, cap - STUN_TCP_FRAME_HDR);
  if (n == 0 || n > 0xFFFF)
    return 0;
  out[0] = STUN_TCP_FRAME_CONTROL;
  out[1] = 0;
  stun_put16(out + 2, (uint16_t)n);
  return STUN_TCP_FRAME_HDR + n;
}

/* ---- probe modules ----------------------------------------------------------------------- */

struct stun_state {
  uint8_t tid[STUN_TID_LEN];
  uint8_t ms_tid[STUN_MS_TID_LEN];
  struct probe_anomaly anomaly; /* the first datagram that did not belong */
  int listener;
};

static void stun_init(void *state, const struct probe_target *t, const uint8_t rnd[32])
{
  struct stun_state *st = state;
  memcpy(st->tid, rnd, STUN_TID_LEN);
  memcpy(st->ms_tid, rnd + STUN_TID_LEN, STUN_MS_TID_LEN);
  /* An MS-TURN transaction id that starts with the RFC 5389 cookie would make its replies look
   * like RFC 5389 messages. */
  if (stun_get32(st->ms_tid) == STUN_MAGIC_COOKIE)
    st->ms_tid[0] ^= 0x80;
}

static size_t stun_build(void *state, const struct probe_target *t, unsigned i, uint8_t *buf,
                         size_t cap)
{
  struct stun_state *st = state;
  struct stun_writer w;
  if (i == 0) {
    stun_writer_init(&w, buf, cap, STUN_BINDING_REQUEST, st->tid, STUN_TID_LEN);
    stun_writer_attr(&w, STUN_ATTR_SOFTWARE, UC_PROBE_TOKEN, strlen(UC_PROBE_TOKEN));
    return stun_writer_finish(&w);
  }
  if (i == 1) {
    stun_writer_init(&w, buf, cap, STUN_ALLOCATE_REQUEST, st->ms_tid, STUN_MS_TID_LEN);
    stun_writer_u32(&w, STUN_MS_ATTR_MAGIC_COOKIE, STUN_MSTURN_COOKIE);
    stun_writer_u32(&w, STUN_MS_ATTR_MS_VERSION, STUN_MS_VERSION);
    return stun_writer_finish(&w);
  }
  return 0;
}

static json_t *stun_evidence(const char *variant)
{
  json_t *o = json_object();
  json_object_set_new(o, "variant", json_string(variant));
  return o;
}

static void stun_set_evidence(struct probe_outcome *out, json_t *stun)
{
  out->evidence = json_object();
  json_object_set_new(out->evidence, "stun", stun);
}

/* Judges a message that came from the target. Returns 1 with *out filled when it is a valid
 * answer to one of our requests; 0 with the reason in why when it is not. */
static int stun_judge(struct stun_state *st, const uint8_t *buf, size_t len,
                      struct probe_outcome *out, char *why, size_t whycap)
{
  struct stun_msg m;
  char software[128] = "", addr[64] = "", phrase[129] = "", realm[129] = "";
  char ip[64] = ""; /* addr without its port, for the reason: the port is our random source
                       port (or a NAT's mapping of it), new on every run, which would make two
                       identical scans differ */
  const struct stun_attr *a;

  if (stun_parse(buf, len, &m, why, whycap) != 0)
    return 0;
  if (m.variant == STUN_V_RFC5389 ? memcmp(m.tid, st->tid, STUN_TID_LEN) != 0
                                  : memcmp(m.tid, st->ms_tid, STUN_MS_TID_LEN) != 0) {
    stun_err(why, whycap, "transaction id mismatch");
    return 0;
  }
  if ((a = stun_msg_find(&m, STUN_ATTR_SOFTWARE)) != NULL) {
    if (stun_contains(a->val, a->len, UC_LISTENER_TOKEN))
      st->listener = 1;
    probe_printable(software, sizeof(software), a->val, a->len);
  }
  if ((m.type & 0x0110) == 0) {
    stun_err(why, whycap, "echoed request (message type 0x%04x), not a response", m.type);
    return 0;
  }
  if (m.has_unknown_required) {
    stun_err(why, whycap, "unknown comprehension-required attribute 0x%04x", m.unknown_required);
    return 0;
  }

  unsigned code = 0;
  const uint8_t *rp = NULL;
  size_t rlen = 0;
  int is_error = (m.variant == STUN_V_RFC5389 && m.type == STUN_BINDING_ERROR) ||
                 (m.variant == STUN_V_MSTURN && m.type == STUN_ALLOCATE_ERROR);
  int is_success = (m.variant == STUN_V_RFC5389 && m.type == STUN_BINDING_SUCCESS) ||
                   (m.variant == STUN_V_MSTURN && m.type == STUN_ALLOCATE_SUCCESS);
  if (!is_error && !is_success) {
    stun_err(why, whycap, "unexpected message type 0x%04x", m.type);
    return 0;
  }
  if (is_error) {
    if (!(a = stun_msg_find(&m, STUN_ATTR_ERROR_CODE))) {
      stun_err(why, whycap, "error response without ERROR-CODE");
      return 0;
    }
    if (stun_decode_error(a, &code, &rp, &rlen, why, whycap) != 0)
      return 0;
    probe_printable(phrase, sizeof(phrase), rp, rlen);
  } else {
    struct sockaddr_storage ss;
    int xored = 1;
    a = m.variant == STUN_V_RFC5389 ? stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS) : NULL;
    if (!a) {
      a = stun_msg_find(&m, STUN_ATTR_MAPPED_ADDRESS);
      xored = 0;
    }
    if (a) {
      if (stun_decode_address(&m, a, xored, &ss, why, whycap) != 0)
        return 0;
      probe_addr_str((const struct sockaddr *)&ss, addr, sizeof(addr));
      if (ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&ss)->sin6_port = 0;
      else
        ((struct sockaddr_in *)&ss)->sin_port = 0;
      probe_addr_str((const struct sockaddr *)&ss, ip, sizeof(ip));
    }
  }

  json_t *ev = stun_evidence(m.variant == STUN_V_RFC5389 ? "rfc5389" : "ms-turn");
  if (addr[0])
    json_object_set_new(ev, "mapped_address", json_string(addr));
  if (is_error)
    json_object_set_new(ev, "error_code", json_integer(code));
  if (software[0])
    json_object_set_new(ev, "software", json_string(software));
  const char *sep = phrase[0] ? " " : "";

  if (m.variant == STUN_V_RFC5389) {
    if (is_error)
      probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "STUN Binding answered with error %u%s%s", code,
                        sep, phrase);
    else if (addr[0])
      probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "STUN Binding answered; mapped address %s", ip);
    else
      probe_outcome_set(out, UC_OUT_WARN, UC_ST_OPEN,
                        "STUN Binding answered but carried no mapped address");
  } else {
    if ((a = stun_msg_find(&m, STUN_MS_ATTR_REALM)) != NULL) {
      probe_printable(realm, sizeof(realm), a->val, a->len);
      json_object_set_new(ev, "realm", json_string(realm));
    }
    if ((a = stun_msg_find(&m, STUN_MS_ATTR_MS_VERSION)) != NULL && a->len == 4)
      json_object_set_new(ev, "ms_version", json_integer(stun_get32(a->val)));
    if (is_error && code == 401 && realm[0])
      probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN,
                        "MS-TURN Allocate challenged: %u%s%s, realm \"%s\"", code, sep, phrase,
                        realm);
    else if (is_error)
      probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "MS-TURN Allocate answered with error %u%s%s",
                        code, sep, phrase);
    else if (addr[0])
      probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN,
                        "MS-TURN Allocate answered (success); mapped address %s", ip);
    else
      probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "MS-TURN Allocate answered (success)");
  }
  stun_set_evidence(out, ev);
  out->listener = st->listener;
  return 1;
}

static enum probe_status stun_classify(void *state, const struct probe_target *t,
                                       const uint8_t *buf, size_t len, const struct sockaddr *from,
                                       struct probe_outcome *out)
{
  struct stun_state *st = state;
  char why[STUN_WHY_MAX];
  if (!probe_addr_equal(from, t->addr)) {
    char a[64];
    probe_addr_str(from, a, sizeof(a));
    probe_anomaly_note(&st->anomaly, PROBE_ANOM_FOREIGN, "reply from %s, not the target", a);
    return PROBE_MORE;
  }
  if (stun_judge(st, buf, len, out, why, sizeof(why)))
    return PROBE_DONE;
  probe_anomaly_note(&st->anomaly, PROBE_ANOM_INVALID, "%s", why);
  return PROBE_MORE;
}

static void stun_finish(void *state, const struct probe_target *t, enum probe_end why,
                        const uint8_t *buf, size_t len, struct probe_outcome *out)
{
  struct stun_state *st = state;
  probe_anomaly_finish(&st->anomaly, "STUN", "no STUN or MS-TURN answer (open|filtered)", out);
  out->listener = st->listener;
}

const struct probe_module probe_stun = {
    .name = "stun",
    .transport = UC_UDP,
    .read_cap = STUN_UDP_READ_CAP,
    .state_size = sizeof(struct stun_state),
    .init = stun_init,
    .build = stun_build,
    .classify = stun_classify,
    .finish = stun_finish,
};

/* ---- MS-TURN over TCP ([MS-TURN] 2.1.4) -------------------------------------------------- */

static size_t stun_tcp_build(void *state, const struct probe_target *t, unsigned i, uint8_t *buf,
                             size_t cap)
{
  if (i != 0 || cap < STUN_TCP_FRAME_HDR)
    return 0;
  size_t n = stun_build(state, t, 1, buf + STUN_TCP_FRAME_HDR, cap - STUN_TCP_FRAME_HDR);
  if (n == 0)
    return 0;
  buf[0] = STUN_TCP_FRAME_CONTROL;
  buf[1] = 0;
  stun_put16(buf + 2, (uint16_t)n);
  return STUN_TCP_FRAME_HDR + n;
}

static enum probe_status stun_tcp_fail(struct stun_state *st, struct probe_outcome *out,
                                       const char *what)
{
  probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "invalid MS-TURN reply: %s", what);
  out->evidence = NULL;
  out->listener = st->listener;
  return PROBE_DONE;
}

static enum probe_status stun_tcp_classify(void *state, const struct probe_target *t,
                                           const uint8_t *buf, size_t len,
                                           const struct sockaddr *from, struct probe_outcome *out)
{
  struct stun_state *st = state;
  char why[STUN_WHY_MAX];
  if (len < STUN_TCP_FRAME_HDR)
    return PROBE_MORE;
  if (buf[0] != STUN_TCP_FRAME_CONTROL) {
    snprintf(why, sizeof(why), "frame type 0x%02x, expected 0x02 (TURN control message)%s", buf[0],
             buf[0] == 0x16 ? "; the port speaks TLS" : "");
    return stun_tcp_fail(st, out, why);
  }
  if (buf[1] != 0) {
    snprintf(why, sizeof(why), "frame reserved byte 0x%02x, expected 0", buf[1]);
    return stun_tcp_fail(st, out, why);
  }
  size_t flen = stun_get16(buf + 2);
  if (STUN_TCP_FRAME_HDR + flen > STUN_READ_CAP) {
    snprintf(why, sizeof(why), "frame length %zu exceeds the read cap (%d bytes)", flen,
             STUN_READ_CAP);
    return stun_tcp_fail(st, out, why);
  }
  if (len < STUN_TCP_FRAME_HDR + flen)
    return PROBE_MORE;
  if (stun_judge(st, buf + STUN_TCP_FRAME_HDR, flen, out, why, sizeof(why)))
    return PROBE_DONE;
  return stun_tcp_fail(st, out, why);
}

static void stun_tcp_finish(void *state, const struct probe_target *t, enum probe_end why,
                            const uint8_t *buf, size_t len, struct probe_outcome *out)
{
  struct stun_state *st = state;
  static const char *const how[] = {
      [PROBE_END_TIMEOUT] = "timeout",
      [PROBE_END_EOF] = "connection closed",
      [PROBE_END_CAP] = "read cap reached",
      [PROBE_END_RESET] = "connection reset",
  };
  const char *h = (unsigned)why < sizeof(how) / sizeof(how[0]) && how[why] ? how[why] : "stopped";
  if (len == 0)
    probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "no MS-TURN answer on the stream (%s)", h);
  else if (len < STUN_TCP_FRAME_HDR)
    probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN,
                      "incomplete MS-TURN reply: %zu bytes, less than a framing header (%s)", len,
                      h);
  else
    probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN,
                      "incomplete MS-TURN reply: %zu of %zu frame bytes (%s)", len,
                      STUN_TCP_FRAME_HDR + (size_t)stun_get16(buf + 2), h);
  out->evidence = NULL;
  out->listener = st->listener;
}

const struct probe_module probe_stun_tcp = {
    .name = "stun-tcp",
    .transport = UC_TCP,
    .read_cap = STUN_READ_CAP,
    .state_size = sizeof(struct stun_state),
    .init = stun_init,
    .build = stun_tcp_build,
    .classify = stun_tcp_classify,
    .finish = stun_tcp_finish,
};
