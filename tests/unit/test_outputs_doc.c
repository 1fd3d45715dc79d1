/* tests/unit/test_outputs_doc.c - the table, CSV and HTML outputs, made from report documents
 * (a scan's, a merged one, a hostile one read from a file): what each must show, and that no
 * text from the document escapes into a terminal, a spreadsheet or a page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reports/csv.h"
#include "reports/html.h"
#include "reports/report_table.h"

/* A report as ucscan writes it, with what the lead's v2 adds (vantage, address, interface). */
static const char *report_text =
    "{\"schema\": \"ucscan-report/1\", \"tool\": {\"name\": \"ucscan\", \"version\": \"0.1.0\"},"
    " \"topology\": \"contoso\", \"product\": \"sfb2015\","
    " \"started_at\": \"2026-11-21T22:00:00Z\", \"finished_at\": \"2026-11-21T22:00:03Z\","
    " \"duration_ms\": 3012, \"complete\": true,"
    " \"vantage\": {\"from\": \"internet\", \"source_addresses\": [\"198.18.0.10\"],"
    "   \"scanner\": \"probe1\"},"
    " \"summary\": {\"hosts\": 2, \"checks\": 5, \"pass\": 2, \"warn\": 1, \"fail\": 1, \"skip\": "
    "1},"
    " \"hosts\": ["
    "  {\"name\": \"edge01.contoso.test\", \"address\": \"198.18.10.41\", \"roles\": [\"edge\"],"
    "   \"checks\": ["
    "    {\"port\": 443, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"tls\","
    "     \"probe\": \"tls\", \"state\": \"open\", \"verdict\": \"warn\","
    "     \"reason\": \"certificate expired on 2026-11-05; SIP OPTIONS answered 200 OK (Server: "
    "RTCC/7.0.0.0 (Lync Server (edge)))\", \"rtt_ms\": 0.41, \"attempts\": 1,"
    "     \"address\": \"203.0.113.42\", \"interface\": \"access\","
    "     \"requirements\": [{\"id\": \"sfb2015-edge-443-tcp\", \"role\": \"edge\","
    "       \"service\": \"Access Edge\", \"optional\": false}],"
    "     \"evidence\": {\"tls\": {\"version\": \"TLSv1.3\"}, \"rtt_source\": \"kernel\"}},"
    "    {\"port\": 5061, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"mtls\","
    "     \"probe\": \"tls\", \"state\": \"filtered\", \"verdict\": \"fail\","
    "     \"reason\": \"no answer (filtered) \\u001b[2J=cmd|' /C calc'!A0\", \"rtt_ms\": null,"
    "     \"attempts\": 3, \"address\": \"198.18.10.41\", \"interface\": \"internal\","
    "     \"requirements\": [{\"id\": \"a\", \"role\": \"edge\", \"service\": \"s\","
    "       \"optional\": false}], \"evidence\": {}},"
    "    {\"port\": 5062, \"range\": null, \"transport\": \"tcp\", \"protocol\": \"mtls\","
    "     \"probe\": null, \"state\": null, \"verdict\": \"skip\","
    "     \"reason\": \"=HYPERLINK(\\\"http://x\\\")</script><b>\", \"rtt_ms\": null, "
    "     \"attempts\": 0, \"address\": null, \"interface\": null, \"requirements\": [],"
    "     \"evidence\": {}}]},"
    "  {\"name\": \"lab1\", \"address\": \"198.18.60.5\", \"roles\": [],"
    "   \"checks\": ["
    "    {\"port\": null, \"range\": {\"first\": 1, \"last\": 1024, \"probed\": 1024, \"open\": 2,"
    "      \"closed\": 1022, \"filtered\": 0, \"filtered_ports\": [],"
    "      \"open_ports\": [\"22-22\", \"80-81\"]},"
    "     \"transport\": \"tcp\", \"protocol\": \"tcp\", \"probe\": \"tcp\", \"state\": \"open\","
    "     \"verdict\": \"pass\", \"reason\": \"all 1024 ports reachable\", \"rtt_ms\": null,"
    "     \"attempts\": 1, \"requirements\": [], \"evidence\": {}},"
    "    {\"port\": 9, \"range\": null, \"transport\": \"udp\", \"protocol\": \"udp\","
    "     \"probe\": \"udp\", \"state\": \"closed\", \"verdict\": \"pass\","
    "     \"reason\": \"port unreachable; reachable, nothing listens\", \"rtt_ms\": 0.2,"
    "     \"attempts\": 1, \"requirements\": [], \"evidence\": {\"rtt_source\": \"loop\"}}]}],"
    " \"evidence_capture\": {\"available\": false, \"reason\": \"not requested\", \"file\": null}}";

