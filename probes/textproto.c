/* probes/textproto.c - shared pieces of the SIP and HTTP probes; see textproto.h. */
#include "textproto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Longest quote of a reply's first line in a reason. */
#define TP_QUOTE 96
/* A first line shorter than this, still unfinished and plain text, is worth waiting for. */
#define TP_CONTEXT 80

static int tp_lower(int c)
{
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int tp_is_ws(uint8_t c)
{
  return c == ' ' || c == '\t';
}

static int tp_is_digit(uint8_t c)
{
  return c >= '0' && c <= '9';
}

size_t textproto_header_end(const uint8_t *buf, size_t len, size_t *resume)
{
  size_t i = resume ? *resume : 0;
  for (; i < len; i++) {
    if (buf[i] != '\n')
      continue;
    if (i + 1 >= len)
      break;
    if (buf[i + 1] == '\n')
      return i + 2;
    if (buf[i + 1] == '\r') {
      if (i + 2 >= len)
        break;
      if (buf[i + 2] == '\n')
        return i + 3;
    }
  }
  if (resume)
    *resume = i;
  return 0;
}

/* End of the line starting at p: *content_end excludes the CR LF or LF, the return value is
 * the start of the next line (len when the line runs to the end of buf). */
static size_t tp_line(const uint8_t *buf, size_t len, size_t p, size_t *content_end)
{
  const uint8_t *lf = p < len ? memchr(buf + p, '\n', len - p) : NULL;
  size_t e = lf ? (size_t)(lf - buf) : len;
  size_t next = lf ? e + 1 : len;
  if (lf && e > p && buf[e - 1] == '\r')
    e--;
  *content_end = e;
  return next;
}

int textproto_next_field(const uint8_t *buf, size_t len, size_t *pos, struct textproto_field *f)
{
  size_t p = *pos, e;
  if (p == 0) {
    p = tp_line(buf, len, 0, &e); /* the start line */
    if (p >= len) {
      *pos = len;
      return 0;
    }
  }
  while (p < len) {
    size_t next = tp_line(buf, len, p, &e);
    if (e == p) { /* blank line: end of the header section */
      *pos = len;
      return 0;
    }
    const uint8_t *colon = memchr(buf + p, ':', e - p);
    if (tp_is_ws(buf[p]) || !colon) { /* stray continuation or malformed line: skip */
      p = next;
      continue;
    }
    size_t c = (size_t)(colon - buf);
    size_t ne = c;
    while (ne > p && tp_is_ws(buf[ne - 1])) /* SIP allows "Name : value" */
      ne--;
    if (ne == p) {
      p = next;
      continue;
    }
    size_t vs = c + 1, ve = e;
    /* obsolete line folding: following lines that start with SP or HT continue the value */
    while (next < len && tp_is_ws(buf[next])) {
      size_t ce;
      size_t after = tp_line(buf, len, next, &ce);
      ve = ce;
      next = after;
    }
    while (vs < ve && (tp_is_ws(buf[vs]) || buf[vs] == '\r' || buf[vs] == '\n'))
      vs++;
    while (ve > vs && (tp_is_ws(buf[ve - 1]) || buf[ve - 1] == '\r' || buf[ve - 1] == '\n'))
      ve--;
    f->name = buf + p;
    f->name_len = ne - p;
    f->value = buf + vs;
    f->value_len = ve - vs;
    *pos = next;
    return 1;
  }
  *pos = len;
  return 0;
}

/* Calls emit(ctx, byte) for each byte of the unfolded value. */
static size_t tp_unfold_each(const uint8_t *v, size_t len, void (*emit)(void *, uint8_t), void *ctx)
{
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    if (v[i] == '\r' || v[i] == '\n' || tp_is_ws(v[i])) {
      size_t j = i;
      int brk = 0;
      while (j < len && (v[j] == '\r' || v[j] == '\n' || tp_is_ws(v[j]))) {
        if (v[j] == '\r' || v[j] == '\n')
          brk = 1;
        j++;
      }
      if (brk) {
        emit(ctx, ' ');
        n++;
      } else {
        for (size_t k = i; k < j; k++)
          emit(ctx, v[k]);
        n += j - i;
      }
      i = j;
      continue;
    }
    emit(ctx, v[i++]);
    n++;
  }
  return n;
}

