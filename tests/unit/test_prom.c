/* tests/unit/test_prom.c - Prometheus exposition: parsed back by a strict reader of the text
 * format written here (HELP/TYPE, grouping, label escapes, duplicates), then checked series
 * by series against the report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "reports/prom.h"
#include "reports/report_doc.h"

/* ---------------- a strict reader of the text format ---------------- */

#define MAXL 12

struct sample {
  char name[128];
  size_t nl;
  char lname[MAXL][64];
  char lval[MAXL][512];
  double value;
};

struct family {
  char name[128], help[256], type[32];
};

struct expo {
  struct sample *s;
  size_t ns;
  struct family f[32];
  size_t nf;
};

static bool metric_name_ok(const char *s, size_t n)
{
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok)
      return false;
  }
  return true;
}

static bool label_name_ok(const char *s, size_t n)
{
  if (n == 0 || (n >= 2 && s[0] == '_' && s[1] == '_'))
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
          (i > 0 && c >= '0' && c <= '9')))
      return false;
  }
  return true;
}

static bool valid_utf8(const char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    uint32_t c;
    size_t k = report_doc_utf8((const unsigned char *)s + i, n - i, &c);
    if (!k)
      return false;
    i += k;
  }
  return true;
}

static struct family *fam(struct expo *e, const char *name)
{
  for (size_t i = 0; i < e->nf; i++)
    if (strcmp(e->f[i].name, name) == 0)
      return &e->f[i];
  return NULL;
}

static bool same_series(const struct sample *a, const struct sample *b)
{
  if (strcmp(a->name, b->name) || a->nl != b->nl)
    return false;
  for (size_t i = 0; i < a->nl; i++) {
    bool found = false;
    for (size_t k = 0; k < b->nl && !found; k++)
      found = !strcmp(a->lname[i], b->lname[k]) && !strcmp(a->lval[i], b->lval[k]);
    if (!found)
      return false;
  }
  return true;
}

/* Parses `text`; returns 0 or -1 with err. Rules of the 0.0.4 text format as Prometheus and
 * node_exporter's textfile collector apply them, plus this project's: every family has HELP
 * and TYPE before its samples, is of type gauge, and has its samples together. */
static int expo_parse(const char *text, struct expo *e, char *err, size_t cap)
{
  memset(e, 0, sizeof(*e));
  size_t lineno = 0;
  const char *p = text;
  char current[128] = "";
  if (!valid_utf8(text, strlen(text)))
    return snprintf(err, cap, "not UTF-8"), -1;
  if (*text && text[strlen(text) - 1] != '\n')
    return snprintf(err, cap, "the last line has no newline"), -1;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len = (size_t)(nl - p);
    char line[2048];
    lineno++;
    if (len >= sizeof(line))
      return snprintf(err, cap, "line %zu too long", lineno), -1;
    memcpy(line, p, len);
    line[len] = '\0';
    p = nl + 1;
    if (len == 0)
      return snprintf(err, cap, "line %zu: empty line", lineno), -1;
    if (line[0] == '#') {
      char kw[8], name[128];
      int off = 0;
      if (sscanf(line, "# %7s %127s %n", kw, name, &off) < 2)
        return snprintf(err, cap, "line %zu: bad comment", lineno), -1;
      if (!metric_name_ok(name, strlen(name)))
        return snprintf(err, cap, "line %zu: bad metric name %s", lineno, name), -1;
      struct family *f = fam(e, name);
      if (!f) {
        if (e->nf == 32)
          return snprintf(err, cap, "too many families"), -1;
        f = &e->f[e->nf++];
        snprintf(f->name, sizeof(f->name), "%s", name);
      }
      if (strcmp(current, name) != 0 && (f->help[0] || f->type[0]))
        return snprintf(err, cap, "line %zu: family %s split", lineno, name), -1;
      snprintf(current, sizeof(current), "%s", name);
      if (strcmp(kw, "HELP") == 0) {
        if (f->help[0])
          return snprintf(err, cap, "line %zu: second HELP for %s", lineno, name), -1;
        for (const char *c = line + off; *c; c++)
          if (*c == '\\' && c[1] != '\\' && c[1] != 'n')
            return snprintf(err, cap, "line %zu: bad escape in HELP", lineno), -1;
        snprintf(f->help, sizeof(f->help), "%s", off ? line + off : "");
        if (!f->help[0])
          return snprintf(err, cap, "line %zu: empty HELP", lineno), -1;
      } else if (strcmp(kw, "TYPE") == 0) {
        if (f->type[0])
          return snprintf(err, cap, "line %zu: second TYPE for %s", lineno, name), -1;
        snprintf(f->type, sizeof(f->type), "%s", line + off);
        if (strcmp(f->type, "gauge") != 0)
          return snprintf(err, cap, "line %zu: type %s, expected gauge", lineno, f->type), -1;
      } else {
        return snprintf(err, cap, "line %zu: unknown comment", lineno), -1;
      }
      continue;
    }
    struct sample s = {0};
    const char *c = line;
    while (*c && *c != '{' && *c != ' ')
      c++;
    if (!metric_name_ok(line, (size_t)(c - line)) || (size_t)(c - line) >= sizeof(s.name))
      return snprintf(err, cap, "line %zu: bad metric name", lineno), -1;
    memcpy(s.name, line, (size_t)(c - line));
    struct family *f = fam(e, s.name);
    if (!f || !f->help[0] || !f->type[0])
      return snprintf(err, cap, "line %zu: %s without HELP and TYPE first", lineno, s.name), -1;
    if (strcmp(current, s.name) != 0)
      return snprintf(err, cap, "line %zu: sample of %s outside its family", lineno, s.name), -1;
    if (*c == '{') {
      c++;
      while (*c != '}') {
        const char *ln = c;
        while (*c && *c != '=')
          c++;
        if (!*c || s.nl == MAXL || !label_name_ok(ln, (size_t)(c - ln)) ||
            (size_t)(c - ln) >= sizeof(s.lname[0]))
          return snprintf(err, cap, "line %zu: bad label name", lineno), -1;
        memcpy(s.lname[s.nl], ln, (size_t)(c - ln));
        for (size_t k = 0; k < s.nl; k++)
          if (!strcmp(s.lname[k], s.lname[s.nl]))
            return snprintf(err, cap, "line %zu: label %s twice", lineno, s.lname[k]), -1;
        c++;
        if (*c != '"')
          return snprintf(err, cap, "line %zu: label value not quoted", lineno), -1;
        c++;
        size_t vl = 0;
        while (*c != '"') {
          if (!*c || vl + 2 >= sizeof(s.lval[0]))
            return snprintf(err, cap, "line %zu: unterminated label value", lineno), -1;
          if (*c == '\\') {
            c++;
            if (*c == '\\' || *c == '"')
              s.lval[s.nl][vl++] = *c;
            else if (*c == 'n')
              s.lval[s.nl][vl++] = '\n';
            else
              return snprintf(err, cap, "line %zu: bad escape \\%c", lineno, *c), -1;
          } else {
            s.lval[s.nl][vl++] = *c;
          }
          c++;
        }
        c++;
        s.nl++;
        if (*c == ',')
          c++;
        else if (*c != '}')
          return snprintf(err, cap, "line %zu: expected , or }", lineno), -1;
      }
      c++;
    }
    if (*c != ' ')
      return snprintf(err, cap, "line %zu: expected a space before the value", lineno), -1;
    c++;
    char *end;
    s.value = strtod(c, &end);
    if (end == c || *end) /* a timestamp after the value is refused (textfile collector) */
      return snprintf(err, cap, "line %zu: bad value or a timestamp: \"%s\"", lineno, c), -1;
    for (size_t i = 0; i < e->ns; i++)
      if (same_series(&e->s[i], &s))
        return snprintf(err, cap, "line %zu: duplicate series", lineno), -1;
    e->s = realloc(e->s, (e->ns + 1) * sizeof(*e->s));
    e->s[e->ns++] = s;
  }
  return 0;
}

