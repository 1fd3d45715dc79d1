/* probes/sip.c - SIP OPTIONS over TCP or TLS (RFC 3261 11): any final response proves a SIP
 * stack on the port, 401/403/404 included; provisional 1xx responses are passed over. */
#include "sip.h"

#include <stdio.h>
#include <string.h>

/* Our Via sent-by, From and Contact: a probe has no address of its own to offer, and over a
 * stream transport the response comes back on the same connection (RFC 3261 18.2.2). */
#define SIP_SELF "ucscan.invalid"
#define SIP_EVIDENCE_MAX 128

struct sip_state {
  struct textproto_reader rd;
  char branch[24]; /* "z9hG4bK" + 16 hex */
  char tag[9];
  char call_id[33];
  int unbuildable;
};

static void sip_ok(const struct textproto_reader *r, const uint8_t *buf, struct probe_outcome *out);

static const struct textproto_dialect sip_dialect = {
    .name = "SIP",
    .a_name = "a SIP",
    .request = "OPTIONS",
    .version = "SIP/2.0 ",
    .version_ci = 1,
    .lo = 100,
    .hi = 699,
    .interim_has_body = 1,
    .ok = sip_ok,
    .unbuildable = "could not build a SIP OPTIONS request (unusable host name)",
};

int sip_parse_status_line(const uint8_t *buf, size_t len, int *code, char *phrase, size_t cap)
{
  return textproto_status_line(buf, len, sip_dialect.version, sip_dialect.version_ci,
                               sip_dialect.lo, sip_dialect.hi, code, phrase, cap);
}

static void sip_hex(char *dst, const uint8_t *src, size_t n)
{
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    dst[2 * i] = digits[src[i] >> 4];
    dst[2 * i + 1] = digits[src[i] & 15];
  }
  dst[2 * n] = '\0';
}

static void sip_init(void *state, const struct probe_target *t, const uint8_t rnd[32])
{
  struct sip_state *st = state;
  memcpy(st->branch, "z9hG4bK", 7);
  sip_hex(st->branch + 7, rnd, 8);
  sip_hex(st->tag, rnd + 8, 4);
  sip_hex(st->call_id, rnd + 12, 16);
}

static size_t sip_build(void *state, const struct probe_target *t, unsigned i, uint8_t *buf,
                        size_t cap)
{
  struct sip_state *st = state;
  char host[300];
  struct textproto_out o;
  if (i != 0)
    return 0;
  if (textproto_uri_host(t, host, sizeof(host)) < 0) {
    st->unbuildable = 1;
    return 0;
  }
  int tls = uc_proto_uses_tls(t->protocol);
  const char *tp = tls ? "tls" : "tcp";
  textproto_out_init(&o, buf, cap);
  textproto_putf(&o, "OPTIONS sip:%s", host);
  if (t->port)
    textproto_putf(&o, ":%u", (unsigned)t->port);
  textproto_putf(&o, ";transport=%s SIP/2.0\r\n", tp);
  textproto_putf(&o, "Via: SIP/2.0/%s " SIP_SELF ";branch=%s\r\n", tls ? "TLS" : "TCP", st->branch);
  textproto_puts(&o, "Max-Forwards: 70\r\n");
  textproto_putf(&o, "From: <sip:ucscan@" SIP_SELF ">;tag=%s\r\n", st->tag);
  textproto_putf(&o, "To: <sip:%s>\r\n", host);
  textproto_putf(&o, "Call-ID: %s\r\n", st->call_id);
  textproto_puts(&o, "CSeq: 1 OPTIONS\r\n");
  textproto_putf(&o, "Contact: <sip:ucscan@" SIP_SELF ";transport=%s>\r\n", tp);
  textproto_puts(&o, "Accept: application/sdp\r\n");
  textproto_puts(&o, "User-Agent: ucscan/" UC_VERSION "\r\n");
  textproto_puts(&o, "Content-Length: 0\r\n\r\n");
  size_t n = textproto_out_done(&o);
  if (!n)
    st->unbuildable = 1;
  return n;
}

/* Server (or User-Agent), printable and capped; which names the header it came from. */
static void sip_server(const uint8_t *head, size_t hl, char *server, size_t cap, const char **which)
{
  char raw[512];
  long n = textproto_header_get(head, hl, "Server", raw, sizeof(raw));
  *which = "Server";
  if (n <= 0) {
    n = textproto_header_get(head, hl, "User-Agent", raw, sizeof(raw));
    *which = "User-Agent";
  }
  server[0] = '\0';
  if (n > 0)
    probe_printable(server, cap, (const uint8_t *)raw, strlen(raw));
}