struct tp_cbuf {
  char *out;
  size_t cap, len;
};

static void tp_emit_cbuf(void *ctx, uint8_t c)
{
  struct tp_cbuf *b = ctx;
  if (b->len + 1 < b->cap)
    b->out[b->len++] = (char)c;
}

size_t textproto_unfold(const uint8_t *value, size_t len, char *out, size_t cap)
{
  struct tp_cbuf b = {out, cap, 0};
  size_t n = tp_unfold_each(value, len, tp_emit_cbuf, &b);
  if (cap)
    out[b.len] = '\0';
  return n;
}

static int tp_name_eq(const uint8_t *a, size_t alen, const char *b)
{
  size_t blen = strlen(b);
  if (alen != blen)
    return 0;
  for (size_t i = 0; i < alen; i++)
    if (tp_lower(a[i]) != tp_lower((uint8_t)b[i]))
      return 0;
  return 1;
}

long textproto_header_get(const uint8_t *buf, size_t len, const char *name, char *val, size_t cap)
{
  size_t pos = 0;
  struct textproto_field f;
  if (cap)
    val[0] = '\0';
  while (textproto_next_field(buf, len, &pos, &f)) {
    if (tp_name_eq(f.name, f.name_len, name))
      return (long)textproto_unfold(f.value, f.value_len, val, cap);
  }
  return -1;
}

int textproto_status_line(const uint8_t *buf, size_t len, const char *version, int version_ci,
                          int lo, int hi, int *code, char *phrase, size_t cap)
{
  size_t i = 0, vlen = strlen(version);
  if (phrase && cap)
    phrase[0] = '\0';
  for (; i < vlen; i++) {
    if (i >= len)
      return 0;
    uint8_t c = buf[i], want = (uint8_t)version[i];
    if (want == '#') {
      if (!tp_is_digit(c))
        return -1;
    } else if (version_ci ? tp_lower(c) != tp_lower(want) : c != want) {
      return -1;
    }
  }
  int value = 0;
  for (int k = 0; k < 3; k++, i++) {
    if (i >= len)
      return 0;
    if (!tp_is_digit(buf[i]))
      return -1;
    value = value * 10 + (buf[i] - '0');
  }
  if (value < lo || value > hi)
    return -1;
  if (i >= len)
    return 0;
  size_t start;
  if (buf[i] == ' ')
    start = i + 1;
  else if (buf[i] == '\r' || buf[i] == '\n')
    start = i; /* no reason phrase at all: tolerated */
  else
    return -1;
  for (size_t j = start; j < len; j++) {
    uint8_t c = buf[j];
    size_t end;
    if (c == '\n') {
      end = j;
    } else if (c == '\r') {
      if (j + 1 >= len)
        return 0;
      if (buf[j + 1] != '\n')
        return -1; /* bare CR */
      end = j;
    } else {
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return -1;
      continue;
    }
    if (phrase && cap)
      probe_printable(phrase, cap, buf + start, end - start);
    if (code)
      *code = value;
    return 1;
  }
  return 0;
}

int textproto_want_context(const uint8_t *buf, size_t len)
{
  if (len >= TP_CONTEXT)
    return 0;
  for (size_t i = 0; i < len; i++) {
    uint8_t c = buf[i];
    if (c == '\n')
      return 0;
    if (c == '\r' && i + 1 < len && buf[i + 1] != '\n')
      return 0; /* a bare CR ends the line as far as quoting goes */
    if ((c < 0x20 && c != '\t' && c != '\r') || c >= 0x7f)
      return 0;
  }
  return 1;
}

static int tp_host_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         strchr(".-_:[]%", c) != NULL;
}

