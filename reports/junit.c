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

/* What a check becomes in JUnit. */
enum jresult { J_PASS, J_WARN, J_FAIL, J_ERROR, J_SKIP };

/* A check's result: its verdict; a range an interrupted scan cut short is an error unless it
 * already failed (or was skipped); a warning is a failure in strict mode. */
static enum jresult check_result(const json_t *check, const struct junit_opts *o)
{
  int v = report_doc_verdict(check);
  if (v == UC_FAIL)
    return J_FAIL;
  if (v == UC_SKIP)
    return J_SKIP;
  if (json_is_true(json_object_get(check, "partial")))
    return J_ERROR;
  if (v == UC_WARN)
    return o && o->warn_fails ? J_FAIL : J_WARN;
  return J_PASS;
}

/* What a host's checks count as. */
struct counts {
  unsigned tests, failures, errors, skipped, warnings, not_checked;
  double time;
};

static double check_seconds(const json_t *check)
{
  json_t *rtt = json_object_get(check, "rtt_ms");
  double ms = json_is_number(rtt) ? json_number_value(rtt) : 0;
  return ms > 0 ? ms / 1000.0 : 0;
}

/* The host's "not_checked" array (a partial report), or NULL. */
static json_t *host_not_checked(const json_t *host)
{
  json_t *nc = json_object_get(host, "not_checked");
  return json_is_array(nc) ? nc : NULL;
}