static const char *lab(const struct sample *s, const char *name)
{
  for (size_t i = 0; i < s->nl; i++)
    if (!strcmp(s->lname[i], name))
      return s->lval[i];
  return NULL;
}

/* The value of the one series of `name` whose labels include the given pairs (NULL-ended
 * name, value list); fails when there is not exactly one. */
static double get(const struct expo *e, const char *name, ...)
{
  const struct sample *hit = NULL;
  size_t hits = 0;
  for (size_t i = 0; i < e->ns; i++) {
    if (strcmp(e->s[i].name, name) != 0)
      continue;
    va_list ap;
    va_start(ap, name);
    bool ok = true;
    const char *k;
    while (ok && (k = va_arg(ap, const char *)) != NULL) {
      const char *v = va_arg(ap, const char *);
      ok = lab(&e->s[i], k) && strcmp(lab(&e->s[i], k), v) == 0;
    }
    va_end(ap);
    if (ok) {
      hit = &e->s[i];
      hits++;
    }
  }
  if (hits != 1)
    fail_msg("%zu series of %s match", hits, name);
  return hit->value;
}

static size_t count(const struct expo *e, const char *name)
{
  size_t n = 0;
  for (size_t i = 0; i < e->ns; i++)
    n += strcmp(e->s[i].name, name) == 0;
  return n;
}

static void parse_ok(const char *text, struct expo *e)
{
  char err[200];
  if (expo_parse(text, e, err, sizeof(err)) < 0)
    fail_msg("bad exposition: %s\n%s", err, text);
}

/* ---------------- fixture ---------------- */

#define REQ(role)                                                                                  \
  "{\"id\": \"r-" role "\", \"role\": \"" role "\", \"service\": \"s\", \"optional\": false}"