int textproto_uri_host(const struct probe_target *t, char *buf, size_t cap)
{
  char ip[INET6_ADDRSTRLEN];
  const char *h = t ? t->host : NULL;
  if (!cap)
    return -1;
  buf[0] = '\0';
  if (!h || !*h) {
    const struct sockaddr *sa = t ? t->addr : NULL;
    if (sa && sa->sa_family == AF_INET)
      h = inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
    else if (sa && sa->sa_family == AF_INET6)
      h = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof(ip));
    if (!h)
      return -1;
  }
  for (const char *p = h; *p; p++)
    if (!tp_host_char(*p))
      return -1;
  int n;
  if (strchr(h, ':') && h[0] != '[')
    n = snprintf(buf, cap, "[%s]", h);
  else
    n = snprintf(buf, cap, "%s", h);
  if (n < 0 || (size_t)n >= cap) {
    buf[0] = '\0';
    return -1;
  }
  return 0;
}

void textproto_out_init(struct textproto_out *o, uint8_t *buf, size_t cap)
{
  o->buf = buf;
  o->cap = buf ? cap : 0;
  o->len = 0;
  o->overflow = 0;
}

void textproto_put(struct textproto_out *o, const void *p, size_t n)
{
  if (o->overflow || n > o->cap - o->len) {
    o->overflow = 1;
    return;
  }
  if (n)
    memcpy(o->buf + o->len, p, n);
  o->len += n;
}

void textproto_puts(struct textproto_out *o, const char *s)
{
  textproto_put(o, s, strlen(s));
}

void textproto_putf(struct textproto_out *o, const char *fmt, ...)
{
  if (o->overflow)
    return;
  size_t room = o->cap - o->len;
  va_list ap;
  va_start(ap, fmt);
  /* vsnprintf writes a NUL after the text; it lands inside the room or is cut off. */
  int n = vsnprintf(room ? (char *)o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= room) {
    o->overflow = 1;
    return;
  }
  o->len += (size_t)n;
}

static void tp_emit_out(void *ctx, uint8_t c)
{
  textproto_put(ctx, &c, 1);
}

void textproto_put_unfolded(struct textproto_out *o, const uint8_t *value, size_t len)
{
  tp_unfold_each(value, len, tp_emit_out, o);
}

size_t textproto_out_done(const struct textproto_out *o)
{
  return o->overflow ? 0 : o->len;
}

/* ---- reply reader ---- */

const char *textproto_end_name(enum probe_end why)
{
  switch (why) {
  case PROBE_END_TIMEOUT:
    return "timeout";
  case PROBE_END_EOF:
    return "connection closed";
  case PROBE_END_CAP:
    return "read cap reached";
  case PROBE_END_RESET:
    return "connection reset";
  }
  return "stopped";
}

/* Incremental search over the current message: records the end of the first line and returns
 * the end of the header section (0 while not there yet). */
static size_t tp_scan(struct textproto_reader *r, const uint8_t *b, size_t n)
{
  size_t i = r->scan;
  for (; i < n; i++) {
    if (b[i] != '\n')
      continue;
    if (!r->line_end)
      r->line_end = i + 1;
    if (i + 1 >= n)
      break;
    if (b[i + 1] == '\n')
      return i + 2;
    if (b[i + 1] == '\r') {
      if (i + 2 >= n)
        break;
      if (b[i + 2] == '\n')
        return i + 3;
    }
  }
  r->scan = i;
  return 0;
}

int textproto_content_length(const char *v, size_t *out)
{
  size_t n = 0, digits = 0;
  for (; *v; v++, digits++) {
    if (!tp_is_digit((uint8_t)*v) || digits >= 9)
      return -1;
    n = n * 10 + (size_t)(*v - '0');
  }
  if (!digits)
    return -1;
  *out = n;
  return 0;
}

/* Status lines of the protocols that answer on the wrong port most often. */
static const struct {
  const char *version;
  int version_ci, lo, hi;
  const char *who; /* "an HTTP server" */
  const char *key; /* evidence key */
} tp_foreign[] = {
    {"HTTP/1.# ", 0, 100, 599, "an HTTP server", "http"},
    {"SIP/2.0 ", 1, 100, 699, "a SIP server", "sip"},
};