static void count_host(const json_t *host, const struct junit_opts *o, struct counts *c)
{
  size_t i;
  json_t *ck, *checks = json_object_get(host, "checks");
  memset(c, 0, sizeof(*c));
  json_array_foreach(json_is_array(checks) ? checks : NULL, i, ck)
  {
    enum jresult r = check_result(ck, o);
    c->tests++;
    c->failures += r == J_FAIL;
    c->errors += r == J_ERROR;
    c->skipped += r == J_SKIP;
    c->warnings += report_doc_verdict(ck) == UC_WARN;
    c->time += check_seconds(ck);
  }
  c->not_checked = (unsigned)json_array_size(host_not_checked(host));
  c->tests += c->not_checked;
  c->errors += c->not_checked;
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

/* "ROLES PORT/TRANSPORT PROTOCOL": the same name whether the check finished or not, so a CI
 * history follows one check from run to run. */
static void case_name(const json_t *check, char *name, size_t cap)
{
  char roles[256], port[24];
  const char *tr = report_doc_str(check, "transport"), *proto = report_doc_str(check, "protocol");
  report_doc_roles(check, roles, sizeof(roles));
  snprintf(name, cap, "%s %s/%s %s", roles[0] ? roles : "ad-hoc",
           report_doc_port(check, port, sizeof(port)), tr ? tr : "?", proto ? proto : "?");
}

static void case_open(FILE *out, const char *name, const char *host, double secs)
{
  fputs("    <testcase", out);
  attr_str(out, "name", name);
  fputs(" classname=\"", out);
  classname(out, host);
  fprintf(out, "\" time=\"%.6f\"", secs);
}

/* <failure> or <error>: MESSAGE, TYPE, then the details a person needs. */
static void result_elem(FILE *out, const char *elem, const char *prefix, const char *message,
                        const char *type, const json_t *check)
{
  fprintf(out, "      <%s message=\"", elem);
  esc(out, prefix, true);
  esc(out, message ? message : "", true);
  fputc('"', out);
  attr_str(out, "type", type);
  fputs(">", out);
  details(out, check);
  fprintf(out, "</%s>\n", elem);
}

static void testcase(FILE *out, const json_t *check, const char *host, const struct junit_opts *o)
{
  char name[400];
  case_name(check, name, sizeof(name));
  const char *reason = report_doc_str(check, "reason");
  const char *state = report_doc_str(check, "state");
  int v = report_doc_verdict(check);
  enum jresult r = check_result(check, o);
  case_open(out, name, host, check_seconds(check));
  if (r == J_PASS) {
    fputs("/>\n", out);
    return;
  }
  fputs(">\n", out);
  if (r == J_FAIL && v == UC_WARN) /* strict mode */
    result_elem(out, "failure", "warn: ", reason, "warn", check);
  else if (r == J_FAIL)
    result_elem(out, "failure", "", reason, state ? state : "fail", check);
  else if (r == J_ERROR) /* a range an interrupted scan cut short */
    result_elem(out, "error", "", reason, "incomplete", check);
  else if (r == J_SKIP) {
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

/* A check an interrupted scan did not finish: an error, named as the check would be. */
static void not_checked_case(FILE *out, const json_t *entry, const char *host)
{
  char name[400];
  case_name(entry, name, sizeof(name));
  const char *why = report_doc_str(entry, "reason");
  char msg[300];
  snprintf(msg, sizeof(msg), "not checked: %s (the scan was interrupted)",
           why ? why : "the scan did not finish");
  case_open(out, name, host, 0);
  fputs(">\n", out);
  result_elem(out, "error", "", msg, "incomplete", entry);
  fputs("    </testcase>\n", out);
}

/* The suite's own output: its warnings and what was not checked, one line each, so that a
 * warning shows outside its own test case (a warn passes unless strict). */
static void suite_out(FILE *out, const json_t *host, const struct counts *c)
{
  size_t i;
  json_t *ck;
  char name[400];
  if (!c->warnings && !c->not_checked)
    return;
  fputs("    <system-out>", out);
  if (c->warnings)
    fprintf(out, "%u warning%s:\n", c->warnings, c->warnings == 1 ? "" : "s");
  json_array_foreach(json_object_get(host, "checks"), i, ck)
  {
    if (report_doc_verdict(ck) != UC_WARN)
      continue;
    case_name(ck, name, sizeof(name));
    fputs("  warn ", out);
    esc(out, name, false);
    fputs(": ", out);
    esc(out, report_doc_str(ck, "reason"), false);
    fputc('\n', out);
  }
  if (c->not_checked)
    fprintf(out, "%u check%s not checked (the scan was interrupted):\n", c->not_checked,
            c->not_checked == 1 ? "" : "s");
  json_array_foreach(host_not_checked(host), i, ck)
  {
    case_name(ck, name, sizeof(name));
    fputs("  not checked ", out);
    esc(out, name, false);
    fputc('\n', out);
  }
  fputs("</system-out>\n", out);
}

static void property(FILE *out, const char *name, const char *value)
{
  fputs("      <property", out);
  attr_str(out, "name", name);
  attr_str(out, "value", value ? value : "");
  fputs("/>\n", out);
}

/* NAME, then " (incomplete)" for an interrupted scan and " (N warnings)" when checks warn:
 * the names are what Jenkins, junitparser and xunit-viewer show in their summaries, and JUnit
 * has no warning result, so a suite whose warnings pass says so in its name. The test cases
 * keep their names (and classname), so a CI history still follows each check. */
static void suite_name(FILE *out, const char *name, bool incomplete, unsigned warnings)
{
  fputs(" name=\"", out);
  esc(out, name, true);
  if (incomplete)
    fputs(" (incomplete)", out);
  if (warnings)
    fprintf(out, " (%u warning%s)", warnings, warnings == 1 ? "" : "s");
  fputc('"', out);
}

static void testsuite(FILE *out, const json_t *host, const json_t *report, const char *stamp,
                      const struct junit_opts *o)
{
  const char *name = report_doc_str(host, "name");
  json_t *checks = json_object_get(host, "checks");
  struct counts c;
  if (!json_is_array(checks))
    checks = NULL;
  count_host(host, o, &c);
  fputs("  <testsuite", out);
  suite_name(out, name ? name : "?", false, c.warnings);
  fprintf(out, " tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.6f\"", c.tests,
          c.failures, c.errors, c.skipped, c.time);
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
  char num[16];
  snprintf(num, sizeof(num), "%u", c.warnings);
  property(out, "warnings", num);
  snprintf(num, sizeof(num), "%u", c.not_checked);
  property(out, "not_checked", num);
  property(out, "fail_on", o && o->warn_fails ? "warn" : "fail");
  fputs("    </properties>\n", out);
  json_t *ck;
  json_array_foreach(checks, i, ck) testcase(out, ck, name, o);
  json_array_foreach(host_not_checked(host), i, ck) not_checked_case(out, ck, name);
  suite_out(out, host, &c);
  fputs("  </testsuite>\n", out);
}

/* A report that says it is incomplete but names nothing unfinished (one from before
 * "not_checked", or stopped before a single check was planned): one errored case, so that
 * the CI consumer never reads an interrupted scan as green. */
static void incomplete_suite(FILE *out, const char *stamp)
{
  fputs("  <testsuite name=\"ucscan\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" "
        "time=\"0\"",
        out);
  if (stamp[0])
    attr_str(out, "timestamp", stamp);
  fputs(
      " package=\"ucscan\">\n    <testcase name=\"scan complete\" classname=\"ucscan.scan\" "
      "time=\"0\">\n      <error message=\"the scan did not finish (&quot;complete&quot;: false): "
      "what it did not reach is unknown\" type=\"incomplete\"/>\n    </testcase>\n  "
      "</testsuite>\n",
      out);
}

int junit_write_opts(FILE *out, const json_t *report, const struct junit_opts *o)
{
  if (!json_is_object(report))
    return -1;
  json_t *hosts = json_object_get(report, "hosts");
  if (!json_is_array(hosts))
    return -1;
  unsigned tests = 0, failures = 0, errors = 0, warnings = 0;
  size_t i;
  json_t *h;
  json_array_foreach(hosts, i, h)
  {
    struct counts c;
    count_host(h, o, &c);
    tests += c.tests;
    failures += c.failures;
    errors += c.errors;
    warnings += c.warnings;
  }
  bool incomplete = json_is_false(json_object_get(report, "complete"));
  bool extra = incomplete && errors == 0;
  /* JUnit's timestamp is an ISO 8601 local date-time without a zone: ours is UTC. */
  char stamp[32] = "";
  const char *started = report_doc_str(report, "started_at");
  time_t t;
  if (started && report_doc_time(started, &t) == 0)
    snprintf(stamp, sizeof(stamp), "%.19s", started);
  const char *topo = report_doc_str(report, "topology");
  char suites[300];
  snprintf(suites, sizeof(suites), "ucscan %s", topo && topo[0] ? topo : "scan");
  long long ms = report_doc_int(report, "duration_ms", 0, (long long)1 << 53);
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
  suite_name(out, suites, incomplete, warnings);
  fprintf(out, " tests=\"%u\" failures=\"%u\" errors=\"%u\" time=\"%.3f\">\n", tests + extra,
          failures, errors + extra, ms > 0 ? (double)ms / 1000.0 : 0.0);
  json_array_foreach(hosts, i, h) testsuite(out, h, report, stamp, o);
  if (extra)
    incomplete_suite(out, stamp);
  fputs("</testsuites>\n", out);
  return ferror(out) ? -1 : 0;
}

int junit_write(FILE *out, const json_t *report)
{
  return junit_write_opts(out, report, NULL);
}
