/* reports/junit.c - JUnit XML from a report document. */
#include "reports/junit.h"

#include <stdint.h>
#include <string.h>

#include "reports/report_doc.h"

static bool xml_allowed(uint32_t c)
{
  if (c == 0x9 || c == 0xA || c == 0xD)
    return true;
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) /* C0, DEL, C1: illegal or discouraged */
    return false;
  if (c == 0xFFFE || c == 0xFFFF)
    return false;
  return true; /* surrogates and > U+10FFFF never decode */
}

void junit_xml_escape(FILE *out, const char *s, size_t len, bool attr)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    uint32_t c;
    size_t n = report_doc_utf8(p + i, len - i, &c);
    if (n == 0 || !xml_allowed(c)) {
      fputs("\xEF\xBF\xBD", out); /* U+FFFD */
      i += n ? n : 1;
      continue;
    }
    switch (c) {
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
      fputs(attr ? "&quot;" : "\"", out);
      break;
    case '\'':
      fputs(attr ? "&apos;" : "'", out);
      break;
    case '\t':
      fputs(attr ? "&#9;" : "\t", out);
      break;
    case '\n':
      fputs(attr ? "&#10;" : "\n", out);
      break;
    case '\r':
      fputs("&#13;", out);
      break;
    default:
      fwrite(p + i, 1, n, out);
      break;
    }
    i += n;
  }
}

static void esc(FILE *out, const char *s, bool attr)
{
  if (s)
    junit_xml_escape(out, s, strlen(s), attr);
}

static void attr_str(FILE *out, const char *name, const char *value)
{
  fprintf(out, " %s=\"", name);
  esc(out, value, true);
  fputc('"', out);
}

/* What a check's verdict counts as. */
struct counts {
  unsigned tests, failures, skipped;
  double time;
};

static double check_seconds(const json_t *check)
{
  json_t *rtt = json_object_get(check, "rtt_ms");
  double ms = json_is_number(rtt) ? json_number_value(rtt) : 0;
  return ms > 0 ? ms / 1000.0 : 0;
}

static void count_host(const json_t *checks, struct counts *c)
{
  size_t i;
  json_t *ck;
  memset(c, 0, sizeof(*c));
  json_array_foreach(checks, i, ck)
  {
    int v = report_doc_verdict(ck);
    c->tests++;
    c->failures += v == UC_FAIL;
    c->skipped += v == UC_SKIP;
    c->time += check_seconds(ck);
  }
}

static void requirements_text(FILE *out, const json_t *check)
{
  json_t *reqs = json_object_get(check, "requirements");
  size_t i;
  json_t *r;
  if (!json_is_array(reqs) || json_array_size(reqs) == 0)
    return;
  fputs("requirements:\n", out);
  json_array_foreach(reqs, i, r)
  {
    const char *id = report_doc_str(r, "id"), *role = report_doc_str(r, "role");
    const char *svc = report_doc_str(r, "service");
    fputs("  ", out);
    esc(out, id ? id : "?", false);
    fputs(" (", out);
    esc(out, role ? role : "?", false);
    fputs(", ", out);
    esc(out, svc ? svc : "?", false);
    fputs(json_is_true(json_object_get(r, "optional")) ? ", optional)\n" : ")\n", out);
  }
}

static void line(FILE *out, const char *label, const char *value)
{
  if (!value)
    return;
  fprintf(out, "%s: ", label);
  esc(out, value, false);
  fputc('\n', out);
}

/* The body shared by <failure> and the warn <system-out>: what a person needs to act. */
static void details(FILE *out, const json_t *check)
{
  line(out, "state", report_doc_str(check, "state"));
  long long att = report_doc_int(check, "attempts", 0, 1000000);
  if (att >= 0)
    fprintf(out, "attempts: %lld\n", att);
  json_t *range = json_object_get(check, "range");
  json_t *fp = json_is_object(range) ? json_object_get(range, "filtered_ports") : NULL;
  if (json_is_array(fp) && json_array_size(fp)) {
    size_t i;
    json_t *run;
    fputs("filtered ports:", out);
    json_array_foreach(fp, i, run)
    {
      fputc(' ', out);
      esc(out, json_string_value(run), false);
    }
    fputc('\n', out);
  }
  json_t *tls = report_doc_evidence(check, "tls");
  json_t *cert = tls ? json_object_get(tls, "certificate") : NULL;
  if (json_is_object(cert)) {
    line(out, "certificate subject", report_doc_str(cert, "subject"));
    line(out, "certificate issuer", report_doc_str(cert, "issuer"));
    line(out, "certificate not after", report_doc_str(cert, "not_after"));
    json_t *days = json_object_get(cert, "days_left");
    if (json_is_integer(days))
      fprintf(out, "certificate days left: %lld\n", (long long)json_integer_value(days));
  }
  if (tls && json_is_boolean(json_object_get(tls, "client_cert_requested")))
    fprintf(out, "client certificate requested: %s\n",
            json_is_true(json_object_get(tls, "client_cert_requested")) ? "yes" : "no");
  json_t *ev = json_object_get(check, "evidence");
  json_t *err = json_is_object(ev) ? json_object_get(ev, "error") : NULL;
  if (json_is_string(err))
    line(out, "error", json_string_value(err));
  requirements_text(out, check);
}

