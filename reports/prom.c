/* reports/prom.c - Prometheus text exposition from a report document. */
#include "reports/prom.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/uc.h"
#include "reports/report_doc.h"

/* The state label of a check a partial scan did not finish. */
#define PROM_NOT_CHECKED "not_checked"

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

/* A vantage as the documents spell it: "servers", or an object {"from": "servers", ...}
 * (the report's top level). NULL when neither, or empty. */
static const char *vantage_of(const json_t *v)
{
  const char *s = json_is_string(v) ? json_string_value(v) : report_doc_str(v, "from");
  return s && *s ? s : NULL;
}

const char *prom_topology(const json_t *report)
{
  const char *t = report_doc_str(report, "topology");
  return t ? t : "";
}

const char *prom_vantage(const json_t *report)
{
  const char *v = vantage_of(json_object_get(report, "vantage"));
  return v ? v : uc_vantage_name(UC_V_ANY);
}

/* One scan behind the document: the report's own, or one per "merged_from" entry. */
struct run {
  const char *vantage;
  const char *scanner;   /* host name of the scanner, or NULL */
  int complete;          /* 1 or 0 */
  long long duration_ms; /* -1: unknown */
  long long not_checked; /* checks the scan did not finish; -1: unknown (a merged input) */
  bool has_finished;
  time_t finished;
};

/* A check with per-check series, its label text made once. */
struct xcheck {
  const json_t *check;
  int verdict;
  char *labels; /* topology="..",vantage="..",... without braces */
};

/* Checks per verdict for one vantage. */
struct vcount {
  const char *vantage;
  unsigned n[UC_VERDICT_COUNT];
};

struct ctx {
  FILE *out;
  const char *topology;
  const char *vantage; /* the report's own */
  struct run *runs;
  size_t nruns;
  struct xcheck *xs;
  size_t nxs;
  struct xcheck *ncs; /* the checks a partial report did not finish (hosts' "not_checked") */
  size_t nncs;
  struct vcount *counts;
  size_t ncounts;
};

/* `name="value"` appended to a label text, a comma before all but the first. */
static void label(FILE *f, bool *first, const char *name, const char *value)
{
  fprintf(f, "%s%s=\"", *first ? "" : ",", name);
  prom_label_escape(f, value);
  fputc('"', f);
  *first = false;
}

static void family(FILE *out, const char *name, const char *help)
{
  /* HELP texts are ours: no backslash or newline to escape. */
  fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* Numbers: integers as such, others with enough digits and no float noise; the
 * exposition format's spellings for infinities and NaN. The range test comes first:
 * converting a double beyond long long is undefined. */
static void value(FILE *out, double v)
{
  if (isnan(v))
    fputs(" NaN\n", out);
  else if (isinf(v))
    fputs(v > 0 ? " +Inf\n" : " -Inf\n", out);
  else if (v > -9e15 && v < 9e15 && v == (double)(long long)v)
    fprintf(out, " %lld\n", (long long)v);
  else
    fprintf(out, " %.15g\n", v);
}

/* The vantage a check's result belongs to: its own "vantage" (a merged report), else the
 * report's. */
static const char *check_vantage(const struct ctx *c, const json_t *check)
{
  const char *v = vantage_of(json_object_get(check, "vantage"));
  return v ? v : c->vantage;
}

/* The Edge interface of a check: its "interface", else (an entry of "not_checked" written
 * before those carried the key) the one every requirement names, as the plan gives a check
 * its interface; NULL when none or they differ. */
static const char *check_interface(const json_t *check)
{
  json_t *itf = json_object_get(check, "interface");
  if (itf)
    return json_is_string(itf) ? json_string_value(itf) : NULL;
  const char *common = NULL;
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(check, "requirements"), i, r)
  {
    const char *f = report_doc_str(r, "interface");
    if (!f || (common && strcmp(common, f) != 0))
      return NULL;
    common = f;
  }
  return common;
}

