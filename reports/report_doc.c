/* reports/report_doc.c - readers of a report document, shared by JUnit, Prometheus, diff. */
#include "reports/report_doc.h"

#include <stdio.h>
#include <string.h>

static int digits(const char *s, int n, int *out)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int report_doc_time(const char *iso, time_t *out)
{
  /* 0123456789012345678901 */
  /* 2026-11-21T22:00:03Z   */
  int y, mo, d, h, mi, s;
  if (!iso || strlen(iso) != 20 || iso[4] != '-' || iso[7] != '-' || iso[10] != 'T' ||
      iso[13] != ':' || iso[16] != ':' || iso[19] != 'Z')
    return -1;
  if (digits(iso, 4, &y) || digits(iso + 5, 2, &mo) || digits(iso + 8, 2, &d) ||
      digits(iso + 11, 2, &h) || digits(iso + 14, 2, &mi) || digits(iso + 17, 2, &s))
    return -1;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
    return -1;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap)
    return -1;
  struct tm tm = {
      .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
  time_t t = timegm(&tm);
  if (t == (time_t)-1)
    return -1;
  *out = t;
  return 0;
}

const char *report_doc_str(const json_t *obj, const char *key)
{
  json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
  return json_is_string(v) ? json_string_value(v) : NULL;
}

long long report_doc_int(const json_t *obj, const char *key, long long min, long long max)
{
  json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
  if (!json_is_integer(v))
    return -1;
  long long n = (long long)json_integer_value(v);
  return n < min || n > max ? -1 : n;
}

int report_doc_ports(const json_t *check, unsigned *first, unsigned *last)
{
  long long p = report_doc_int(check, "port", 0, 65535);
  if (p >= 0) {
    *first = *last = (unsigned)p;
    return 0;
  }
  json_t *r = json_object_get(check, "range");
  long long f = report_doc_int(r, "first", 0, 65535), l = report_doc_int(r, "last", 0, 65535);
  if (f < 0 || l < 0)
    return -1;
  *first = (unsigned)f;
  *last = (unsigned)l;
  return 0;
}

const char *report_doc_port(const json_t *check, char *buf, size_t cap)
{
  unsigned f, l;
  if (report_doc_ports(check, &f, &l) < 0)
    snprintf(buf, cap, "?");
  else if (json_is_object(json_object_get(check, "range")))
    snprintf(buf, cap, "%u-%u", f, l);
  else
    snprintf(buf, cap, "%u", f);
  return buf;
}

const char *report_doc_key(const json_t *check, char *buf, size_t cap)
{
  char port[24];
  const char *tr = report_doc_str(check, "transport");
  const char *iface = report_doc_str(check, "interface");
  snprintf(buf, cap, "%s/%s%s%s", report_doc_port(check, port, sizeof(port)), tr ? tr : "?",
           iface ? " " : "", iface ? iface : "");
  return buf;
}

const char *report_doc_roles(const json_t *check, char *buf, size_t cap)
{
  size_t used = 0;
  json_t *reqs = json_object_get(check, "requirements");
  size_t i;
  json_t *r;
  if (cap)
    buf[0] = '\0';
  if (!json_is_array(reqs))
    return buf;
  json_array_foreach(reqs, i, r)
  {
    const char *role = report_doc_str(r, "role");
    if (!role)
      continue;
    bool seen = false; /* distinct, first-seen order */
    for (size_t k = 0; k < i && !seen; k++)
      seen = report_doc_str(json_array_get(reqs, k), "role") &&
             strcmp(report_doc_str(json_array_get(reqs, k), "role"), role) == 0;
    if (seen || used >= cap)
      continue;
    int w = snprintf(buf + used, cap - used, "%s%s", used ? "," : "", role);
    if (w < 0)
      break;
    used += (size_t)w;
  }
  return buf;
}

int report_doc_verdict(const json_t *check)
{
  enum uc_verdict v;
  const char *s = report_doc_str(check, "verdict");
  return s && uc_verdict_parse(s, &v) == 0 ? (int)v : -1;
}

json_t *report_doc_evidence(const json_t *check, const char *kind)
{
  json_t *ev = json_is_object(check) ? json_object_get(check, "evidence") : NULL;
  json_t *k = json_is_object(ev) ? json_object_get(ev, kind) : NULL;
  return json_is_object(k) ? k : NULL;
}

size_t report_doc_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
  size_t len;
  uint32_t c, min;
  if (n == 0)
    return 0;
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  if ((s[0] & 0xE0) == 0xC0) {
    len = 2, c = s[0] & 0x1Fu, min = 0x80;
  } else if ((s[0] & 0xF0) == 0xE0) {
    len = 3, c = s[0] & 0x0Fu, min = 0x800;
  } else if ((s[0] & 0xF8) == 0xF0) {
    len = 4, c = s[0] & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3Fu);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return len;
}
