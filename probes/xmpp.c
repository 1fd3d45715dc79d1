/* probes/xmpp.c - XMPP server-to-server stream (RFC 6120 4.2, 4.3): send our stream header,
 * expect the peer's <stream:stream> start tag. A stream error right after it still proves an
 * XMPP service (say, host-unknown because our 'to' is not a domain it serves). */
#include "xmpp.h"

#include <stdio.h>
#include <string.h>

#include "textproto.h"

#define XMPP_TAG_EVIDENCE 200
#define XMPP_ATTR_MAX 128
/* How far past the start tag we look for the next element before settling for what we have. */
#define XMPP_LOOKAHEAD 1024

struct xmpp_state {
  int unbuildable;
};

static int xmpp_ws(uint8_t c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int xmpp_ctl(uint8_t c)
{
  return (c < 0x20 && !xmpp_ws(c)) || c == 0x7f;
}

int xmpp_parse_stream_header(const uint8_t *buf, size_t len, size_t *tag_start, size_t *tag_end)
{
  static const char decl[] = "<?xml";
  static const char open[] = "<stream:stream";
  static const uint8_t bom[3] = {0xef, 0xbb, 0xbf};
  size_t lim = len < XMPP_HDR_CAP ? len : XMPP_HDR_CAP;
  const int more = len > XMPP_HDR_CAP ? -2 : 0; /* what "not there yet" means */
  size_t i = 0, k;

  if (lim && buf[0] == bom[0]) {
    for (; i < sizeof(bom); i++) {
      if (i >= lim)
        return more;
      if (buf[i] != bom[i])
        return -1;
    }
  }
  while (i < lim && xmpp_ws(buf[i]))
    i++;
  if (i >= lim)
    return more;
  if (buf[i] != '<')
    return -1;
  if (i + 1 >= lim)
    return more;
  if (buf[i + 1] == '?') { /* XML declaration */
    for (k = 0; k < sizeof(decl) - 1; k++) {
      if (i + k >= lim)
        return more;
      if (buf[i + k] != (uint8_t)decl[k])
        return -1;
    }
    i += k;
    if (i >= lim)
      return more;
    if (!xmpp_ws(buf[i]) && buf[i] != '?')
      return -1;
    for (;; i++) {
      if (i + 1 >= lim)
        return more;
      if (buf[i] == '?' && buf[i + 1] == '>')
        break;
      if (buf[i] == '<' || xmpp_ctl(buf[i]))
        return -1;
    }
    i += 2;
    while (i < lim && xmpp_ws(buf[i]))
      i++;
  }
  for (k = 0; k < sizeof(open) - 1; k++) {
    if (i + k >= lim)
      return more;
    if (buf[i + k] != (uint8_t)open[k])
      return -1;
  }
  size_t ts = i;
  i += k;
  if (i >= lim)
    return more;
  if (!xmpp_ws(buf[i]) && buf[i] != '>')
    return -1;
  uint8_t quote = 0;
  for (; i < lim; i++) {
    uint8_t c = buf[i];
    if (xmpp_ctl(c))
      return -1;
    if (quote) {
      if (c == quote)
        quote = 0;
      else if (c == '<')
        return -1;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '<') {
      return -1;
    } else if (c == '>') {
      if (buf[i - 1] == '/')
        return -1; /* <stream:stream/> opens nothing */
      if (tag_start)
        *tag_start = ts;
      if (tag_end)
        *tag_end = i + 1;
      return 1;
    }
  }
  return more;
}

long xmpp_tag_attr(const uint8_t *tag, size_t len, const char *name, char *val, size_t cap)
{
  size_t i = 1, nl = strlen(name);
  if (cap)
    val[0] = '\0';
  if (!len || tag[0] != '<')
    return -1;
  while (i < len && !xmpp_ws(tag[i]) && tag[i] != '>' && tag[i] != '/')
    i++;
  for (;;) {
    while (i < len && xmpp_ws(tag[i]))
      i++;
    if (i >= len || tag[i] == '>' || tag[i] == '/')
      return -1;
    size_t as = i;
    while (i < len && !xmpp_ws(tag[i]) && tag[i] != '=' && tag[i] != '>')
      i++;
    size_t ae = i;
    while (i < len && xmpp_ws(tag[i]))
      i++;
    if (i >= len || tag[i] != '=')
      return -1;
    i++;
    while (i < len && xmpp_ws(tag[i]))
      i++;
    if (i >= len || (tag[i] != '\'' && tag[i] != '"'))
      return -1;
    uint8_t q = tag[i++];
    size_t vs = i;
    while (i < len && tag[i] != q)
      i++;
    if (i >= len)
      return -1;
    size_t ve = i++;
    if (ae - as == nl && memcmp(tag + as, name, nl) == 0) {
      if (cap)
        probe_printable(val, cap, tag + vs, ve - vs);
      return (long)(ve - vs);
    }
  }
}

/* XML-escapes s into o; -1 for bytes XML 1.0 cannot carry at all. */
static int xmpp_put_escaped(struct textproto_out *o, const char *s)
{
  for (; *s; s++) {
    uint8_t c = (uint8_t)*s;
    if (c < 0x20 || c == 0x7f)
      return -1;
    switch (c) {
    case '&':
      textproto_puts(o, "&amp;");
      break;
    case '<':
      textproto_puts(o, "&lt;");
      break;
    case '>':
      textproto_puts(o, "&gt;");
      break;
    case '\'':
      textproto_puts(o, "&apos;");
      break;
    case '"':
      textproto_puts(o, "&quot;");
      break;
    default:
      textproto_put(o, &c, 1);
    }
  }
  return 0;
}

#define XMPP_STREAM_NS "xmlns:stream='http://etherx.jabber.org/streams'"

static void xmpp_init(void *state, const struct probe_target *t, const uint8_t rnd[32])
{
}

static size_t xmpp_build(void *state, const struct probe_target *t, unsigned i, uint8_t *buf,
                         size_t cap)
{
  struct xmpp_state *st = state;
  char addr[64];
  struct textproto_out o;
  if (i != 0)
    return 0;
  const char *host = t->host;
  if (!host || !*host) { /* no name: the address, an IPv6 literal in brackets */
    if (textproto_uri_host(t, addr, sizeof(addr)) < 0) {
      st->unbuildable = 1;
      return 0;
    }
    host = addr;
  }
  textproto_out_init(&o, buf, cap);
  textproto_puts(&o, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' " XMPP_STREAM_NS
                     " to='");
  if (xmpp_put_escaped(&o, host) < 0) {
    st->unbuildable = 1;
    return 0;
  }
  textproto_puts(&o, "' version='1.0'>");
  size_t n = textproto_out_done(&o);
  if (!n)
    st->unbuildable = 1;
  return n;
}

static size_t xmpp_skip_ws(const uint8_t *buf, size_t len, size_t i)
{
  while (i < len && xmpp_ws(buf[i]))
    i++;
  return i;
}

/* Name of the element starting at buf[p] == '<': returns its end (ws, '>' or '/' follows) or
 * 0 while the name has not ended within buf. */
static size_t xmpp_elem_name(const uint8_t *buf, size_t len, size_t p)
{
  size_t e = p + 1;
  while (e < len && !xmpp_ws(buf[e]) && buf[e] != '>' && buf[e] != '/')
    e++;
  return e < len ? e : 0;
}

/* After a complete start tag: is a stream error next, and with which condition?
 * Returns 0 when decided, 1 when worth waiting for more bytes. */
static int xmpp_after(const uint8_t *buf, size_t len, size_t te, int v1, int *err, char *cond,
                      size_t cap)
{
  size_t p = xmpp_skip_ws(buf, len, te);
  *err = 0;
  cond[0] = '\0';
  if (p >= len)
    return v1; /* a 1.0 peer sends features or an error next (RFC 6120 4.3.2) */
  if (buf[p] != '<')
    return 0;
  size_t ne = xmpp_elem_name(buf, len, p);
  if (!ne)
    return len - te < XMPP_LOOKAHEAD;
  static const char se[] = "stream:error";
  if (ne - p - 1 != sizeof(se) - 1 || memcmp(buf + p + 1, se, sizeof(se) - 1) != 0)
    return 0;
  *err = 1;
  const uint8_t *gt = memchr(buf + ne, '>', len - ne);
  if (!gt)
    return len - te < XMPP_LOOKAHEAD;
  if (gt[-1] == '/')
    return 0; /* <stream:error/>: no condition */
  size_t c = xmpp_skip_ws(buf, len, (size_t)(gt - buf) + 1);
  if (c >= len)
    return len - te < XMPP_LOOKAHEAD;
  if (buf[c] != '<' || (c + 1 < len && buf[c + 1] == '/'))
    return 0;
  size_t ce = xmpp_elem_name(buf, len, c);
  if (!ce)
    return len - te < XMPP_LOOKAHEAD;
  probe_printable(cond, cap, buf + c + 1, ce - c - 1);
  return 0;
}

/* Printable copy of a start tag, line breaks and tabs read as spaces. */
static void xmpp_tag_text(char *dst, size_t cap, const uint8_t *tag, size_t len)
{
  uint8_t tmp[XMPP_TAG_EVIDENCE + 1];
  size_t n = len < sizeof(tmp) ? len : sizeof(tmp);
  for (size_t i = 0; i < n; i++)
    tmp[i] = xmpp_ws(tag[i]) ? ' ' : tag[i];
  probe_printable(dst, cap, tmp, n);
}

static void xmpp_ok(const uint8_t *buf, size_t ts, size_t te, int err, const char *cond,
                    struct probe_outcome *out)
{
  const uint8_t *tag = buf + ts;
  size_t tl = te - ts;
  char from[XMPP_ATTR_MAX + 1], id[XMPP_ATTR_MAX + 1], ver[XMPP_ATTR_MAX + 1];
  char text[XMPP_TAG_EVIDENCE + 1], detail[160] = "", tail[96] = "";
  long fl = xmpp_tag_attr(tag, tl, "from", from, sizeof(from));
  long il = xmpp_tag_attr(tag, tl, "id", id, sizeof(id));
  long vl = xmpp_tag_attr(tag, tl, "version", ver, sizeof(ver));
  xmpp_tag_text(text, sizeof(text), tag, tl);

  if (fl >= 0 && vl >= 0)
    snprintf(detail, sizeof(detail), " (from='%.80s', version %.16s)", from, ver);
  else if (fl >= 0)
    snprintf(detail, sizeof(detail), " (from='%.80s', no version: pre-1.0 peer)", from);
  else if (vl >= 0)
    snprintf(detail, sizeof(detail), " (version %.16s)", ver);
  if (err)
    snprintf(tail, sizeof(tail), ", then a stream error%s%.64s", cond[0] ? ": " : "", cond);
  probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "XMPP stream opened%s%s", detail, tail);

  json_t *x = json_object();
  json_object_set_new(x, "stream", json_string(text));
  if (fl >= 0)
    json_object_set_new(x, "from", json_string(from));
  if (il >= 0)
    json_object_set_new(x, "id", json_string(id));
  if (vl >= 0)
    json_object_set_new(x, "version", json_string(ver));
  if (err) {
    json_object_set_new(x, "stream_error", json_true());
    if (cond[0])
      json_object_set_new(x, "error_condition", json_string(cond));
  }
  out->evidence = json_pack("{s:o}", "xmpp", x);
  out->listener = il >= 0 && strstr(id, UC_LISTENER_TOKEN) != NULL;
}

