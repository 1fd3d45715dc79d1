/* reports/report_table.c - the readable table, from the report document (report_table.h). */
#include "reports/report_table.h"

#include <stdlib.h>
#include <string.h>

#include "common/textcol.h"
#include "common/uc.h"
#include "reports/report_doc.h"

const char report_table_adhoc_rule[] =
    "Ad hoc --ports checks ask one question, of single ports and ranges alike: does the "
    "network let the port through? pass: open, or closed by the host itself (a TCP RST, an "
    "ICMP port unreachable); fail: filtered or unreachable; warn: a UDP port with no answer "
    "either way. STATE says whether something listens.";

static const char *const verdict_style[] = {[UC_PASS] = "\033[32m",
                                            [UC_WARN] = "\033[33m",
                                            [UC_FAIL] = "\033[1;31m",
                                            [UC_SKIP] = "\033[2m"};
#define STYLE_BOLD "\033[1m"
#define RUNS_SHOWN 12

enum { C_VERDICT, C_PORT, C_PROTO, C_STATE, C_IFACE, C_FROM, C_ADDR, C_RTT, C_REASON, NCOLS };

/* At 80 columns every row fits, a merged report's FROM column included: the reason keeps 20
 * columns, and a range ("50000-/59999/udp"), "sql-/browser", "open|/filtered" or
 * "reverse-/proxy" wrap before it gets less. */
static const struct textcol_col columns[NCOLS] = {
    [C_VERDICT] = {"VERDICT", 0, 0, 0, 0, 0},
    [C_PORT] = {"PORT", TEXTCOL_WRAP, 10, 0, 0, 0},
    [C_PROTO] = {"PROTOCOL", TEXTCOL_WRAP, 8, 0, 0, 0},
    [C_STATE] = {"STATE", TEXTCOL_WRAP, 11, 0, 0, 0},
    [C_IFACE] = {"IFACE", TEXTCOL_HIDE_EMPTY, 0, 0, 0, 0},
    [C_FROM] = {"FROM", TEXTCOL_WRAP | TEXTCOL_HIDE_EMPTY, 8, 0, 0, 0},
    [C_ADDR] = {"ADDRESS", TEXTCOL_HIDE_EMPTY, 0, 0, 0, 2},
    [C_RTT] = {"RTT", TEXTCOL_RIGHT, 0, 0, 0, 1},
    [C_REASON] = {"REASON", TEXTCOL_WRAP, 20, 40, 3, 0},
};

/* What the table found on its way, for the footer. */
struct table_notes {
  unsigned counts[UC_VERDICT_COUNT];
  size_t checks, adhoc, banners;
  size_t loop_rtt;     /* RTTs the event loop timed, marked "~" */
  bool loop_rtt_shown; /* ... and a table that showed one kept its RTT column */
  size_t not_checked;  /* a partial report's unfinished checks, under their hosts */
};

#define NOT_CHECKED_SHOWN 8

static int verdict_rank(const json_t *check)
{
  static const int order[] = {[UC_FAIL] = 0, [UC_WARN] = 1, [UC_PASS] = 2, [UC_SKIP] = 3};
  int v = report_doc_verdict(check);
  return v < 0 ? 4 : order[v];
}

static int cmp_checks(const void *a, const void *b)
{
  const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
  int d = verdict_rank(x) - verdict_rank(y);
  if (d)
    return d;
  unsigned xf = 0, xl = 0, yf = 0, yl = 0;
  report_doc_ports(x, &xf, &xl);
  report_doc_ports(y, &yf, &yl);
  if (xf != yf)
    return xf < yf ? -1 : 1;
  const char *xt = report_doc_str(x, "transport"), *yt = report_doc_str(y, "transport");
  return strcmp(xt ? xt : "", yt ? yt : "");
}