static json_t *load(void)
{
  json_error_t e;
  json_t *r = json_loads(report_text, 0, &e);
  if (!r)
    fail_msg("test report: %s at %d:%d", e.text, e.line, e.column);
  return r;
}

static char *capture_table(const json_t *rep, unsigned width, bool color)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  struct report_table_opts o = {.width = width, .color = color};
  assert_int_equal(report_table(f, rep, &o), 0);
  fclose(f);
  return buf;
}

static size_t widest(const char *text)
{
  size_t w = 0, cur = 0;
  for (const char *p = text; *p; p++) {
    if (*p == '\n') {
      w = cur > w ? cur : w;
      cur = 0;
    } else if (((unsigned char)*p & 0xC0) != 0x80) {
      cur++;
    }
  }
  return cur > w ? cur : w;
}

/* A partial report: each host's "not_checked" under its checks, counted, and the footer says
 * the scan did not finish. */
static void test_table_partial(void **state)
{
  (void)state;
  json_t *rep = load();
  json_t *nc = json_array();
  for (int i = 0; i < 10; i++)
    json_array_append_new(nc, json_pack("{s:i, s:n, s:s, s:s, s:s, s:[]}", "port", 7100 + i,
                                        "range", "transport", "tcp", "protocol", "tls", "reason",
                                        "the scan stopped before reaching it", "requirements"));
  json_object_set_new(json_array_get(json_object_get(rep, "hosts"), 1), "not_checked", nc);
  json_object_set_new(rep, "complete", json_false());
  char *out = capture_table(rep, 80, false);
  if (widest(out) > 80)
    fail_msg("a line of %zu:\n%s", widest(out), out);
  assert_non_null(strstr(out, "2 pass, 0 warn, 0 fail, 0 skip, 10 not checked"));
  assert_non_null(strstr(out, "not checked (the scan stopped): 7100/tcp 7101/tcp"));
  assert_non_null(strstr(out, "(10 in all)"));
  assert_null(strstr(out, "7108/tcp")); /* eight shown, the rest counted */
  assert_non_null(strstr(out, "INCOMPLETE: the scan did not finish; 10 checks not checked"));
  free(out);
  json_decref(rep);
}

