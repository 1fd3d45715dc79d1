/* reports/html.c - the report as one self-contained HTML page (html.h). */
#include "reports/html.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/uc.h"
#include "reports/report_doc.h"

/* reports/html/report.css and report.js, compiled in (cmake/embed_text.cmake). */
extern const char html_report_css[];
extern const char html_report_js[];

/* A column of the matrix: a port or range, a transport, an Edge interface. */
struct column {
  unsigned first, last;
  bool range;
  char transport[8];
  char iface[16];
};

/* Text as HTML character data or attribute value. */
static void esc(FILE *out, const char *s)
{
  if (!s)
    return;
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), i = 0;
  while (i < n) {
    uint32_t cp;
    size_t len = report_doc_utf8(p + i, n - i, &cp);
    if (len == 0 || (cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7f ||
        (cp >= 0x80 && cp <= 0x9f)) {
      fputs("\xEF\xBF\xBD", out);
      i += len ? len : 1;
      continue;
    }
    switch (cp) {
    case '&':
      fputs("&amp;", out);
      break;
    case '<':
      fputs("&lt;", out);
      break;
    case '>':
      fputs("&gt;", out);
      break;
    case '"':
      fputs("&quot;", out);
      break;
    case '\'':
      fputs("&#39;", out);
      break;
    default:
      fwrite(p + i, 1, len, out);
    }
    i += len;
  }
}

static void column_of(const json_t *check, struct column *c)
{
  memset(c, 0, sizeof(*c));
  report_doc_ports(check, &c->first, &c->last);
  c->range = json_is_object(json_object_get(check, "range"));
  const char *tr = report_doc_str(check, "transport"), *iface = report_doc_str(check, "interface");
  snprintf(c->transport, sizeof(c->transport), "%s", tr ? tr : "?");
  snprintf(c->iface, sizeof(c->iface), "%s", iface ? iface : "");
}

/* Single ports by number, then ranges (a media range, an IPsec row's 1-65535) after them. */
static int cmp_columns(const void *a, const void *b)
{
  const struct column *x = a, *y = b;
  if (x->range != y->range)
    return x->range ? 1 : -1;
  if (x->first != y->first)
    return x->first < y->first ? -1 : 1;
  if (x->last != y->last)
    return x->last < y->last ? -1 : 1;
  int d = strcmp(x->transport, y->transport);
  return d ? d : strcmp(x->iface, y->iface);
}

/* Every distinct column of the report, in cmp_columns' order. */
static struct column *collect_columns(const json_t *hosts, size_t *n)
{
  size_t cap = 16, i, k;
  json_t *h, *ck;
  struct column *v = malloc(cap * sizeof(*v));
  *n = 0;
  if (!v)
    return NULL;
  json_array_foreach(hosts, i, h)
  {
    json_t *checks = json_object_get(h, "checks");
    if (!json_is_array(checks))
      continue;
    json_array_foreach(checks, k, ck)
    {
      struct column c;
      column_of(ck, &c);
      bool seen = false;
      for (size_t j = 0; j < *n && !seen; j++)
        seen = cmp_columns(&v[j], &c) == 0;
      if (seen)
        continue;
      if (*n == cap) {
        struct column *nv = realloc(v, 2 * cap * sizeof(*v));
        if (!nv) {
          free(v);
          return NULL;
        }
        v = nv;
        cap *= 2;
      }
      v[(*n)++] = c;
    }
  }
  qsort(v, *n, sizeof(*v), cmp_columns);
  return v;
}

/* The host's check in column c, and its index, or NULL. */
static const json_t *check_in(const json_t *host, const struct column *c, size_t *idx)
{
  json_t *checks = json_object_get(host, "checks"), *ck;
  size_t k;
  if (!json_is_array(checks))
    return NULL;
  json_array_foreach(checks, k, ck)
  {
    struct column x;
    column_of(ck, &x);
    if (cmp_columns(&x, c) == 0) {
      *idx = k;
      return ck;
    }
  }
  return NULL;
}

