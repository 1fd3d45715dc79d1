/* reports/report_json.c - the JSON report, key order and names exactly per contract. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/uc.h"
#include "probes/registry.h"
#include "reports/report.h"

void report_time_iso(uint64_t unix_ms, char *buf, size_t cap)
{
  time_t t = (time_t)(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cmp_port(const void *a, const void *b)
{
  uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
  return x < y ? -1 : x > y;
}

json_t *report_port_runs(const uint16_t *in, size_t n)
{
  /* Ports arrive in the order their probes finished: a retried port (a longer deadline, a
   * later attempt) lands after its neighbours. Sort a copy, or one run comes out in pieces. */
  uint16_t *ports = n ? malloc(n * sizeof(*ports)) : NULL;
  json_t *arr = json_array();
  if (n && !ports)
    return arr;
  if (n) {
    memcpy(ports, in, n * sizeof(*ports));
    qsort(ports, n, sizeof(*ports), cmp_port);
  }
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j + 1 < n && (ports[j + 1] == ports[j] || ports[j + 1] == ports[j] + 1))
      j++;
    char run[16];
    snprintf(run, sizeof(run), "%u-%u", ports[i], ports[j]);
    json_array_append_new(arr, json_string(run));
    i = j + 1;
  }
  free(ports);
  return arr;
}

static void count_verdict(struct report_counts *c, enum uc_verdict v)
{
  c->checks++;
  switch (v) {
  case UC_PASS:
    c->pass++;
    break;
  case UC_WARN:
    c->warn++;
    break;
  case UC_FAIL:
    c->fail++;
    break;
  default:
    c->skip++;
    break;
  }
}

void report_count(const struct plan *p, struct report_counts *out)
{
  memset(out, 0, sizeof(*out));
  out->hosts = (unsigned)p->nhosts;
  for (size_t i = 0; i < p->nhosts; i++)
    for (size_t k = 0; k < p->hosts[i].nchecks; k++)
      if (p->hosts[i].checks[k].res.done)
        count_verdict(out, p->hosts[i].checks[k].res.verdict);
      else if (p->hosts[i].checks[k].probe)
        out->not_checked++;
}

int report_exit_status(const struct plan *p, bool complete)
{
  struct report_counts c;
  if (!complete)
    return 3;
  report_count(p, &c);
  return c.fail ? 1 : 0;
}

static json_t *summary_json(const struct report_counts *c, bool with_totals, bool complete)
{
  json_t *s = json_object();
  if (with_totals) {
    json_object_set_new(s, "hosts", json_integer(c->hosts));
    json_object_set_new(s, "checks", json_integer(c->checks));
  }
  json_object_set_new(s, "pass", json_integer(c->pass));
  json_object_set_new(s, "warn", json_integer(c->warn));
  json_object_set_new(s, "fail", json_integer(c->fail));
  json_object_set_new(s, "skip", json_integer(c->skip));
  if (!complete)
    json_object_set_new(s, "not_checked", json_integer(c->not_checked));
  return s;
}

static json_t *range_json(const struct plan_check *c)
{
  const struct range_result *r = c->range;
  /* open_ports is ours, beyond the contract's keys: which ports answered, for ad hoc range
   * scans (--ports tcp:1-65535) and to see what a listener left out */
  return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o}", "first", c->first, "last", c->last,
                   "probed", r->probed, "open", r->open, "closed", r->closed, "filtered",
                   r->filtered, "filtered_ports",
                   report_port_runs(r->filtered_ports.v, r->filtered_ports.n), "open_ports",
                   report_port_runs(r->open_ports.v, r->open_ports.n));
}

static json_t *vantages_json(unsigned from)
{
  json_t *a = json_array();
  for (int v = UC_V_ANY + 1; v < UC_VANTAGE_COUNT; v++)
    if (from & (1u << v))
      json_array_append_new(a, json_string(uc_vantage_name((enum uc_vantage)v)));
  return a;
}

static json_t *iface_json(enum uc_iface f)
{
  return f == UC_IF_NONE ? json_null() : json_string(uc_iface_name(f));
}

static json_t *requirement_json(const struct plan_req *q)
{
  const struct cat_row *r = q->row;
  json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "id", r->id, "role", q->role, "service", r->service,
                        "optional", r->optional);
  json_object_set_new(o, "from", vantages_json(r->from));
  json_object_set_new(o, "interface", iface_json(r->iface));
  return o;
}

static json_t *requirements_json(const struct plan_check *c)
{
  json_t *reqs = json_array();
  for (size_t i = 0; i < c->nreqs; i++)
    json_array_append_new(reqs, requirement_json(&c->reqs[i]));
  return reqs;
}