static void test_table(void **state)
{
  (void)state;
  json_t *rep = load();
  for (unsigned width = 80; width <= 160; width += 40) {
    char *out = capture_table(rep, width, false);
    if (widest(out) > width)
      fail_msg("width %u: a line of %zu:\n%s", width, widest(out), out);
    assert_null(strchr(out, '\033')); /* the reason's escape sequence is neutralised */
    assert_non_null(strstr(out, "scanned from the internet vantage (probe1)"));
    assert_non_null(strstr(out, "IFACE"));
    if (width >= 120) /* probed elsewhere than the host's address (a column that goes at 80) */
      assert_non_null(strstr(out, "203.0.113.42"));
    assert_non_null(strstr(out, "open: 22 80-81")); /* a run of one port is that port */
    assert_null(strstr(out, "22-22"));
    assert_non_null(strstr(out, "Ad hoc --ports checks ask one question"));
    assert_non_null(strstr(out, "contoso: 2 hosts, 5 checks: 2 pass, 1 warn, 1 fail, 1 skip"));
    assert_null(strstr(out, "5061/tcp internal")); /* the interface has its own column */
    assert_null(strstr(out, "RTCC/7.0.0.0"));      /* banners are left to the JSON */
    assert_non_null(strstr(out, "server banners left out"));
    /* the event loop's RTT is marked, the kernel's is not, and the footer says what "~" is
     * when the RTT column showed (at 80 columns it goes first) */
    bool rtt_col = strstr(out, " RTT ") != NULL;
    assert_true(rtt_col == (width >= 120));
    assert_true((strstr(out, "~0.20 ms") != NULL) == rtt_col);
    assert_true((strstr(out, " 0.41 ms") != NULL) == rtt_col);
    assert_true((strstr(out, "~ RTT: timed by ucscan's event loop") != NULL) == rtt_col);
    free(out);
  }
  /* failures first */
  char *out = capture_table(rep, 0, false);
  assert_true(strstr(out, "fail ") < strstr(out, "warn "));
  assert_non_null(strstr(out, "RTCC/7.0.0.0")); /* no limit: the reason whole */
  assert_null(strstr(out, "shortened"));
  free(out);
  out = capture_table(rep, 100, true);
  assert_non_null(strstr(out, "\033[1;31mfail\033[0m"));
  free(out);
  /* not a report: refused, nothing written */
  json_t *bad = json_pack("{s:s}", "schema", "x");
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  struct report_table_opts o = {0};
  assert_int_equal(report_table(f, bad, &o), -1);
  fclose(f);
  assert_int_equal(len, 0);
  free(buf);
  json_decref(bad);
  json_decref(rep);
}

/* ---- CSV: parsed back with RFC 4180's rules ---- */

struct csv {
  char *cell[16][32];
  size_t rows, cols[16];
};

static void csv_parse(const char *s, struct csv *c)
{
  memset(c, 0, sizeof(*c));
  char field[1024];
  size_t n = 0;
  bool quoted = false;
  for (const char *p = s;; p++) {
    if (quoted) {
      if (*p == '"' && p[1] == '"') {
        field[n++] = '"';
        p++;
      } else if (*p == '"') {
        quoted = false;
      } else {
        assert_true(*p != '\0');
        field[n++] = *p;
      }
      continue;
    }
    if (*p == '"' && n == 0) {
      quoted = true;
      continue;
    }
    if (*p == ',' || (*p == '\r' && p[1] == '\n') || *p == '\0') {
      if (*p == '\0' && n == 0 && c->cols[c->rows] == 0)
        return;
      field[n] = '\0';
      c->cell[c->rows][c->cols[c->rows]++] = strdup(field);
      n = 0;
      if (*p == '\r') {
        p++;
        c->rows++;
      }
      if (*p == '\0')
        return;
      continue;
    }
    assert_true(*p != '\n' && *p != '\r'); /* bare line ends only inside quotes */
    field[n++] = *p;
  }
}

static const char *cell(const struct csv *c, size_t row, const char *column)
{
  for (size_t k = 0; k < c->cols[0]; k++)
    if (strcmp(c->cell[0][k], column) == 0)
      return c->cell[row][k];
  fail_msg("no column %s", column);
  return NULL;
}