static void head(FILE *out, const json_t *report)
{
  const char *topo = report_doc_str(report, "topology");
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"ucscan " UC_VERSION "\">\n<title>ucscan: ",
        out);
  esc(out, topo && *topo ? topo : "scan");
  fputs("</title>\n<style>\n", out);
  fputs(html_report_css, out);
  fputs("</style>\n</head>\n<body>\n", out);
}

static unsigned count(const json_t *report, enum uc_verdict v)
{
  unsigned n = 0;
  size_t i, k;
  json_t *h, *c;
  json_array_foreach(json_object_get(report, "hosts"), i, h)
  {
    json_array_foreach(json_object_get(h, "checks"), k, c) n += report_doc_verdict(c) == (int)v;
  }
  return n;
}

static void meta_item(FILE *out, const char *label, const char *value)
{
  if (!value || !*value)
    return;
  fprintf(out, "<span><b>%s</b> ", label);
  esc(out, value);
  fputs("</span>\n", out);
}

/* "servers (lan.json), internet (dmz.json, incomplete)": the reports a merge joined. */
static void merged_from(FILE *out, const json_t *report)
{
  json_t *m = json_object_get(report, "merged_from");
  if (!json_is_array(m) || json_array_size(m) == 0)
    return;
  fputs("<span><b>merged from</b> ", out);
  for (size_t i = 0; i < json_array_size(m); i++) {
    const json_t *e = json_array_get(m, i);
    fputs(i ? ", " : "", out);
    esc(out, report_doc_str(e, "vantage") ? report_doc_str(e, "vantage") : "?");
    fputs(" (", out);
    esc(out, report_doc_str(e, "file"));
    fputs(json_is_false(json_object_get(e, "complete")) ? ", incomplete)" : ")", out);
  }
  fputs("</span>\n", out);
}

/* Why the page is not the whole picture: a scan that did not finish (and the checks it did
 * not, under each host's "not_checked"), or a merged report's checks no vantage could test. */
static void gaps(FILE *out, const json_t *report)
{
  size_t i, k, n = 0;
  json_t *h, *c;
  json_array_foreach(json_object_get(report, "hosts"), i, h)
  {
    json_t *nc = json_object_get(h, "not_checked");
    n += json_is_array(nc) ? json_array_size(nc) : 0;
  }
  if (json_is_false(json_object_get(report, "complete"))) {
    fputs("<p class=\"incomplete\" id=\"incomplete\">Incomplete: ", out);
    if (json_object_get(report, "merged_from"))
      fputs("a report merged did not finish; what it did not reach is skipped, or another "
            "vantage's result.",
            out);
    else if (n == 0)
      fputs("the scan did not finish; checks it did not reach are not shown.", out);
    else
      fprintf(out, "the scan did not finish; %zu check%s not checked:", n, n == 1 ? "" : "s");
    json_array_foreach(json_object_get(report, "hosts"), i, h)
    {
      json_array_foreach(json_object_get(h, "not_checked"), k, c)
      {
        char num[24];
        fputs(" <span class=\"nc\">", out);
        esc(out, report_doc_str(h, "name"));
        fprintf(out, " %s/", report_doc_port(c, num, sizeof(num)));
        esc(out, report_doc_str(c, "transport"));
        fputs("</span>", out);
      }
    }
    fputs("</p>\n", out);
  }
  long long uncovered =
      report_doc_int(json_object_get(report, "summary"), "uncovered", 0, (long long)1 << 40);
  if (uncovered > 0)
    fprintf(out,
            "<p class=\"meta\" id=\"uncovered\">%lld check%s no given vantage could test "
            "(skip).</p>\n",
            uncovered, uncovered == 1 ? "" : "s");
}