static enum probe_status xmpp_judge(const uint8_t *buf, size_t len, int final, enum probe_end why,
                                    struct probe_outcome *out)
{
  char quote[96];
  size_t ts = 0, te = 0;
  int rc = xmpp_parse_stream_header(buf, len, &ts, &te);
  size_t s = xmpp_skip_ws(buf, len, 0);
  switch (rc) {
  case -2:
    probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "XMPP stream header exceeds %d bytes",
                      XMPP_HDR_CAP);
    return PROBE_DONE;
  case -1: {
    if (!final && textproto_want_context(buf + s, len - s))
      return PROBE_MORE;
    int other = textproto_foreign(buf + s, len - s, final, NULL, "not an XMPP stream", out);
    if (other == 0)
      return PROBE_MORE;
    if (other > 0)
      return PROBE_DONE;
    probe_printable(quote, sizeof(quote), buf + s, len - s);
    probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "not an XMPP stream: '%s'", quote);
    out->foreign = 1; /* bytes, but not XMPP: something else serves the port */
    return PROBE_DONE;
  }
  case 0:
    if (!final)
      return PROBE_MORE;
    if (s >= len) {
      probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "no XMPP answer to the stream header (%s)",
                        textproto_end_name(why));
    } else {
      probe_printable(quote, sizeof(quote), buf + s, len - s);
      probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "incomplete XMPP stream header (%s): '%s'",
                        textproto_end_name(why), quote);
    }
    return PROBE_DONE;
  default:
    break;
  }
  char ver[8], cond[65];
  int err;
  int v1 = xmpp_tag_attr(buf + ts, te - ts, "version", ver, sizeof(ver)) >= 0 && ver[0] == '1' &&
           ver[1] == '.';
  if (xmpp_after(buf, len, te, v1, &err, cond, sizeof(cond)) && !final)
    return PROBE_MORE;
  xmpp_ok(buf, ts, te, err, cond, out);
  return PROBE_DONE;
}