static json_t *check_json(const struct plan_host *h, const struct plan_check *c)
{
  const struct check_result *res = &c->res;
  json_t *o = json_object();
  const char *addr = plan_target_address(plan_check_target(h, c));
  json_object_set_new(o, "port", c->is_range ? json_null() : json_integer(c->first));
  json_object_set_new(o, "range", c->is_range ? range_json(c) : json_null());
  if (res->partial) /* an interrupted scan cut the range short: range.probed says where */
    json_object_set_new(o, "partial", json_true());
  json_object_set_new(o, "transport", json_string(uc_transport_name(c->transport)));
  json_object_set_new(o, "address", addr ? json_string(addr) : json_null());
  json_object_set_new(o, "interface", iface_json(c->iface));
  /* ours, beyond the contract: the vantages entitled to test the check (merge reads it) */
  json_object_set_new(o, "from", vantages_json(c->from));
  json_object_set_new(o, "protocol", json_string(uc_proto_name(c->protocol)));
  json_object_set_new(o, "probe", c->probe ? json_string(c->proto->name) : json_null());
  json_object_set_new(
      o, "state", res->state == UC_ST_NONE ? json_null() : json_string(uc_state_name(res->state)));
  json_object_set_new(o, "verdict", json_string(uc_verdict_name(res->verdict)));
  json_object_set_new(o, "reason", json_string(check_reason(res)));
  json_object_set_new(o, "rtt_ms",
                      res->rtt_ms >= 0 ? json_real(round(res->rtt_ms * 1000.0) / 1000.0)
                                       : json_null());
  json_object_set_new(o, "attempts", json_integer(res->attempts));
  json_object_set_new(o, "requirements", requirements_json(c));
  json_object_set_new(o, "evidence", res->evidence ? json_deep_copy(res->evidence) : json_object());
  return o;
}

/* A check an interrupted scan did not finish: what it is and why it has no result. */
static json_t *not_checked_json(const struct plan_check *c)
{
  json_t *o = json_object();
  json_object_set_new(o, "port", c->is_range ? json_null() : json_integer(c->first));
  json_object_set_new(o, "range",
                      c->is_range ? json_pack("{s:i, s:i}", "first", c->first, "last", c->last)
                                  : json_null());
  json_object_set_new(o, "transport", json_string(uc_transport_name(c->transport)));
  json_object_set_new(o, "interface", iface_json(c->iface)); /* part of the check's key */
  json_object_set_new(o, "protocol", json_string(uc_proto_name(c->protocol)));
  json_object_set_new(o, "reason",
                      json_string(c->res.started ? "the scan stopped while probing it"
                                                 : "the scan stopped before reaching it"));
  json_object_set_new(o, "requirements", requirements_json(c));
  return o;
}

/* One host's object: its checks, and in a partial report what was not finished. */
static json_t *host_json(const struct plan_host *h, bool complete)
{
  json_t *ho = json_object();
  json_object_set_new(ho, "name", json_string(h->name));
  const char *addr = plan_host_address(h);
  json_object_set_new(ho, "address", addr ? json_string(addr) : json_null());
  json_t *roles = json_array();
  for (size_t k = 0; k < h->nroles; k++)
    json_array_append_new(roles, json_string(h->roles[k]));
  json_object_set_new(ho, "roles", roles);
  struct report_counts hc = {0};
  json_t *checks = json_array(), *unfinished = json_array();
  for (size_t k = 0; k < h->nchecks; k++) {
    if (!h->checks[k].res.done) {
      if (h->checks[k].probe) /* a skip is settled by the verdict rules, not by probing */
        json_array_append_new(unfinished, not_checked_json(&h->checks[k]));
      continue;
    }
    count_verdict(&hc, h->checks[k].res.verdict);
    json_array_append_new(checks, check_json(h, &h->checks[k]));
  }
  json_object_set_new(ho, "summary", summary_json(&hc, false, true));
  json_object_set_new(ho, "checks", checks);
  if (!complete)
    json_object_set_new(ho, "not_checked", unfinished);
  else
    json_decref(unfinished);
  return ho;
}