static void summary(FILE *out, const json_t *report)
{
  static const enum uc_verdict order[] = {UC_FAIL, UC_WARN, UC_PASS, UC_SKIP};
  const char *topo = report_doc_str(report, "topology");
  size_t hosts = json_array_size(json_object_get(report, "hosts")), checks = 0;
  fputs("<header>\n<h1>ucscan report: ", out);
  esc(out, topo && *topo ? topo : "scan");
  fputs("</h1>\n<p class=\"meta\">\n", out);
  meta_item(out, "product", report_doc_str(report, "product"));
  meta_item(out, "vantage", report_doc_str(json_object_get(report, "vantage"), "from"));
  merged_from(out, report);
  meta_item(out, "started", report_doc_str(report, "started_at"));
  meta_item(out, "finished", report_doc_str(report, "finished_at"));
  const json_t *tool = json_object_get(report, "tool");
  meta_item(out, "ucscan", report_doc_str(tool, "version"));
  fputs("</p>\n", out);
  gaps(out, report);
  fputs("<div class=\"summary\" id=\"summary\">\n", out);
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    unsigned n = count(report, order[i]);
    const char *name = uc_verdict_name(order[i]);
    checks += n;
    fprintf(out, "<div class=\"k k-%s\"><b id=\"n-%s\">%u</b> %s</div>\n", name, name, n, name);
  }
  fprintf(out,
          "<div class=\"k\"><b id=\"n-hosts\">%zu</b> host%s</div>\n<div class=\"k\"><b "
          "id=\"n-checks\">%zu</b> check%s</div>\n</div>\n</header>\n",
          hosts, hosts == 1 ? "" : "s", checks, checks == 1 ? "" : "s");
}

static void filters(FILE *out)
{
  static const char *const verdicts[] = {"fail", "warn", "pass", "skip"};
  fputs("<form id=\"filters\" class=\"filters\" hidden>\n<span class=\"vf\">show", out);
  for (size_t i = 0; i < 4; i++)
    fprintf(out,
            " <label class=\"k-%s\"><input type=\"checkbox\" name=\"v\" value=\"%s\" checked> "
            "%s</label>",
            verdicts[i], verdicts[i], verdicts[i]);
  fputs("</span>\n<label>find <input type=\"search\" id=\"q\" placeholder=\"host, role, port, "
        "reason\"></label>\n<label><input type=\"checkbox\" id=\"problems\"> only hosts and "
        "ports with a problem</label>\n<span id=\"shown\" class=\"shown\"></span>\n</form>\n",
        out);
}

static void column_head(FILE *out, const struct column *c)
{
  fprintf(out, "<th class=\"p\" scope=\"col\" title=\"%u%s", c->first, c->range ? "-" : "");
  if (c->range)
    fprintf(out, "%u", c->last);
  fprintf(out, "/%s%s", c->transport, c->iface[0] ? " " : "");
  esc(out, c->iface);
  fprintf(out, "\">%u%s", c->first, c->range ? "-" : "");
  if (c->range)
    fprintf(out, "<br>%u", c->last);
  fprintf(out, "<br><span class=\"t\">%s</span>", c->transport);
  if (c->iface[0]) {
    fputs("<br><span class=\"i\">", out);
    esc(out, c->iface);
    fputs("</span>", out);
  }
  fputs("</th>\n", out);
}

static void host_head(FILE *out, const json_t *host)
{
  json_t *roles = json_object_get(host, "roles");
  fputs("<th class=\"h\" scope=\"row\"><span class=\"hn\">", out);
  esc(out, report_doc_str(host, "name"));
  fputs("</span> <span class=\"ha\">", out);
  esc(out, report_doc_str(host, "address") ? report_doc_str(host, "address") : "unresolved");
  fputs("</span><br><span class=\"hr\">", out);
  for (size_t k = 0; json_is_array(roles) && k < json_array_size(roles); k++) {
    if (k)
      fputs(", ", out);
    esc(out, json_string_value(json_array_get(roles, k)));
  }
  fputs("</span></th>\n", out);
}