/* "443-443" as "443": a run of one port is that port. */
static void run_text(const char *run, char *buf, size_t cap)
{
  const char *dash = run ? strchr(run, '-') : NULL;
  if (dash && strlen(dash + 1) == (size_t)(dash - run) && strncmp(run, dash + 1, dash - run) == 0)
    snprintf(buf, cap, "%.*s", (int)(dash - run), run);
  else
    snprintf(buf, cap, "%s", run ? run : "?");
}

/* "22 80 443-445 ... (30 runs)" from a range's list of runs. */
static void runs_note(struct textcol *t, const char *label, const json_t *runs)
{
  size_t n = json_array_size(runs);
  if (!json_is_array(runs) || n == 0)
    return;
  char text[512] = "";
  size_t used = 0;
  for (size_t i = 0; i < n && i < RUNS_SHOWN && used + 1 < sizeof(text); i++) {
    char run[40];
    run_text(json_string_value(json_array_get(runs, i)), run, sizeof(run));
    int w = snprintf(text + used, sizeof(text) - used, "%s%s", i ? " " : "", run);
    used += w > 0 ? (size_t)w : 0;
  }
  if (n > RUNS_SHOWN && used + 1 < sizeof(text))
    snprintf(text + used, sizeof(text) - used, " ... (%zu runs)", n);
  textcol_note(t, label, text);
}

/* The reason without its server banners: " (Server: ...)" with its nested parentheses. */
static char *without_banners(const char *reason, size_t *dropped)
{
  char *s = strdup(reason ? reason : "");
  if (!s)
    return NULL;
  char *at;
  while ((at = strstr(s, " (Server: ")) != NULL) {
    int depth = 0;
    char *e = at + 1;
    for (; *e; e++) {
      depth += *e == '(' ? 1 : *e == ')' ? -1 : 0;
      if (depth == 0)
        break;
    }
    if (!*e)
      break; /* unbalanced: leave it */
    memmove(at, e + 1, strlen(e + 1) + 1);
    (*dropped)++;
  }
  return s;
}

/* The RTT, "~" before one the event loop timed (evidence.rtt_source "loop": it includes the
 * scanner's own delays) rather than the kernel. Returns whether it was the loop's. */
static bool rtt_text(const json_t *check, char *buf, size_t cap)
{
  json_t *v = json_object_get(check, "rtt_ms");
  if (!json_is_number(v)) {
    snprintf(buf, cap, "-");
    return false;
  }
  const char *src = report_doc_str(json_object_get(check, "evidence"), "rtt_source");
  bool loop = src && strcmp(src, "loop") == 0;
  double ms = json_number_value(v); /* microseconds on a LAN: three decimals below 0.1 ms */
  snprintf(buf, cap, ms < 0.1 ? "%s%.3f ms" : "%s%.2f ms", loop ? "~" : "", ms);
  return loop;
}

static bool is_adhoc(const json_t *check)
{
  json_t *reqs = json_object_get(check, "requirements");
  return json_is_array(reqs) && json_array_size(reqs) == 0;
}

static int check_row(struct textcol *t, const json_t *check, const char *host_addr, bool shorten,
                     struct table_notes *nt)
{
  char port[64], rtt[32];
  int v = report_doc_verdict(check);
  char num[24];
  const char *tr = report_doc_str(check, "transport");
  /* the interface has its own column (report_doc_key would repeat it) */
  snprintf(port, sizeof(port), "%s/%s", report_doc_port(check, num, sizeof(num)), tr ? tr : "?");
  nt->loop_rtt += rtt_text(check, rtt, sizeof(rtt));
  const char *state = report_doc_str(check, "state"), *addr = report_doc_str(check, "address");
  if (addr && host_addr && strcmp(addr, host_addr) == 0)
    addr = NULL;
  char *reason =
      shorten ? without_banners(report_doc_str(check, "reason"), &nt->banners)
              : strdup(report_doc_str(check, "reason") ? report_doc_str(check, "reason") : "");
  if (!reason)
    return -1;
  const char *cells[NCOLS] = {
      [C_VERDICT] = v >= 0 ? uc_verdict_name((enum uc_verdict)v) : "?",
      [C_PORT] = port,
      [C_PROTO] = report_doc_str(check, "protocol"),
      [C_STATE] = state ? state : "-",
      [C_IFACE] = report_doc_str(check, "interface"),
      [C_FROM] = report_doc_str(check, "vantage"),
      [C_ADDR] = addr,
      [C_RTT] = rtt,
      [C_REASON] = reason,
  };
  const char *styles[NCOLS] = {[C_VERDICT] = v >= 0 ? verdict_style[v] : NULL};
  int rc = textcol_row(t, cells, styles);
  free(reason);
  if (v >= 0)
    nt->counts[v]++;
  nt->checks++;
  nt->adhoc += is_adhoc(check);
  json_t *range = json_object_get(check, "range");
  if (rc == 0 && json_is_object(range)) {
    runs_note(t, "open:", json_object_get(range, "open_ports"));
    runs_note(t, "filtered:", json_object_get(range, "filtered_ports"));
  }
  return rc;
}

