/* cli/opts.c - options as data: parsing, --help and the man page from one table (opts.h). */
#include "cli/opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/suggest.h"
#include "common/textcol.h"
#include "model/portspec.h"

#define OPT_VAL_BASE 1000 /* getopt_long's value for row i: OPT_VAL_BASE + i */
#define HELP_HEAD 24      /* width of "--name ARG" in --help */
#define HELP_WIDTH 79     /* --help lines stay within 80 columns */
#define ROFF_WIDTH 78     /* man source lines stay within 80 bytes (mandoc -Tlint) */
#define MAX_OPTS 64

static size_t count_opts(const struct cli_opt *opts)
{
  size_t n = 0;
  while (opts[n].name)
    n++;
  return n;
}

int opts_usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "ucscan %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see `ucscan %s --help`)\n", cmd);
  va_end(ap);
  return 2;
}

/* ---- checks before getopt_long ---- */

static const struct cli_opt *find_opt(const struct cli_opt *opts, const char *name, size_t len,
                                      bool prefix)
{
  for (const struct cli_opt *o = opts; o->name; o++)
    if (strncmp(o->name, name, len) == 0 && (prefix || o->name[len] == '\0'))
      return o;
  return NULL;
}

/* "unknown option --topolgy (did you mean --topology?)", or an abbreviation refused. */
static int unknown_option(const struct cli_cmd *cmd, const char *name, size_t len)
{
  const struct cli_opt *full = find_opt(cmd->opts, name, len, true);
  if (full)
    return opts_usage_error(cmd->name, "unknown option --%.*s (options are not abbreviated: --%s)",
                            (int)len, name, full->name);
  const char *names[MAX_OPTS];
  size_t n = 0;
  for (const struct cli_opt *o = cmd->opts; o->name && n < MAX_OPTS; o++)
    names[n++] = o->name;
  char typed[64];
  snprintf(typed, sizeof(typed), "%.*s", (int)(len < 63 ? len : 63), name);
  const char *near = suggest_pick(typed, names, n);
  if (near)
    return opts_usage_error(cmd->name, "unknown option --%.*s (did you mean --%s?)", (int)len, name,
                            near);
  return opts_usage_error(cmd->name, "unknown option --%.*s", (int)len, name);
}

/* A short option, which ucscan has none of (but -h): the long option it stands for in the
 * tools operators type every day (nmap's -p, -iL and -T4, Test-NetConnection's -Port and
 * -ComputerName), when the command has it. */
/* What `-p VALUE` stands for: --ports VALUE when it parses (nmap's "T:5061,U:3478"), else the
 * value with nmap's default transport, tcp ("5061" -> "5061/tcp", "80,443" -> "tcp:80,443");
 * "" when neither parses. */
static void ports_for_p(const char *value, char *buf, size_t cap)
{
  char cand[3][256];
  snprintf(cand[0], sizeof(cand[0]), "%s", value);
  snprintf(cand[1], sizeof(cand[1]), "%s/tcp", value);
  snprintf(cand[2], sizeof(cand[2]), "tcp:%s", value);
  buf[0] = '\0';
  for (size_t k = 0; k < 3; k++) {
    if (k == 1 && strchr(value, ','))
      continue; /* a suffix is for its own item only */
    struct port_item *v = NULL;
    size_t n = 0;
    struct uc_err err;
    if (strlen(cand[k]) < cap && portspec_parse(cand[k], &v, &n, &err) == 0) {
      free(v);
      snprintf(buf, cap, "%s", cand[k]);
      return;
    }
  }
}