int textproto_foreign(const uint8_t *buf, size_t len, int final, const char *expected_version,
                      const char *what, struct probe_outcome *out)
{
  for (size_t k = 0; k < sizeof(tp_foreign) / sizeof(tp_foreign[0]); k++) {
    if (expected_version && strcmp(expected_version, tp_foreign[k].version) == 0)
      continue;
    int code = 0;
    char phrase[64], raw[512], server[129] = "";
    const uint8_t *lf = memchr(buf, '\n', len < TEXTPROTO_HDR_CAP ? len : TEXTPROTO_HDR_CAP);
    size_t ln = lf ? (size_t)(lf - buf) + 1 : len;
    int rc =
        textproto_status_line(buf, ln, tp_foreign[k].version, tp_foreign[k].version_ci,
                              tp_foreign[k].lo, tp_foreign[k].hi, &code, phrase, sizeof(phrase));
    if (rc < 0)
      continue;
    size_t hend = textproto_header_end(buf, len, NULL);
    if (rc == 0 || (!hend && !final && len < TEXTPROTO_HDR_CAP))
      return rc == 0 && final ? -1 : 0;
    if (textproto_header_get(buf, hend ? hend : len, "Server", raw, sizeof(raw)) > 0)
      probe_printable(server, sizeof(server), (const uint8_t *)raw, strlen(raw));
    probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "%s: %s answered %d%s%s%s%s%s", what,
                      tp_foreign[k].who, code, phrase[0] ? " " : "", phrase,
                      server[0] ? " (Server: " : "", server, server[0] ? ")" : "");
    out->foreign = 1;
    out->evidence = json_pack("{s:{s:i,s:s?}}", tp_foreign[k].key, "status", code, "server",
                              server[0] ? server : NULL);
    return 1;
  }
  return -1;
}

static enum textproto_step tp_fail_big(const struct textproto_dialect *d, struct probe_outcome *out)
{
  probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "%s reply headers exceed %d bytes", d->name,
                    TEXTPROTO_HDR_CAP);
  return TEXTPROTO_FAILED;
}

enum textproto_step textproto_read(struct textproto_reader *r, const struct textproto_dialect *d,
                                   const uint8_t *buf, size_t len, int final,
                                   struct probe_outcome *out)
{
  char quote[TP_QUOTE];
  size_t vlen = strlen(d->version);
  for (;;) {
    /* CR/LF before a start line (keep-alives, stray line ends) is ignored (RFC 3261 7.5). */
    while (!r->line_ok && r->scan == 0 && r->msg_start < len &&
           (buf[r->msg_start] == '\r' || buf[r->msg_start] == '\n')) {
      r->msg_start++;
      r->blank++;
    }
    if (r->msg_start >= len)
      return TEXTPROTO_MORE;
    const uint8_t *b = buf + r->msg_start;
    size_t n = len - r->msg_start;
    size_t hend = tp_scan(r, b, n);

    if (!r->line_ok) {
      int code = 0;
      size_t ln = r->line_end ? r->line_end : (n < 64 ? n : 64);
      int rc = textproto_status_line(b, ln, d->version, d->version_ci, d->lo, d->hi, &code,
                                     r->phrase, sizeof(r->phrase));
      if (rc < 0) {
        int foreign = textproto_status_line(b, n < vlen ? n : vlen, d->version, d->version_ci,
                                            d->lo, d->hi, NULL, NULL, 0) < 0;
        if (!final && !r->line_end && textproto_want_context(b, n))
          return TEXTPROTO_MORE;
        if (foreign) {
          char what[64];
          snprintf(what, sizeof(what), "not %s reply", d->a_name);
          int other = textproto_foreign(b, n, final, d->version, what, out);
          if (other > 0)
            return TEXTPROTO_FAILED;
          if (other == 0)
            return TEXTPROTO_MORE;
          out->foreign = 1;
        }
        probe_printable(quote, sizeof(quote), b, n);
        probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN,
                          foreign ? "not %s reply: '%s'" : "malformed %s status line: '%s'",
                          foreign ? d->a_name : d->name, quote);
        return TEXTPROTO_FAILED;
      }
      if (rc == 0) {
        if (n > TEXTPROTO_HDR_CAP)
          return tp_fail_big(d, out);
        return TEXTPROTO_MORE;
      }
      r->line_ok = 1;
      r->code = code;
    }
    if (!hend) {
      if (n > TEXTPROTO_HDR_CAP)
        return tp_fail_big(d, out);
      return TEXTPROTO_MORE;
    }
    if (hend > TEXTPROTO_HDR_CAP)
      return tp_fail_big(d, out);
    if (r->code >= 200) {
      r->hdr_len = hend;
      return TEXTPROTO_FINAL;
    }
    /* interim response: note it, step over it (and its body, if the dialect has one) */
    size_t body = 0;
    if (d->interim_has_body) {
      char v[32];
      long vl = textproto_header_get(b, hend, "Content-Length", v, sizeof(v));
      if (vl < 0)
        vl = textproto_header_get(b, hend, "l", v, sizeof(v));
      if (vl >= 0 && ((size_t)vl >= sizeof(v) || textproto_content_length(v, &body) < 0)) {
        probe_printable(quote, sizeof(quote), (const uint8_t *)v, strlen(v));
        probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN,
                          "malformed %s reply: %d %s with Content-Length '%s'", d->name, r->code,
                          r->phrase, quote);
        return TEXTPROTO_FAILED;
      }
    }
    r->interim++;
    r->interim_code = r->code;
    memcpy(r->interim_phrase, r->phrase, sizeof(r->interim_phrase));
    r->msg_start += hend + body;
    r->scan = 0;
    r->line_end = 0;
    r->line_ok = 0;
    r->code = 0;
    r->phrase[0] = '\0';
  }
}

