/* tests/unit/test_refs.c - the reference pages' port tables (tests/data/refs/, markdown pipe
 * tables and HTML tables) against the built-in catalog: every port table of every page is
 * transcribed, with as many rows as the page's table, each with the page's port or range and
 * transport, in the page's order. Which catalog table stands for which page table is the
 * list below; a page or a table it does not name fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>

#include "tests/support/catalog_fixture.h"

#define REF_MAX_TABLES 8
#define REF_MAX_ROWS 24

struct ref_row {
  unsigned first, last;
  unsigned transports; /* (1u << UC_TCP) or (1u << UC_UDP) */
};

struct ref_table {
  struct ref_row rows[REF_MAX_ROWS];
  size_t nrows;
};

struct ref_page {
  struct ref_table t[REF_MAX_TABLES];
  size_t ntables;
};

/* Each page's port tables in the order they stand on the page, as catalog table ids. */
static const struct {
  const char *file;
  const char *tables[REF_MAX_TABLES];
} pages[] = {
    {"sfb2015-edge-environmental-requirements.es-ES.md",
     {"external", "internal", "hlb-external", "hlb-internal", "hlb-external-vip",
      "hlb-internal-vip"}},
    {"lync2013-port-summary-single-consolidated-edge-with-public-ip-addresses.es-ES.md",
     {"external", "internal", "federation", "public-im", "xmpp"}},
    {"lync2013-port-summary-single-consolidated-edge-with-private-ip-addresses-using-nat.es-ES.md",
     {"external", "internal", "federation", "public-im", "xmpp"}},
    {"lync2013-port-summary-scaled-consolidated-edge-dns-load-balancing-with-public-ip-addresses."
     "es-ES.md",
     {"external", "internal", "federation", "public-im", "xmpp"}},
    {"lync2013-port-summary-scaled-consolidated-edge-with-hardware-load-balancers.es-ES.md",
     {"external-node", "internal-node", "external-vip", "internal-vip"}},
    {"lync2013-port-summary-reverse-proxy.es-ES.md", {"external", "internal"}},
    {"lync2013-port-summary-autodiscover.es-ES.md", {"external", "internal"}},
    {"lync2013-port-summary-single-director.es-ES.md", {"director"}},
    {"lync2013-port-summary-scaled-director-pool-hardware-load-balancer.es-ES.md",
     {"director-pool"}},
};
#define NPAGES (sizeof(pages) / sizeof(pages[0]))

static void refs_dir(char *buf, size_t cap)
{
  const char *src = getenv("UC_SOURCE_DIR");
  snprintf(buf, cap, "%s/tests/data/refs", src ? src : ".");
}

static char *read_page(const char *file)
{
  char dir[1024], path[1400];
  refs_dir(dir, sizeof(dir));
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s (UC_SOURCE_DIR)", path);
  char *text = NULL;
  size_t len = 0, cap = 0, n;
  char chunk[4096];
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      text = realloc(text, cap);
      assert_non_null(text);
    }
    memcpy(text + len, chunk, n);
    len += n;
  }
  fclose(f);
  assert_non_null(text);
  text[len] = '\0';
  return text;
}

/* The last number or range in `s` (thousands written "50.000", ranges "a-b" or "a–b");
 * 0, or -1 when there is none. */