static int short_option(const struct cli_cmd *cmd, int argc, char **argv, int i)
{
  const char *arg = argv[i];
  static const struct {
    const char *given; /* the option, or its start when a value may be glued on ("-p5061") */
    bool glued;
    const char *ours;
  } habits[] = {
      {"-p", true, "ports"},        {"-iL", false, "targets-file"},
      {"-T4", false, "fast"},       {"-T5", false, "fast"},
      {"-Port", false, "ports"},    {"-ComputerName", false, "target"},
      {"-sT", false, "tcp-method"}, {"-sS", false, "tcp-method"},
  };
  for (size_t h = 0; h < sizeof(habits) / sizeof(habits[0]); h++) {
    size_t n = strlen(habits[h].given);
    bool match = habits[h].glued ? strncmp(arg, habits[h].given, n) == 0
                                 : strcasecmp(arg, habits[h].given) == 0;
    if (!match || !find_opt(cmd->opts, habits[h].ours, strlen(habits[h].ours), false))
      continue;
    const char *value = arg[n] ? arg + n : i + 1 < argc && argv[i + 1][0] != '-' ? argv[i + 1] : "";
    char ports[256] = "";
    if (strcmp(habits[h].ours, "ports") == 0 && value[0])
      ports_for_p(value, ports, sizeof(ports));
    if (ports[0])
      return opts_usage_error(cmd->name,
                              "unknown option %s (ucscan's options are long: did you "
                              "mean --ports %s?)",
                              arg, ports);
    return opts_usage_error(cmd->name,
                            "unknown option %s (ucscan's options are long: did you "
                            "mean --%s?)",
                            arg, habits[h].ours);
  }
  return opts_usage_error(cmd->name, "unknown option %s (ucscan's options are long: --name)", arg);
}

/* Spelled in full, lists not twice, -h as --help (see opts.h). Returns 0 or 2. */
static int check_argv(const struct cli_cmd *cmd, int argc, char **argv)
{
  bool seen[MAX_OPTS] = {false};
  bool has_help = find_opt(cmd->opts, "help", 4, false) != NULL;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--") == 0)
      break;
    if (strcmp(arg, "-h") == 0 && has_help) {
      argv[i] = (char *)"--help";
      continue;
    }
    if (arg[0] == '-' && arg[1] && arg[1] != '-')
      return short_option(cmd, argc, argv, i);
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
      continue;
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    const struct cli_opt *o = find_opt(cmd->opts, name, len, false);
    if (!o)
      return unknown_option(cmd, name, len);
    if (!o->arg)
      continue;
    size_t k = (size_t)(o - cmd->opts);
    if (k < MAX_OPTS && seen[k] && o->type == CLI_LIST)
      return opts_usage_error(cmd->name, "--%s given twice (give one list, with commas)", o->name);
    if (k < MAX_OPTS)
      seen[k] = true;
    if (name[len] == '\0')
      i++; /* its value is the next argument */
  }
  return 0;
}

/* ---- storing values ---- */

static bool choice_ok(const char *choices, const char *v)
{
  size_t n = strlen(v);
  for (const char *c = choices; *c;) {
    size_t len = strcspn(c, "|");
    if (len == n && strncmp(c, v, n) == 0)
      return true;
    c += len + (c[len] == '|');
  }
  return false;
}

/* "json, table or html" from "json|table|html". */
static void choices_text(const char *choices, char *buf, size_t cap)
{
  size_t used = 0, n = 1;
  for (const char *c = choices; *c; c++)
    n += *c == '|';
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < cap; i++) {
    size_t len = strcspn(choices, "|");
    int w = snprintf(buf + used, cap - used, "%s%.*s",
                     i == 0       ? ""
                     : i + 1 == n ? " or "
                                  : ", ",
                     (int)len, choices);
    used += w > 0 ? (size_t)w : 0;
    choices += len + (choices[len] == '|');
  }
}

static int bad_choice(const struct cli_cmd *cmd, const struct cli_opt *o, const char *v)
{
  char list[200], word[64], near_buf[64] = "", words[16][32];
  const char *cand[16];
  size_t n = 0;
  choices_text(o->choices, list, sizeof(list));
  for (const char *c = o->choices; *c && n < 16; n++) {
    size_t len = strcspn(c, "|");
    snprintf(words[n], sizeof(words[n]), "%.*s", (int)len, c);
    cand[n] = words[n];
    c += len + (c[len] == '|');
  }
  const char *near = suggest_pick(v, cand, n);
  if (near)
    snprintf(near_buf, sizeof(near_buf), "; did you mean %s?", near);
  if (o->what)
    return opts_usage_error(cmd->name, "unknown %s \"%s\" for --%s (%s)%s", o->what, v, o->name,
                            list, near_buf);
  snprintf(word, sizeof(word), "%s", o->name); /* "tcp-method" says "unknown tcp method" */
  for (char *c = word; *c; c++)
    *c = *c == '-' ? ' ' : *c;
  return opts_usage_error(cmd->name, "unknown %s \"%s\" (%s)%s", word, v, list, near_buf);
}