static void test_csv(void **state)
{
  (void)state;
  json_t *rep = load();
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(csv_write(f, rep), 0);
  fclose(f);
  assert_true(len > 2 && buf[len - 2] == '\r' && buf[len - 1] == '\n');
  struct csv c;
  csv_parse(buf, &c);
  assert_int_equal(c.rows, 6); /* the header and one row per check */
  for (size_t r = 0; r < c.rows; r++)
    assert_int_equal(c.cols[r], 23);
  assert_int_equal(strncmp(buf, csv_header, strlen(csv_header)), 0);
  assert_string_equal(cell(&c, 1, "vantage"), "internet");
  assert_string_equal(cell(&c, 1, "host"), "edge01.contoso.test");
  assert_string_equal(cell(&c, 1, "address"), "203.0.113.42");
  assert_string_equal(cell(&c, 1, "interface"), "access");
  assert_string_equal(cell(&c, 1, "port"), "443");
  assert_string_equal(cell(&c, 1, "rtt_ms"), "0.410");
  assert_string_equal(cell(&c, 1, "rtt_source"), "kernel");
  assert_string_equal(cell(&c, 2, "rtt_source"), "");
  assert_string_equal(cell(&c, 5, "rtt_source"), "loop");
  assert_string_equal(cell(&c, 1, "requirements"), "sfb2015-edge-443-tcp");
  assert_string_equal(cell(&c, 1, "optional"), "false");
  assert_non_null(strstr(cell(&c, 1, "reason"), "(Server: RTCC/7.0.0.0 (Lync Server (edge)))"));
  /* control characters become U+FFFD; a formula is defused */
  assert_non_null(strstr(cell(&c, 2, "reason"), "\xEF\xBF\xBD[2J=cmd"));
  assert_string_equal(cell(&c, 3, "reason"), "'=HYPERLINK(\"http://x\")</script><b>");
  assert_string_equal(cell(&c, 3, "state"), "");
  assert_string_equal(cell(&c, 4, "port"), "1-1024");
  assert_string_equal(cell(&c, 4, "first_port"), "1");
  assert_string_equal(cell(&c, 4, "last_port"), "1024");
  assert_string_equal(cell(&c, 4, "open_ports"), "22 80-81");
  assert_string_equal(cell(&c, 4, "vantage"), "internet");
  assert_string_equal(cell(&c, 4, "address"), "198.18.60.5");
  for (size_t r = 0; r < c.rows; r++)
    for (size_t k = 0; k < c.cols[r]; k++)
      free(c.cell[r][k]);
  free(buf);
  json_decref(rep);
}

static void test_html(void **state)
{
  (void)state;
  json_t *rep = load();
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(html_write(f, rep), 0);
  fclose(f);
  /* self-contained: nothing fetched, every fetch forbidden */
  assert_non_null(strstr(buf, "content=\"default-src 'none'; style-src 'unsafe-inline'; "
                              "script-src 'unsafe-inline'; img-src data:\""));
  assert_null(strstr(buf, "src=\"http"));
  assert_null(strstr(buf, "href=\"http"));
  assert_null(strstr(buf, "@import"));
  /* the summary and the matrix: a row per host, a cell per check, coloured by verdict */
  assert_non_null(strstr(buf, "<b id=\"n-fail\">1</b> fail"));
  assert_non_null(strstr(buf, "<b id=\"n-checks\">5</b> checks"));
  size_t cells = 0, fails = 0;
  for (const char *p = buf; (p = strstr(p, "<td class=\"c v-")); p++) {
    cells++;
    fails += strncmp(p, "<td class=\"c v-fail\"", 20) == 0;
  }
  assert_int_equal(cells, 5);
  assert_int_equal(fails, 1);
  /* hostile text: escaped in the page, unable to end the embedded report's script element */
  assert_null(strstr(buf, "</script><b>"));
  assert_non_null(strstr(buf, "&lt;/script&gt;&lt;b&gt;"));
  const char *data = strstr(buf, "<script type=\"application/json\" id=\"ucscan-report\">");
  assert_non_null(data);
  const char *end = strstr(data, "</script>");
  assert_null(memchr(data + 50, '<', (size_t)(end - data - 50)));
  assert_non_null(strstr(data, "\\u003c/script\\u003e"));
  assert_null(strstr(buf, "\033"));
  /* the embedded report is the document itself */
  char *json = strndup(data + 51, (size_t)(end - data - 51));
  json_error_t e;
  json_t *back = json_loads(json, 0, &e);
  assert_non_null(back);
  assert_true(json_equal(back, rep));
  json_decref(back);
  free(json);
  free(buf);
  json_decref(rep);
}