static const char fixture[] =
    "{\"schema\": \"ucscan-report/1\", \"tool\": {\"name\": \"ucscan\", \"version\": \"0.1.0\"},"
    " \"topology\": \"contoso\", \"product\": \"sfb2015\","
    " \"started_at\": \"2026-11-21T22:00:00Z\", \"finished_at\": \"2026-11-21T22:00:03Z\","
    " \"duration_ms\": 3012, \"complete\": true,"
    " \"hosts\": ["
    "  {\"name\": \"fe01.contoso.test\", \"address\": \"198.18.1.11\", \"roles\": [\"front-end\"],"
    "   \"checks\": ["
    "   {\"port\": 5061, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"mtls\","
    "    \"state\": \"open\", \"verdict\": \"pass\", \"reason\": \"ok\", \"rtt_ms\": 0.41,"
    "    \"attempts\": 1, \"requirements\": [" REQ("front-end") "," REQ("mediation") "," REQ(
        "front-end") "], \"evidence\": {\"tls\": {\"client_cert_requested\": true,"
                     "     \"certificate\": {\"subject\": \"CN=fe01\", \"not_after\": "
                     "\"2027-04-05T00:00:00Z\"}}}},"
                     "   {\"port\": 443, \"range\": null, \"transport\": \"tcp\", \"protocol\": "
                     "\"https\","
                     "    \"state\": \"open\", \"verdict\": \"warn\", \"reason\": \"expires "
                     "soon\", \"rtt_ms\": 2,"
                     "    \"attempts\": 1, \"requirements\": [" REQ(
                         "front-end") "], \"evidence\": {\"tls\": {"
                                      "     \"client_cert_requested\": false, \"certificate\": {"
                                      "     \"not_after\": \"2026-12-01T12:30:00Z\", "
                                      "\"days_left\": 10}}}},"
                                      "   {\"port\": 5070, \"range\": null, \"transport\": "
                                      "\"tcp\", \"protocol\": \"mtls\","
                                      "    \"state\": \"filtered\", \"verdict\": \"fail\", "
                                      "\"reason\": \"filtered\", \"rtt_ms\": "
                                      "null,"
                                      "    \"attempts\": 3, \"requirements\": [" REQ(
                                          "mediation") "], \"evidence\": {}},"
                                                       "   {\"port\": null, \"range\": {\"first\": "
                                                       "57501, \"last\": 65535}, \"transport\": "
                                                       "\"udp\","
                                                       "    \"protocol\": \"rtp\", \"state\": "
                                                       "null, \"verdict\": \"skip\", \"reason\": "
                                                       "\"outbound\","
                                                       "    \"rtt_ms\": null, \"attempts\": 0, "
                                                       "\"requirements\": [" REQ(
                                                           "front-end") "],"
                                                                        "    \"evidence\": {}},"
                                                                        "   {\"port\": 5060, "
                                                                        "\"range\": null, "
                                                                        "\"transport\": \"tcp\", "
                                                                        "\"protocol\": \"tcp\","
                                                                        "    \"state\": "
                                                                        "\"closed\", \"verdict\": "
                                                                        "\"fail\", \"reason\": "
                                                                        "\"refused\", \"rtt_ms\": "
                                                                        "0.5,"
                                                                        "    \"attempts\": 1, "
                                                                        "\"requirements\": [], "
                                                                        "\"evidence\": {\"tls\": "
                                                                        "{\"certificate\": {"
                                                                        "     \"not_after\": \"not "
                                                                        "a date\"}}}}"
                                                                        "  ]},"
                                                                        "  {\"name\": "
                                                                        "\"edge01.contoso.test\", "
                                                                        "\"address\": null, "
                                                                        "\"roles\": [\"edge\"], "
                                                                        "\"checks\": ["
                                                                        "   {\"port\": 5061, "
                                                                        "\"range\": null, "
                                                                        "\"transport\": \"tcp\", "
                                                                        "\"protocol\": \"mtls\","
                                                                        "    \"address\": "
                                                                        "\"198.18.10.41\", "
                                                                        "\"interface\": "
                                                                        "\"internal\","
                                                                        "    \"state\": \"open\", "
                                                                        "\"verdict\": \"pass\", "
                                                                        "\"reason\": \"ok\", "
                                                                        "\"rtt_ms\": 0.25,"
                                                                        "    \"attempts\": 1, "
                                                                        "\"requirements\": [" REQ(
                                                                            "edge") "], "
                                                                                    "\"evidence\": "
                                                                                    "{}},"
                                                                                    "   {\"port\": "
                                                                                    "5061, "
                                                                                    "\"range\": "
                                                                                    "null, "
                                                                                    "\"transport\":"
                                                                                    " \"tcp\", "
                                                                                    "\"protocol\": "
                                                                                    "\"mtls\","
                                                                                    "    "
                                                                                    "\"address\": "
                                                                                    "\"203.0.113."
                                                                                    "42\", "
                                                                                    "\"interface\":"
                                                                                    " \"access\","
                                                                                    "    "
                                                                                    "\"state\": "
                                                                                    "\"unreachable"
                                                                                    "\", "
                                                                                    "\"verdict\": "
                                                                                    "\"fail\", "
                                                                                    "\"reason\": "
                                                                                    "\"no route\","
                                                                                    "    "
                                                                                    "\"rtt_ms\": "
                                                                                    "null, "
                                                                                    "\"attempts\": "
                                                                                    "1, "
                                                                                    "\"requirements"
                                                                                    "\": [" REQ(
                                                                                        "edge") "],"
                                                                                                " "
                                                                                                "\""
                                                                                                "ev"
                                                                                                "id"
                                                                                                "en"
                                                                                                "ce"
                                                                                                "\""
                                                                                                ": "
                                                                                                "{}"
                                                                                                "}"
                                                                                                "  "
                                                                                                "]}"
                                                                                                " ]"
                                                                                                "}";

static json_t *load_fixture(void)
{
  json_error_t je;
  json_t *r = json_loads(fixture, 0, &je);
  if (!r)
    fail_msg("fixture: %s at %d:%d", je.text, je.line, je.column);
  return r;
}

static char *render(json_t *rep)
{
  size_t len;
  char *text = prom_render(rep, &len);
  assert_non_null(text);
  assert_int_equal(strlen(text), len);
  return text;
}

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
  struct tm tm = {
      .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
  return timegm(&tm);
}