static void cell(FILE *out, size_t h, size_t k, const json_t *check)
{
  int v = report_doc_verdict(check);
  const char *name = v >= 0 ? uc_verdict_name((enum uc_verdict)v) : "unknown";
  const char *state = report_doc_str(check, "state");
  fprintf(out,
          "<td class=\"c v-%s\" data-v=\"%s\" data-h=\"%zu\" data-c=\"%zu\" tabindex=\"0\" "
          "title=\"",
          name, name, h, k);
  esc(out, name);
  fputs(state ? " (" : "", out);
  esc(out, state);
  fputs(state ? "): " : ": ", out);
  esc(out, report_doc_str(check, "reason"));
  fprintf(out, "\">%s</td>\n", name);
}

static void matrix(FILE *out, const json_t *hosts, const struct column *cols, size_t ncols)
{
  fputs("<div class=\"scroll\">\n<table id=\"matrix\" class=\"matrix\">\n<thead><tr><th "
        "class=\"corner\" scope=\"col\">host</th>\n",
        out);
  for (size_t c = 0; c < ncols; c++)
    column_head(out, &cols[c]);
  fputs("</tr></thead>\n<tbody>\n", out);
  size_t i;
  json_t *h;
  json_array_foreach(hosts, i, h)
  {
    fprintf(out, "<tr data-h=\"%zu\">\n", i);
    host_head(out, h);
    for (size_t c = 0; c < ncols; c++) {
      size_t k = 0;
      const json_t *ck = check_in(h, &cols[c], &k);
      if (ck)
        cell(out, i, k, ck);
      else
        fputs("<td class=\"n\"></td>\n", out);
    }
    fputs("</tr>\n", out);
  }
  fputs("</tbody>\n</table>\n</div>\n", out);
}

static void detail_panel(FILE *out)
{
  fputs("<aside id=\"detail\" class=\"detail\" hidden aria-live=\"polite\">\n"
        "<button type=\"button\" id=\"close\" class=\"close\">close</button>\n"
        "<h2 id=\"d-title\"></h2>\n<dl id=\"d-fields\"></dl>\n<h3>requirements</h3>\n"
        "<ul id=\"d-reqs\"></ul>\n<h3>evidence</h3>\n<pre id=\"d-evidence\"></pre>\n</aside>\n",
        out);
}

/* The report as the script reads it: ASCII JSON in which no '<', '>' or '&' can end the
 * script element or start a comment. */
static int embedded_report(FILE *out, const json_t *report)
{
  char *text = json_dumps(report, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_SORT_KEYS);
  if (!text)
    return -1;
  fputs("<script type=\"application/json\" id=\"ucscan-report\">", out);
  for (const char *p = text; *p; p++) {
    if (*p == '<')
      fputs("\\u003c", out);
    else if (*p == '>')
      fputs("\\u003e", out);
    else if (*p == '&')
      fputs("\\u0026", out);
    else
      fputc(*p, out);
  }
  fputs("</script>\n", out);
  free(text);
  return 0;
}

int html_write(FILE *out, const json_t *report)
{
  json_t *hosts = json_object_get(report, "hosts");
  if (!json_is_object(report) || !json_is_array(hosts))
    return -1;
  size_t ncols;
  struct column *cols = collect_columns(hosts, &ncols);
  if (!cols)
    return -1;
  head(out, report);
  summary(out, report);
  filters(out);
  matrix(out, hosts, cols, ncols);
  free(cols);
  detail_panel(out);
  fputs("<footer>Made by ucscan " UC_VERSION
        ". Click a cell for its evidence. The JSON report holds everything shown here.</footer>\n",
        out);
  int rc = embedded_report(out, report);
  fputs("<script>\n", out);
  fputs(html_report_js, out);
  fputs("</script>\n</body>\n</html>\n", out);
  return rc == 0 && !ferror(out) ? 0 : -1;
}