static int store_uint(const struct cli_cmd *cmd, const struct cli_opt *o, const char *s,
                      struct cli_uint *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || errno || s[0] == '-' || s[0] == '+' || s[0] == ' ' || v < o->min || v > o->max)
    return opts_usage_error(cmd->name, "--%s: \"%s\" is not a number from %u to %u", o->name, s,
                            o->min, o->max);
  out->v = (unsigned)v;
  out->set = true;
  return 0;
}

static int store(const struct cli_cmd *cmd, const struct cli_opt *o, const char *val, void *args)
{
  char *field = (char *)args + o->off;
  switch (o->type) {
  case CLI_FLAG:
    *(bool *)(void *)field = true;
    return 0;
  case CLI_SET:
    *(const char **)(void *)field = o->choices;
    return 0;
  case CLI_UINT:
    return store_uint(cmd, o, val, (struct cli_uint *)(void *)field);
  case CLI_CHOICE:
    if (!choice_ok(o->choices, val))
      return bad_choice(cmd, o, val);
#ifdef _WIN32
    /* said here, before the checks that would call it a missing evidence capture: what is
     * missing is the raw SYN, and connect() does the same job */
    if (strcmp(o->name, "tcp-method") == 0 && strcmp(val, "syn") == 0)
      return opts_usage_error(cmd->name,
                              "--tcp-method syn: raw SYNs are unavailable on Windows (they need "
                              "a packet capture, and Npcap is not available to this build): use "
                              "--tcp-method connect (or auto); nothing scanned");
#endif
    *(const char **)(void *)field = val;
    return 0;
  case CLI_STR:
  case CLI_LIST:
    *(const char **)(void *)field = val;
    return 0;
  case CLI_HELP:
    break;
  }
  return 0;
}

/* "unexpected argument "fe01"", and where it belongs when the command has --target: a host
 * goes there (`ucscan scan fe01 --role director`, as nmap takes it). */
static int unexpected_operand(const struct cli_cmd *cmd, const char *arg)
{
  if (find_opt(cmd->opts, "target", 6, false))
    return opts_usage_error(cmd->name,
                            "unexpected argument \"%s\" (hosts are given with --target: "
                            "--target %s)",
                            arg, arg);
  return opts_usage_error(cmd->name, "unexpected argument \"%s\"", arg);
}

static struct option *getopt_table(const struct cli_opt *opts)
{
  size_t n = count_opts(opts);
  struct option *lo = calloc(n + 1, sizeof(*lo));
  for (size_t i = 0; lo && i < n; i++) {
    lo[i].name = opts[i].name;
    lo[i].has_arg = opts[i].arg ? required_argument : no_argument;
    lo[i].val = OPT_VAL_BASE + (int)i;
  }
  return lo;
}