static bool have_promtool(void)
{
  return system("command -v promtool >/dev/null 2>&1") == 0;
}

/* `promtool check metrics` on text: its exit status, its findings in out. */
static int promtool_check(const char *text, char *out, size_t cap)
{
  char path[] = "/tmp/ucscan-test-prom.XXXXXX";
  char outpath[64], cmd[200];
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
  snprintf(outpath, sizeof(outpath), "%s.out", path);
  snprintf(cmd, sizeof(cmd), "promtool check metrics < %s > %s 2>&1", path, outpath);
  int rc = system(cmd);
  out[0] = '\0';
  FILE *o = fopen(outpath, "r");
  if (o) {
    size_t n = fread(out, 1, cap - 1, o);
    out[n] = '\0';
    fclose(o);
  }
  unlink(outpath);
  unlink(path);
  return rc;
}

/* When promtool is installed (CI installs it), it must find nothing in `text`: the linter
 * Prometheus users run on exporters. Without it the check is left to the e2e tests. */
static void promtool_clean(const char *text)
{
  char out[2048];
  if (!have_promtool())
    return;
  int rc = promtool_check(text, out, sizeof(out));
  if (rc != 0 || out[0])
    fail_msg("promtool check metrics (status %d): %s", rc, out);
}

/* ---------------- tests ---------------- */

#define CHECK_LABELS(host, port, proto, role, state)                                               \
  "topology", "contoso", "vantage", "any", "host", host, "port", port, "transport", "tcp",         \
      "protocol", proto, "role", role, "state", state

static void test_series(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  char *text = render(rep);
  struct expo e;
  parse_ok(text, &e);
  promtool_clean(text);

  /* Names: the ucscan_ namespace, snake_case, units as suffixes, all documented. */
  for (size_t i = 0; i < e.nf; i++) {
    assert_int_equal(strncmp(e.f[i].name, "ucscan_", 7), 0);
    for (const char *c = e.f[i].name; *c; c++)
      assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
  }
  assert_int_equal(e.nf, 11);

  /* Every series carries topology and vantage ("any": the report names none). */
  for (size_t i = 0; i < e.ns; i++) {
    assert_string_equal(lab(&e.s[i], "topology"), "contoso");
    assert_string_equal(lab(&e.s[i], "vantage"), "any");
  }
  assert_true(get(&e, "ucscan_scan_info", "topology", "contoso", "product", "sfb2015", "version",
                  "0.1.0", NULL) == 1);
  assert_null(lab(&e.s[0], "scanner"));
  assert_true(get(&e, "ucscan_scan_complete", "topology", "contoso", NULL) == 1);
  assert_true(get(&e, "ucscan_scan_duration_seconds", "topology", "contoso", NULL) == 3.012);
  assert_true(get(&e, "ucscan_scan_completed_timestamp_seconds", "topology", "contoso", NULL) ==
              (double)utc(2026, 11, 21, 22, 0, 3));
  assert_null(fam(&e, "ucscan_checks_uncovered"));
  /* a complete scan finished every check: 0, and no per-check series of unfinished ones */
  assert_true(get(&e, "ucscan_checks_not_checked", "topology", "contoso", NULL) == 0);
  assert_null(fam(&e, "ucscan_check_not_checked"));

  assert_true(get(&e, "ucscan_checks", "verdict", "pass", NULL) == 2);
  assert_true(get(&e, "ucscan_checks", "verdict", "warn", NULL) == 1);
  assert_true(get(&e, "ucscan_checks", "verdict", "fail", NULL) == 3);
  assert_true(get(&e, "ucscan_checks", "verdict", "skip", NULL) == 1);
  assert_int_equal(count(&e, "ucscan_checks"), 4);

  /* Per check: success 0/1, and a state set over pass, warn, fail; the skipped range has no
   * per-check series at all. */
  static const struct {
    const char *host, *port, *proto, *role, *state, *itf, *verdict;
  } want[] = {
      {"fe01.contoso.test", "5061", "mtls", "front-end,mediation", "open", NULL, "pass"},
      {"fe01.contoso.test", "443", "https", "front-end", "open", NULL, "warn"},
      {"fe01.contoso.test", "5070", "mtls", "mediation", "filtered", NULL, "fail"},
      {"fe01.contoso.test", "5060", "tcp", "", "closed", NULL, "fail"},
      {"edge01.contoso.test", "5061", "mtls", "edge", "open", "internal", "pass"},
      {"edge01.contoso.test", "5061", "mtls", "edge", "unreachable", "access", "fail"},
  };
  static const char *const verdicts[] = {"pass", "warn", "fail"};
  const size_t nwant = sizeof(want) / sizeof(want[0]);
  assert_int_equal(count(&e, "ucscan_check_success"), nwant);
  assert_int_equal(count(&e, "ucscan_check_verdict"), nwant * 3);
  for (size_t i = 0; i < nwant; i++) {
    const char *itf_name = want[i].itf ? "interface" : NULL;
    double ok =
        get(&e, "ucscan_check_success",
            CHECK_LABELS(want[i].host, want[i].port, want[i].proto, want[i].role, want[i].state),
            itf_name, want[i].itf, NULL);
    assert_true(ok == (strcmp(want[i].verdict, "fail") == 0 ? 0 : 1));
    for (size_t v = 0; v < 3; v++) {
      double x =
          get(&e, "ucscan_check_verdict",
              CHECK_LABELS(want[i].host, want[i].port, want[i].proto, want[i].role, want[i].state),
              "verdict", verdicts[v], itf_name, want[i].itf, NULL);
      assert_true(x == (strcmp(verdicts[v], want[i].verdict) == 0 ? 1 : 0));
    }
  }
  for (size_t i = 0; i < e.ns; i++) {
    if (strcmp(e.s[i].name, "ucscan_check_success") != 0)
      continue;
    /* interface only on the Edge's checks */
    bool edge = strcmp(lab(&e.s[i], "host"), "edge01.contoso.test") == 0;
    assert_int_equal(e.s[i].nl, edge ? 9 : 8);
    assert_true(edge == (lab(&e.s[i], "interface") != NULL));
    assert_string_not_equal(lab(&e.s[i], "port"), "57501-65535");
  }

  /* RTT in seconds, only where one was measured. */
  assert_int_equal(count(&e, "ucscan_check_rtt_seconds"), 4);
  assert_true(get(&e, "ucscan_check_rtt_seconds", "host", "fe01.contoso.test", "port", "5061",
                  NULL) == 0.00041);
  assert_true(get(&e, "ucscan_check_rtt_seconds", "host", "fe01.contoso.test", "port", "443",
                  NULL) == 0.002);

  /* Certificates: notAfter as Unix time; a date that does not parse gives no series. */
  assert_int_equal(count(&e, "ucscan_tls_certificate_not_after_timestamp_seconds"), 2);
  assert_true(get(&e, "ucscan_tls_certificate_not_after_timestamp_seconds",
                  CHECK_LABELS("fe01.contoso.test", "5061", "mtls", "front-end,mediation", "open"),
                  NULL) == (double)utc(2027, 4, 5, 0, 0, 0));
  assert_true(get(&e, "ucscan_tls_certificate_not_after_timestamp_seconds", "port", "443", NULL) ==
              (double)utc(2026, 12, 1, 12, 30, 0));
  /* The client certificate request, where the TLS evidence says either way. */
  assert_int_equal(count(&e, "ucscan_tls_client_cert_requested"), 2);
  assert_true(get(&e, "ucscan_tls_client_cert_requested", "port", "5061", "host",
                  "fe01.contoso.test", NULL) == 1);
  assert_true(get(&e, "ucscan_tls_client_cert_requested", "port", "443", NULL) == 0);

  free(e.s);
  free(text);
  json_decref(rep);
}