static enum probe_status xmpp_classify(void *state, const struct probe_target *t,
                                       const uint8_t *buf, size_t len, const struct sockaddr *from,
                                       struct probe_outcome *out)
{
  return xmpp_judge(buf, len, 0, PROBE_END_TIMEOUT, out);
}

static void xmpp_finish(void *state, const struct probe_target *t, enum probe_end why,
                        const uint8_t *buf, size_t len, struct probe_outcome *out)
{
  const struct xmpp_state *st = state;
  if (st->unbuildable) {
    probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN,
                      "could not build an XMPP stream header (unusable host name)");
    return;
  }
  xmpp_judge(buf, len, 1, why, out);
}

const struct probe_module probe_xmpp = {
    .name = "xmpp",
    .transport = UC_TCP,
    .read_cap = XMPP_HDR_CAP + 4096,
    .state_size = sizeof(struct xmpp_state),
    .init = xmpp_init,
    .build = xmpp_build,
    .classify = xmpp_classify,
    .finish = xmpp_finish,
};

size_t xmpp_respond(const uint8_t *req, size_t len, const char *from_domain, const char *stream_id,
                    uint8_t *out, size_t cap)
{
  struct textproto_out o;
  if (!from_domain || !stream_id || xmpp_parse_stream_header(req, len, NULL, NULL) != 1)
    return 0;
  textproto_out_init(&o, out, cap);
  textproto_puts(&o, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' " XMPP_STREAM_NS
                     " from='");
  if (xmpp_put_escaped(&o, from_domain) < 0)
    return 0;
  textproto_puts(&o, "' id='");
  if (xmpp_put_escaped(&o, stream_id) < 0)
    return 0;
  textproto_puts(&o, "' version='1.0'><stream:features/>");
  return textproto_out_done(&o);
}