int opts_parse(const struct cli_cmd *cmd, int argc, char **argv, void *args)
{
  if (count_opts(cmd->opts) > MAX_OPTS || check_argv(cmd, argc, argv) != 0)
    return 2;
  struct option *lo = getopt_table(cmd->opts);
  if (!lo) {
    fprintf(stderr, "ucscan: out of memory\n");
    return 2;
  }
  int rc = 0, c;
  optind = 1;
  opterr = 0;
  /* "+" would stop at the first operand; GNU permutation lets options come after them */
  while (rc == 0 && (c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
    if (c == ':') {
      rc = opts_usage_error(cmd->name, "option %s needs a value", argv[optind - 1]);
    } else if (c < OPT_VAL_BASE) {
      rc = opts_usage_error(cmd->name, "unknown option %s", argv[optind - 1]);
    } else if (cmd->opts[c - OPT_VAL_BASE].type == CLI_HELP) {
      opts_help(stdout, cmd);
      rc = 1;
    } else {
      rc = store(cmd, &cmd->opts[c - OPT_VAL_BASE], optarg, args);
    }
  }
  free(lo);
  if (rc == 0 && !cmd->operands && optind < argc)
    rc = unexpected_operand(cmd, argv[optind]);
  return rc;
}

void opts_apply_conf(const struct cli_cmd *cmd, const void *args, struct scan_conf *conf)
{
  for (const struct cli_opt *o = cmd->opts; o->name; o++) {
    if (!o->conf)
      continue;
    const char *field = (const char *)args + o->off;
    char *dst = (char *)conf + o->conf - 1;
    if (o->type == CLI_UINT) {
      const struct cli_uint *u = (const void *)field;
      if (u->set)
        memcpy(dst, &u->v, sizeof(u->v));
    } else if (o->type == CLI_STR || o->type == CLI_CHOICE) {
      const char *s = *(const char *const *)(const void *)field;
      if (s)
        memcpy(dst, &s, sizeof(s));
    }
  }
}

/* ---- defaults, --help ---- */

/* The default as said: "2000; fast: 1000" from the profiles, or the row's text. `roff`:
 * values in bold for the man page. */
static void default_text(const struct cli_opt *o, char *buf, size_t cap, bool roff)
{
  const char *b = roff ? "`" : "", *e = roff ? "`" : "";
  buf[0] = '\0';
  if (!o->conf) {
    if (o->def)
      snprintf(buf, cap, "%s%s%s", b, o->def, e);
    else if (o->def_num)
      snprintf(buf, cap, "%s%u%s", b, *o->def_num, e);
    return;
  }
  struct scan_conf polite, fast;
  scan_conf_polite(&polite);
  scan_conf_fast(&fast);
  const char *p = (const char *)&polite + o->conf - 1, *f = (const char *)&fast + o->conf - 1;
  char pv[64], fv[64];
  if (o->type == CLI_UINT) {
    unsigned x, y;
    memcpy(&x, p, sizeof(x));
    memcpy(&y, f, sizeof(y));
    snprintf(pv, sizeof(pv), "%u", x);
    snprintf(fv, sizeof(fv), "%u", y);
  } else {
    const char *x, *y;
    memcpy(&x, p, sizeof(x));
    memcpy(&y, f, sizeof(y));
    snprintf(pv, sizeof(pv), "%s", x ? x : "");
    snprintf(fv, sizeof(fv), "%s", y ? y : "");
  }
  if (!pv[0] && !fv[0])
    return; /* no default: a file not given */
  if (strcmp(pv, fv) == 0)
    snprintf(buf, cap, "%s%s%s", b, pv, e);
  else if (roff)
    snprintf(buf, cap, "`%s`; in the `fast` profile, `%s`", pv, fv);
  else
    snprintf(buf, cap, "%s; fast: %s", pv, fv);
}

static void help_line(FILE *out, const char *head, const char *text, size_t len)
{
  fprintf(out, "  %-*s %.*s\n", HELP_HEAD, head, (int)len, text);
}

static void help_option(FILE *out, const struct cli_opt *o)
{
  char head[64], def[128];
  snprintf(head, sizeof(head), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
  default_text(o, def, sizeof(def), false);
  const char *line = o->help;
  bool first = true;
  while (line && *line) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    bool last = !nl || !nl[1];
    if (last && def[0] && 3 + HELP_HEAD + len + strlen(def) + 12 <= HELP_WIDTH) {
      char joined[256];
      snprintf(joined, sizeof(joined), "%.*s (default %s)", (int)len, line, def);
      help_line(out, first ? head : "", joined, strlen(joined));
      def[0] = '\0';
    } else {
      help_line(out, first ? head : "", line, len);
    }
    first = false;
    line = nl ? nl + 1 : NULL;
  }
  if (def[0]) {
    char own[160];
    snprintf(own, sizeof(own), "(default %s)", def);
    help_line(out, first ? head : "", own, strlen(own));
  }
}

void opts_help_options(FILE *out, const struct cli_opt *opts)
{
  for (const struct cli_opt *o = opts; o->name; o++)
    help_option(out, o);
}

/* The summary as paragraphs wrapped before HELP_WIDTH + 1 columns: lines that start with a
 * space are kept as they are (a list), the others joined and wrapped. */
static void help_summary(FILE *out, const char *text)
{
  static const struct textcol_col one[1] = {{"", TEXTCOL_WRAP, 0, 0, 0, 0}};
  struct textcol *t = textcol_new(one, 1);
  char para[2048];
  size_t used = 0;
  if (!t) {
    fprintf(out, "%s\n", text);
    return;
  }
  for (const char *line = text; line && *line;) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    if (line[0] == ' ' && used) {
      textcol_line(t, 0, para, NULL);
      used = 0;
    }
    if (line[0] == ' ') {
      snprintf(para, sizeof(para), "%.*s", (int)len, line);
      textcol_line(t, 0, para, NULL);
    } else if (used + len + 2 < sizeof(para)) {
      used += (size_t)snprintf(para + used, sizeof(para) - used, "%s%.*s", used ? " " : "",
                               (int)len, line);
    }
    line = nl ? nl + 1 : NULL;
  }
  if (used)
    textcol_line(t, 0, para, NULL);
  textcol_print(t, out, HELP_WIDTH + 1, 0, false);
  textcol_free(t);
}