/* The report's vantage (contract v2) labels every series; the scanner goes to the info. */
static void test_vantage(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  json_object_set_new(rep, "vantage",
                      json_pack("{s:s, s:[s], s:s}", "from", "servers", "source_addresses",
                                "198.18.0.10", "scanner", "scan01.contoso.test"));
  assert_string_equal(prom_vantage(rep), "servers");
  assert_string_equal(prom_topology(rep), "contoso");
  char *text = render(rep);
  struct expo e;
  parse_ok(text, &e);
  promtool_clean(text);
  for (size_t i = 0; i < e.ns; i++)
    assert_string_equal(lab(&e.s[i], "vantage"), "servers");
  assert_true(get(&e, "ucscan_scan_info", "vantage", "servers", "scanner", "scan01.contoso.test",
                  NULL) == 1);
  assert_true(get(&e, "ucscan_check_success", "vantage", "servers", "host", "fe01.contoso.test",
                  "port", "5070", NULL) == 0);
  free(e.s);
  free(text);

  /* A vantage given as a plain string, an empty one, a wrong type: read defensively. */
  json_object_set_new(rep, "vantage", json_string("clients"));
  assert_string_equal(prom_vantage(rep), "clients");
  json_object_set_new(rep, "vantage", json_pack("{s:s}", "from", ""));
  assert_string_equal(prom_vantage(rep), "any");
  json_object_set_new(rep, "vantage", json_integer(3));
  assert_string_equal(prom_vantage(rep), "any");
  json_object_del(rep, "topology");
  assert_string_equal(prom_topology(rep), "");
  json_decref(rep);
}

/* A merged report (ucscan merge): each check's "vantage" labels its series, the scan-level
 * series come once per merged_from entry, uncovered rows are counted. */
