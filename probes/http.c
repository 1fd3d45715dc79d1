/* probes/http.c - HTTP/1.1 HEAD / (RFC 9112), on plain ports and after TLS: any final status
 * proves an HTTP server (IIS answers 401 to anonymous requests on the Lync web services);
 * 1xx interim responses are passed over. */
#include "http.h"

#include <stdio.h>
#include <string.h>

#define HTTP_EVIDENCE_MAX 128

struct http_state {
  struct textproto_reader rd;
  int unbuildable;
};

static void http_ok(const struct textproto_reader *r, const uint8_t *buf,
                    struct probe_outcome *out);

static const struct textproto_dialect http_dialect = {
    .name = "HTTP",
    .a_name = "an HTTP",
    .request = "HEAD /",
    .version = "HTTP/1.# ",
    .version_ci = 0,
    .lo = 100,
    .hi = 599,
    .interim_has_body = 0,
    .ok = http_ok,
    .unbuildable = "could not build an HTTP HEAD request (unusable host name)",
};

int http_parse_status_line(const uint8_t *buf, size_t len, int *code, char *phrase, size_t cap)
{
  return textproto_status_line(buf, len, http_dialect.version, http_dialect.version_ci,
                               http_dialect.lo, http_dialect.hi, code, phrase, cap);
}

static void http_init(void *state, const struct probe_target *t, const uint8_t rnd[32])
{
}

static size_t http_build(void *state, const struct probe_target *t, unsigned i, uint8_t *buf,
                         size_t cap)
{
  struct http_state *st = state;
  char host[300];
  struct textproto_out o;
  if (i != 0)
    return 0;
  if (textproto_uri_host(t, host, sizeof(host)) < 0) {
    st->unbuildable = 1;
    return 0;
  }
  unsigned dflt = uc_proto_uses_tls(t->protocol) ? 443 : 80;
  textproto_out_init(&o, buf, cap);
  textproto_puts(&o, "HEAD / HTTP/1.1\r\n");
  if (t->port && t->port != dflt)
    textproto_putf(&o, "Host: %s:%u\r\n", host, (unsigned)t->port);
  else
    textproto_putf(&o, "Host: %s\r\n", host);
  textproto_puts(&o, "User-Agent: ucscan/" UC_VERSION "\r\n");
  textproto_puts(&o, "Accept: */*\r\n");
  textproto_puts(&o, "Connection: close\r\n\r\n");
  size_t n = textproto_out_done(&o);
  if (!n)
    st->unbuildable = 1;
  return n;
}

static void http_ok(const struct textproto_reader *r, const uint8_t *buf, struct probe_outcome *out)
{
  char raw[512], server[HTTP_EVIDENCE_MAX + 1] = "";
  const char *sp = r->phrase[0] ? " " : "";
  if (textproto_header_get(buf + r->msg_start, r->hdr_len, "Server", raw, sizeof(raw)) > 0)
    probe_printable(server, sizeof(server), (const uint8_t *)raw, strlen(raw));
  if (server[0])
    probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "HTTP %d%s%s (Server: %s)", r->code, sp,
                      r->phrase, server);
  else
    probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "HTTP %d%s%s", r->code, sp, r->phrase);
  out->evidence =
      json_pack("{s:{s:i,s:s?}}", "http", "status", r->code, "server", server[0] ? server : NULL);
  out->listener = strstr(server, UC_LISTENER_TOKEN) != NULL;
}

static enum probe_status http_classify(void *state, const struct probe_target *t,
                                       const uint8_t *buf, size_t len, const struct sockaddr *from,
                                       struct probe_outcome *out)
{
  struct http_state *st = state;
  return textproto_classify(&st->rd, &http_dialect, buf, len, out);
}

static void http_finish(void *state, const struct probe_target *t, enum probe_end why,
                        const uint8_t *buf, size_t len, struct probe_outcome *out)
{
  struct http_state *st = state;
  textproto_module_finish(&st->rd, st->unbuildable, &http_dialect, why, buf, len, out);
}

const struct probe_module probe_http = {
    .name = "http",
    .transport = UC_TCP,
    .read_cap = HTTP_HDR_CAP + 4096,
    .state_size = sizeof(struct http_state),
    .init = http_init,
    .build = http_build,
    .classify = http_classify,
    .finish = http_finish,
};

/* ---- responder ---- */

static int http_tchar(uint8_t c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* "method SP request-target SP HTTP/d.d CRLF", line given whole (LF included). */
static int http_request_line(const uint8_t *b, size_t n)
{
  size_t i = 0;
  while (i < n && http_tchar(b[i]))
    i++;
  if (i == 0 || i >= n || b[i] != ' ')
    return -1;
  size_t ts = ++i;
  while (i < n && b[i] > 0x20 && b[i] < 0x7f)
    i++;
  if (i == ts || i + 9 > n || b[i] != ' ')
    return -1;
  i++;
  if (memcmp(b + i, "HTTP/1.", 7) != 0 || b[i + 7] < '0' || b[i + 7] > '9')
    return -1;
  i += 8;
  if (i < n && b[i] == '\r')
    i++;
  return (i < n && b[i] == '\n') ? 1 : -1;
}

static size_t http_skip_blank(const uint8_t *buf, size_t len)
{
  size_t i = 0;
  while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
    i++;
  return i;
}

size_t http_request_complete(const uint8_t *buf, size_t len)
{
  size_t skip = http_skip_blank(buf, len);
  const uint8_t *b = buf + skip;
  size_t n = len - skip;
  const uint8_t *lf = n ? memchr(b, '\n', n) : NULL;
  if (lf && http_request_line(b, (size_t)(lf - b) + 1) < 0)
    return TEXTPROTO_INVALID;
  size_t hend = textproto_header_end(b, n, NULL);
  if (!hend)
    return n > HTTP_HDR_CAP ? TEXTPROTO_INVALID : 0;
  if (hend > HTTP_HDR_CAP)
    return TEXTPROTO_INVALID;
  char v[32];
  size_t body = 0;
  long vl = textproto_header_get(b, hend, "Content-Length", v, sizeof(v));
  if (vl >= 0 &&
      ((size_t)vl >= sizeof(v) || textproto_content_length(v, &body) < 0 || body > HTTP_BODY_MAX))
    return TEXTPROTO_INVALID;
  if (n - hend < body)
    return 0;
  return skip + hend + body;
}

size_t http_respond(const uint8_t *req, size_t len, const char *server, uint8_t *out, size_t cap)
{
  size_t total = http_request_complete(req, len);
  if (!total || total == TEXTPROTO_INVALID || !server)
    return 0;
  for (const char *s = server; *s; s++)
    if ((uint8_t)*s < 0x20 || (uint8_t)*s >= 0x7f)
      return 0;
  struct textproto_out o;
  textproto_out_init(&o, out, cap);
  textproto_puts(&o, "HTTP/1.1 200 OK\r\n");
  textproto_putf(&o, "Server: %s\r\n", server);
  textproto_puts(&o, "Content-Length: 0\r\nConnection: close\r\n\r\n");
  return textproto_out_done(&o);
}
