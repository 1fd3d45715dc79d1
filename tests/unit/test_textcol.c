/* tests/unit/test_textcol.c - tables fitted to a width (common/textcol.h): no line wider than
 * the width, words kept whole, droppable and empty columns, terminal safety, colour rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/textcol.h"

enum { V, PORT, NOTE, RTT, WHY, N };
static const struct textcol_col cols[N] = {
    [V] = {"VERDICT", 0, 0, 0, 0, 0},
    [PORT] = {"PORT", 0, 0, 0, 0, 0},
    [NOTE] = {"NOTE", TEXTCOL_HIDE_EMPTY, 0, 0, 0, 0},
    [RTT] = {"RTT", TEXTCOL_RIGHT, 0, 0, 0, 1},
    [WHY] = {"REASON", TEXTCOL_WRAP, 10, 30, 3, 0},
};

static const char *long_reason = "TLS 1.3 handshake completed; client certificate requested; SIP "
                                 "OPTIONS answered 200 OK from a server that talks at length";

static char *render(struct textcol *t, unsigned width, bool color, size_t *cut)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  size_t c = textcol_print(t, f, width, 2, color);
  fclose(f);
  if (cut)
    *cut = c;
  return buf;
}

static struct textcol *sample(void)
{
  struct textcol *t = textcol_new(cols, N);
  assert_non_null(t);
  textcol_line(t, 0, "fe01.contoso.test (198.18.1.11)  front-end, mediation", "\033[1m");
  textcol_head(t);
  const char *r1[N] = {"pass", "443/tcp", "", "0.04 ms", "TCP connection accepted"};
  const char *r2[N] = {"fail", "57501-65535/udp", "-", "12.50 ms", long_reason};
  const char *styles[N] = {"\033[1;31m", NULL, NULL, NULL, NULL};
  textcol_row(t, r1, NULL);
  textcol_row(t, r2, styles);
  textcol_note(t, "filtered:", "60000-60099 61000 62000-62010 63000 64000 65000-65100 65200");
  return t;
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

static void test_fits_and_wraps(void **state)
{
  (void)state;
  struct textcol *t = sample();
  for (unsigned width = 40; width <= 140; width += 20) {
    size_t cut;
    char *out = render(t, width, false, &cut);
    if (widest(out) > width)
      fail_msg("width %u: a line of %zu:\n%s", width, widest(out), out);
    /* words are never split: every word of the reason is there, whole (unless cut at the end) */
    assert_non_null(strstr(out, "handshake"));
    if (!cut)
      assert_non_null(strstr(out, "length"));
    assert_null(strstr(out, "\033[")); /* no colour asked */
    assert_null(strstr(out, "NOTE"));  /* an empty column goes */
    free(out);
  }
  /* narrow: the droppable RTT goes before the reason is squeezed; then the reason is cut */
  size_t cut;
  char *out = render(t, 60, false, &cut);
  assert_null(strstr(out, "RTT"));
  assert_non_null(strstr(out, "..."));
  assert_int_equal(cut, 1);
  free(out);
  /* wide enough: everything whole, on one line each, the RTT right-aligned */
  out = render(t, 200, false, &cut);
  assert_int_equal(cut, 0);
  assert_non_null(strstr(out, long_reason));
  assert_non_null(strstr(out, " 0.04 ms"));
  free(out);
  /* no limit (a file, a pipe): whole lines, however long */
  out = render(t, 0, false, &cut);
  assert_non_null(strstr(out, long_reason));
  assert_true(widest(out) > 140);
  free(out);
  textcol_free(t);
}

/* A token longer than its column is cut with "...", never split over two lines. */
static void test_long_token_cut(void **state)
{
  (void)state;
  static const struct textcol_col two[2] = {{"A", 0, 0, 0, 0, 0},
                                            {"REASON", TEXTCOL_WRAP, 10, 0, 0, 0}};
  struct textcol *t = textcol_new(two, 2);
  const char *cells[2] = {"x", "XMPP stream (from='edge01.contoso.test', version 1.0)"};
  assert_int_equal(textcol_row(t, cells, NULL), 0);
  size_t cut;
  char *out = render(t, 20, false, &cut);
  assert_true(widest(out) <= 20);
  assert_non_null(strstr(out, "(from='edge"));
  assert_non_null(strstr(out, "..."));
  assert_null(strstr(out, "contoso.test'"));    /* the rest of the token is not a line of its own */
  assert_non_null(strstr(out, "version 1.0)")); /* the words after it are */
  assert_int_equal(cut, 1);
  free(out);
  textcol_free(t);
}