static void test_merged(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  json_t *hosts = json_object_get(rep, "hosts");
  json_t *fe = json_object_get(json_array_get(hosts, 0), "checks");
  json_t *edge = json_object_get(json_array_get(hosts, 1), "checks");
  json_object_set_new(json_array_get(fe, 0), "vantage", json_string("servers"));
  json_object_set_new(json_array_get(fe, 1), "vantage", json_string("clients"));
  json_object_set_new(json_array_get(fe, 2), "vantage", json_string("servers"));
  json_object_set_new(json_array_get(fe, 3), "vantage", json_null()); /* uncovered skip */
  json_object_set_new(json_array_get(fe, 4), "vantage", json_string("clients"));
  json_object_set_new(json_array_get(edge, 0), "vantage", json_string("servers"));
  json_object_set_new(json_array_get(edge, 1), "vantage", json_string("internet"));
  json_object_set_new(
      rep, "merged_from",
      json_pack("[{s:s, s:s, s:s, s:b}, {s:s, s:s, s:s, s:b}, {s:s, s:s, s:s, s:b},"
                " {s:s, s:s, s:s, s:b}]",
                "vantage", "servers", "file", "s.json", "finished_at", "2026-11-21T22:00:03Z",
                "complete", 1, "vantage", "clients", "file", "c.json", "finished_at",
                "2026-11-21T21:00:00Z", "complete", 0, "vantage", "internet", "file", "i.json",
                "finished_at", "not a time", "complete", 1, "vantage", "servers", "file",
                "again.json", "finished_at", "2026-11-20T00:00:00Z", "complete", 0));
  json_object_set_new(rep, "summary", json_pack("{s:i}", "uncovered", 1));
  char *text = render(rep);
  struct expo e;
  parse_ok(text, &e);
  promtool_clean(text);

  assert_int_equal(count(&e, "ucscan_scan_complete"), 3); /* a second "servers": the first */
  assert_true(get(&e, "ucscan_scan_complete", "vantage", "servers", NULL) == 1);
  assert_true(get(&e, "ucscan_scan_complete", "vantage", "clients", NULL) == 0);
  assert_true(get(&e, "ucscan_scan_complete", "vantage", "internet", NULL) == 1);
  assert_true(get(&e, "ucscan_scan_completed_timestamp_seconds", "vantage", "clients", NULL) ==
              (double)utc(2026, 11, 21, 21, 0, 0));
  assert_int_equal(count(&e, "ucscan_scan_completed_timestamp_seconds"), 2);
  assert_null(fam(&e, "ucscan_scan_duration_seconds")); /* merged_from has no durations */
  assert_int_equal(count(&e, "ucscan_scan_info"), 3);

  assert_true(get(&e, "ucscan_checks", "vantage", "servers", "verdict", "pass", NULL) == 2);
  assert_true(get(&e, "ucscan_checks", "vantage", "servers", "verdict", "fail", NULL) == 1);
  assert_true(get(&e, "ucscan_checks", "vantage", "clients", "verdict", "warn", NULL) == 1);
  assert_true(get(&e, "ucscan_checks", "vantage", "clients", "verdict", "fail", NULL) == 1);
  assert_true(get(&e, "ucscan_checks", "vantage", "internet", "verdict", "fail", NULL) == 1);
  assert_true(get(&e, "ucscan_checks", "vantage", "internet", "verdict", "pass", NULL) == 0);
  /* the uncovered skip stays with the report's vantage */
  assert_true(get(&e, "ucscan_checks", "vantage", "any", "verdict", "skip", NULL) == 1);
  assert_int_equal(count(&e, "ucscan_checks"), 4 * 4);
  assert_true(get(&e, "ucscan_checks_uncovered", "vantage", "any", NULL) == 1);
  /* complete inputs: every check finished, 0 for each vantage */
  assert_int_equal(count(&e, "ucscan_checks_not_checked"), 2);
  assert_true(get(&e, "ucscan_checks_not_checked", "vantage", "servers", NULL) == 0);
  assert_true(get(&e, "ucscan_checks_not_checked", "vantage", "internet", NULL) == 0);

  assert_true(get(&e, "ucscan_check_success", "vantage", "clients", "port", "443", NULL) == 1);
  assert_true(get(&e, "ucscan_check_success", "vantage", "servers", "port", "5070", NULL) == 0);
  assert_true(get(&e, "ucscan_check_success", "vantage", "internet", "interface", "access", NULL) ==
              0);
  assert_true(
      get(&e, "ucscan_check_success", "vantage", "servers", "interface", "internal", NULL) == 1);
  free(e.s);
  free(text);
  json_decref(rep);
}

/* Two checks that would give the same series (a doctored report): one series, the first. */
static void test_duplicates(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  json_t *fe = json_object_get(json_array_get(json_object_get(rep, "hosts"), 0), "checks");
  json_t *copy = json_deep_copy(json_array_get(fe, 2));
  json_object_set_new(copy, "verdict", json_string("pass"));
  json_array_append_new(fe, copy);
  json_array_append(json_object_get(rep, "hosts"),
                    json_array_get(json_object_get(rep, "hosts"), 1));
  char *text = render(rep);
  struct expo e;
  parse_ok(text, &e);
  promtool_clean(text);
  assert_true(get(&e, "ucscan_check_success", "port", "5070", NULL) == 0);
  assert_int_equal(count(&e, "ucscan_check_success"), 6);
  free(e.s);
  free(text);
  json_decref(rep);
}

static void test_incomplete_and_empty(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  json_object_set_new(rep, "complete", json_false());
  json_t *hosts = json_object_get(rep, "hosts");
  json_array_clear(json_object_get(json_array_get(hosts, 0), "checks"));
  json_array_clear(json_object_get(json_array_get(hosts, 1), "checks"));
  json_object_del(rep, "finished_at");
  json_object_del(rep, "duration_ms");
  char *text = render(rep);
  struct expo e;
  parse_ok(text, &e);
  promtool_clean(text);
  assert_true(get(&e, "ucscan_scan_complete", NULL) == 0);
  assert_int_equal(count(&e, "ucscan_check_verdict"), 0);
  assert_int_equal(count(&e, "ucscan_checks"), 4);
  assert_true(get(&e, "ucscan_checks", "verdict", "fail", NULL) == 0);
  assert_true(get(&e, "ucscan_checks_not_checked", NULL) == 0); /* it listed none */
  /* no finish time, no series; no check with an RTT or a certificate, no family */
  assert_null(fam(&e, "ucscan_scan_completed_timestamp_seconds"));
  assert_null(fam(&e, "ucscan_scan_duration_seconds"));
  assert_null(fam(&e, "ucscan_check_success"));
  assert_null(fam(&e, "ucscan_check_verdict"));
  assert_null(fam(&e, "ucscan_check_rtt_seconds"));
  assert_null(fam(&e, "ucscan_tls_certificate_not_after_timestamp_seconds"));
  assert_null(fam(&e, "ucscan_tls_client_cert_requested"));
  free(e.s);
  free(text);
  json_decref(rep);
}