/* The label text of a check: CHECK in prom.h; `state` overrides the check's (an unfinished
 * check has none). NULL when out of memory. */
static char *check_labels(const struct ctx *c, const json_t *host, const json_t *check,
                          const char *state)
{
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  if (!f)
    return NULL;
  char port[24], roles[1024];
  bool first = true;
  if (!state)
    state = report_doc_str(check, "state");
  const char *itf = check_interface(check);
  label(f, &first, "topology", c->topology);
  label(f, &first, "vantage", check_vantage(c, check));
  label(f, &first, "host", report_doc_str(host, "name"));
  label(f, &first, "port", report_doc_port(check, port, sizeof(port)));
  label(f, &first, "transport", report_doc_str(check, "transport"));
  label(f, &first, "protocol", report_doc_str(check, "protocol"));
  label(f, &first, "role", report_doc_roles(check, roles, sizeof(roles)));
  label(f, &first, "state", state ? state : uc_state_name(UC_ST_NONE));
  if (itf && *itf)
    label(f, &first, "interface", itf);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* Set membership through a JSON object: true when `key` was already in `set`. */
static bool seen_before(json_t *set, const char *key)
{
  if (json_object_get(set, key))
    return true;
  json_object_set_new_nocheck(set, key, json_true());
  return false;
}

/* Every check of every host with a pass, warn or fail verdict, in report order, each label
 * set once. Returns 0 or -1 (memory). */
static int collect_checks(struct ctx *c, const json_t *hosts)
{
  size_t i, k, total = 0;
  json_t *h, *ck;
  json_array_foreach(hosts, i, h) total += json_array_size(json_object_get(h, "checks"));
  c->xs = calloc(total ? total : 1, sizeof(*c->xs));
  json_t *set = json_object();
  if (!c->xs || !set) {
    json_decref(set);
    return -1;
  }
  int rc = 0;
  json_array_foreach(hosts, i, h)
  {
    json_array_foreach(json_object_get(h, "checks"), k, ck)
    {
      int v = report_doc_verdict(ck);
      if (v < 0 || v == UC_SKIP || rc < 0)
        continue;
      char *labels = check_labels(c, h, ck, NULL);
      if (!labels) {
        rc = -1;
        continue;
      }
      if (seen_before(set, labels)) {
        free(labels);
        continue;
      }
      c->xs[c->nxs++] = (struct xcheck){ck, v, labels};
    }
  }
  json_decref(set);
  return rc;
}

/* The checks a partial report did not finish, each label set once, with state
 * "not_checked"; and each run's count of them. Returns 0 or -1 (memory). */
static int collect_not_checked(struct ctx *c, const json_t *hosts)
{
  size_t i, k, total = 0;
  json_t *h, *ck;
  json_array_foreach(hosts, i, h) total += json_array_size(json_object_get(h, "not_checked"));
  c->ncs = calloc(total ? total : 1, sizeof(*c->ncs));
  json_t *set = json_object();
  if (!c->ncs || !set) {
    json_decref(set);
    return -1;
  }
  int rc = 0;
  json_array_foreach(hosts, i, h)
  {
    json_array_foreach(json_object_get(h, "not_checked"), k, ck)
    {
      if (!json_is_object(ck) || rc < 0)
        continue;
      const char *v = check_vantage(c, ck);
      for (size_t r = 0; r < c->nruns; r++)
        if (strcmp(c->runs[r].vantage, v) == 0) {
          c->runs[r].not_checked = c->runs[r].not_checked < 0 ? 1 : c->runs[r].not_checked + 1;
          break;
        }
      char *labels = check_labels(c, h, ck, PROM_NOT_CHECKED);
      if (!labels) {
        rc = -1;
        continue;
      }
      if (seen_before(set, labels)) {
        free(labels);
        continue;
      }
      c->ncs[c->nncs++] = (struct xcheck){ck, -1, labels};
    }
  }
  json_decref(set);
  return rc;
}

static struct vcount *vantage_count(struct ctx *c, json_t *index, const char *vantage)
{
  json_t *at = json_object_get(index, vantage);
  if (at)
    return &c->counts[json_integer_value(at)];
  json_object_set_new_nocheck(index, vantage, json_integer((json_int_t)c->ncounts));
  struct vcount *vc = &c->counts[c->ncounts++];
  vc->vantage = vantage;
  return vc;
}

/* Checks per vantage and verdict: the runs' vantages first (all four verdicts even when
 * zero), then any other vantage a check names. */
static int count_checks(struct ctx *c, const json_t *hosts)
{
  size_t i, k, total = c->nruns;
  json_t *h, *ck;
  json_array_foreach(hosts, i, h) total += json_array_size(json_object_get(h, "checks"));
  c->counts = calloc(total ? total : 1, sizeof(*c->counts));
  json_t *index = json_object();
  if (!c->counts || !index) {
    json_decref(index);
    return -1;
  }
  for (i = 0; i < c->nruns; i++)
    vantage_count(c, index, c->runs[i].vantage);
  json_array_foreach(hosts, i, h)
  {
    json_array_foreach(json_object_get(h, "checks"), k, ck)
    {
      int v = report_doc_verdict(ck);
      if (v >= 0)
        vantage_count(c, index, check_vantage(c, ck))->n[v]++;
    }
  }
  json_decref(index);
  return 0;
}

static void run_from(struct run *r, const json_t *doc, const char *vantage, const json_t *whole)
{
  json_t *complete = json_object_get(doc, "complete");
  if (!json_is_boolean(complete))
    complete = json_object_get(whole, "complete");
  r->vantage = vantage;
  r->complete = json_is_false(complete) ? 0 : 1;
  r->duration_ms = report_doc_int(doc, "duration_ms", 0, (long long)1 << 53);
  r->has_finished = report_doc_time(report_doc_str(doc, "finished_at"), &r->finished) == 0;
  /* A complete scan finished every check; a partial one's unfinished checks are counted from
   * its hosts' "not_checked" (a merged report carries them with their vantage): unknown
   * until one is counted. */
  r->not_checked = r->complete || doc == whole ? 0 : -1;
}

/* The scans behind the document, one per vantage (the first of two with one vantage). */
static int collect_runs(struct ctx *c, const json_t *report)
{
  json_t *merged = json_object_get(report, "merged_from");
  size_t n = json_is_array(merged) ? json_array_size(merged) : 0;
  c->runs = calloc(n ? n : 1, sizeof(*c->runs));
  json_t *set = json_object();
  if (!c->runs || !set) {
    json_decref(set);
    return -1;
  }
  if (n == 0) {
    run_from(&c->runs[0], report, c->vantage, report);
    c->runs[0].scanner = report_doc_str(json_object_get(report, "vantage"), "scanner");
    c->nruns = 1;
  }
  size_t i;
  json_t *m;
  json_array_foreach(merged, i, m)
  {
    json_t *vj = json_object_get(m, "vantage");
    const char *v = vantage_of(vj);
    v = v ? v : uc_vantage_name(UC_V_ANY);
    if (!json_is_object(m) || seen_before(set, v))
      continue;
    struct run *r = &c->runs[c->nruns++];
    run_from(r, m, v, report);
    r->duration_ms = -1; /* merged_from says when each scan finished, not how long it took */
    r->scanner = report_doc_str(vj, "scanner");
  }
  json_decref(set);
  return 0;
}

/* Starts a scan-level sample: name{topology="..",vantage=".." (no closing brace). */
static void run_series(const struct ctx *c, const char *name, const char *vantage)
{
  bool first = true;
  fprintf(c->out, "%s{", name);
  label(c->out, &first, "topology", c->topology);
  label(c->out, &first, "vantage", vantage);
}

static void write_runs(const struct ctx *c, const json_t *report)
{
  FILE *out = c->out;
  json_t *tool = json_object_get(report, "tool");
  family(out, "ucscan_scan_info",
         "Scan metadata: topology, vantage, product, ucscan version and scanner host.");
  for (size_t i = 0; i < c->nruns; i++) {
    bool first = false;
    run_series(c, "ucscan_scan_info", c->runs[i].vantage);
    label(out, &first, "product", report_doc_str(report, "product"));
    label(out, &first, "version", report_doc_str(tool, "version"));
    if (c->runs[i].scanner && *c->runs[i].scanner)
      label(out, &first, "scanner", c->runs[i].scanner);
    fputs("} 1\n", out);
  }
  family(out, "ucscan_scan_complete",
         "1 when the scan finished every probe, 0 for a partial report (checks missing).");
  for (size_t i = 0; i < c->nruns; i++) {
    run_series(c, "ucscan_scan_complete", c->runs[i].vantage);
    fputc('}', out);
    value(out, c->runs[i].complete);
  }
  bool nfam = false;
  for (size_t i = 0; i < c->nruns; i++) {
    if (c->runs[i].not_checked < 0)
      continue;
    if (!nfam)
      family(out, "ucscan_checks_not_checked",
             "Checks a partial scan did not finish (each has ucscan_check_not_checked), 0 when "
             "complete.");
    nfam = true;
    run_series(c, "ucscan_checks_not_checked", c->runs[i].vantage);
    fputc('}', out);
    value(out, (double)c->runs[i].not_checked);
  }
  bool fam = false;
  for (size_t i = 0; i < c->nruns; i++) {
    if (c->runs[i].duration_ms < 0)
      continue;
    if (!fam)
      family(out, "ucscan_scan_duration_seconds", "Wall-clock duration of the scan.");
    fam = true;
    run_series(c, "ucscan_scan_duration_seconds", c->runs[i].vantage);
    fputc('}', out);
    value(out, (double)c->runs[i].duration_ms / 1000.0);
  }
  fam = false;
  for (size_t i = 0; i < c->nruns; i++) {
    if (!c->runs[i].has_finished)
      continue;
    if (!fam)
      family(out, "ucscan_scan_completed_timestamp_seconds",
             "Unix time at which the scan finished.");
    fam = true;
    run_series(c, "ucscan_scan_completed_timestamp_seconds", c->runs[i].vantage);
    fputc('}', out);
    value(out, (double)c->runs[i].finished);
  }
}

static void write_counts(const struct ctx *c, const json_t *report)
{
  FILE *out = c->out;
  family(out, "ucscan_checks", "Checks by verdict (skipped checks are counted only here).");
  for (size_t i = 0; i < c->ncounts; i++)
    for (int v = 0; v < UC_VERDICT_COUNT; v++) {
      bool first = false;
      run_series(c, "ucscan_checks", c->counts[i].vantage);
      label(out, &first, "verdict", uc_verdict_name((enum uc_verdict)v));
      fputc('}', out);
      value(out, c->counts[i].n[v]);
    }
  long long unc =
      report_doc_int(json_object_get(report, "summary"), "uncovered", 0, (long long)1 << 53);
  if (unc >= 0) {
    family(out, "ucscan_checks_uncovered",
           "Checks of a merged report that no merged vantage could test.");
    run_series(c, "ucscan_checks_uncovered", c->vantage);
    fputc('}', out);
    value(out, (double)unc);
  }
}

/* A per-check value: true and *v when the check has one. */
typedef bool (*xvalue_fn)(const struct xcheck *x, double *v);

static void check_family(const struct ctx *c, const char *name, const char *help, xvalue_fn fn)
{
  bool fam = false;
  double v;
  for (size_t i = 0; i < c->nxs; i++) {
    if (!fn(&c->xs[i], &v))
      continue;
    if (!fam)
      family(c->out, name, help);
    fam = true;
    fprintf(c->out, "%s{%s}", name, c->xs[i].labels);
    value(c->out, v);
  }
}

static bool success_value(const struct xcheck *x, double *v)
{
  *v = x->verdict == UC_FAIL ? 0 : 1;
  return true;
}

static bool rtt_value(const struct xcheck *x, double *v)
{
  json_t *rtt = json_object_get(x->check, "rtt_ms");
  if (!json_is_number(rtt) || json_number_value(rtt) < 0)
    return false;
  *v = json_number_value(rtt) / 1000.0;
  return true;
}

static bool not_after_value(const struct xcheck *x, double *v)
{
  json_t *tls = report_doc_evidence(x->check, "tls");
  json_t *cert = tls ? json_object_get(tls, "certificate") : NULL;
  time_t t;
  if (report_doc_time(report_doc_str(cert, "not_after"), &t) < 0)
    return false;
  *v = (double)t;
  return true;
}

static bool client_cert_value(const struct xcheck *x, double *v)
{
  json_t *tls = report_doc_evidence(x->check, "tls");
  json_t *req = tls ? json_object_get(tls, "client_cert_requested") : NULL;
  if (!json_is_boolean(req))
    return false;
  *v = json_is_true(req);
  return true;
}

static void write_checks(const struct ctx *c)
{
  check_family(c, "ucscan_check_success",
               "1 when the check passed or warned, 0 when it failed (skipped checks: none).",
               success_value);
  if (c->nxs)
    family(c->out, "ucscan_check_verdict",
           "Verdict of one check as a state set over pass, warn and fail: 1 for its verdict.");
  for (size_t i = 0; i < c->nxs; i++)
    for (int v = UC_PASS; v <= UC_FAIL; v++)
      fprintf(c->out, "ucscan_check_verdict{%s,verdict=\"%s\"} %d\n", c->xs[i].labels,
              uc_verdict_name((enum uc_verdict)v), v == c->xs[i].verdict);
  check_family(c, "ucscan_check_rtt_seconds", "Round-trip time measured by the check.", rtt_value);
  check_family(c, "ucscan_tls_certificate_not_after_timestamp_seconds",
               "Unix time at which the server certificate seen by the check expires.",
               not_after_value);
  check_family(c, "ucscan_tls_client_cert_requested",
               "1 when the TLS server asked for a client certificate, 0 when it did not.",
               client_cert_value);
  if (c->nncs)
    family(c->out, "ucscan_check_not_checked",
           "1 for each check a partial scan did not finish: no result, so no "
           "ucscan_check_success.");
  for (size_t i = 0; i < c->nncs; i++)
    fprintf(c->out, "ucscan_check_not_checked{%s} 1\n", c->ncs[i].labels);
}

static void ctx_free(struct ctx *c)
{
  for (size_t i = 0; i < c->nxs; i++)
    free(c->xs[i].labels);
  free(c->xs);
  for (size_t i = 0; i < c->nncs; i++)
    free(c->ncs[i].labels);
  free(c->ncs);
  free(c->runs);
  free(c->counts);
}

int prom_write(FILE *out, const json_t *report)
{
  json_t *hosts = json_object_get(report, "hosts");
  if (!json_is_object(report) || !json_is_array(hosts))
    return -1;
  struct ctx c = {.out = out, .topology = prom_topology(report), .vantage = prom_vantage(report)};
  int rc = -1;
  if (collect_runs(&c, report) == 0 && count_checks(&c, hosts) == 0 &&
      collect_checks(&c, hosts) == 0 && collect_not_checked(&c, hosts) == 0) {
    write_runs(&c, report);
    write_counts(&c, report);
    write_checks(&c);
    rc = ferror(out) ? -1 : 0;
  }
  ctx_free(&c);
  return rc;
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
