/* tests/fuzz/fuzz_prom.c - Prometheus exposition (reports/prom.c) of any JSON document, as
 * `ucscan merge --format prometheus` meets report files it did not write, and the
 * Pushgateway grouping key (cli/push.c) of its topology and vantage.
 *
 * Checks, on every document jansson accepts:
 *   - prom_render refuses exactly what is not an object with a "hosts" array;
 *   - otherwise the text is UTF-8, ends with a newline, and every line is "# HELP name text",
 *     "# TYPE name gauge" or a sample "name{labels} value": known family names (ucscan_ and
 *     snake case), HELP and TYPE once each before the family's samples, the samples of a
 *     family together, label names valid and unique within a sample, label values only with
 *     the escapes \\ \" \n, a value that parses as a number, no timestamp, no series twice;
 *   - every sample carries topology and vantage, and the vantage of the scan-level series of a
 *     plain report is prom_vantage();
 *   - push_group_segment of the topology and vantage is path-safe ([A-Za-z0-9._~-] plain, or
 *     the base64url form) and push_path holds both segments. */
#include <stdbool.h>

#include "cli/push.h"
#include "fuzz_util.h"
#include "reports/prom.h"
#include "reports/report_doc.h"

#define MAX_SERIES 20000

static bool name_ok(const char *s, size_t n)
{
  if (n < 8 || strncmp(s, "ucscan_", 7) != 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return false;
  return true;
}

static bool label_name_ok(const char *s, size_t n)
{
  if (n == 0 || (s[0] >= '0' && s[0] <= '9') || (n >= 2 && s[0] == '_' && s[1] == '_'))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return false;
  return true;
}

/* Parses the labels of one sample at *p (after '{'); stores "name=value" pairs sorted in a
 * canonical key for the duplicate check. Returns the position after '}'. */
static const char *labels(const char *p, const char *end, json_t *seen_names, bool *has_topo,
                          bool *has_vantage)
{
  while (p < end && *p != '}') {
    const char *n = p;
    while (p < end && *p != '=')
      p++;
    FUZZ_CHECK(p < end && label_name_ok(n, (size_t)(p - n)), "bad label name at \"%.20s\"", n);
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)(p - n), n);
    FUZZ_CHECK(!json_object_get(seen_names, name), "label %s twice", name);
    json_object_set_new(seen_names, name, json_true());
    *has_topo |= strcmp(name, "topology") == 0;
    *has_vantage |= strcmp(name, "vantage") == 0;
    p++;
    FUZZ_CHECK(p < end && *p == '"', "label value not quoted");
    p++;
    while (p < end && *p != '"') {
      FUZZ_CHECK(*p != '\n', "raw newline in a label value");
      if (*p == '\\') {
        p++;
        FUZZ_CHECK(p < end && (*p == '\\' || *p == '"' || *p == 'n'), "bad escape \\%c", *p);
      }
      p++;
    }
    FUZZ_CHECK(p < end, "unterminated label value");
    p++;
    if (p < end && *p == ',')
      p++;
    else
      FUZZ_CHECK(p < end && *p == '}', "expected , or } after a label");
  }
  FUZZ_CHECK(p < end, "unterminated label set");
  return p + 1;
}

