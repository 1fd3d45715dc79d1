/* reports/prom.c - Prometheus text exposition from a report document. */
#include "reports/prom.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/uc.h"
#include "reports/report_doc.h"

void prom_label_escape(FILE *out, const char *s)
{
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t left = strlen((const char *)p);
  while (*p) {
    uint32_t cp;
    size_t n = report_doc_utf8(p, left, &cp);
    if (n == 0) {
      fputs("\xEF\xBF\xBD", out);
      p++;
      left--;
      continue;
    }
    if (*p == '\\')
      fputs("\\\\", out);
    else if (*p == '"')
      fputs("\\\"", out);
    else if (*p == '\n')
      fputs("\\n", out);
    else
      fwrite(p, 1, n, out);
    p += n;
    left -= n;
  }
}

/* A label set being written: `{a="x",b="y"`; close with labels_end. */
static void label(FILE *out, bool *first, const char *name, const char *value)
{
  fprintf(out, "%s%s=\"", *first ? "{" : ",", name);
  prom_label_escape(out, value);
  fputc('"', out);
  *first = false;
}

static void family(FILE *out, const char *name, const char *help)
{
  /* HELP texts are ours: no backslash or newline to escape. */
  fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* Numbers: integers as such, others with enough digits and no float noise. */
static void value(FILE *out, double v)
{
  if (v == (double)(long long)v && v > -9e15 && v < 9e15)
    fprintf(out, " %lld\n", (long long)v);
  else
    fprintf(out, " %.15g\n", v);
}

struct ctx {
  FILE *out;
  const char *topology;
  json_t *hosts;
};

/* Starts a per-check series: name{topology,host,port,transport,protocol */
static void check_labels(const struct ctx *c, const char *name, const json_t *host,
                         const json_t *check)
{
  char port[24];
  bool first = true;
  fputs(name, c->out);
  label(c->out, &first, "topology", c->topology);
  label(c->out, &first, "host", report_doc_str(host, "name"));
  label(c->out, &first, "port", report_doc_port(check, port, sizeof(port)));
  label(c->out, &first, "transport", report_doc_str(check, "transport"));
  label(c->out, &first, "protocol", report_doc_str(check, "protocol"));
}

typedef bool (*check_fn)(const struct ctx *c, const json_t *host, const json_t *check);

static void each_check(const struct ctx *c, check_fn fn)
{
  size_t i, k;
  json_t *h, *ck;
  json_array_foreach(c->hosts, i, h)
  {
    json_array_foreach(json_object_get(h, "checks"), k, ck) fn(c, h, ck);
  }
}

static bool verdict_series(const struct ctx *c, const json_t *host, const json_t *check)
{
  int v = report_doc_verdict(check);
  if (v < 0)
    return false;
  for (int k = 0; k < UC_VERDICT_COUNT; k++) {
    check_labels(c, "ucscan_check_verdict", host, check);
    fprintf(c->out, ",verdict=\"%s\"} %d\n", uc_verdict_name((enum uc_verdict)k), k == v);
  }
  return true;
}

static bool rtt_series(const struct ctx *c, const json_t *host, const json_t *check)
{
  json_t *rtt = json_object_get(check, "rtt_ms");
  if (!json_is_number(rtt) || json_number_value(rtt) < 0)
    return false;
  check_labels(c, "ucscan_check_rtt_seconds", host, check);
  fputc('}', c->out);
  value(c->out, json_number_value(rtt) / 1000.0);
  return true;
}

static bool not_after_time(const json_t *check, time_t *t)
{
  json_t *tls = report_doc_evidence(check, "tls");
  json_t *cert = tls ? json_object_get(tls, "certificate") : NULL;
  return report_doc_time(report_doc_str(cert, "not_after"), t) == 0;
}

static bool not_after_series(const struct ctx *c, const json_t *host, const json_t *check)
{
  time_t t;
  if (!not_after_time(check, &t))
    return false;
  check_labels(c, "ucscan_tls_certificate_not_after_timestamp_seconds", host, check);
  fputc('}', c->out);
  value(c->out, (double)t);
  return true;
}

static bool has_rtt(const struct ctx *c, const json_t *host, const json_t *check)
{
  (void)c, (void)host;
  json_t *rtt = json_object_get(check, "rtt_ms");
  return json_is_number(rtt) && json_number_value(rtt) >= 0;
}

static bool has_not_after(const struct ctx *c, const json_t *host, const json_t *check)
{
  time_t t;
  (void)c, (void)host;
  return not_after_time(check, &t);
}

static bool any_check(const struct ctx *c, check_fn fn)
{
  size_t i, k;
  json_t *h, *ck;
  json_array_foreach(c->hosts, i, h)
  {
    json_array_foreach(json_object_get(h, "checks"), k, ck) if (fn(c, h, ck)) return true;
  }
  return false;
}

static void topo_series(const struct ctx *c, const char *name)
{
  bool first = true;
  fputs(name, c->out);
  label(c->out, &first, "topology", c->topology);
  fputc('}', c->out);
}

int prom_write(FILE *out, const json_t *report)
{
  if (!json_is_object(report) || !json_is_array(json_object_get(report, "hosts")))
    return -1;
  const char *topo = report_doc_str(report, "topology");
  struct ctx c = {out, topo ? topo : "", json_object_get(report, "hosts")};

  family(out, "ucscan_scan_info", "Scan metadata: topology, product and ucscan version.");
  bool first = true;
  fputs("ucscan_scan_info", out);
  label(out, &first, "topology", c.topology);
  label(out, &first, "product", report_doc_str(report, "product"));
  json_t *tool = json_object_get(report, "tool");
  label(out, &first, "version", report_doc_str(tool, "version"));
  fputs("} 1\n", out);

  family(out, "ucscan_scan_complete",
         "1 when the scan finished every probe, 0 when it was interrupted (partial report).");
  topo_series(&c, "ucscan_scan_complete");
  value(out, json_is_false(json_object_get(report, "complete")) ? 0 : 1);

  long long ms = report_doc_int(report, "duration_ms", 0, (long long)1 << 53);
  family(out, "ucscan_scan_duration_seconds", "Wall-clock duration of the scan.");
  topo_series(&c, "ucscan_scan_duration_seconds");
  value(out, ms > 0 ? (double)ms / 1000.0 : 0);

  time_t fin;
  if (report_doc_time(report_doc_str(report, "finished_at"), &fin) == 0) {
    family(out, "ucscan_scan_completed_timestamp_seconds", "Unix time at which the scan finished.");
    topo_series(&c, "ucscan_scan_completed_timestamp_seconds");
    value(out, (double)fin);
  }

  unsigned counts[UC_VERDICT_COUNT] = {0};
  size_t i, k;
  json_t *h, *ck;
  json_array_foreach(c.hosts, i, h)
  {
    json_array_foreach(json_object_get(h, "checks"), k, ck)
    {
      int v = report_doc_verdict(ck);
      if (v >= 0)
        counts[v]++;
    }
  }
  family(out, "ucscan_checks", "Checks by verdict.");
  for (int v = 0; v < UC_VERDICT_COUNT; v++) {
    first = true;
    fputs("ucscan_checks", out);
    label(out, &first, "topology", c.topology);
    label(out, &first, "verdict", uc_verdict_name((enum uc_verdict)v));
    fputc('}', out);
    value(out, counts[v]);
  }

  family(out, "ucscan_check_verdict",
         "Verdict of one check as a state set: 1 for the check's verdict, 0 for the others.");
  each_check(&c, verdict_series);
  if (any_check(&c, has_rtt)) {
    family(out, "ucscan_check_rtt_seconds", "Round-trip time measured by the check.");
    each_check(&c, rtt_series);
  }
  if (any_check(&c, has_not_after)) {
    family(out, "ucscan_tls_certificate_not_after_timestamp_seconds",
           "Unix time at which the server certificate seen by the check expires.");
    each_check(&c, not_after_series);
  }
  return ferror(out) ? -1 : 0;
}

char *prom_render(const json_t *report, size_t *len)
{
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  if (!f)
    return NULL;
  int rc = prom_write(f, report);
  if (fclose(f) != 0 || rc < 0) {
    free(buf);
    return NULL;
  }
  if (len)
    *len = n;
  return buf;
}