/* "fe01.contoso.test (198.18.1.11)  front-end, mediation" and the host's counts. */
/* The host's "not_checked" array (a partial report), or NULL. */
static json_t *host_not_checked(const json_t *host)
{
  json_t *nc = json_object_get(host, "not_checked");
  return json_is_array(nc) && json_array_size(nc) ? nc : NULL;
}

/* "not checked (the scan stopped): 7100/tcp 7101/tcp ... (10 in all)": what a partial
 * report's host did not get, under its checks ("5061/tcp access (from internet)" in a merge). */
static int not_checked_line(struct textcol *t, const json_t *nc, const struct report_table_opts *o)
{
  char text[600];
  size_t n = json_array_size(nc);
  int used = snprintf(text, sizeof(text), "not checked (the scan stopped):");
  for (size_t i = 0; i < n && i < NOT_CHECKED_SHOWN && used > 0 && (size_t)used < sizeof(text);
       i++) {
    char num[24];
    const json_t *c = json_array_get(nc, i);
    const char *tr = report_doc_str(c, "transport");
    const char *iface = report_doc_str(c, "interface"), *v = report_doc_str(c, "vantage");
    /* a merged report's entries name their vantage; an Edge's their interface */
    used += snprintf(text + used, sizeof(text) - (size_t)used, " %s/%s%s%s%s%s%s",
                     report_doc_port(c, num, sizeof(num)), tr ? tr : "?", iface ? " " : "",
                     iface ? iface : "", v ? " (from " : "", v ? v : "", v ? ")" : "");
  }
  if (n > NOT_CHECKED_SHOWN && used > 0 && (size_t)used < sizeof(text))
    snprintf(text + used, sizeof(text) - (size_t)used, " ... (%zu in all)", n);
  return textcol_line(t, 2, text, o->color ? verdict_style[UC_FAIL] : NULL);
}

static void host_lines(struct textcol *t, const json_t *host, const unsigned *cnt)
{
  char line[1024];
  const char *name = report_doc_str(host, "name"), *addr = report_doc_str(host, "address");
  int used = snprintf(line, sizeof(line), "%s (%s)", name ? name : "?", addr ? addr : "unresolved");
  json_t *roles = json_object_get(host, "roles");
  for (size_t k = 0; json_is_array(roles) && k < json_array_size(roles); k++) {
    const char *r = json_string_value(json_array_get(roles, k));
    if (r && used > 0 && (size_t)used < sizeof(line))
      used += snprintf(line + used, sizeof(line) - (size_t)used, "%s%s", k ? ", " : "  ", r);
  }
  textcol_line(t, 0, line, STYLE_BOLD);
  size_t nc = json_array_size(host_not_checked(host));
  int n = snprintf(line, sizeof(line), "%u pass, %u warn, %u fail, %u skip", cnt[UC_PASS],
                   cnt[UC_WARN], cnt[UC_FAIL], cnt[UC_SKIP]);
  if (nc && n > 0 && (size_t)n < sizeof(line))
    snprintf(line + n, sizeof(line) - (size_t)n, ", %zu not checked", nc);
  textcol_line(t, 2, line, NULL);
}