void textproto_finish(const struct textproto_reader *r, const struct textproto_dialect *d,
                      enum probe_end why, const uint8_t *buf, size_t len, struct probe_outcome *out)
{
  char quote[TP_QUOTE];
  const char *w = textproto_end_name(why);
  if (r->interim) {
    probe_outcome_set(out, UC_OUT_WARN, UC_ST_OPEN,
                      "%s %s answered only %d%s%s, no final response (%s)", d->name, d->request,
                      r->interim_code, r->interim_phrase[0] ? " " : "", r->interim_phrase, w);
    return;
  }
  if (r->msg_start >= len) {
    if (r->blank)
      probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN,
                        "no %s answer to %s (%s; only %zu bytes of line breaks)", d->name,
                        d->request, w, r->blank);
    else
      probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "no %s answer to %s (%s)", d->name,
                        d->request, w);
    return;
  }
  probe_printable(quote, sizeof(quote), buf + r->msg_start, len - r->msg_start);
  probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "incomplete %s reply (%s): '%s'", d->name, w,
                    quote);
}

enum probe_status textproto_classify(struct textproto_reader *r, const struct textproto_dialect *d,
                                     const uint8_t *buf, size_t len, struct probe_outcome *out)
{
  switch (textproto_read(r, d, buf, len, 0, out)) {
  case TEXTPROTO_FINAL:
    d->ok(r, buf, out);
    return PROBE_DONE;
  case TEXTPROTO_FAILED:
    return PROBE_DONE;
  case TEXTPROTO_MORE:
    break;
  }
  return PROBE_MORE;
}

void textproto_module_finish(struct textproto_reader *r, int unbuildable,
                             const struct textproto_dialect *d, enum probe_end why,
                             const uint8_t *buf, size_t len, struct probe_outcome *out)
{
  if (unbuildable) {
    probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN, "%s", d->unbuildable);
    return;
  }
  switch (textproto_read(r, d, buf, len, 1, out)) {
  case TEXTPROTO_FINAL:
    d->ok(r, buf, out);
    return;
  case TEXTPROTO_FAILED:
    return;
  case TEXTPROTO_MORE:
    break;
  }
  textproto_finish(r, d, why, buf, len, out);
}