void opts_help(FILE *out, const struct cli_cmd *cmd)
{
  fprintf(out, "usage: %s\n\n", cmd->usage);
  help_summary(out, cmd->summary);
  fprintf(out, "\noptions:\n");
  opts_help_options(out, cmd->opts);
  if (cmd->more_help) {
    fputc('\n', out);
    cmd->more_help(out);
  }
  if (cmd->epilog)
    fprintf(out, "\n%s", cmd->epilog);
}

/* ---- the man page ---- */

/* Roff text being written: words are joined with spaces and lines are cut before
 * ROFF_WIDTH bytes; a line never starts with a control character. */
struct roff {
  FILE *out;
  char line[512];
  size_t len;
  size_t word; /* where the word being written (glued pieces and all) starts */
  bool space;  /* a space is owed before the next word */
};

static void roff_emit(struct roff *r, const char *s, size_t n)
{
  if (n)
    fprintf(r->out, "%s%.*s\n", s[0] == '.' || s[0] == '\'' ? "\\&" : "", (int)n, s);
}

static void roff_flush(struct roff *r)
{
  roff_emit(r, r->line, r->len);
  r->len = r->word = 0;
  r->space = false;
}

/* Appends a piece of a word (after a space when one is owed). A word that would run past
 * ROFF_WIDTH moves to the next line whole. */
static void roff_put(struct roff *r, const char *s, size_t n)
{
  if (n >= sizeof(r->line) - 1)
    n = sizeof(r->line) - 2;
  if (r->space && r->len) {
    r->line[r->len++] = ' ';
    r->word = r->len;
  }
  r->space = false;
  if (r->len + n > ROFF_WIDTH && r->word > 0) {
    size_t keep = r->word - 1; /* the line up to the space before the word */
    roff_emit(r, r->line, keep);
    memmove(r->line, r->line + r->word, r->len - r->word);
    r->len -= r->word;
    r->word = 0;
  }
  if (r->len + n >= sizeof(r->line) - 1)
    roff_flush(r);
  memcpy(r->line + r->len, s, n);
  r->len += n;
}

/* One character of text as roff: '-' as \- inside literals and names, '\' as \e. */
static size_t roff_char(char c, bool literal, char *buf)
{
  if (c == '\\')
    return (size_t)snprintf(buf, 4, "\\e");
  if (c == '-' && literal)
    return (size_t)snprintf(buf, 4, "\\-");
  buf[0] = c;
  return 1;
}

