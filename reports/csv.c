/* reports/csv.c - the report as CSV (csv.h). */
#include "reports/csv.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "reports/report_doc.h"

const char csv_header[] =
    "topology,vantage,host,host_address,address,interface,port,first_port,last_port,"
    "transport,protocol,probe,state,verdict,reason,rtt_ms,attempts,roles,requirements,"
    "optional,open_ports,filtered_ports,rtt_source";

static bool needs_quotes(const char *s)
{
  size_t n = strlen(s);
  return strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' || s[n - 1] == ' '));
}

/* One field: safe characters, formula guard, quotes when RFC 4180 asks for them. */
static void field(FILE *out, const char *s, bool first)
{
  if (!first)
    fputc(',', out);
  if (!s)
    return;
  bool quote = needs_quotes(s);
  if (quote)
    fputc('"', out);
  if (s[0] && strchr("=+-@", s[0]))
    fputc('\'', out);
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), i = 0;
  while (i < n) {
    uint32_t cp;
    size_t len = report_doc_utf8(p + i, n - i, &cp);
    if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
      fputs("\xEF\xBF\xBD", out); /* U+FFFD */
      i += len ? len : 1;
      continue;
    }
    if (cp == '"')
      fputc('"', out);
    fwrite(p + i, 1, len, out);
    i += len;
  }
  if (quote)
    fputc('"', out);
}

static void number_field(FILE *out, const json_t *v)
{
  fputc(',', out);
  if (json_is_integer(v))
    fprintf(out, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v))
    fprintf(out, "%.3f", json_real_value(v));
}

/* Items of an array of strings (or of objects' `key`), joined with sep. */
static void joined(const json_t *arr, const char *key, const char *sep, char *buf, size_t cap)
{
  size_t used = 0, i;
  json_t *v;
  buf[0] = '\0';
  if (!json_is_array(arr))
    return;
  json_array_foreach(arr, i, v)
  {
    const char *s = key ? report_doc_str(v, key) : json_string_value(v);
    if (!s || used >= cap)
      continue;
    int w = snprintf(buf + used, cap - used, "%s%s", used ? sep : "", s);
    used += w > 0 ? (size_t)w : 0;
  }
}

/* "443-443" runs as "443", space-separated. */
static void runs(const json_t *range, const char *key, char *buf, size_t cap)
{
  size_t used = 0, i;
  json_t *v;
  buf[0] = '\0';
  json_t *arr = json_object_get(range, key);
  if (!json_is_array(arr))
    return;
  json_array_foreach(arr, i, v)
  {
    const char *s = json_string_value(v), *dash = s ? strchr(s, '-') : NULL;
    if (!s || used >= cap)
      continue;
    int len = (int)strlen(s);
    if (dash && strcmp(dash + 1, "") != 0 && (size_t)(dash - s) == strlen(dash + 1) &&
        strncmp(s, dash + 1, (size_t)(dash - s)) == 0)
      len = (int)(dash - s);
    int w = snprintf(buf + used, cap - used, "%s%.*s", used ? " " : "", len, s);
    used += w > 0 ? (size_t)w : 0;
  }
}

static bool all_optional(const json_t *check)
{
  json_t *reqs = json_object_get(check, "requirements");
  size_t i;
  json_t *r;
  if (!json_is_array(reqs) || json_array_size(reqs) == 0)
    return false;
  json_array_foreach(reqs, i, r) if (!json_is_true(json_object_get(r, "optional"))) return false;
  return true;
}

struct row_ctx {
  const char *topology, *vantage;
  const json_t *host;
};

static void check_row(FILE *out, const struct row_ctx *x, const json_t *check)
{
  char port[24], buf[4096];
  unsigned first, last;
  const char *host_addr = report_doc_str(x->host, "address");
  const char *addr = report_doc_str(check, "address");
  const char *vantage = report_doc_str(check, "vantage");
  field(out, x->topology, true);
  field(out, vantage ? vantage : x->vantage, false);
  field(out, report_doc_str(x->host, "name"), false);
  field(out, host_addr, false);
  field(out, addr ? addr : host_addr, false);
  field(out, report_doc_str(check, "interface"), false);
  bool ok = report_doc_ports(check, &first, &last) == 0;
  field(out, ok ? report_doc_port(check, port, sizeof(port)) : NULL, false);
  if (ok)
    fprintf(out, ",%u,%u", first, last);
  else
    fputs(",,", out);
  field(out, report_doc_str(check, "transport"), false);
  field(out, report_doc_str(check, "protocol"), false);
  field(out, report_doc_str(check, "probe"), false);
  field(out, report_doc_str(check, "state"), false);
  field(out, report_doc_str(check, "verdict"), false);
  field(out, report_doc_str(check, "reason"), false);
  number_field(out, json_object_get(check, "rtt_ms"));
  number_field(out, json_object_get(check, "attempts"));
  field(out, report_doc_roles(check, buf, sizeof(buf)), false);
  joined(json_object_get(check, "requirements"), "id", " ", buf, sizeof(buf));
  field(out, buf, false);
  field(out, all_optional(check) ? "true" : "false", false);
  json_t *range = json_object_get(check, "range");
  runs(range, "open_ports", buf, sizeof(buf));
  field(out, buf, false);
  runs(range, "filtered_ports", buf, sizeof(buf));
  field(out, buf, false);
  /* which clock measured rtt_ms: kernel, or loop (the event loop's, with its delays) */
  field(out,
        json_is_number(json_object_get(check, "rtt_ms"))
            ? report_doc_str(json_object_get(check, "evidence"), "rtt_source")
            : NULL,
        false);
  fputs("\r\n", out);
}

int csv_write(FILE *out, const json_t *report)
{
  json_t *hosts = json_object_get(report, "hosts");
  if (!json_is_object(report) || !json_is_array(hosts))
    return -1;
  /* a merged report's checks each name their vantage; one no vantage tested has none */
  const char *vantage = report_doc_str(json_object_get(report, "vantage"), "from");
  bool merged = json_object_get(report, "merged_from") != NULL;
  struct row_ctx x = {.topology = report_doc_str(report, "topology"),
                      .vantage = merged    ? NULL
                                 : vantage ? vantage
                                           : "any"};
  fprintf(out, "%s\r\n", csv_header);
  size_t i, k;
  json_t *h, *c;
  json_array_foreach(hosts, i, h)
  {
    x.host = h;
    json_t *checks = json_object_get(h, "checks");
    if (json_is_array(checks))
      json_array_foreach(checks, k, c) check_row(out, &x, c);
  }
  return ferror(out) ? -1 : 0;
}