static int host_block(struct textcol *t, const json_t *host, const struct report_table_opts *o,
                      struct table_notes *nt)
{
  bool shorten = o->width > 0;
  json_t *checks = json_object_get(host, "checks");
  size_t n = json_is_array(checks) ? json_array_size(checks) : 0;
  const json_t **rows = calloc(n ? n : 1, sizeof(*rows));
  if (!rows)
    return -1;
  unsigned cnt[UC_VERDICT_COUNT] = {0};
  for (size_t k = 0; k < n; k++) {
    rows[k] = json_array_get(checks, k);
    int v = report_doc_verdict(rows[k]);
    if (v >= 0)
      cnt[v]++;
  }
  qsort(rows, n, sizeof(*rows), cmp_checks);
  host_lines(t, host, cnt);
  int rc = n ? textcol_head(t) : 0;
  const char *addr = report_doc_str(host, "address");
  for (size_t k = 0; k < n && rc == 0; k++)
    rc = check_row(t, rows[k], addr, shorten, nt);
  json_t *nc = host_not_checked(host);
  if (nc && rc == 0) {
    nt->not_checked += json_array_size(nc);
    rc = not_checked_line(t, nc, o);
  }
  if (rc == 0)
    rc = textcol_line(t, 0, "", NULL);
  free(rows);
  return rc;
}

/* Where the scan stood, when the report says: "from servers (scanner host1)", or the
 * reports a merge joined. */
static void vantage_lines(struct textcol *t, const json_t *report)
{
  char line[1024];
  json_t *merged = json_object_get(report, "merged_from");
  if (json_is_array(merged) && json_array_size(merged)) {
    size_t n = json_array_size(merged);
    int used = snprintf(line, sizeof(line), "merged from %zu report%s:", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && used > 0 && (size_t)used < sizeof(line); i++) {
      json_t *m = json_array_get(merged, i);
      const char *v = report_doc_str(m, "vantage"), *f = report_doc_str(m, "file");
      json_t *complete = json_object_get(m, "complete");
      used += snprintf(line + used, sizeof(line) - (size_t)used, "%s %s (%s%s)", i ? "," : "",
                       v ? v : "?", f ? f : "?", json_is_false(complete) ? ", INCOMPLETE" : "");
    }
    textcol_line(t, 0, line, NULL);
    textcol_line(t, 0, "", NULL);
    return;
  }
  json_t *vo = json_object_get(report, "vantage");
  const char *from = report_doc_str(vo, "from"), *scanner = report_doc_str(vo, "scanner");
  if (!from || strcmp(from, "any") == 0)
    return;
  snprintf(line, sizeof(line), "scanned from the %s vantage%s%s%s", from, scanner ? " (" : "",
           scanner ? scanner : "", scanner ? ")" : "");
  textcol_line(t, 0, line, NULL);
  textcol_line(t, 0, "", NULL);
}

static void count_text(char *buf, size_t cap, unsigned n, enum uc_verdict v, bool color)
{
  snprintf(buf, cap, "%s%u %s%s", color ? verdict_style[v] : "", n, uc_verdict_name(v),
           color ? "\033[0m" : "");
}