/* A merged report (ucscan merge): no report-level vantage, each check its own or none, the
 * inputs in "merged_from", one of them partial; a scan's partial report lists what it did
 * not check. CSV leaves an untested check's vantage empty; the page names the inputs, the
 * uncovered checks and the unchecked ones. */
static char *render(int (*fn)(FILE *, const json_t *), const json_t *rep)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fn(f, rep), 0);
  fclose(f);
  return buf;
}

static void test_merged_and_partial(void **state)
{
  (void)state;
  json_t *rep = load();
  json_object_del(rep, "vantage");
  json_object_set_new(rep, "complete", json_false());
  json_object_set_new(rep, "merged_from",
                      json_pack("[{s:s, s:s, s:b}, {s:s, s:s, s:b}]", "vantage", "servers", "file",
                                "lan.json", "complete", 1, "vantage", "internet", "file",
                                "dmz.json", "complete", 0));
  json_object_set_new(json_object_get(rep, "summary"), "uncovered", json_integer(1));
  json_t *edge = json_object_get(json_array_get(json_object_get(rep, "hosts"), 0), "checks");
  json_object_set_new(json_array_get(edge, 0), "vantage", json_string("internet"));
  json_object_set_new(json_array_get(edge, 2), "vantage", json_null());
  /* the widest cells of every column at once still fit 80 columns */
  json_array_append_new(
      edge, json_pack("{s:n, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:[], s:[]}, s:s, s:s, s:s, s:s, "
                      "s:s, s:s, s:s, s:s, s:n, s:i, s:[], s:{}}",
                      "port", "range", "first", 50000, "last", 59999, "probed", 10000, "open", 0,
                      "closed", 0, "filtered", 0, "filtered_ports", "open_ports", "transport",
                      "udp", "protocol", "sql-browser", "probe", "udp", "state", "open|filtered",
                      "verdict", "warn", "reason", "partly verified: 0 of 10000 ports proven",
                      "interface", "internal", "vantage", "reverse-proxy", "rtt_ms", "attempts", 1,
                      "requirements", "evidence"));
  char *table = capture_table(rep, 80, false);
  if (widest(table) > 80)
    fail_msg("a line of %zu:\n%s", widest(table), table);
  assert_non_null(strstr(table, "merged from 2 reports: servers (lan.json), internet (dmz.json, "
                                "INCOMPLETE)"));
  free(table);
  json_array_remove(edge, json_array_size(edge) - 1);
  char *buf = render(csv_write, rep);
  struct csv c;
  csv_parse(buf, &c);
  assert_string_equal(cell(&c, 1, "vantage"), "internet");
  assert_string_equal(cell(&c, 3, "vantage"), ""); /* no vantage tested it: not "any" */
  for (size_t r = 0; r < c.rows; r++)
    for (size_t k = 0; k < c.cols[r]; k++)
      free(c.cell[r][k]);
  free(buf);
  buf = render(html_write, rep);
  assert_non_null(strstr(buf, "<b>merged from</b> servers (lan.json), internet (dmz.json, "
                              "incomplete)"));
  assert_non_null(strstr(buf, "Incomplete: a report merged did not finish"));
  assert_non_null(strstr(buf, "1 check no given vantage could test"));
  free(buf);
  /* a scan's partial report: the page names what was not checked */
  json_object_del(rep, "merged_from");
  json_object_set_new(json_array_get(json_object_get(rep, "hosts"), 1), "not_checked",
                      json_pack("[{s:i, s:n, s:s, s:s, s:s, s:[]}]", "port", 7100, "range",
                                "transport", "tcp", "protocol", "tls", "reason",
                                "the scan stopped before reaching it", "requirements"));
  buf = render(html_write, rep);
  assert_non_null(strstr(buf, "the scan did not finish; 1 check not checked: <span "
                              "class=\"nc\">lab1 7100/tcp</span>"));
  free(buf);
  json_decref(rep);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_table),
                                     cmocka_unit_test(test_table_partial),
                                     cmocka_unit_test(test_csv), cmocka_unit_test(test_html),
                                     cmocka_unit_test(test_merged_and_partial)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