#define NC_REQ(role, itf)                                                                          \
  "{\"id\": \"r\", \"role\": \"" role "\", \"service\": \"s\", \"optional\": false, "              \
  "\"interface\": " itf "}"

/* A partial report (exit status 3): the checks it did not finish keep a series each,
 * ucscan_check_not_checked{CHECK, state="not_checked"} 1, and no result series; their count
 * is ucscan_checks_not_checked. So their alerts need not resolve untested. */
static void test_not_checked(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  json_error_t je;
  json_object_set_new(rep, "complete", json_false());
  json_object_set_new(rep, "vantage", json_pack("{s:s}", "from", "servers"));
  json_t *hosts = json_object_get(rep, "hosts");
  json_t *fe_nc = json_loads(
      "[{\"port\": 5067, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"mtls\","
      "  \"reason\": \"the scan stopped while probing it\","
      "  \"requirements\": [" REQ("mediation") "," REQ("front-end") "," REQ(
          "mediation") "]},"
                       " {\"port\": null, \"range\": {\"first\": 49152, \"last\": 57500}, "
                       "\"transport\": \"udp\","
                       "  \"protocol\": \"rtp\", \"reason\": \"the scan stopped before reaching "
                       "it\","
                       "  \"requirements\": [" REQ(
                           "front-end") "]},"
                                        " {\"port\": 5067, \"range\": null, \"transport\": "
                                        "\"tcp\", \"protocol\": \"mtls\","
                                        "  \"reason\": \"twice (a doctored report): one series\","
                                        "  \"requirements\": [" REQ("mediation") "," REQ(
                                            "front-end") "]}]",
      0, &je);
  json_t *edge_nc = json_loads(
      "[{\"port\": 443, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"https\","
      "  \"reason\": \"the scan stopped before reaching it\","
      "  \"requirements\": [" NC_REQ("edge", "\"webconf\"") "," NC_REQ(
          "edge",
          "\"webconf\"") "]},"
                         " {\"port\": 3478, \"range\": null, \"transport\": \"udp\", \"protocol\": "
                         "\"stun\","
                         "  \"reason\": \"rows of two interfaces: the check has none\","
                         "  \"requirements\": [" NC_REQ("edge", "\"av\"") "," NC_REQ(
                             "edge",
                             "\"internal\"") "]},"
                                             " {\"port\": 5062, \"range\": null, \"transport\": "
                                             "\"tcp\", \"protocol\": \"mtls\","
                                             "  \"interface\": \"internal\", \"reason\": \"its own "
                                             "interface wins\","
                                             "  \"requirements\": [" NC_REQ("edge", "null") "]}]",
      0, &je);
  assert_non_null(fe_nc);
  assert_non_null(edge_nc);
  json_object_set_new(json_array_get(hosts, 0), "not_checked", fe_nc);
  json_object_set_new(json_array_get(hosts, 1), "not_checked", edge_nc);
  json_object_set_new(json_object_get(rep, "summary") ? json_object_get(rep, "summary") : rep,
                      "not_checked", json_integer(6));
  char *text = render(rep);
  struct expo e;
  parse_ok(text, &e);
  promtool_clean(text);

  assert_true(get(&e, "ucscan_scan_complete", "vantage", "servers", NULL) == 0);
  /* the entries, not a summary that may disagree: one per series written, the duplicate too */
  assert_true(
      get(&e, "ucscan_checks_not_checked", "topology", "contoso", "vantage", "servers", NULL) == 6);
  assert_int_equal(count(&e, "ucscan_check_not_checked"), 5);
  assert_true(get(&e, "ucscan_check_not_checked", "topology", "contoso", "vantage", "servers",
                  "host", "fe01.contoso.test", "port", "5067", "transport", "tcp", "protocol",
                  "mtls", "role", "mediation,front-end", "state", "not_checked", NULL) == 1);
  assert_true(get(&e, "ucscan_check_not_checked", "host", "fe01.contoso.test", "port",
                  "49152-57500", "transport", "udp", "role", "front-end", NULL) == 1);
  /* the Edge: the interface the requirements agree on, none when they differ */
  assert_true(get(&e, "ucscan_check_not_checked", "host", "edge01.contoso.test", "port", "443",
                  "interface", "webconf", "state", "not_checked", NULL) == 1);
  assert_true(get(&e, "ucscan_check_not_checked", "port", "3478", NULL) == 1);
  assert_true(get(&e, "ucscan_check_not_checked", "port", "5062", "interface", "internal", NULL) ==
              1);
  for (size_t i = 0; i < e.ns; i++) {
    if (strcmp(e.s[i].name, "ucscan_check_not_checked") != 0)
      continue;
    bool itf =
        strcmp(lab(&e.s[i], "port"), "443") == 0 || strcmp(lab(&e.s[i], "port"), "5062") == 0;
    assert_true(itf == (lab(&e.s[i], "interface") != NULL));
    assert_int_equal(e.s[i].nl, itf ? 9 : 8);
  }
  /* no result series for them: neither a 0 that pages nor a 1 that resolves */
  for (size_t i = 0; i < e.ns; i++)
    if (strcmp(e.s[i].name, "ucscan_check_not_checked") != 0)
      assert_string_not_equal(lab(&e.s[i], "state") ? lab(&e.s[i], "state") : "", "not_checked");
  assert_int_equal(count(&e, "ucscan_check_success"), 6);
  free(e.s);
  free(text);

  /* An incomplete input of a merged report: its count is unknown, not 0; the entries a
   * merged host does carry still count for their vantage. */
  json_object_set_new(rep, "merged_from",
                      json_pack("[{s:s, s:s, s:b}, {s:s, s:s, s:b}]", "vantage", "servers", "file",
                                "s.json", "complete", 0, "vantage", "clients", "file", "c.json",
                                "complete", 0));
  json_object_del(rep, "vantage");
  json_object_set_new(json_array_get(json_object_get(json_array_get(hosts, 0), "not_checked"), 1),
                      "vantage", json_string("clients"));
  text = render(rep);
  parse_ok(text, &e);
  promtool_clean(text);
  assert_int_equal(count(&e, "ucscan_checks_not_checked"), 1);
  assert_true(get(&e, "ucscan_checks_not_checked", "vantage", "clients", NULL) == 1);
  assert_true(get(&e, "ucscan_check_not_checked", "vantage", "clients", NULL) == 1);
  assert_int_equal(count(&e, "ucscan_check_not_checked"), 5);
  free(e.s);
  free(text);
  json_decref(rep);
}