static void check_text(const char *text, size_t len)
{
  FUZZ_CHECK(len > 0 && text[len - 1] == '\n', "no final newline");
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t k = report_doc_utf8((const unsigned char *)text + i, len - i, &cp);
    FUZZ_CHECK(k > 0, "invalid UTF-8 at %zu", i);
    i += k;
  }
  json_t *fams = json_object(), *series = json_object();
  char current[128] = "";
  size_t nseries = 0;
  for (const char *p = text; p < text + len;) {
    const char *eol = memchr(p, '\n', (size_t)(text + len - p));
    if (p[0] == '#') {
      char kw[8], name[128];
      int off = 0;
      FUZZ_CHECK(sscanf(p, "# %7s %127s %n", kw, name, &off) == 2, "bad comment line");
      FUZZ_CHECK(name_ok(name, strlen(name)), "bad family name %s", name);
      json_t *f = json_object_get(fams, name);
      if (!f) {
        f = json_object();
        json_object_set_new(fams, name, f);
      } else {
        FUZZ_CHECK(strcmp(current, name) == 0, "family %s split", name);
      }
      FUZZ_CHECK(!json_object_get(f, kw), "second %s for %s", kw, name);
      json_object_set_new(f, kw, json_true());
      if (strcmp(kw, "TYPE") == 0)
        FUZZ_CHECK(strncmp(p + off, "gauge\n", 6) == 0, "%s is not a gauge", name);
      else
        FUZZ_CHECK(strcmp(kw, "HELP") == 0 && p + off < eol, "bad comment %s", kw);
      snprintf(current, sizeof(current), "%s", name);
    } else {
      const char *b = p;
      while (b < eol && *b != '{' && *b != ' ')
        b++;
      FUZZ_CHECK(name_ok(p, (size_t)(b - p)), "bad sample name \"%.*s\"", (int)(b - p), p);
      FUZZ_CHECK(strlen(current) == (size_t)(b - p) && strncmp(p, current, (size_t)(b - p)) == 0,
                 "sample of %.*s outside its family", (int)(b - p), p);
      json_t *f = json_object_get(fams, current);
      FUZZ_CHECK(json_object_get(f, "HELP") && json_object_get(f, "TYPE"), "no HELP/TYPE");
      bool topo = false, vantage = false;
      json_t *names = json_object();
      const char *v = b;
      if (*b == '{')
        v = labels(b + 1, eol, names, &topo, &vantage);
      json_decref(names);
      FUZZ_CHECK(topo && vantage, "a sample without topology or vantage: %.*s", (int)(eol - p), p);
      FUZZ_CHECK(v < eol && *v == ' ', "no space before the value");
      char *end;
      strtod(v + 1, &end);
      FUZZ_CHECK(end == eol && end > v + 1, "bad value (or a timestamp): %.*s", (int)(eol - v), v);
      char *key = fuzz_str((const uint8_t *)p, (size_t)(v - p), (size_t)(v - p));
      FUZZ_CHECK(!json_object_get(series, key), "series twice: %s", key);
      json_object_set_new_nocheck(series, key, json_true());
      free(key);
      FUZZ_CHECK(++nseries < MAX_SERIES * 8, "too many series");
    }
    p = eol + 1;
  }
  json_decref(fams);
  json_decref(series);
}

static void check_segment(const char *name, const char *value)
{
  char buf[4096];
  int n = push_group_segment(buf, sizeof(buf), name, value);
  if (n < 0) {
    FUZZ_CHECK(strlen(value) > 1000, "segment refused for a short value");
    return;
  }
  FUZZ_CHECK((size_t)n == strlen(buf) && buf[0] == '/', "segment length");
  for (const char *c = buf + 1; *c; c++)
    FUZZ_CHECK((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                   strchr("._~-/@=", *c),
               "path byte 0x%02x in %s", (unsigned char)*c, buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  json_error_t je;
  json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
  if (!doc)
    return 0;
  json_t *hosts = json_object_get(doc, "hosts");
  size_t total = 0, i;
  json_t *h;
  json_array_foreach(hosts, i, h) total += json_array_size(json_object_get(h, "checks"));
  if (total > MAX_SERIES) { /* bounded work per input */
    json_decref(doc);
    return 0;
  }
  size_t len = 0;
  char *text = prom_render(doc, &len);
  bool report = json_is_object(doc) && json_is_array(hosts);
  FUZZ_CHECK(report == (text != NULL), "render %s a %s", text ? "accepted" : "refused",
             report ? "report" : "non-report");
  if (text) {
    FUZZ_CHECK(strlen(text) == len, "length %zu, text %zu (a NUL inside)", len, strlen(text));
    check_text(text, len);
    free(text);
  }
  const char *topo = prom_topology(doc), *vantage = prom_vantage(doc);
  FUZZ_CHECK(topo && vantage && *vantage, "topology or vantage missing");
  check_segment("topology", topo);
  check_segment("vantage", vantage);
  struct push_target t;
  char err[200];
  FUZZ_CHECK(push_parse_url("http://pg:9091/metrics/job/x", &t, err, sizeof(err)) == 0, "url");
  char *path = push_path(&t, topo, vantage);
  if (path) {
    FUZZ_CHECK(strncmp(path, "/metrics/job/x/topology", 23) == 0 && strstr(path, "/vantage"),
               "path %s", path);
    free(path);
  }
  json_decref(doc);
  return 0;
}