/* Appends the word [s, s + n) with the font `font` ('B', 'I' or 0). */
static void roff_word(struct roff *r, const char *s, size_t n, char font, bool literal)
{
  char buf[512];
  size_t len = 0;
  if (font)
    len += (size_t)snprintf(buf, sizeof(buf), "\\f%c", font);
  for (size_t i = 0; i < n && len + 8 < sizeof(buf); i++)
    len += roff_char(s[i], literal, buf + len);
  if (font && len + 4 < sizeof(buf))
    len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\\fR");
  roff_put(r, buf, len);
}

/* The end of the markup span at s, or of the plain word. Sets its font and kind. */
static size_t span_at(const char *s, char *font, bool *literal, size_t *skip)
{
  *font = 0;
  *literal = false;
  *skip = 0;
  const char *close;
  if (s[0] == '`' && (close = strchr(s + 1, '`')) != NULL) {
    *font = 'B', *literal = true, *skip = 1;
    return (size_t)(close - s) + 1;
  }
  if (s[0] == '<' && s[1] >= 'A' && s[1] <= 'Z' && (close = strchr(s, '>')) != NULL &&
      (size_t)strspn(s + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ.[],_") == (size_t)(close - s - 1)) {
    *font = 'I', *literal = true, *skip = 1;
    return (size_t)(close - s) + 1;
  }
  if (s[0] == '-' && s[1] == '-' && s[2] >= 'a' && s[2] <= 'z') {
    size_t n = 2 + strspn(s + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
    while (n > 3 && s[n - 1] == '-')
      n--;
    *font = 'B', *literal = true;
    return n;
  }
  return strcspn(s, " \n`<-");
}

void opts_roff(FILE *out, const char *text)
{
  struct roff r = {.out = out};
  for (const char *s = text; *s;) {
    if (s[0] == '\n' && s[1] == '\n') {
      roff_flush(&r);
      fputs(".IP\n", out);
      s += 2;
      while (*s == '\n')
        s++;
      continue;
    }
    if (*s == ' ' || *s == '\n') {
      r.space = true;
      s++;
      continue;
    }
    char font;
    bool literal;
    size_t skip, n = span_at(s, &font, &literal, &skip);
    if (n == 0) /* a lone '-', '`' or '<' */
      n = 1;
    /* a span with spaces goes word by word, each in its font */
    const char *in = s + skip, *end = s + n - skip;
    while (in < end) {
      size_t w = strcspn(in, " \n");
      if (in + w > end)
        w = (size_t)(end - in);
      if (w)
        roff_word(&r, in, w, font, literal);
      in += w;
      while (in < end && (*in == ' ' || *in == '\n')) {
        r.space = true;
        in++;
      }
    }
    /* glued text ("`a`,") joins the word before it */
    s += n;
    r.space = false;
    if (*s == ' ' || *s == '\n' || !*s)
      continue;
  }
  roff_flush(&r);
}

static void man_option(FILE *out, const struct cli_opt *o)
{
  fputs(".TP\n", out);
  fputs(o->arg ? ".BI \\-\\-" : ".B \\-\\-", out);
  for (const char *c = o->name; *c; c++)
    fputs(*c == '-' ? "\\-" : (char[]){*c, 0}, out);
  if (o->arg)
    fprintf(out, " \" %s\"", o->arg);
  fputc('\n', out);
  char *text = NULL;
  if (!o->man) {
    text = strdup(o->help ? o->help : "");
    for (char *c = text; c && *c; c++)
      *c = *c == '\n' ? ' ' : *c;
  }
  char def[160];
  default_text(o, def, sizeof(def), true);
  size_t n = strlen(o->man ? o->man : text ? text : "") + strlen(def) + 32;
  char *all = malloc(n);
  if (all) {
    snprintf(all, n, "%s%s%s%s",
             o->man ? o->man
             : text ? text
                    : "",
             def[0] ? " Default: " : "", def, def[0] ? "." : "");
    opts_roff(out, all);
  }
  free(all);
  free(text);
}

void opts_man(FILE *out, const struct cli_cmd *cmd)
{
  for (const struct cli_opt *o = cmd->opts; o->name; o++)
    man_option(out, o);
}
