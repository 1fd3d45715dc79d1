/* tests/unit/test_junit.c - JUnit XML: parsed back by a strict XML 1.0 reader written here,
 * validated element by element against the structure of the JUnit schema Jenkins, GitLab
 * and Azure DevOps read (Jenkins xunit's junit-10.xsd), then compared with the report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reports/junit.h"
#include "reports/report.h"
#include "reports/report_doc.h"
#include "model/verdict.h"
#include "model/plan.h"

/* ---------------- a strict, small XML reader ---------------- */

struct xattr {
  char *name, *value;
};

struct xnode {
  char *name;
  struct xattr *attrs;
  size_t nattrs;
  struct xnode **kids;
  size_t nkids;
  char *text; /* concatenated character data */
  size_t textlen;
};

struct xparser {
  const char *s;
  size_t n, i;
  char err[200];
};

static int xfail(struct xparser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int xfail(struct xparser *p, const char *fmt, ...)
{
  if (!p->err[0]) {
    va_list ap;
    va_start(ap, fmt);
    int w = snprintf(p->err, sizeof(p->err), "at byte %zu: ", p->i);
    vsnprintf(p->err + w, sizeof(p->err) - (size_t)w, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static bool is_xml_char(uint32_t c)
{
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

static void buf_add(char **b, size_t *len, const char *s, size_t n)
{
  *b = realloc(*b, *len + n + 1);
  memcpy(*b + *len, s, n);
  *len += n;
  (*b)[*len] = '\0';
}

static void put_utf8(char **b, size_t *len, uint32_t c)
{
  char e[4];
  size_t n;
  if (c < 0x80) {
    e[0] = (char)c, n = 1;
  } else if (c < 0x800) {
    e[0] = (char)(0xC0 | (c >> 6)), e[1] = (char)(0x80 | (c & 0x3F)), n = 2;
  } else if (c < 0x10000) {
    e[0] = (char)(0xE0 | (c >> 12)), e[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    e[2] = (char)(0x80 | (c & 0x3F)), n = 3;
  } else {
    e[0] = (char)(0xF0 | (c >> 18)), e[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    e[2] = (char)(0x80 | ((c >> 6) & 0x3F)), e[3] = (char)(0x80 | (c & 0x3F)), n = 4;
  }
  buf_add(b, len, e, n);
}

/* One character of content or attribute value, references decoded, appended to *b.
 * `quote`: the attribute's quote character, or 0 in content. Returns 0, 1 at a stop
 * character ('<' in content, the quote in a value), -1 on an error. */
static int xchar(struct xparser *p, char quote, char **b, size_t *len)
{
  const unsigned char *u = (const unsigned char *)p->s + p->i;
  uint32_t c;
  size_t k = report_doc_utf8(u, p->n - p->i, &c);
  if (k == 0)
    return xfail(p, "invalid UTF-8");
  if (!is_xml_char(c))
    return xfail(p, "character U+%04X is not allowed in XML 1.0", c);
  if ((quote && c == (uint32_t)quote) || (!quote && c == '<'))
    return 1;
  if (quote && c == '<')
    return xfail(p, "'<' in an attribute value");
  if (c == '&') {
    const char *semi = memchr(p->s + p->i, ';', p->n - p->i);
    if (!semi || semi - (p->s + p->i) > 12)
      return xfail(p, "'&' that starts no reference");
    size_t rl = (size_t)(semi - (p->s + p->i)) + 1;
    const char *r = p->s + p->i + 1;
    uint32_t v;
    if (strncmp(r, "amp;", 4) == 0)
      v = '&';
    else if (strncmp(r, "lt;", 3) == 0)
      v = '<';
    else if (strncmp(r, "gt;", 3) == 0)
      v = '>';
    else if (strncmp(r, "quot;", 5) == 0)
      v = '"';
    else if (strncmp(r, "apos;", 5) == 0)
      v = '\'';
    else if (r[0] == '#') {
      char *end;
      bool hex = r[1] == 'x';
      unsigned long x = strtoul(r + (hex ? 2 : 1), &end, hex ? 16 : 10);
      if (end != semi || end == r + (hex ? 2 : 1))
        return xfail(p, "bad character reference");
      v = (uint32_t)x;
      if (!is_xml_char(v))
        return xfail(p, "character reference to U+%04X, not allowed in XML 1.0", v);
    } else {
      return xfail(p, "unknown entity");
    }
    put_utf8(b, len, v);
    p->i += rl;
    return 0;
  }
  if (!quote && c == '>' && p->i >= 2 && strncmp(p->s + p->i - 2, "]]", 2) == 0)
    return xfail(p, "']]>' in content");
  if (quote && (c == '\t' || c == '\n' || c == '\r'))
    put_utf8(b, len, ' '); /* attribute-value normalisation */
  else if (!quote && c == '\r')
    ; /* line-end normalisation: CR LF -> LF; a lone CR would become LF */
  else
    buf_add(b, len, p->s + p->i, k);
  p->i += k;
  return 0;
}

static void skip_space(struct xparser *p)
{
  while (p->i < p->n && strchr(" \t\r\n", p->s[p->i]))
    p->i++;
}

static bool name_char(char c, bool first)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}

static char *xname(struct xparser *p)
{
  size_t st = p->i;
  while (p->i < p->n && name_char(p->s[p->i], p->i == st))
    p->i++;
  if (p->i == st) {
    xfail(p, "expected a name");
    return NULL;
  }
  return strndup(p->s + st, p->i - st);
}

static void xfree(struct xnode *x)
{
  if (!x)
    return;
  for (size_t i = 0; i < x->nattrs; i++) {
    free(x->attrs[i].name);
    free(x->attrs[i].value);
  }
  for (size_t i = 0; i < x->nkids; i++)
    xfree(x->kids[i]);
  free(x->attrs);
  free(x->kids);
  free(x->name);
  free(x->text);
  free(x);
}

static struct xnode *xelement(struct xparser *p, int depth)
{
  if (depth > 20 || p->i >= p->n || p->s[p->i] != '<') {
    xfail(p, "expected an element");
    return NULL;
  }
  p->i++;
  struct xnode *x = calloc(1, sizeof(*x));
  x->text = strdup("");
  if (!(x->name = xname(p)))
    goto bad;
  for (;;) {
    size_t before = p->i;
    skip_space(p);
    if (p->i >= p->n) {
      xfail(p, "end of document in a tag");
      goto bad;
    }
    if (p->s[p->i] == '/' || p->s[p->i] == '>')
      break;
    if (p->i == before) {
      xfail(p, "attributes need white space between them");
      goto bad;
    }
    char *an = xname(p);
    if (!an)
      goto bad;
    for (size_t k = 0; k < x->nattrs; k++)
      if (strcmp(x->attrs[k].name, an) == 0) {
        free(an);
        xfail(p, "duplicate attribute");
        goto bad;
      }
    x->attrs = realloc(x->attrs, (x->nattrs + 1) * sizeof(*x->attrs));
    x->attrs[x->nattrs].name = an;
    x->attrs[x->nattrs].value = strdup("");
    x->nattrs++;
    skip_space(p);
    if (p->i >= p->n || p->s[p->i] != '=') {
      xfail(p, "expected '='");
      goto bad;
    }
    p->i++;
    skip_space(p);
    char q = p->i < p->n ? p->s[p->i] : 0;
    if (q != '"' && q != '\'') {
      xfail(p, "attribute value not quoted");
      goto bad;
    }
    p->i++;
    size_t vlen = 0;
    for (;;) {
      if (p->i >= p->n) {
        xfail(p, "unterminated attribute value");
        goto bad;
      }
      int r = xchar(p, q, &x->attrs[x->nattrs - 1].value, &vlen);
      if (r < 0)
        goto bad;
      if (r == 1)
        break;
    }
    p->i++;
  }
  if (p->s[p->i] == '/') {
    if (p->i + 1 >= p->n || p->s[p->i + 1] != '>') {
      xfail(p, "expected '/>'");
      goto bad;
    }
    p->i += 2;
    return x;
  }
  p->i++;
  for (;;) {
    if (p->i >= p->n) {
      xfail(p, "element <%s> not closed", x->name);
      goto bad;
    }
    if (p->s[p->i] == '<') {
      if (p->i + 1 < p->n && p->s[p->i + 1] == '/') {
        p->i += 2;
        char *en = xname(p);
        if (!en || strcmp(en, x->name) != 0) {
          free(en);
          xfail(p, "end tag does not match <%s>", x->name);
          goto bad;
        }
        free(en);
        skip_space(p);
        if (p->i >= p->n || p->s[p->i] != '>') {
          xfail(p, "expected '>'");
          goto bad;
        }
        p->i++;
        return x;
      }
      if (p->i + 1 < p->n && (p->s[p->i + 1] == '!' || p->s[p->i + 1] == '?')) {
        xfail(p, "comments, CDATA and processing instructions are not expected here");
        goto bad;
      }
      struct xnode *k = xelement(p, depth + 1);
      if (!k)
        goto bad;
      x->kids = realloc(x->kids, (x->nkids + 1) * sizeof(*x->kids));
      x->kids[x->nkids++] = k;
      continue;
    }
    if (xchar(p, 0, &x->text, &x->textlen) < 0)
      goto bad;
  }
bad:
  xfree(x);
  return NULL;
}

/* The whole document: the XML declaration, one root element, trailing white space. */
static struct xnode *xparse(const char *s, size_t n, char *err, size_t cap)
{
  struct xparser p = {s, n, 0, ""};
  static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
  struct xnode *root = NULL;
  if (n < sizeof(decl) - 1 || memcmp(s, decl, sizeof(decl) - 1) != 0) {
    xfail(&p, "missing the XML declaration");
  } else {
    p.i = sizeof(decl) - 1;
    skip_space(&p);
    root = xelement(&p, 0);
    skip_space(&p);
    if (root && p.i != n) {
      xfail(&p, "content after the root element");
      xfree(root);
      root = NULL;
    }
  }
  snprintf(err, cap, "%s", p.err);
  return root;
}

static const char *xattr_get(const struct xnode *x, const char *name)
{
  for (size_t i = 0; i < x->nattrs; i++)
    if (strcmp(x->attrs[i].name, name) == 0)
      return x->attrs[i].value;
  return NULL;
}

static size_t xcount(const struct xnode *x, const char *name)
{
  size_t n = 0;
  for (size_t i = 0; i < x->nkids; i++)
    n += strcmp(x->kids[i]->name, name) == 0;
  return n;
}

static const struct xnode *xkid(const struct xnode *x, const char *name)
{
  for (size_t i = 0; i < x->nkids; i++)
    if (strcmp(x->kids[i]->name, name) == 0)
      return x->kids[i];
  return NULL;
}

/* ---------------- the JUnit schema's structure ---------------- */

struct jelem {
  const char *name;
  const char *const *required;
  const char *const *allowed;
  const char *const *children; /* NULL: no element children */
  bool text;                   /* character data other than white space allowed */
};

static const char *const ts_attrs[] = {"name", "time", "tests", "failures", "errors", NULL};
static const char *const ts_kids[] = {"testsuite", NULL};
static const char *const suite_req[] = {"name", "tests", "failures", "errors", NULL};
static const char *const suite_attrs[] = {"name",    "tests",   "failures",  "errors",   "group",
                                          "time",    "skipped", "timestamp", "hostname", "id",
                                          "package", "file",    "log",       "url",      NULL};
static const char *const suite_kids[] = {"testsuite",  "properties", "testcase",
                                         "system-out", "system-err", NULL};
static const char *const props_kids[] = {"property", NULL};
static const char *const prop_attrs[] = {"name", "value", NULL};
static const char *const case_req[] = {"name", NULL};
static const char *const case_attrs[] = {"name", "time", "classname", "group", NULL};
static const char *const case_kids[] = {"skipped",    "error",      "failure",
                                        "system-out", "system-err", NULL};
static const char *const result_attrs[] = {"type", "message", NULL};
static const char *const none[] = {NULL};

static const struct jelem schema[] = {
    {"testsuites", none, ts_attrs, ts_kids, false},
    {"testsuite", suite_req, suite_attrs, suite_kids, false},
    {"properties", none, none, props_kids, false},
    {"property", prop_attrs, prop_attrs, NULL, false},
    {"testcase", case_req, case_attrs, case_kids, false},
    {"failure", none, result_attrs, NULL, true},
    {"error", none, result_attrs, NULL, true},
    {"skipped", none, result_attrs, NULL, true},
    {"system-out", none, none, NULL, true},
    {"system-err", none, none, NULL, true},
};

static bool in(const char *const *list, const char *s)
{
  for (; list && *list; list++)
    if (strcmp(*list, s) == 0)
      return true;
  return false;
}

/* Surefire's time pattern, simplified: digits, optionally a fraction. */
static bool time_ok(const char *t)
{
  size_t i = 0;
  while (t[i] >= '0' && t[i] <= '9')
    i++;
  if (i == 0)
    return false;
  if (t[i] == '.') {
    i++;
    while (t[i] >= '0' && t[i] <= '9')
      i++;
  }
  return t[i] == '\0';
}

static bool count_ok(const char *s)
{
  if (!s || !*s)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

static int jvalidate(const struct xnode *x, char *err, size_t cap)
{
  const struct jelem *e = NULL;
  for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
    if (strcmp(schema[i].name, x->name) == 0)
      e = &schema[i];
  if (!e)
    return snprintf(err, cap, "unknown element <%s>", x->name), -1;
  for (const char *const *r = e->required; *r; r++)
    if (!xattr_get(x, *r))
      return snprintf(err, cap, "<%s> lacks required attribute %s", x->name, *r), -1;
  for (size_t i = 0; i < x->nattrs; i++)
    if (!in(e->allowed, x->attrs[i].name))
      return snprintf(err, cap, "<%s> has attribute %s, not in the schema", x->name,
                      x->attrs[i].name),
             -1;
  const char *t = xattr_get(x, "time");
  if (t && !time_ok(t))
    return snprintf(err, cap, "<%s time=\"%s\"> is not a time", x->name, t), -1;
  if (!e->text)
    for (const char *c = x->text; *c; c++)
      if (!strchr(" \t\r\n", *c))
        return snprintf(err, cap, "<%s> holds text", x->name), -1;
  for (size_t i = 0; i < x->nkids; i++) {
    if (!in(e->children, x->kids[i]->name))
      return snprintf(err, cap, "<%s> inside <%s>", x->kids[i]->name, x->name), -1;
    if (jvalidate(x->kids[i], err, cap) < 0)
      return -1;
  }
  if (strcmp(x->name, "testsuite") == 0) {
    static const char *const cnt[] = {"tests", "failures", "errors", "skipped", NULL};
    size_t have[4] = {xcount(x, "testcase"), 0, 0, 0};
    for (size_t i = 0; i < x->nkids; i++) {
      if (strcmp(x->kids[i]->name, "testcase") != 0)
        continue;
      have[1] += xcount(x->kids[i], "failure");
      have[2] += xcount(x->kids[i], "error");
      have[3] += xcount(x->kids[i], "skipped");
      if (xcount(x->kids[i], "failure") + xcount(x->kids[i], "error") +
              xcount(x->kids[i], "skipped") >
          1)
        return snprintf(err, cap, "a testcase with more than one result"), -1;
    }
    for (int k = 0; cnt[k]; k++) {
      const char *v = xattr_get(x, cnt[k]);
      if (!v && k == 3)
        continue;
      if (!count_ok(v) || strtoul(v, NULL, 10) != have[k])
        return snprintf(err, cap, "testsuite %s=\"%s\" but %zu found", cnt[k], v ? v : "", have[k]),
               -1;
    }
  }
  if (strcmp(x->name, "testsuites") == 0) {
    static const char *const cnt[] = {"tests", "failures", "errors", NULL};
    for (int k = 0; cnt[k]; k++) {
      unsigned long sum = 0;
      for (size_t i = 0; i < x->nkids; i++)
        sum += strtoul(xattr_get(x->kids[i], cnt[k]), NULL, 10);
      const char *v = xattr_get(x, cnt[k]);
      if (v && (!count_ok(v) || strtoul(v, NULL, 10) != sum))
        return snprintf(err, cap, "testsuites %s=\"%s\", suites add up to %lu", cnt[k], v, sum), -1;
    }
  }
  return 0;
}

/* Parses and validates; fails the test with the reason. */
static struct xnode *parse_valid(const char *xml, size_t len)
{
  char err[300];
  struct xnode *root = xparse(xml, len, err, sizeof(err));
  if (!root)
    fail_msg("not well-formed XML: %s\n%s", err, xml);
  if (strcmp(root->name, "testsuites") != 0)
    fail_msg("root is <%s>", root->name);
  if (jvalidate(root, err, sizeof(err)) < 0)
    fail_msg("not valid JUnit: %s\n%s", err, xml);
  return root;
}

static char *render_opts(const json_t *report, const struct junit_opts *o, size_t *len)
{
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  assert_non_null(f);
  assert_int_equal(o ? junit_write_opts(f, report, o) : junit_write(f, report), 0);
  fclose(f);
  *len = n;
  return buf;
}

static char *render(const json_t *report, size_t *len)
{
  return render_opts(report, NULL, len);
}

/* ---------------- fixtures ---------------- */

static const char fixture[] =
    "{\"schema\": \"ucscan-report/1\", \"tool\": {\"name\": \"ucscan\", \"version\": \"0.1.0\"},"
    " \"topology\": \"contoso\", \"product\": \"sfb2015\","
    " \"started_at\": \"2026-11-21T22:00:00Z\", \"finished_at\": \"2026-11-21T22:00:03Z\","
    " \"duration_ms\": 3012, \"complete\": true,"
    " \"hosts\": ["
    "  {\"name\": \"fe01.contoso.test\", \"address\": \"198.18.1.11\","
    "   \"roles\": [\"front-end\", \"mediation\"], \"checks\": ["
    "   {\"port\": 5061, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"mtls\","
    "    \"state\": \"open\", \"verdict\": \"pass\", \"reason\": \"TLS 1.3 handshake completed\","
    "    \"rtt_ms\": 0.41, \"attempts\": 1, \"requirements\": [{\"id\": "
    "\"sfb2015-front-end-5061-tcp\","
    "    \"role\": \"front-end\", \"service\": \"Front-End service\", \"optional\": false}],"
    "    \"evidence\": {}},"
    "   {\"port\": 5070, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"mtls\","
    "    \"state\": \"filtered\", \"verdict\": \"fail\", \"reason\": \"no answer (filtered)\","
    "    \"rtt_ms\": null, \"attempts\": 3, \"requirements\": ["
    "     {\"id\": \"r1\", \"role\": \"front-end\", \"service\": \"Mediation\", \"optional\": "
    "false},"
    "     {\"id\": \"r2\", \"role\": \"mediation\", \"service\": \"Mediation\", \"optional\": "
    "false},"
    "     {\"id\": \"r3\", \"role\": \"front-end\", \"service\": \"Mediation\", \"optional\": "
    "true}],"
    "    \"evidence\": {}},"
    "   {\"port\": 443, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"https\","
    "    \"state\": \"open\", \"verdict\": \"warn\","
    "    \"reason\": \"certificate expires 2026-12-01 (10 days left)\", \"rtt_ms\": 1.5, "
    "\"attempts\": 1,"
    "    \"requirements\": [{\"id\": \"r4\", \"role\": \"front-end\", \"service\": \"Web\", "
    "\"optional\": false}],"
    "    \"evidence\": {\"tls\": {\"version\": \"TLSv1.3\", \"client_cert_requested\": false,"
    "     \"certificate\": {\"subject\": \"CN=fe01.contoso.test\", \"issuer\": \"CN=Contoso Root "
    "CA\","
    "      \"san\": [\"fe01.contoso.test\"], \"not_before\": \"2025-12-01T00:00:00Z\","
    "      \"not_after\": \"2026-12-01T00:00:00Z\", \"expired\": false, \"days_left\": 10,"
    "      \"name_match\": true}}}},"
    "   {\"port\": 5066, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"tcp\","
    "    \"state\": null, \"verdict\": \"skip\", \"reason\": \"outbound from front-end\","
    "    \"rtt_ms\": null, \"attempts\": 0, \"requirements\": [{\"id\": \"r5\", \"role\": "
    "\"front-end\","
    "    \"service\": \"Gateway\", \"optional\": false}], \"evidence\": {}},"
    "   {\"port\": null, \"range\": {\"first\": 57501, \"last\": 65535, \"probed\": 8035, "
    "\"open\": 0,"
    "    \"closed\": 8000, \"filtered\": 35, \"filtered_ports\": [\"60000-60034\"]},"
    "    \"transport\": \"udp\", \"protocol\": \"rtp\", \"state\": \"filtered\", \"verdict\": "
    "\"fail\","
    "    \"reason\": \"35 of 8035 ports filtered; 0 open, 8000 closed\", \"rtt_ms\": null,"
    "    \"attempts\": 1, \"requirements\": [{\"id\": \"r6\", \"role\": \"front-end\","
    "    \"service\": \"Media\", \"optional\": false}], \"evidence\": {}}"
    "  ]},"
    "  {\"name\": \"edge01.contoso.test\", \"address\": null, \"roles\": [\"edge\"], \"checks\": ["
    "   {\"port\": 3478, \"range\": null, \"transport\": \"udp\", \"protocol\": \"stun\","
    "    \"state\": \"open\", \"verdict\": \"pass\", \"reason\": \"STUN answered\", \"rtt_ms\": "
    "0.2,"
    "    \"attempts\": 1, \"requirements\": [{\"id\": \"r7\", \"role\": \"edge\", \"service\": "
    "\"A/V\","
    "    \"optional\": false}], \"evidence\": {\"stun\": {\"mapped_address\": \"198.18.9.9:1\"}}}"
    "  ]},"
    "  {\"name\": \"198.18.1.99\", \"address\": \"198.18.1.99\", \"roles\": [], \"checks\": ["
    "   {\"port\": 80, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"tcp\","
    "    \"state\": \"closed\", \"verdict\": \"fail\", \"reason\": \"connection refused (RST)\","
    "    \"rtt_ms\": 0.1, \"attempts\": 1, \"requirements\": [], \"evidence\": {}}"
    "  ]},"
    "  {\"name\": \"empty.contoso.test\", \"address\": null, \"roles\": [\"client\"], \"checks\": "
    "[]}"
    " ]}";

static json_t *load_fixture(void)
{
  json_error_t je;
  json_t *r = json_loads(fixture, 0, &je);
  if (!r)
    fail_msg("fixture: %s at %d:%d", je.text, je.line, je.column);
  return r;
}

static const struct xnode *suite(const struct xnode *root, const char *name)
{
  for (size_t i = 0; i < root->nkids; i++)
    if (strcmp(xattr_get(root->kids[i], "name"), name) == 0)
      return root->kids[i];
  fail_msg("no testsuite %s", name);
  return NULL;
}

static const struct xnode *tcase(const struct xnode *s, const char *name)
{
  for (size_t i = 0; i < s->nkids; i++)
    if (strcmp(s->kids[i]->name, "testcase") == 0 &&
        strcmp(xattr_get(s->kids[i], "name"), name) == 0)
      return s->kids[i];
  fail_msg("no testcase \"%s\"", name);
  return NULL;
}

static const char *prop(const struct xnode *s, const char *name)
{
  const struct xnode *ps = xkid(s, "properties");
  assert_non_null(ps);
  for (size_t i = 0; i < ps->nkids; i++)
    if (strcmp(xattr_get(ps->kids[i], "name"), name) == 0)
      return xattr_get(ps->kids[i], "value");
  fail_msg("no property %s", name);
  return NULL;
}

/* ---------------- tests ---------------- */

static void test_structure_and_content(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  size_t len;
  char *xml = render(rep, &len);
  struct xnode *root = parse_valid(xml, len);

  /* the names every summary shows say what passed with a warning (JUnit has no such result) */
  assert_string_equal(xattr_get(root, "name"), "ucscan contoso (1 warning)");
  assert_string_equal(xattr_get(root, "tests"), "7");
  assert_string_equal(xattr_get(root, "failures"), "3");
  assert_string_equal(xattr_get(root, "errors"), "0");
  assert_string_equal(xattr_get(root, "time"), "3.012");
  assert_int_equal(root->nkids, 4); /* one suite per host, in report order */
  assert_string_equal(xattr_get(root->kids[0], "name"), "fe01.contoso.test (1 warning)");
  assert_string_equal(xattr_get(root->kids[1], "name"), "edge01.contoso.test");
  assert_string_equal(xattr_get(root->kids[3], "name"), "empty.contoso.test");

  const struct xnode *fe = suite(root, "fe01.contoso.test (1 warning)");
  assert_string_equal(xattr_get(fe, "tests"), "5");
  assert_string_equal(xattr_get(fe, "failures"), "2");
  assert_string_equal(xattr_get(fe, "skipped"), "1");
  assert_string_equal(xattr_get(fe, "timestamp"), "2026-11-21T22:00:00");
  /* time: the sum of its cases' round-trip times (0.41 + 1.5 ms) */
  assert_string_equal(xattr_get(fe, "time"), "0.001910");
  assert_string_equal(prop(fe, "address"), "198.18.1.11");
  assert_string_equal(prop(fe, "roles"), "front-end,mediation");
  assert_string_equal(prop(fe, "topology"), "contoso");
  assert_string_equal(prop(fe, "scan_complete"), "true");

  /* pass: an empty testcase */
  const struct xnode *c = tcase(fe, "front-end 5061/tcp mtls");
  assert_string_equal(xattr_get(c, "classname"), "ucscan.fe01_contoso_test");
  assert_string_equal(xattr_get(c, "time"), "0.000410");
  assert_int_equal(c->nkids, 0);

  /* fail: roles of every requirement, once each */
  c = tcase(fe, "front-end,mediation 5070/tcp mtls");
  assert_int_equal(c->nkids, 1);
  const struct xnode *f = xkid(c, "failure");
  assert_non_null(f);
  assert_string_equal(xattr_get(f, "message"), "no answer (filtered)");
  assert_string_equal(xattr_get(f, "type"), "filtered");
  assert_non_null(strstr(f->text, "attempts: 3"));
  assert_non_null(strstr(f->text, "r3 (front-end, Mediation, optional)"));

  /* warn: passes, with the warning (and the certificate's expiry) in system-out */
  c = tcase(fe, "front-end 443/tcp https");
  assert_int_equal(xcount(c, "failure") + xcount(c, "skipped") + xcount(c, "error"), 0);
  const struct xnode *o = xkid(c, "system-out");
  assert_non_null(o);
  assert_non_null(strstr(o->text, "warn: certificate expires 2026-12-01 (10 days left)"));
  assert_non_null(strstr(o->text, "certificate not after: 2026-12-01T00:00:00Z"));
  assert_non_null(strstr(o->text, "certificate days left: 10"));
  assert_non_null(strstr(o->text, "client certificate requested: no"));

  /* skip */
  c = tcase(fe, "front-end 5066/tcp tcp");
  const struct xnode *sk = xkid(c, "skipped");
  assert_non_null(sk);
  assert_string_equal(xattr_get(sk, "message"), "outbound from front-end");

  /* a range: the name carries "a-b", the failure lists the filtered runs */
  c = tcase(fe, "front-end 57501-65535/udp rtp");
  f = xkid(c, "failure");
  assert_non_null(f);
  assert_non_null(strstr(f->text, "filtered ports: 60000-60034"));

  /* ad hoc checks (no requirement) */
  const struct xnode *adhoc = suite(root, "198.18.1.99");
  c = tcase(adhoc, "ad-hoc 80/tcp tcp");
  assert_string_equal(xattr_get(c, "classname"), "ucscan.198_18_1_99");
  assert_non_null(xkid(c, "failure"));

  /* a host with no finished check is an empty suite */
  const struct xnode *empty = suite(root, "empty.contoso.test");
  assert_string_equal(xattr_get(empty, "tests"), "0");
  assert_string_equal(prop(empty, "address"), "");

  xfree(root);
  free(xml);
  json_decref(rep);
}

static void test_hostile_text(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  json_t *fe = json_array_get(json_object_get(rep, "hosts"), 0);
  json_t *failing = json_array_get(json_object_get(fe, "checks"), 1);
  json_t *warning = json_array_get(json_object_get(fe, "checks"), 2);
  /* Quotes, markup, entities, white space that attributes would fold, a terminal escape,
   * DEL, a C1 control, invalid UTF-8 (a stray byte, an overlong '/', a surrogate, U+FFFE),
   * and real non-ASCII text. json_string_nocheck lets the invalid bytes through, as a
   * report file read from disk could not, but a careless probe could. */
  static const char evil[] = "a \"q\" 'a' <b>&amp; ]]> \t|\n|\r| \x1b[31m \x7f \xc2\x85 "
                             "\xff \xc0\xaf \xed\xa0\x80 \xef\xbf\xbe caf\xc3\xa9 \xf0\x9f\x98\x80";
  static const char want_attr[] = "a \"q\" 'a' <b>&amp; ]]> \t|\n|\r| \xef\xbf\xbd[31m "
                                  "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
                                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd "
                                  "caf\xc3\xa9 \xf0\x9f\x98\x80";
  json_object_set_new(failing, "reason", json_string_nocheck(evil));
  json_object_set_new(warning, "reason", json_string_nocheck(evil));
  json_object_set_new(rep, "topology", json_string_nocheck("con<to>so \"&\""));
  size_t len;
  char *xml = render(rep, &len);
  struct xnode *root = parse_valid(xml, len);
  assert_string_equal(xattr_get(root, "name"), "ucscan con<to>so \"&\" (1 warning)");
  const struct xnode *s = suite(root, "fe01.contoso.test (1 warning)");
  const struct xnode *f = xkid(tcase(s, "front-end,mediation 5070/tcp mtls"), "failure");
  /* The reader here normalises attribute white space as XML requires: TAB, LF, CR survive
   * only because they were written as character references. Compare the raw value too. */
  const char *msg = xattr_get(f, "message");
  char *expect = strdup(want_attr);
  assert_string_equal(msg, expect);
  free(expect);
  assert_non_null(strstr(xml, "&#9;|&#10;|&#13;|"));
  const struct xnode *o = xkid(tcase(s, "front-end 443/tcp https"), "system-out");
  assert_non_null(o);
  assert_non_null(strstr(o->text, "warn: a \"q\" 'a' <b>&amp; ]]> \t|\n|\r| \xef\xbf\xbd[31m"));
  assert_null(strchr(xml, '\x1b'));
  xfree(root);
  free(xml);
  json_decref(rep);
}

static void expect_escape(const char *in, size_t n, bool attr, const char *want)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  junit_xml_escape(f, in, n, attr);
  fclose(f);
  assert_string_equal(buf, want);
  free(buf);
}

static void test_escape_exact(void **state)
{
  (void)state;
  expect_escape("<a href=\"x\">&'</a>", 18, true,
                "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
  expect_escape("<a href=\"x\">&'</a>", 18, false, "&lt;a href=\"x\"&gt;&amp;'&lt;/a&gt;");
  expect_escape("\t\n\r", 3, true, "&#9;&#10;&#13;");
  expect_escape("\t\n\r", 3, false, "\t\n&#13;");
  expect_escape("a\0b", 3, false,
                "a\xef\xbf\xbd"
                "b");                                              /* NUL inside the length */
  expect_escape("\xe2\x82", 2, false, "\xef\xbf\xbd\xef\xbf\xbd"); /* truncated sequence */
  expect_escape("\xf4\x90\x80\x80", 4, false,                      /* beyond U+10FFFF */
                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  expect_escape("\xef\xbf\xbf", 3, false, "\xef\xbf\xbd"); /* U+FFFF */
  expect_escape("\xee\x80\x80", 3, false, "\xee\x80\x80"); /* U+E000 is fine */
}

/* The reader and the validator must refuse what Jenkins would refuse, or the tests above
 * prove nothing. */
static void expect_rejected(const char *xml, const char *why)
{
  char err[300];
  struct xnode *root = xparse(xml, strlen(xml), err, sizeof(err));
  int bad = !root || jvalidate(root, err, sizeof(err)) < 0;
  xfree(root);
  if (!bad)
    fail_msg("accepted (%s): %s", why, xml);
  if (!strstr(err, why))
    fail_msg("rejected for \"%s\", expected \"%s\": %s", err, why, xml);
}

#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

static void test_reader_refuses(void **state)
{
  (void)state;
  expect_rejected(DECL "<testsuites><testsuite name=\"a&b\" tests=\"0\" failures=\"0\" "
                       "errors=\"0\"/></testsuites>",
                  "'&' that starts no reference");
  expect_rejected(DECL "<testsuites name=\"a\x01\"/>", "not allowed in XML 1.0");
  expect_rejected(DECL "<testsuites name=\"&#27;\"/>", "not allowed in XML 1.0");
  expect_rejected(DECL "<testsuites name=\"\xff\"/>", "invalid UTF-8");
  expect_rejected(DECL "<testsuites name=\"a<b\"/>", "'<' in an attribute value");
  expect_rejected(DECL "<testsuites><testsuite></testsuites>", "end tag does not match");
  expect_rejected(DECL "<testsuites name=\"a\" name=\"b\"/>", "duplicate attribute");
  expect_rejected("<testsuites/>", "missing the XML declaration");
  expect_rejected(DECL "<testsuites/><x/>", "content after the root element");
  expect_rejected(DECL "<testsuites><testsuite name=\"h\" tests=\"1\" failures=\"0\" "
                       "errors=\"0\"><testcase name=\"c\"><warning/></testcase></testsuite>"
                       "</testsuites>",
                  "<warning> inside <testcase>");
  expect_rejected(DECL "<testsuites><testsuite name=\"h\" tests=\"1\" failures=\"0\" "
                       "errors=\"0\"><testcase name=\"c\"><failure/></testcase></testsuite>"
                       "</testsuites>",
                  "testsuite failures=\"0\" but 1 found");
  expect_rejected(DECL "<testsuites><testsuite tests=\"0\" failures=\"0\" errors=\"0\"/>"
                       "</testsuites>",
                  "lacks required attribute name");
  expect_rejected(DECL "<testsuites skipped=\"0\"/>", "has attribute skipped, not in the schema");
  expect_rejected(DECL "<testsuites><testcase name=\"c\"/></testsuites>",
                  "<testcase> inside <testsuites>");
  expect_rejected(DECL "<testsuites><testsuite name=\"h\" tests=\"0\" failures=\"0\" "
                       "errors=\"0\" time=\"1,5s\"/></testsuites>",
                  "is not a time");
  expect_rejected(DECL "<testsuites tests=\"2\"><testsuite name=\"h\" tests=\"0\" "
                       "failures=\"0\" errors=\"0\"/></testsuites>",
                  "suites add up to 0");
  expect_rejected(DECL "<testsuites><!-- c --></testsuites>", "comments");
}

/* The path a scan takes: a plan with results, report_json, then JUnit. */
static void test_from_plan(void **state)
{
  (void)state;
  struct catalog cat = {0};
  struct topology t = {0};
  struct plan p = {0};
  struct uc_err err;
  assert_int_equal(catalog_load_builtin(&cat, &err), 0);
  assert_int_equal(topo_from_targets(&t, "fe01.contoso.test", "front-end,mediation", &cat, &err),
                   0);
  assert_int_equal(plan_from_catalog(&p, &t, &cat, "sfb2015", &err), 0);
  struct plan_host *h = &p.hosts[0];
  size_t fails = 0, total = 0;
  for (size_t k = 0; k < h->nchecks; k++) {
    struct plan_check *c = &h->checks[k];
    c->res.done = true;
    c->res.rtt_ms = -1;
    c->res.state = c->first % 2 ? UC_ST_CLOSED : UC_ST_OPEN;
    c->res.outcome = UC_OUT_NONE;
    check_reason_set(&c->res, "state %s", uc_state_name(c->res.state));
    verdict_decide(c);
    fails += c->res.verdict == UC_FAIL;
    total++;
  }
  struct report_meta m = {.topology = "contoso",
                          .product = "sfb2015",
                          .started_ms = 1000,
                          .finished_ms = 4500,
                          .complete = true};
  json_t *rep = report_json(&p, &m);
  size_t len;
  char *xml = render(rep, &len);
  struct xnode *root = parse_valid(xml, len);
  char want[32];
  snprintf(want, sizeof(want), "%zu", total);
  assert_string_equal(xattr_get(root, "tests"), want);
  snprintf(want, sizeof(want), "%zu", fails);
  assert_string_equal(xattr_get(root, "failures"), want);
  assert_string_equal(xattr_get(root, "time"), "3.500");
  const struct xnode *s = suite(root, "fe01.contoso.test");
  /* Every check is a case named after its requirements' roles, port, transport, protocol. */
  for (size_t k = 0; k < h->nchecks; k++) {
    const struct plan_check *c = &h->checks[k];
    char roles[128] = "", name[256];
    size_t used = 0;
    for (size_t r = 0; r < c->nreqs; r++) {
      bool seen = false;
      for (size_t q = 0; q < r; q++)
        seen = seen || strcmp(c->reqs[q].role, c->reqs[r].role) == 0;
      if (!seen)
        used += (size_t)snprintf(roles + used, sizeof(roles) - used, "%s%s", used ? "," : "",
                                 c->reqs[r].role);
    }
    if (c->is_range)
      snprintf(name, sizeof(name), "%s %u-%u/%s %s", roles, c->first, c->last,
               uc_transport_name(c->transport), uc_proto_name(c->protocol));
    else
      snprintf(name, sizeof(name), "%s %u/%s %s", roles, c->first, uc_transport_name(c->transport),
               uc_proto_name(c->protocol));
    const struct xnode *tc = tcase(s, name);
    assert_int_equal(xcount(tc, "failure"), c->res.verdict == UC_FAIL);
    assert_int_equal(xcount(tc, "skipped"), c->res.verdict == UC_SKIP);
  }
  /* Rows of both roles merged into one check (the IPsec rows): both roles in one name. */
  bool both = false;
  for (size_t i = 0; i < s->nkids; i++) {
    const char *n = strcmp(s->kids[i]->name, "testcase") == 0 ? xattr_get(s->kids[i], "name") : "";
    both = both || strncmp(n, "mediation,front-end ", 20) == 0 ||
           strncmp(n, "front-end,mediation ", 20) == 0;
  }
  assert_true(both);
  xfree(root);
  free(xml);
  json_decref(rep);
  plan_free(&p);
  topo_free(&t);
  catalog_free(&cat);
}

/* An interrupted scan never reads green: a range it cut short (partial, not failed) and every
 * check it did not finish are errors, named as the checks would be; the suite says what was
 * not checked; a partial range that already failed stays a failure. */
static void test_incomplete(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  json_object_set_new(rep, "complete", json_false());
  json_t *fe = json_array_get(json_object_get(rep, "hosts"), 0);
  json_t *range = json_array_get(json_object_get(fe, "checks"), 4); /* failed, 35 filtered */
  json_object_set_new(range, "partial", json_true());
  json_t *cut = json_deep_copy(range);
  json_object_set_new(cut, "range",
                      json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:[]}", "first", 50000, "last",
                                59999, "probed", 1200, "open", 0, "closed", 1200, "filtered", 0,
                                "filtered_ports"));
  json_object_set_new(cut, "transport", json_string("tcp"));
  json_object_set_new(cut, "verdict", json_string("warn"));
  json_object_set_new(cut, "state", json_string("closed"));
  json_object_set_new(cut, "reason", json_string("interrupted: 1200 of 10000 ports probed"));
  json_array_append_new(json_object_get(fe, "checks"), cut);
  json_object_set_new(fe, "not_checked",
                      json_pack("[{s:i, s:n, s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:b}]},"
                                " {s:n, s:{s:i, s:i}, s:s, s:s, s:s, s:[]}]",
                                "port", 5067, "range", "transport", "tcp", "protocol", "mtls",
                                "reason", "the scan stopped while probing it", "requirements", "id",
                                "r9", "role", "mediation", "service", "Gateway", "optional", 0,
                                "port", "range", "first", 49152, "last", 57500, "transport", "udp",
                                "protocol", "rtp", "reason", "the scan stopped before reaching it",
                                "requirements"));
  size_t len;
  char *xml = render(rep, &len);
  struct xnode *root = parse_valid(xml, len);
  /* the cut range warned: it counts as a warning as in the report's summary, and errs */
  assert_string_equal(xattr_get(root, "name"), "ucscan contoso (incomplete) (2 warnings)");
  assert_string_equal(xattr_get(root, "errors"), "3");
  assert_string_equal(xattr_get(root, "failures"), "3");
  assert_string_equal(xattr_get(root, "tests"), "10");
  const struct xnode *s = suite(root, "fe01.contoso.test (2 warnings)");
  assert_string_equal(xattr_get(s, "errors"), "3");
  assert_string_equal(prop(s, "scan_complete"), "false");
  assert_string_equal(prop(s, "not_checked"), "2");
  const struct xnode *c = tcase(s, "front-end 50000-59999/tcp rtp");
  const struct xnode *e = xkid(c, "error");
  assert_non_null(e);
  assert_string_equal(xattr_get(e, "type"), "incomplete");
  assert_string_equal(xattr_get(e, "message"), "interrupted: 1200 of 10000 ports probed");
  assert_non_null(xkid(tcase(s, "front-end 57501-65535/udp rtp"), "failure"));
  e = xkid(tcase(s, "mediation 5067/tcp mtls"), "error");
  assert_non_null(e);
  assert_string_equal(xattr_get(e, "message"),
                      "not checked: the scan stopped while probing it (the scan was interrupted)");
  assert_non_null(strstr(e->text, "r9 (mediation, Gateway)"));
  e = xkid(tcase(s, "ad-hoc 49152-57500/udp rtp"), "error");
  assert_non_null(e);
  assert_non_null(strstr(xattr_get(e, "message"), "before reaching it"));
  const struct xnode *so = xkid(s, "system-out");
  assert_non_null(so);
  assert_non_null(strstr(so->text, "2 checks not checked (the scan was interrupted):\n"
                                   "  not checked mediation 5067/tcp mtls\n"));
  xfree(root);
  free(xml);

  /* incomplete, and nothing named as unfinished: still an error */
  json_t *bare = load_fixture();
  json_object_set_new(bare, "complete", json_false());
  xml = render(bare, &len);
  root = parse_valid(xml, len);
  assert_string_equal(xattr_get(root, "errors"), "1");
  s = suite(root, "ucscan");
  e = xkid(tcase(s, "scan complete"), "error");
  assert_non_null(e);
  assert_non_null(strstr(xattr_get(e, "message"), "\"complete\": false"));
  xfree(root);
  free(xml);
  json_decref(bare);
  json_decref(rep);
}

/* A warning passes by default but shows outside its case: in the names of the testsuites and
 * of its host's testsuite (what Jenkins, junitparser and xunit-viewer show in their
 * summaries), the suite's "warnings" property and output. Strict (--fail-on warn): the
 * warning is a failure of type "warn", and the names still count it. */
static void test_warnings_visible_and_strict(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  size_t len;
  char *xml = render(rep, &len);
  struct xnode *root = parse_valid(xml, len);
  assert_string_equal(xattr_get(root, "name"), "ucscan contoso (1 warning)");
  assert_string_equal(xattr_get(root, "failures"), "3");
  const struct xnode *s = suite(root, "fe01.contoso.test (1 warning)");
  assert_string_equal(prop(s, "warnings"), "1");
  assert_string_equal(prop(s, "fail_on"), "fail");
  const struct xnode *so = xkid(s, "system-out");
  assert_non_null(so);
  assert_non_null(strstr(so->text, "1 warning:\n  warn front-end 443/tcp https: certificate "
                                   "expires 2026-12-01 (10 days left)\n"));
  assert_null(xkid(suite(root, "edge01.contoso.test"), "system-out")); /* nothing to say */
  assert_string_equal(prop(suite(root, "edge01.contoso.test"), "warnings"), "0");
  xfree(root);
  free(xml);

  struct junit_opts strict = {.warn_fails = true};
  xml = render_opts(rep, &strict, &len);
  root = parse_valid(xml, len);
  assert_string_equal(xattr_get(root, "name"), "ucscan contoso (1 warning)");
  assert_string_equal(xattr_get(root, "failures"), "4");
  assert_string_equal(xattr_get(root, "errors"), "0");
  s = suite(root, "fe01.contoso.test (1 warning)");
  assert_string_equal(xattr_get(s, "failures"), "3");
  assert_string_equal(prop(s, "fail_on"), "warn");
  const struct xnode *f = xkid(tcase(s, "front-end 443/tcp https"), "failure");
  assert_non_null(f);
  assert_string_equal(xattr_get(f, "type"), "warn");
  assert_string_equal(xattr_get(f, "message"),
                      "warn: certificate expires 2026-12-01 (10 days left)");
  assert_non_null(strstr(f->text, "certificate days left: 10"));
  xfree(root);
  free(xml);

  /* Warnings on two hosts: each suite counts its own (plural), the testsuites name the sum;
   * the test cases keep their names, so a CI history still follows each check. */
  json_t *edge = json_array_get(json_object_get(rep, "hosts"), 1);
  json_t *stun = json_array_get(json_object_get(edge, "checks"), 0);
  json_t *tls = json_deep_copy(stun);
  json_object_set_new(stun, "verdict", json_string("warn"));
  json_object_set_new(tls, "port", json_integer(443));
  json_object_set_new(tls, "transport", json_string("tcp"));
  json_object_set_new(tls, "protocol", json_string("tls"));
  json_object_set_new(tls, "verdict", json_string("warn"));
  json_array_append_new(json_object_get(edge, "checks"), tls);
  json_object_set_new(rep, "topology", json_string("con<to>so"));
  xml = render(rep, &len);
  root = parse_valid(xml, len);
  assert_string_equal(xattr_get(root, "name"), "ucscan con<to>so (3 warnings)");
  assert_string_equal(xattr_get(root, "failures"), "3");
  assert_string_equal(xattr_get(root, "errors"), "0");
  assert_string_equal(xattr_get(root->kids[0], "name"), "fe01.contoso.test (1 warning)");
  s = suite(root, "edge01.contoso.test (2 warnings)");
  assert_string_equal(prop(s, "warnings"), "2");
  assert_string_equal(xattr_get(s, "failures"), "0");
  assert_null(xkid(tcase(s, "edge 3478/udp stun"), "failure"));
  assert_non_null(xkid(tcase(s, "edge 443/tcp tls"), "system-out"));
  assert_string_equal(xattr_get(root->kids[2], "name"), "198.18.1.99");
  assert_string_equal(xattr_get(root->kids[3], "name"), "empty.contoso.test");
  assert_non_null(strstr(xml, "<testsuites name=\"ucscan con&lt;to&gt;so (3 warnings)\""));
  xfree(root);
  free(xml);
  json_decref(rep);
}

static void test_not_a_report(void **state)
{
  (void)state;
  FILE *f = fopen("/dev/null", "w");
  json_t *arr = json_array();
  assert_int_equal(junit_write(f, arr), -1);
  json_t *obj = json_pack("{s:s}", "schema", "ucscan-report/1");
  assert_int_equal(junit_write(f, obj), -1); /* no hosts */
  json_decref(arr);
  json_decref(obj);
  fclose(f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_structure_and_content),
      cmocka_unit_test(test_hostile_text),
      cmocka_unit_test(test_escape_exact),
      cmocka_unit_test(test_reader_refuses),
      cmocka_unit_test(test_from_plan),
      cmocka_unit_test(test_incomplete),
      cmocka_unit_test(test_warnings_visible_and_strict),
      cmocka_unit_test(test_not_a_report),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