static int last_port(const char *s, const char *end, unsigned *first, unsigned *last)
{
  int found = -1;
  for (const char *p = s; p < end; p++) {
    if (*p < '0' || *p > '9' || (p > s && ((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.')))
      continue;
    unsigned a = 0, b;
    while (p < end &&
           ((*p >= '0' && *p <= '9') || (*p == '.' && p + 1 < end && p[1] >= '0' && p[1] <= '9'))) {
      if (*p != '.')
        a = a * 10 + (unsigned)(*p - '0');
      p++;
    }
    b = a;
    const char *q = p;
    while (q < end && *q == ' ')
      q++;
    size_t dash = *q == '-' ? 1 : (strncmp(q, "\xe2\x80\x93", 3) == 0 ? 3 : 0);
    if (dash) {
      q += dash;
      while (q < end && *q == ' ')
        q++;
      if (q < end && *q >= '0' && *q <= '9') {
        b = 0;
        for (; q < end && ((*q >= '0' && *q <= '9') || *q == '.'); q++)
          if (*q != '.')
            b = b * 10 + (unsigned)(*q - '0');
        p = q;
      }
    }
    *first = a;
    *last = b;
    found = 0;
    p--;
  }
  return found;
}

static const char *find_in(const char *s, const char *end, const char *needle)
{
  size_t n = strlen(needle);
  for (const char *p = s; p + n <= end; p++)
    if (strncasecmp(p, needle, n) == 0)
      return p;
  return NULL;
}

/* A table whose heading names a source and a port is a port table (the DNS, certificate and
 * topology tables are not). */
static bool port_header(const char *s, const char *end)
{
  return find_in(s, end, "origen") && find_in(s, end, "puerto");
}

static void add_row(struct ref_table *t, const char *cell, const char *cell_end, const char *tr,
                    const char *tr_end)
{
  struct ref_row *r = &t->rows[t->nrows];
  assert_true(t->nrows < REF_MAX_ROWS);
  if (last_port(cell, cell_end, &r->first, &r->last) < 0)
    fail_msg("no port in \"%.*s\"", (int)(cell_end - cell), cell);
  r->transports = find_in(tr, tr_end, "UDP") ? 1u << UC_UDP : 1u << UC_TCP;
  t->nrows++;
}

/* The k-th cell (0-based) of a pipe table line: [*s, *e). */
static bool pipe_cell(const char *line, const char *end, int k, const char **s, const char **e)
{
  const char *p = line + 1; /* after the leading '|' */
  for (int i = 0; i < k; i++) {
    p = memchr(p, '|', (size_t)(end - p));
    if (!p)
      return false;
    p++;
  }
  const char *q = memchr(p, '|', (size_t)(end - p));
  *s = p;
  *e = q ? q : end;
  return true;
}

static int pipe_column(const char *header, const char *end, const char *name)
{
  const char *s, *e;
  for (int k = 0; pipe_cell(header, end, k, &s, &e); k++)
    if (find_in(s, e, name))
      return k;
  return -1;
}

static const char *line_end(const char *p)
{
  const char *e = strchr(p, '\n');
  return e ? e : p + strlen(p);
}

/* A markdown pipe table starting at `p`; returns the first line after it. */
static const char *pipe_table(const char *p, struct ref_page *pg)
{
  const char *header = p, *header_end = line_end(p);
  bool port = port_header(header, header_end);
  int tcol = pipe_column(header, header_end, "TCP o UDP");
  int pcol = pipe_column(header, header_end, "Puerto");
  struct ref_table *t = port ? &pg->t[pg->ntables] : NULL;
  if (port) {
    assert_true(pg->ntables < REF_MAX_TABLES && tcol >= 0 && pcol >= 0);
    pg->ntables++;
  }
  int n = 0;
  for (; *p == '|'; n++) {
    const char *e = line_end(p);
    const char *ps, *pe, *ts, *te;
    if (t && n >= 2) { /* after the header and the |:---| line */
      assert_true(pipe_cell(p, e, pcol, &ps, &pe) && pipe_cell(p, e, tcol, &ts, &te));
      add_row(t, ps, pe, ts, te);
    }
    p = *e ? e + 1 : e;
  }
  return p;
}

/* An HTML table starting at `p`; returns the point after it. The first cell of a row holds
 * protocol, transport and port ("A/V/RTP/TCP/50.000-59.999", "HTTP/TCP 8080"); a cell that
 * names no UDP is TCP (SIP/TLS/443, PSOM/MTLS/8057). */
static const char *html_table(const char *p, struct ref_page *pg)
{
  const char *end = strstr(p, "</table>");
  assert_non_null(end);
  const char *body = strstr(p, "<tbody>");
  assert_true(body && body < end);
  if (!port_header(p, body))
    return end;
  assert_true(pg->ntables < REF_MAX_TABLES);
  struct ref_table *t = &pg->t[pg->ntables++];
  for (const char *tr = strstr(body, "<tr"); tr && tr < end; tr = strstr(tr + 3, "<tr")) {
    const char *td = strstr(tr, "<td>");
    const char *td_end = td ? strstr(td, "</td>") : NULL;
    assert_true(td && td_end && td_end < end);
    add_row(t, td + 4, td_end, td + 4, td_end);
  }
  return end;
}

static void parse_page(const char *text, struct ref_page *pg)
{
  memset(pg, 0, sizeof(*pg));
  const char *p = text;
  while (*p) {
    if (*p == '|') {
      p = pipe_table(p, pg);
      continue;
    }
    const char *e = line_end(p);
    const char *tab = find_in(p, e, "<table>");
    if (tab) {
      p = html_table(tab, pg);
      continue;
    }
    p = *e ? e + 1 : e;
  }
}

static void check_table(const char *file, const char *id, const struct ref_table *t)
{
  const struct cat_row *rows[REF_MAX_ROWS] = {0};
  size_t n = 0;
  for (size_t i = 0; i < test_catalog.nrows; i++) {
    const struct cat_row *r = &test_catalog.rows[i];
    if (strcmp(r->src_file, file) != 0 || strcmp(r->src_table, id) != 0)
      continue;
    n++;
    if (r->src_row < 1 || r->src_row > REF_MAX_ROWS || rows[r->src_row - 1])
      fail_msg("%s table %s: row %s has source row %d twice or out of range", file, id, r->id,
               r->src_row);
    rows[r->src_row - 1] = r;
  }
  if (n != t->nrows)
    fail_msg("%s table %s: the catalog has %zu rows, the page %zu", file, id, n, t->nrows);
  for (size_t k = 0; k < n; k++) {
    const struct cat_row *r = rows[k];
    const struct ref_row *w = &t->rows[k];
    if (!r)
      fail_msg("%s table %s: no catalog row for page row %zu", file, id, k + 1);
    if (r->first != w->first || r->last != w->last || r->transports != w->transports ||
        r->is_range != (w->first != w->last))
      fail_msg("%s table %s row %zu (%s): catalog %u-%u transports %#x, page %u-%u %#x", file, id,
               k + 1, r->id, r->first, r->last, r->transports, w->first, w->last, w->transports);
  }
}

/* Every port table of every page, against its catalog table. */
static void test_tables_match_pages(void **state)
{
  (void)state;
  size_t tables = 0, rows = 0;
  for (size_t i = 0; i < NPAGES; i++) {
    char *text = read_page(pages[i].file);
    struct ref_page pg;
    parse_page(text, &pg);
    free(text);
    size_t want = 0;
    while (want < REF_MAX_TABLES && pages[i].tables[want])
      want++;
    if (pg.ntables != want)
      fail_msg("%s: %zu port tables on the page, %zu named here", pages[i].file, pg.ntables, want);
    for (size_t k = 0; k < pg.ntables; k++) {
      check_table(pages[i].file, pages[i].tables[k], &pg.t[k]);
      rows += pg.t[k].nrows;
    }
    tables += pg.ntables;
  }
  assert_int_equal(tables, 31);
  assert_int_equal(rows, 226);
}

/* Every page in tests/data/refs is in the list (a new page is transcribed, or this fails). */
static void test_every_page_listed(void **state)
{
  (void)state;
  char dir[1024];
  refs_dir(dir, sizeof(dir));
  DIR *d = opendir(dir);
  if (!d)
    fail_msg("cannot open %s (UC_SOURCE_DIR)", dir);
  struct dirent *de;
  size_t n = 0;
  while ((de = readdir(d)) != NULL) {
    size_t len = strlen(de->d_name);
    if (len < 3 || strcmp(de->d_name + len - 3, ".md") != 0 || strcmp(de->d_name, "README.md") == 0)
      continue;
    bool listed = false;
    for (size_t i = 0; i < NPAGES; i++)
      listed = listed || strcmp(pages[i].file, de->d_name) == 0;
    if (!listed)
      fail_msg("%s/%s: a reference page the catalog does not transcribe", dir, de->d_name);
    n++;
  }
  closedir(d);
  assert_int_equal(n, NPAGES);
}

/* The parser itself, on the forms the pages use. */
static void test_port_cells(void **state)
{
  (void)state;
  static const struct {
    const char *cell;
    unsigned first, last;
  } cases[] = {
      {"A/V/RTP/TCP/50.000-59.999", 50000, 59999},
      {"A/V/RTP/TCP/50.000\xe2\x80\x93"
       "59.999",
       50000, 59999},
      {"SIP/TLS/443 (entrada)", 443, 443},
      {"HTTP/TCP 8080", 8080, 8080},
      {"Conferencia web/PSOM(TLS)TCP/443", 443, 443},
      {"50000-59999  <br/> ", 50000, 59999},
      {"57501 -65535", 57501, 65535},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    unsigned a = 0, b = 0;
    const char *c = cases[i].cell;
    assert_int_equal(last_port(c, c + strlen(c), &a, &b), 0);
    assert_int_equal(a, cases[i].first);
    assert_int_equal(b, cases[i].last);
  }
  static const char none[] = "Cualquiera";
  unsigned a, b;
  assert_int_equal(last_port(none, none + sizeof(none) - 1, &a, &b), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_port_cells),
      cmocka_unit_test(test_tables_match_pages),
      cmocka_unit_test(test_every_page_listed),
  };
  return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
