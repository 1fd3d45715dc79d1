/* reports/report_table.c - the readable table: grouped by host, failures first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"

static const char *const verdict_color[] = {[UC_PASS] = "\033[32m",
                                            [UC_WARN] = "\033[33m",
                                            [UC_FAIL] = "\033[1;31m",
                                            [UC_SKIP] = "\033[2m"};
static const char *const reset = "\033[0m";

/* Failures first, then warnings, passes, skips; by port within each. */
static int verdict_order(enum uc_verdict v)
{
  static const int order[] = {[UC_FAIL] = 0, [UC_WARN] = 1, [UC_PASS] = 2, [UC_SKIP] = 3};
  return order[v];
}

static int cmp_rows(const void *a, const void *b)
{
  const struct plan_check *x = *(const struct plan_check *const *)a;
  const struct plan_check *y = *(const struct plan_check *const *)b;
  int d = verdict_order(x->res.verdict) - verdict_order(y->res.verdict);
  if (d)
    return d;
  if (x->first != y->first)
    return x->first < y->first ? -1 : 1;
  return (int)x->transport - (int)y->transport;
}

static void port_text(const struct plan_check *c, char *buf, size_t cap)
{
  if (c->is_range)
    snprintf(buf, cap, "%u-%u/%s", c->first, c->last, uc_transport_name(c->transport));
  else
    snprintf(buf, cap, "%u/%s", c->first, uc_transport_name(c->transport));
}

/* "open: 22-22 80-80 ..." under a range's row: its first 12 runs of ports. */
static void port_runs_line(FILE *out, const char *what, const struct port_list *pl)
{
  if (!pl->n)
    return;
  json_t *runs = report_port_runs(pl->v, pl->n);
  fprintf(out, "  %7s %s:", "", what);
  size_t idx;
  json_t *v;
  json_array_foreach(runs, idx, v)
  {
    if (idx == 12) {
      fprintf(out, " ... (%zu runs)", json_array_size(runs));
      break;
    }
    fprintf(out, " %s", json_string_value(v));
  }
  fputc('\n', out);
  json_decref(runs);
}

void report_table(FILE *out, const struct plan *p, const struct report_meta *m, bool color)
{
  struct report_counts total;
  report_count(p, &total);
  for (size_t i = 0; i < p->nhosts; i++) {
    const struct plan_host *h = &p->hosts[i];
    const struct plan_check **rows = calloc(h->nchecks ? h->nchecks : 1, sizeof(*rows));
    if (!rows)
      return;
    size_t n = 0;
    unsigned cnt[UC_VERDICT_COUNT] = {0};
    for (size_t k = 0; k < h->nchecks; k++) {
      if (!h->checks[k].res.done)
        continue;
      rows[n++] = &h->checks[k];
      cnt[h->checks[k].res.verdict]++;
    }
    qsort(rows, n, sizeof(*rows), cmp_rows);
    fprintf(out, "%s%s%s (%s)", color ? "\033[1m" : "", h->name, color ? reset : "",
            plan_host_address(h) ? plan_host_address(h) : "unresolved");
    for (size_t k = 0; k < h->nroles; k++)
      fprintf(out, "%s%s", k ? ", " : "  ", h->roles[k]);
    fprintf(out, "\n  %u pass, %u warn, %u fail, %u skip\n", cnt[UC_PASS], cnt[UC_WARN],
            cnt[UC_FAIL], cnt[UC_SKIP]);
    if (n)
      fprintf(out, "  %-7s %-17s %-11s %-13s %9s  %s\n", "VERDICT", "PORT", "PROTOCOL", "STATE",
              "RTT", "REASON");
    for (size_t k = 0; k < n; k++) {
      const struct plan_check *c = rows[k];
      char port[32], rtt[24] = "-";
      port_text(c, port, sizeof(port));
      if (c->res.rtt_ms >= 0) /* microseconds on a LAN: three decimals below 0.1 ms */
        snprintf(rtt, sizeof(rtt), c->res.rtt_ms < 0.1 ? "%.3f ms" : "%.2f ms", c->res.rtt_ms);
      fprintf(out, "  %s%-7s%s %-17s %-11s %-13s %9s  %s\n",
              color ? verdict_color[c->res.verdict] : "", uc_verdict_name(c->res.verdict),
              color ? reset : "", port, uc_proto_name(c->protocol),
              c->res.state == UC_ST_NONE ? "-" : uc_state_name(c->res.state), rtt, c->res.reason);
      if (c->is_range) {
        port_runs_line(out, "open", &c->range->open_ports);
        port_runs_line(out, "filtered", &c->range->filtered_ports);
      }
    }
    fputc('\n', out);
    free(rows);
  }
  fprintf(out,
          "%s: %u host%s, %u check%s: %s%u pass%s, %s%u warn%s, %s%u fail%s, %u skip (%.1f s)%s\n",
          m->topology ? m->topology : "scan", total.hosts, total.hosts == 1 ? "" : "s",
          total.checks, total.checks == 1 ? "" : "s", color ? verdict_color[UC_PASS] : "",
          total.pass, color ? reset : "", color ? verdict_color[UC_WARN] : "", total.warn,
          color ? reset : "", color ? verdict_color[UC_FAIL] : "", total.fail, color ? reset : "",
          total.skip, (double)(m->finished_ms - m->started_ms) / 1000.0,
          m->complete ? "" : "  INCOMPLETE: the scan was interrupted");
}
