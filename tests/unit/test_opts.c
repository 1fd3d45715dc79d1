/* tests/unit/test_opts.c - options as data (cli/opts.h): one table parses, prints --help with
 * the defaults of model/conf.c, and writes the man page's entries; the rules every command
 * keeps (full spelling, lists once, -h) and the "did you mean" for what was mistyped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/opts.h"
#include "common/suggest.h"
#include "model/portspec.h"

struct args {
  const char *list, *file, *format, *profile, *target, *ports;
  struct cli_uint timeout, n;
  bool flag;
};
#define A(f) offsetof(struct args, f)

static const struct cli_opt opts[] = {
    {"list", "A[,B...]", CLI_LIST, A(list), .help = "a list"},
    {"file", "FILE", CLI_STR, A(file), .help = "a file", .man = "Read <FILE>, see `--list`."},
    {"format", "FMT", CLI_CHOICE, A(format), .choices = "json|table|html", .def = "json",
     .help = "json, table or html"},
    {"timeout", "MS", CLI_UINT, A(timeout), 1, 600000, .conf = CLI_CONF(timeout_ms),
     .help = "longest wait"},
    {"n", "N", CLI_UINT, A(n), 0, 9, .help = "a digit"},
    {"profile", "NAME", CLI_CHOICE, A(profile), .choices = "polite|fast", .help = "profile"},
    {"fast", NULL, CLI_SET, A(profile), .choices = "fast", .help = "same as --profile fast"},
    {"flag", NULL, CLI_FLAG, A(flag), .help = "a flag"},
    {"target", "HOST", CLI_STR, A(target), .help = "a host"},
    {"ports", "SPEC", CLI_STR, A(ports), .help = "ports"},
    {"help", NULL, CLI_HELP, 0, .help = "this help"},
    {NULL, NULL, 0, 0, .help = NULL},
};
static const struct cli_cmd cmd = {"test", "ucscan test [options]", "A test.", opts, NULL, false,
                                   NULL};

/* Runs opts_parse on a NULL-terminated argument list; stderr in *err (caller frees). */
static int parse(struct args *a, char **err, ...)
{
  char *argv[32];
  int argc = 0;
  va_list ap;
  va_start(ap, err);
  argv[argc++] = (char *)"test";
  for (char *s; (s = va_arg(ap, char *)) != NULL;)
    argv[argc++] = s;
  va_end(ap);
  argv[argc] = NULL;
  memset(a, 0, sizeof(*a));
  fflush(stderr);
  FILE *tmp = tmpfile();
  int saved = dup(2);
  dup2(fileno(tmp), 2);
  int rc = opts_parse(&cmd, argc, argv, a);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  long len = ftell(tmp);
  rewind(tmp);
  *err = calloc(1, (size_t)len + 1);
  if (fread(*err, 1, (size_t)len, tmp) != (size_t)len)
    fail_msg("cannot read stderr back");
  fclose(tmp);
  return rc;
}

static void test_parse(void **state)
{
  (void)state;
  struct args a;
  char *err;
  assert_int_equal(parse(&a, &err, "--list", "x,y", "--file=f", "--format", "html", "--timeout",
                         "300", "--fast", "--flag", NULL),
                   0);
  assert_string_equal(a.list, "x,y");
  assert_string_equal(a.file, "f");
  assert_string_equal(a.format, "html");
  assert_true(a.timeout.set);
  assert_int_equal(a.timeout.v, 300);
  assert_false(a.n.set);
  assert_string_equal(a.profile, "fast");
  assert_true(a.flag);
  free(err);
  /* the value given goes to its scan_conf field; the others keep the profile's */
  struct scan_conf conf;
  scan_conf_polite(&conf);
  opts_apply_conf(&cmd, &a, &conf);
  assert_int_equal(conf.timeout_ms, 300);
  assert_int_equal(conf.retries, 2);
  /* a plain option given twice takes the last value */
  assert_int_equal(parse(&a, &err, "--file", "a", "--file", "b", NULL), 0);
  assert_string_equal(a.file, "b");
  free(err);
}

struct refusal {
  const char *args[4];
  const char *needle;
};