static void sip_ok(const struct textproto_reader *r, const uint8_t *buf, struct probe_outcome *out)
{
  char server[SIP_EVIDENCE_MAX + 1];
  const char *which;
  const char *sp = r->phrase[0] ? " " : "";
  sip_server(buf + r->msg_start, r->hdr_len, server, sizeof(server), &which);
  if (server[0])
    probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "SIP OPTIONS answered %d%s%s (%s: %s)", r->code,
                      sp, r->phrase, which, server);
  else
    probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "SIP OPTIONS answered %d%s%s", r->code, sp,
                      r->phrase);
  out->evidence =
      json_pack("{s:{s:i,s:s?}}", "sip", "status", r->code, "server", server[0] ? server : NULL);
  out->listener = strstr(server, UC_LISTENER_TOKEN) != NULL;
}

static enum probe_status sip_classify(void *state, const struct probe_target *t, const uint8_t *buf,
                                      size_t len, const struct sockaddr *from,
                                      struct probe_outcome *out)
{
  struct sip_state *st = state;
  return textproto_classify(&st->rd, &sip_dialect, buf, len, out);
}

static void sip_finish(void *state, const struct probe_target *t, enum probe_end why,
                       const uint8_t *buf, size_t len, struct probe_outcome *out)
{
  struct sip_state *st = state;
  textproto_module_finish(&st->rd, st->unbuildable, &sip_dialect, why, buf, len, out);
}

const struct probe_module probe_sip = {
    .name = "sip",
    .transport = UC_TCP,
    .read_cap = SIP_HDR_CAP + 4096,
    .state_size = sizeof(struct sip_state),
    .init = sip_init,
    .build = sip_build,
    .classify = sip_classify,
    .finish = sip_finish,
};

/* ---- responder ---- */

static int sip_lower(int c)
{
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int sip_name_is(const struct textproto_field *f, const char *full, const char *compact)
{
  const char *names[2] = {full, compact};
  for (int k = 0; k < 2; k++) {
    const char *s = names[k];
    if (!s || strlen(s) != f->name_len)
      continue;
    size_t i = 0;
    while (i < f->name_len && sip_lower(f->name[i]) == sip_lower((uint8_t)s[i]))
      i++;
    if (i == f->name_len)
      return 1;
  }
  return 0;
}

static int sip_token_char(uint8_t c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c && strchr("-.!%*_+`'~", c) != NULL);
}

/* "Method SP Request-URI SP SIP/2.0 CRLF", line given whole (LF included). */
static int sip_request_line(const uint8_t *b, size_t n, size_t *mlen)
{
  static const char ver[] = "SIP/2.0";
  size_t i = 0;
  while (i < n && sip_token_char(b[i]))
    i++;
  if (i == 0 || i >= n || b[i] != ' ')
    return -1;
  *mlen = i++;
  size_t us = i;
  while (i < n && b[i] > 0x20 && b[i] < 0x7f)
    i++;
  if (i == us || i >= n || b[i] != ' ')
    return -1;
  i++;
  for (size_t k = 0; k < sizeof(ver) - 1; k++, i++)
    if (i >= n || sip_lower(b[i]) != sip_lower((uint8_t)ver[k]))
      return -1;
  if (i < n && b[i] == '\r')
    i++;
  return (i < n && b[i] == '\n') ? 1 : -1;
}

static size_t sip_skip_blank(const uint8_t *buf, size_t len)
{
  size_t i = 0;
  while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
    i++;
  return i;
}

size_t sip_request_complete(const uint8_t *buf, size_t len)
{
  size_t skip = sip_skip_blank(buf, len), mlen;
  const uint8_t *b = buf + skip;
  size_t n = len - skip;
  const uint8_t *lf = n ? memchr(b, '\n', n) : NULL;
  if (lf && sip_request_line(b, (size_t)(lf - b) + 1, &mlen) < 0)
    return TEXTPROTO_INVALID;
  size_t hend = textproto_header_end(b, n, NULL);
  if (!hend)
    return n > SIP_HDR_CAP ? TEXTPROTO_INVALID : 0;
  if (hend > SIP_HDR_CAP)
    return TEXTPROTO_INVALID;
  char v[32];
  size_t body = 0;
  long vl = textproto_header_get(b, hend, "Content-Length", v, sizeof(v));
  if (vl < 0)
    vl = textproto_header_get(b, hend, "l", v, sizeof(v));
  if (vl >= 0 &&
      ((size_t)vl >= sizeof(v) || textproto_content_length(v, &body) < 0 || body > SIP_BODY_MAX))
    return TEXTPROTO_INVALID;
  if (n - hend < body)
    return 0;
  return skip + hend + body;
}