/* "ucscan." and the host name with its dots made "_". */
static void classname(FILE *out, const char *host)
{
  char buf[300];
  snprintf(buf, sizeof(buf), "ucscan.%s", host ? host : "?");
  for (char *p = buf + 7; *p; p++)
    if (*p == '.')
      *p = '_';
  esc(out, buf, true);
}

static void testcase(FILE *out, const json_t *check, const char *host)
{
  char roles[256], port[24], name[400];
  const char *tr = report_doc_str(check, "transport"), *proto = report_doc_str(check, "protocol");
  report_doc_roles(check, roles, sizeof(roles));
  snprintf(name, sizeof(name), "%s %s/%s %s", roles[0] ? roles : "ad-hoc",
           report_doc_port(check, port, sizeof(port)), tr ? tr : "?", proto ? proto : "?");
  const char *reason = report_doc_str(check, "reason");
  int v = report_doc_verdict(check);
  fputs("    <testcase", out);
  attr_str(out, "name", name);
  fputs(" classname=\"", out);
  classname(out, host);
  fprintf(out, "\" time=\"%.6f\"", check_seconds(check));
  if (v == UC_PASS || v < 0) {
    fputs("/>\n", out);
    return;
  }
  fputs(">\n", out);
  if (v == UC_FAIL) {
    const char *state = report_doc_str(check, "state");
    fputs("      <failure", out);
    attr_str(out, "message", reason ? reason : "");
    attr_str(out, "type", state ? state : "fail");
    fputs(">", out);
    details(out, check);
    fputs("</failure>\n", out);
  } else if (v == UC_SKIP) {
    fputs("      <skipped", out);
    attr_str(out, "message", reason ? reason : "");
    fputs("/>\n", out);
  } else { /* warn */
    fputs("      <system-out>warn: ", out);
    esc(out, reason ? reason : "", false);
    fputc('\n', out);
    details(out, check);
    fputs("</system-out>\n", out);
  }
  fputs("    </testcase>\n", out);
}

static void property(FILE *out, const char *name, const char *value)
{
  fputs("      <property", out);
  attr_str(out, "name", name);
  attr_str(out, "value", value ? value : "");
  fputs("/>\n", out);
}

static void testsuite(FILE *out, const json_t *host, const json_t *report, const char *stamp)
{
  const char *name = report_doc_str(host, "name");
  json_t *checks = json_object_get(host, "checks");
  struct counts c;
  if (!json_is_array(checks))
    checks = NULL;
  count_host(checks, &c);
  fputs("  <testsuite", out);
  attr_str(out, "name", name ? name : "?");
  fprintf(out, " tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.6f\"", c.tests,
          c.failures, c.skipped, c.time);
  if (stamp[0])
    attr_str(out, "timestamp", stamp);
  fputs(" package=\"ucscan\">\n    <properties>\n", out);
  property(out, "address", report_doc_str(host, "address"));
  char roles[512] = "";
  size_t used = 0, i;
  json_t *r;
  json_array_foreach(json_object_get(host, "roles"), i, r)
  {
    if (json_is_string(r) && used < sizeof(roles)) {
      int w = snprintf(roles + used, sizeof(roles) - used, "%s%s", used ? "," : "",
                       json_string_value(r));
      used += w > 0 ? (size_t)w : 0;
    }
  }
  property(out, "roles", roles);
  property(out, "topology", report_doc_str(report, "topology"));
  property(out, "product", report_doc_str(report, "product"));
  property(out, "scan_complete",
           json_is_false(json_object_get(report, "complete")) ? "false" : "true");
  fputs("    </properties>\n", out);
  json_t *ck;
  json_array_foreach(checks, i, ck) testcase(out, ck, name);
  fputs("  </testsuite>\n", out);
}

int junit_write(FILE *out, const json_t *report)
{
  if (!json_is_object(report))
    return -1;
  json_t *hosts = json_object_get(report, "hosts");
  if (!json_is_array(hosts))
    return -1;
  unsigned tests = 0, failures = 0;
  size_t i;
  json_t *h;
  json_array_foreach(hosts, i, h)
  {
    struct counts c;
    json_t *checks = json_object_get(h, "checks");
    count_host(json_is_array(checks) ? checks : NULL, &c);
    tests += c.tests;
    failures += c.failures;
  }
  /* JUnit's timestamp is an ISO 8601 local date-time without a zone: ours is UTC. */
  char stamp[32] = "";
  const char *started = report_doc_str(report, "started_at");
  time_t t;
  if (started && report_doc_time(started, &t) == 0)
    snprintf(stamp, sizeof(stamp), "%.19s", started);
  const char *topo = report_doc_str(report, "topology");
  char suites[300];
  snprintf(suites, sizeof(suites), "ucscan %s%s", topo && topo[0] ? topo : "scan",
           json_is_false(json_object_get(report, "complete")) ? " (incomplete)" : "");
  long long ms = report_doc_int(report, "duration_ms", 0, (long long)1 << 53);
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
  attr_str(out, "name", suites);
  fprintf(out, " tests=\"%u\" failures=\"%u\" errors=\"0\" time=\"%.3f\">\n", tests, failures,
          ms > 0 ? (double)ms / 1000.0 : 0.0);
  json_array_foreach(hosts, i, h) testsuite(out, h, report, stamp);
  fputs("</testsuites>\n", out);
  return ferror(out) ? -1 : 0;
}