static void test_refusals(void **state)
{
  (void)state;
  static const struct refusal cases[] = {
      {{"--list", "a", "--list", "b"}, "--list given twice (give one list, with commas)"},
      {{"--tim", "3"}, "unknown option --tim (options are not abbreviated: --timeout)"},
      {{"--timout", "3"}, "unknown option --timout (did you mean --timeout?)"},
      {{"--frobnicate"}, "unknown option --frobnicate\n"},
      {{"--format", "jsn"}, "unknown format \"jsn\" (json, table or html); did you mean json?"},
      {{"--format", "xml"}, "unknown format \"xml\" (json, table or html)\n"},
      {{"--timeout", "0"}, "--timeout: \"0\" is not a number from 1 to 600000"},
      {{"--timeout", "-5"}, "is not a number"},
      {{"--n", "10"}, "--n: \"10\" is not a number from 0 to 9"},
      {{"--file"}, "option --file needs a value"},
      {{"stray"},
       "unexpected argument \"stray\" (hosts are given with --target: --target "
       "stray)"},
      /* short options: none but -h; the habits of nmap and Test-NetConnection get theirs */
      /* -p VALUE: a --ports that is itself accepted (nmap's transport is tcp) */
      {{"-p", "5061"},
       "unknown option -p (ucscan's options are long: did you mean --ports 5061/tcp?)"},
      {{"-p5061"},
       "unknown option -p5061 (ucscan's options are long: did you mean --ports 5061/tcp?)"},
      {{"-p", "80,443"}, "did you mean --ports tcp:80,443?)"},
      {{"-p", "T:80,U:53"}, "did you mean --ports T:80,U:53?)"},
      {{"-p", "1-1024"}, "did you mean --ports 1-1024/tcp?)"},
      {{"-Port", "5061"}, "did you mean --ports 5061/tcp?)"},
      {{"-p", "x"}, "unknown option -p (ucscan's options are long: did you mean --ports?)"},
      {{"-p"}, "unknown option -p (ucscan's options are long: did you mean --ports?)"},
      {{"-ComputerName", "a"}, "did you mean --target?"},
      {{"-iL", "f"}, "unknown option -iL (ucscan's options are long: --name)\n"},
      {{"-x"}, "unknown option -x (ucscan's options are long: --name)\n"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct args a;
    char *err;
    const char *const *v = cases[i].args;
    int rc = parse(&a, &err, v[0], v[1], v[2], v[3], NULL);
    if (rc != 2 || !strstr(err, cases[i].needle) || strncmp(err, "ucscan test: ", 13) != 0)
      fail_msg("case %zu: rc %d, stderr '%s', want '%s'", i, rc, err, cases[i].needle);
    const char *dym = strstr(err, "did you mean --ports ");
    if (dym) { /* the --ports suggested is accepted when typed back */
      char fix[128];
      const char *from = dym + strlen("did you mean --ports ");
      snprintf(fix, sizeof(fix), "%.*s", (int)strcspn(from, "?"), from);
      struct port_item *pv;
      size_t pn;
      struct uc_err perr;
      if (portspec_parse(fix, &pv, &pn, &perr) < 0)
        fail_msg("case %zu: suggested --ports %s, refused: %s", i, fix, perr.text);
      free(pv);
    }
    free(err);
  }
}

static char *capture(void (*fn)(FILE *, const struct cli_cmd *), const struct cli_cmd *c)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  fn(f, c);
  fclose(f);
  return buf;
}

static void test_help_and_man(void **state)
{
  (void)state;
  char *help = capture(opts_help, &cmd);
  /* defaults: the profiles' (model/conf.c), or the row's */
  assert_non_null(
      strstr(help, "  --timeout MS             longest wait (default 2000; fast: 1000)\n"));
  assert_non_null(strstr(help, "  --format FMT             json, table or html (default json)\n"));
  assert_non_null(strstr(help, "  --flag                   a flag\n"));
  free(help);
  char *man = capture(opts_man, &cmd);
  assert_non_null(strstr(man, ".TP\n.BI \\-\\-timeout \" MS\"\nlongest wait Default: "
                              "\\fB2000\\fR; in the \\fBfast\\fR profile, \\fB1000\\fR.\n"));
  assert_non_null(strstr(man, ".TP\n.BI \\-\\-file \" FILE\"\nRead \\fIFILE\\fR, see "
                              "\\fB\\-\\-list\\fR.\n"));
  assert_non_null(strstr(man, ".TP\n.B \\-\\-flag\na flag\n"));
  free(man);
}

static void test_roff(void **state)
{
  (void)state;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  opts_roff(f, "A long sentence that goes on and on about `tcp:1-1024,udp:3478` and --per-host "
               "and (`a`, `b`), a back\\slash, pre-deployment checks, a <FILE> and more words "
               "until the line must break somewhere sensible.\n\n.A new paragraph that begins "
               "with a dot.");
  fclose(f);
  for (char *line = buf; *line;) {
    char *nl = strchr(line, '\n');
    assert_non_null(nl);
    if ((size_t)(nl - line) > 78)
      fail_msg("a roff line of %zu bytes: %.*s", (size_t)(nl - line), (int)(nl - line), line);
    line = nl + 1;
  }
  assert_non_null(strstr(buf, "\\fBtcp:1\\-1024,udp:3478\\fR"));
  assert_non_null(strstr(buf, "\\fB\\-\\-per\\-host\\fR"));
  assert_non_null(strstr(buf, "(\\fBa\\fR, \\fBb\\fR)"));
  assert_non_null(strstr(buf, "back\\eslash"));
  assert_non_null(strstr(buf, "pre-deployment"));
  assert_non_null(strstr(buf, "\\fIFILE\\fR"));
  assert_non_null(strstr(buf, "\n.IP\n\\&.A new paragraph"));
  free(buf);
}

static void test_suggest(void **state)
{
  (void)state;
  static const char *const roles[] = {"front-end", "director", "edge", "mediation"};
  assert_int_equal(suggest_distance("directr", "director"), 1);
  assert_int_equal(suggest_distance("dierctor", "director"), 1); /* a swap is one edit */
  assert_string_equal(suggest_pick("directr", roles, 4), "director");
  assert_string_equal(suggest_pick("FRONTEND", roles, 4), "front-end");
  assert_string_equal(suggest_pick("med", roles, 4), "mediation"); /* a prefix */
  assert_null(suggest_pick("xyz", roles, 4));
  assert_null(suggest_pick("pstn", roles, 4));
  static const char *const levels[] = {"fail", "warn"};
  assert_string_equal(suggest_pick("warning", levels, 2), "warn"); /* said in full */
  assert_string_equal(suggest_pick("failure", levels, 2), "fail");
  assert_null(suggest_pick("wa", levels, 2));
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse), cmocka_unit_test(test_refusals),
                                     cmocka_unit_test(test_help_and_man),
                                     cmocka_unit_test(test_roff), cmocka_unit_test(test_suggest)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