/* Field values we echo: no control bytes but HT and the line breaks of folding. */
static int sip_value_ok(const uint8_t *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if ((v[i] < 0x20 && v[i] != '\t' && v[i] != '\r' && v[i] != '\n') || v[i] == 0x7f)
      return 0;
  return 1;
}

static int sip_text_ok(const char *s)
{
  for (; *s; s++)
    if ((uint8_t)*s < 0x20 || (uint8_t)*s >= 0x7f)
      return 0;
  return 1;
}

/* Does a To value carry a tag parameter (after the name-addr, if any)? */
static int sip_has_tag(const uint8_t *v, size_t n)
{
  static const char pat[] = ";tag=";
  size_t start = 0;
  for (size_t i = 0; i < n; i++)
    if (v[i] == '>')
      start = i + 1;
  for (size_t i = start; i + sizeof(pat) - 1 <= n; i++) {
    size_t k = 0;
    while (k < sizeof(pat) - 1 && sip_lower(v[i + k]) == pat[k])
      k++;
    if (k == sizeof(pat) - 1)
      return 1;
  }
  return 0;
}

static uint32_t sip_fnv1a(const uint8_t *p, size_t n)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

static void sip_put_field(struct textproto_out *o, const char *name,
                          const struct textproto_field *f)
{
  textproto_putf(o, "%s: ", name);
  textproto_put_unfolded(o, f->value, f->value_len);
}

size_t sip_respond(const uint8_t *req, size_t len, const char *server, uint8_t *out, size_t cap)
{
  size_t total = sip_request_complete(req, len), mlen = 0;
  if (!total || total == TEXTPROTO_INVALID || !server || !sip_text_ok(server))
    return 0;
  size_t skip = sip_skip_blank(req, total);
  const uint8_t *b = req + skip;
  size_t n = total - skip;
  const uint8_t *lf = memchr(b, '\n', n);
  if (!lf || sip_request_line(b, (size_t)(lf - b) + 1, &mlen) < 0)
    return 0;
  if (mlen == 3 && memcmp(b, "ACK", 3) == 0)
    return 0; /* an ACK is never answered (RFC 3261 17.2.1) */
  int options = mlen == 7 && memcmp(b, "OPTIONS", 7) == 0;
  size_t hend = textproto_header_end(b, n, NULL);

  struct textproto_field f, from = {0}, to = {0}, cid = {0}, cseq = {0};
  unsigned vias = 0;
  size_t pos = 0;
  while (textproto_next_field(b, hend, &pos, &f)) {
    if (!sip_value_ok(f.value, f.value_len))
      return 0;
    if (sip_name_is(&f, "Via", "v"))
      vias++;
    else if (!from.name && sip_name_is(&f, "From", "f"))
      from = f;
    else if (!to.name && sip_name_is(&f, "To", "t"))
      to = f;
    else if (!cid.name && sip_name_is(&f, "Call-ID", "i"))
      cid = f;
    else if (!cseq.name && sip_name_is(&f, "CSeq", NULL))
      cseq = f;
  }
  if (!vias || !from.name || !to.name || !cid.name || !cseq.name || !cid.value_len)
    return 0;

  struct textproto_out o;
  textproto_out_init(&o, out, cap);
  textproto_puts(&o, options ? "SIP/2.0 200 OK\r\n" : "SIP/2.0 405 Method Not Allowed\r\n");
  pos = 0;
  while (textproto_next_field(b, hend, &pos, &f)) {
    if (sip_name_is(&f, "Via", "v")) {
      sip_put_field(&o, "Via", &f);
      textproto_puts(&o, "\r\n");
    }
  }
  sip_put_field(&o, "From", &from);
  textproto_puts(&o, "\r\n");
  sip_put_field(&o, "To", &to);
  if (!sip_has_tag(to.value, to.value_len))
    textproto_putf(&o, ";tag=%08x", (unsigned)sip_fnv1a(cid.value, cid.value_len));
  textproto_puts(&o, "\r\n");
  sip_put_field(&o, "Call-ID", &cid);
  textproto_puts(&o, "\r\n");
  sip_put_field(&o, "CSeq", &cseq);
  textproto_puts(&o, "\r\n");
  textproto_putf(&o, "Server: %s\r\n", server);
  textproto_puts(&o, "Allow: OPTIONS\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n");
  return textproto_out_done(&o);
}