static void footer(FILE *out, const json_t *report, const struct table_notes *nt,
                   const struct report_table_opts *o, size_t cut)
{
  char p[48], w[48], f[48];
  const char *topo = report_doc_str(report, "topology");
  long long ms = report_doc_int(report, "duration_ms", 0, (long long)1 << 50);
  size_t hosts = json_array_size(json_object_get(report, "hosts"));
  count_text(p, sizeof(p), nt->counts[UC_PASS], UC_PASS, o->color);
  count_text(w, sizeof(w), nt->counts[UC_WARN], UC_WARN, o->color);
  count_text(f, sizeof(f), nt->counts[UC_FAIL], UC_FAIL, o->color);
  fprintf(out, "%s: %zu host%s, %zu check%s: %s, %s, %s, %u skip (%.1f s)\n",
          topo && *topo ? topo : "scan", hosts, hosts == 1 ? "" : "s", nt->checks,
          nt->checks == 1 ? "" : "s", p, w, f, nt->counts[UC_SKIP],
          ms > 0 ? (double)ms / 1000.0 : 0.0);
  struct textcol *t = textcol_new(columns, NCOLS);
  if (!t)
    return;
  json_t *complete = json_object_get(report, "complete");
  if (json_is_false(complete)) {
    char line[300];
    if (json_object_get(report, "merged_from") && nt->not_checked)
      snprintf(line, sizeof(line),
               "INCOMPLETE: a report merged did not finish (marked INCOMPLETE on top); %zu "
               "check%s it did not reach (listed above): skip, or another vantage's",
               nt->not_checked, nt->not_checked == 1 ? "" : "s");
    else if (json_object_get(report, "merged_from"))
      snprintf(line, sizeof(line), "%s",
               "INCOMPLETE: a report merged did not finish (marked INCOMPLETE on top); what it "
               "did not reach is skip, or another vantage's");
    else if (nt->not_checked)
      snprintf(line, sizeof(line),
               "INCOMPLETE: the scan did not finish; %zu check%s not checked (listed above)",
               nt->not_checked, nt->not_checked == 1 ? "" : "s");
    else
      snprintf(line, sizeof(line), "%s",
               "INCOMPLETE: the scan did not finish; checks it did not reach are not listed");
    textcol_line(t, 0, line, o->color ? verdict_style[UC_FAIL] : NULL);
  }
  long long uncovered =
      report_doc_int(json_object_get(report, "summary"), "uncovered", 0, (long long)1 << 40);
  if (uncovered > 0) {
    char line[200];
    snprintf(line, sizeof(line), "%lld check%s no given vantage could test (skip)", uncovered,
             uncovered == 1 ? "" : "s");
    textcol_line(t, 0, line, NULL);
  }
  if (nt->adhoc)
    textcol_line(t, 0, report_table_adhoc_rule, NULL);
  if (nt->loop_rtt_shown)
    textcol_line(t, 0,
                 "~ RTT: timed by ucscan's event loop, not the kernel (an answer without a "
                 "kernel timestamp): it includes the scanner's own delays",
                 NULL);
  if (cut || nt->banners) {
    char line[300];
    snprintf(line, sizeof(line),
             "Reasons are shortened to fit %u columns%s; the JSON report (--out FILE, --format "
             "json) has them whole, with the evidence.",
             o->width, nt->banners ? " (server banners left out)" : "");
    textcol_line(t, 0, line, NULL);
  }
  textcol_print(t, out, o->width, 0, o->color);
  textcol_free(t);
}

int report_table(FILE *out, const json_t *report, const struct report_table_opts *o)
{
  json_t *hosts = json_object_get(report, "hosts");
  if (!json_is_object(report) || !json_is_array(hosts))
    return -1;
  struct textcol *t = textcol_new(columns, NCOLS);
  if (!t)
    return -1;
  struct table_notes nt;
  memset(&nt, 0, sizeof(nt));
  vantage_lines(t, report);
  size_t cut = textcol_print(t, out, o->width, 2, o->color);
  textcol_free(t);
  /* a table per host: a column no row of the host fills (IFACE off the Edge, ADDRESS) goes,
   * and leaves its width to the reasons */
  int rc = 0;
  for (size_t i = 0; i < json_array_size(hosts) && rc == 0; i++) {
    if (!(t = textcol_new(columns, NCOLS)))
      return -1;
    size_t loop_before = nt.loop_rtt;
    rc = host_block(t, json_array_get(hosts, i), o, &nt);
    if (nt.loop_rtt > loop_before && textcol_shows(t, o->width, 2, C_RTT))
      nt.loop_rtt_shown = true;
    cut += textcol_print(t, out, o->width, 2, o->color);
    textcol_free(t);
  }
  footer(out, report, &nt, o, cut);
  return rc;
}