static void test_no_trailing_blanks_and_colour(void **state)
{
  (void)state;
  struct textcol *t = sample();
  char *out = render(t, 80, true, NULL);
  assert_non_null(strstr(out, "\033[1;31mfail\033[0m"));
  assert_non_null(strstr(out, "\033[1mfe01.contoso.test"));
  assert_null(strstr(out, " \n"));
  /* colour codes never count as width */
  char *plain = render(t, 80, false, NULL);
  size_t stripped = 0;
  for (const char *p = out; *p; p++)
    if (*p == '\033')
      stripped++;
  assert_true(stripped >= 4);
  assert_true(strlen(out) > strlen(plain));
  free(out);
  free(plain);
  textcol_free(t);
}

static void test_terminal_safety(void **state)
{
  (void)state;
  static const struct textcol_col one[1] = {{"TEXT", TEXTCOL_WRAP, 0, 0, 0, 0}};
  struct textcol *t = textcol_new(one, 1);
  const char *hostile[1] = {"a\033]0;owned\007b\rc\td\xc2\x9b"
                            "e\xff"
                            "f \xe2\x82\xac ok"};
  textcol_row(t, hostile, NULL);
  char *out = render(t, 0, false, NULL);
  assert_null(strchr(out, '\033'));
  assert_null(strchr(out, '\007'));
  assert_null(strchr(out, '\r'));
  assert_null(strstr(out, "\xc2\x9b"));
  assert_null(strchr(out, '\xff'));
  assert_non_null(strstr(out, "a?]0;owned?b?c d?e?f \xe2\x82\xac ok"));
  free(out);
  textcol_free(t);
  assert_int_equal(textcol_display_width("\xe2\x82\xac\xe2\x82\xac"), 2);
}

/* Sets (value) or removes (NULL) an environment variable, on POSIX and on Windows (whose CRT
 * has no setenv: an empty value removes the variable there). */
static void set_env(const char *name, const char *value)
{
#ifdef _WIN32
  _putenv_s(name, value ? value : "");
#else
  if (value)
    setenv(name, value, 1);
  else
    unsetenv(name);
#endif
}

static void test_width_and_colour_rules(void **state)
{
  (void)state;
  /* not a terminal (a memstream has no descriptor: -1): $COLUMNS, else no limit */
  set_env("COLUMNS", NULL);
  assert_int_equal(textcol_width(-1), 0);
  set_env("COLUMNS", "132");
  assert_int_equal(textcol_width(-1), 132);
  set_env("COLUMNS", "5"); /* nonsense is ignored */
  assert_int_equal(textcol_width(-1), 0);
  set_env("COLUMNS", NULL);
  enum textcol_color m;
  assert_int_equal(textcol_color_parse("always", &m), 0);
  assert_true(textcol_color_wanted(m, -1));
  set_env("NO_COLOR", "1");
  assert_true(textcol_color_wanted(m, -1)); /* --color always wins */
  assert_int_equal(textcol_color_parse("auto", &m), 0);
  assert_false(textcol_color_wanted(m, -1));
  set_env("NO_COLOR", NULL);
  assert_false(textcol_color_wanted(m, -1)); /* not a terminal */
  assert_int_equal(textcol_color_parse("never", &m), 0);
  assert_false(textcol_color_wanted(m, -1));
  assert_int_equal(textcol_color_parse("sometimes", &m), -1);
}

static void test_natural_width(void **state)
{
  (void)state;
  struct textcol *t = sample();
  unsigned w = textcol_natural_width(t, 2);
  char *out = render(t, 0, false, NULL);
  assert_int_equal(w, widest(out) > w ? widest(out) : w); /* notes and lines aside */
  assert_true(w >= 2 + strlen(long_reason));
  free(out);
  textcol_free(t);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fits_and_wraps),  cmocka_unit_test(test_no_trailing_blanks_and_colour),
      cmocka_unit_test(test_terminal_safety), cmocka_unit_test(test_width_and_colour_rules),
      cmocka_unit_test(test_natural_width),   cmocka_unit_test(test_long_token_cut)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