/* The document; with_hosts false: "hosts" is an empty array (report_json_stream's frame). */
static json_t *report_root(const struct plan *p, const struct report_meta *m, bool with_hosts)
{
  char started[32], finished[32];
  struct report_counts total;
  report_count(p, &total);
  report_time_iso(m->started_ms, started, sizeof(started));
  report_time_iso(m->finished_ms, finished, sizeof(finished));
  json_t *root = json_object();
  json_object_set_new(root, "schema", json_string(REPORT_SCHEMA));
  json_object_set_new(root, "tool",
                      json_pack("{s:s, s:s}", "name", "ucscan", "version", UC_VERSION));
  json_object_set_new(root, "topology", json_string(m->topology ? m->topology : ""));
  json_object_set_new(root, "product", json_string(m->product ? m->product : ""));
  json_object_set_new(root, "started_at", json_string(started));
  json_object_set_new(root, "finished_at", json_string(finished));
  json_object_set_new(root, "duration_ms",
                      json_integer((json_int_t)(m->finished_ms - m->started_ms)));
  json_object_set_new(root, "complete", json_boolean(m->complete));
  json_t *src = json_array();
  for (size_t i = 0; i < m->nsources; i++)
    json_array_append_new(src, json_string(m->sources[i]));
  json_object_set_new(root, "vantage",
                      json_pack("{s:s, s:o, s:o}", "from", uc_vantage_name(m->vantage),
                                "source_addresses", src, "scanner",
                                m->scanner ? json_string(m->scanner) : json_null()));
  json_object_set_new(root, "summary", summary_json(&total, true, m->complete));
  json_t *hosts = json_array();
  for (size_t i = 0; with_hosts && i < p->nhosts; i++)
    json_array_append_new(hosts, host_json(&p->hosts[i], m->complete));
  json_object_set_new(root, "hosts", hosts);
  json_t *cap = json_object();
  json_object_set_new(cap, "available", json_boolean(m->capture_available));
  if (m->capture_reason)
    json_object_set_new(cap, "reason", json_string(m->capture_reason));
  json_object_set_new(cap, "file", m->capture_file ? json_string(m->capture_file) : json_null());
  if (m->capture_available) {
    json_object_set_new(cap, "packets", json_integer((json_int_t)m->capture_packets));
    json_object_set_new(cap, "dropped", json_integer(m->capture_drops));
  }
  json_object_set_new(root, "evidence_capture", cap);
  return root;
}

json_t *report_json(const struct plan *p, const struct report_meta *m)
{
  return report_root(p, m, true);
}

/* --- the same text, one host at a time --- */

/* With JSON_INDENT(2) every line break jansson writes is structural (a string's newline is
 * written "\n"), followed by two spaces per level: a host dumped at level 0 is the host at
 * level 2 (root, "hosts") once each break gets four more spaces. */
#define HOST_INDENT "    "

struct reindent {
  report_put_fn put;
  void *arg;
};

static int put_reindented(const char *buf, size_t len, void *data)
{
  struct reindent *r = data;
  const char *from = buf, *end = buf + len, *nl;
  while ((nl = memchr(from, '\n', (size_t)(end - from)))) {
    if (r->put(from, (size_t)(nl + 1 - from), r->arg) != 0 ||
        r->put(HOST_INDENT, sizeof(HOST_INDENT) - 1, r->arg) != 0)
      return -1;
    from = nl + 1;
  }
  return from < end ? r->put(from, (size_t)(end - from), r->arg) : 0;
}

static int put_host(const struct plan_host *h, bool complete, bool first, report_put_fn put,
                    void *arg)
{
  static const char sep[] = ",\n" HOST_INDENT;
  json_t *ho = host_json(h, complete);
  if (!ho)
    return -1;
  struct reindent r = {put, arg};
  int rc = first ? put(sep + 1, sizeof(sep) - 2, arg) : put(sep, sizeof(sep) - 1, arg);
  if (rc == 0)
    rc = json_dump_callback(ho, put_reindented, &r, REPORT_DUMP_FLAGS);
  json_decref(ho);
  return rc;
}

int report_json_stream(const struct plan *p, const struct report_meta *m, report_put_fn put,
                       void *arg)
{
  static const char mark[] = "\n  \"hosts\": []";
  json_t *root = report_root(p, m, false);
  char *frame = root ? json_dumps(root, REPORT_DUMP_FLAGS) : NULL;
  json_decref(root);
  const char *at = frame ? strstr(frame, mark) : NULL;
  int rc = at ? 0 : -1;
  if (rc == 0 && p->nhosts == 0)
    rc = put(frame, strlen(frame), arg);
  else if (rc == 0) {
    size_t head = (size_t)(at - frame) + sizeof(mark) - 2; /* up to and with the '[' */
    rc = put(frame, head, arg);
    for (size_t i = 0; rc == 0 && i < p->nhosts; i++)
      rc = put_host(&p->hosts[i], m->complete, i == 0, put, arg);
    if (rc == 0)
      rc = put("\n  ]", 4, arg);
    const char *tail = at + sizeof(mark) - 1;
    if (rc == 0)
      rc = put(tail, strlen(tail), arg);
  }
  free(frame);
  return rc;
}