static void test_label_escaping(void **state)
{
  (void)state;
  json_t *rep = load_fixture();
  /* A topology name is the user's text; make it as awkward as the format allows, plus
   * bytes that are not UTF-8. */
  json_object_set_new(rep, "topology", json_string_nocheck("we\"ird\\name\nx{y}=z,\xff"));
  char *text = render(rep);
  assert_non_null(strstr(text, "topology=\"we\\\"ird\\\\name\\nx{y}=z,\xef\xbf\xbd\""));
  struct expo e;
  parse_ok(text, &e);
  assert_true(
      get(&e, "ucscan_scan_complete", "topology", "we\"ird\\name\nx{y}=z,\xef\xbf\xbd", NULL) == 1);
  free(e.s);
  free(text);

  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  prom_label_escape(f, "a\\b\"c\nd\te\xc3\xa9\xc3");
  fclose(f);
  assert_string_equal(buf, "a\\\\b\\\"c\\nd\te\xc3\xa9\xef\xbf\xbd");
  free(buf);
  json_decref(rep);
}

static void expect_refused(const char *text, const char *why)
{
  struct expo e;
  char err[200];
  int rc = expo_parse(text, &e, err, sizeof(err));
  free(e.s);
  if (rc == 0)
    fail_msg("accepted (%s):\n%s", why, text);
  if (!strstr(err, why))
    fail_msg("refused for \"%s\", expected \"%s\"", err, why);
}

#define HT "# HELP m_x x\n# TYPE m_x gauge\n"

/* The reader must refuse what Prometheus would, or the tests above prove nothing. */
static void test_reader_refuses(void **state)
{
  (void)state;
  expect_refused("m_x 1\n", "without HELP and TYPE first");
  expect_refused(HT "m_x{a=\"1\"} 1\nm_x{a=\"1\"} 2\n", "duplicate series");
  expect_refused(HT "m_x{a=\"\\t\"} 1\n", "bad escape");
  expect_refused(HT "m_x{a=\"1\"} 1", "no newline");
  expect_refused(HT "m_x{a=\"1\"} 1 1700000000\n", "timestamp");
  expect_refused(HT "m_x{a=\"1\",a=\"2\"} 1\n", "twice");
  expect_refused(HT "m_x{1a=\"1\"} 1\n", "bad label name");
  expect_refused(HT "# HELP m_y y\n# TYPE m_y gauge\nm_y 1\nm_x 1\n", "outside its family");
  expect_refused("# HELP m_x x\n# TYPE m_x counter\nm_x 1\n", "expected gauge");
  expect_refused(HT "m_x{a=\"\xff\"} 1\n", "not UTF-8");
  expect_refused(HT "m-x 1\n", "bad metric name");
}

/* promtool_clean() can fail: promtool objects to what the lint rules forbid. */
static void test_promtool_finds(void **state)
{
  (void)state;
  char out[2048];
  if (!have_promtool())
    skip();
  int rc = promtool_check("# HELP ucscan_x_ms x\n# TYPE ucscan_x_ms counter\nucscan_x_ms 1\n", out,
                          sizeof(out));
  assert_int_not_equal(rc, 0);
  assert_non_null(strstr(out, "abbreviated units"));
}

static void test_not_a_report(void **state)
{
  (void)state;
  json_t *arr = json_array();
  assert_null(prom_render(arr, NULL));
  json_decref(arr);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_series),
      cmocka_unit_test(test_vantage),
      cmocka_unit_test(test_merged),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_incomplete_and_empty),
      cmocka_unit_test(test_not_checked),
      cmocka_unit_test(test_label_escaping),
      cmocka_unit_test(test_reader_refuses),
      cmocka_unit_test(test_promtool_finds),
      cmocka_unit_test(test_not_a_report),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
