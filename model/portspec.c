/* model/portspec.c - parser for --ports (the grammar is in portspec.h). */
#include "model/portspec.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SRC "--ports"
#define FIX_MAX 200

/* The parse of one spec: where it stands, what it made, and a corrected spec to suggest. */
struct pctx {
  const char *spec;
  size_t len;
  bool have_prefix; /* a "tcp:" prefix was given: it applies to what follows */
  unsigned cur;     /* that prefix's transports (TR_TCP, TR_UDP or both) */
  unsigned prev_tr;
  bool any_item;
  size_t prev_s, prev_e; /* the previous item's port or range, in spec */
  struct port_item *v;
  size_t n, cap;
  struct uc_err *err;
  char fix[FIX_MAX]; /* the whole spec with the bad item corrected, or "" */
};

/* Transports as a set: an item may name both ("49152-57500/tcp+udp", as `ucscan catalog`
 * prints a range that is open on both). */
#define TR_TCP (1u << UC_TCP)
#define TR_UDP (1u << UC_UDP)
#define TR_BOTH (TR_TCP | TR_UDP)

static const char *tr_name(unsigned m)
{
  return m == TR_BOTH ? "tcp+udp" : m == TR_UDP ? "udp" : "tcp";
}

/* "tcp", "udp", "tcp+udp" or "udp+tcp" in any case, exactly `len` bytes; with `letters`, nmap's
 * "T" and "U" too (prefixes only: "T:5061"). */
static bool transport_word(const char *s, size_t len, bool letters, unsigned *out)
{
  if (len == 3 && strncasecmp(s, "tcp", 3) == 0)
    *out = TR_TCP;
  else if (len == 3 && strncasecmp(s, "udp", 3) == 0)
    *out = TR_UDP;
  else if (len == 7 && (strncasecmp(s, "tcp+udp", 7) == 0 || strncasecmp(s, "udp+tcp", 7) == 0))
    *out = TR_BOTH;
  else if (letters && len == 1 && (*s == 'T' || *s == 't'))
    *out = TR_TCP;
  else if (letters && len == 1 && (*s == 'U' || *s == 'u'))
    *out = TR_UDP;
  else
    return false;
  return true;
}

/* A near miss of "tcp" or "udp" ("tpc", "ucp", "tcpp", or cut short: "tc", "t"): the one
 * meant, or NULL. Another transport's name ("sctp") is no near miss. */
static const char *transport_guess(const char *s, size_t len)
{
  static const char *const words[] = {"tcp", "udp"};
  static const char *const others[] = {"sctp", "dccp", "icmp", "quic"};
  for (size_t w = 0; len >= 1 && len <= 2 && w < 2; w++)
    if (strncasecmp(s, words[w], len) == 0)
      return words[w];
  if (len < 2 || len > 4)
    return NULL;
  for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++)
    if (len == 4 && strncasecmp(s, others[k], 4) == 0)
      return NULL;
  for (size_t w = 0; w < 2; w++) {
    size_t same = 0;
    for (size_t i = 0; i < len; i++)
      same += memchr(words[w], tolower((unsigned char)s[i]), 3) != NULL;
    if (same >= 2 && (len == 3 || same == 3))
      return words[w];
  }
  return NULL;
}

/* The whole spec with bytes [s, e) replaced by `with` (NULL: the item and one comma go). */
static void set_fix(struct pctx *p, size_t s, size_t e, const char *with)
{
  char buf[FIX_MAX];
  if (!with) {
    if (e < p->len)
      e++; /* the comma after it */
    else if (s > 0)
      s--; /* the comma before it */
    with = "";
  }
  int w = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)s, p->spec, with, p->spec + e);
  if (w > 0 && (size_t)w < sizeof(buf))
    memcpy(p->fix, buf, (size_t)w + 1);
}

static int fail(struct pctx *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct pctx *p, size_t at, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char text[UC_ERR_TEXT_MAX];
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  return uc_err_set(p->err, SRC, 0, (int)at + 1, "%s", text);
}

static size_t digits(const char *s, size_t i, size_t end, unsigned long *out)
{
  size_t start = i;
  unsigned long v = 0;
  while (i < end && isdigit((unsigned char)s[i])) {
    if (v < 1000000)
      v = v * 10 + (unsigned long)(s[i] - '0');
    i++;
  }
  *out = v;
  return i - start;
}

static int push1(struct pctx *p, enum uc_transport tr, unsigned long a, unsigned long b)
{
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 8;
    struct port_item *nv = realloc(p->v, cap * sizeof(*nv));
    if (!nv)
      return uc_err_set(p->err, SRC, 0, 0, "out of memory");
    p->v = nv;
    p->cap = cap;
  }
  p->v[p->n++] = (struct port_item){tr, (uint16_t)a, (uint16_t)b, a != b};
  return 0;
}

static int push(struct pctx *p, unsigned trs, unsigned long a, unsigned long b)
{
  if ((trs & TR_TCP) && push1(p, UC_TCP, a, b) < 0)
    return -1;
  if ((trs & TR_UDP) && push1(p, UC_UDP, a, b) < 0)
    return -1;
  return 0;
}

/* "*", "all" or "-" (nmap's -p-) where a port was expected: every port. Its length when the
 * item has it at i, followed by the item's end or a "/" suffix; else 0. */
static size_t all_ports_word(const struct pctx *p, size_t i, size_t e)
{
  size_t n = 0;
  if (i < e && p->spec[i] == '*')
    n = 1;
  else if (e - i >= 3 && strncasecmp(p->spec + i, "all", 3) == 0)
    n = 3;
  else if (e - i == 1 && p->spec[i] == '-')
    n = 1;
  return n && (i + n == e || p->spec[i + n] == '/') ? n : 0;
}

/* An item with no ':' that starts with letters: "tcp5061", "tcp/5061", "abc". */
static int glued_prefix(struct pctx *p, size_t s, size_t e)
{
  size_t x = s;
  while (x < e && isalpha((unsigned char)p->spec[x]))
    x++;
  unsigned tr = TR_TCP;
  const char *guess = transport_guess(p->spec + s, x - s);
  if (x > s && transport_word(p->spec + s, x - s, false, &tr))
    guess = tr_name(tr);
  if (x > s && guess && x < e && (isdigit((unsigned char)p->spec[x]) || p->spec[x] == '/')) {
    char with[FIX_MAX];
    size_t from = p->spec[x] == '/' ? x + 1 : x;
    snprintf(with, sizeof(with), "%s:%.*s", guess, (int)(e - from), p->spec + from);
    set_fix(p, s, e, with);
    return fail(p, s, "\"%.*s\": write the transport, a colon, then the port", (int)(e - s),
                p->spec + s);
  }
  if (x > s && guess && x == e && p->any_item) { /* "5061/tcp,udp" */
    char with[FIX_MAX], both[FIX_MAX] = "";
    int np = (int)(p->prev_e - p->prev_s);
    const char *port = p->spec + p->prev_s;
    snprintf(with, sizeof(with), "%.*s/%s", np, port, guess);
    if (strcmp(guess, tr_name(p->prev_tr)) != 0)
      snprintf(both, sizeof(both), ", or %.*s/tcp+udp for both", np, port);
    set_fix(p, s, e, with);
    return fail(p, s,
                "\"%.*s\" is a transport with no port: each item after a comma names its own "
                "port (write %s%s)",
                (int)(e - s), p->spec + s, with, both);
  }
  if (x > s && guess && x == e)
    return fail(p, s, "\"%.*s\" is a transport with no port: write %s:PORT", (int)(e - s),
                p->spec + s, guess);
  return fail(p, s, "expected a port number or a transport (tcp:, udp:) at \"%.*s\"", (int)(e - s),
              p->spec + s);
}

/* "tcp:" (or a colon that does not belong) at the start of the item. Sets *tr and moves *i
 * past it when there is a prefix; -1 on an error. */
static int read_prefix(struct pctx *p, size_t s, size_t e, size_t *i, bool *has, unsigned *tr)
{
  const char *colon = memchr(p->spec + s, ':', e - s);
  *has = false;
  if (!colon)
    return 0;
  size_t c = (size_t)(colon - p->spec);
  if (transport_word(p->spec + s, c - s, true, tr)) {
    *has = true;
    *i = c + 1;
    return 0;
  }
  unsigned after;
  unsigned long n;
  if (c > s && digits(p->spec, s, c, &n) == c - s &&
      transport_word(colon + 1, e - c - 1, false, &after)) {
    char with[FIX_MAX];
    snprintf(with, sizeof(with), "%.*s/%s", (int)(c - s), p->spec + s, tr_name(after));
    set_fix(p, s, e, with);
    return fail(p, s,
                "\"%.*s\": the transport goes before the port with a colon (%s:%.*s) or "
                "after it with a slash (%.*s/%s)",
                (int)(e - s), p->spec + s, tr_name(after), (int)(c - s), p->spec + s, (int)(c - s),
                p->spec + s, tr_name(after));
  }
  const char *guess = transport_guess(p->spec + s, c - s);
  if (guess) {
    char with[FIX_MAX];
    snprintf(with, sizeof(with), "%s%.*s", guess, (int)(e - c), colon);
    set_fix(p, s, e, with);
  }
  return fail(p, s, "unknown transport \"%.*s\" (tcp or udp)", (int)(c - s), p->spec + s);
}

/* "/tcp" (or letters glued to the port) after the ports. */
static int read_suffix(struct pctx *p, size_t s, size_t e, size_t *i, bool *has, unsigned *tr)
{
  *has = false;
  if (*i >= e || (p->spec[*i] != '/' && !isalpha((unsigned char)p->spec[*i])))
    return 0;
  bool slash = p->spec[*i] == '/';
  size_t w = slash ? *i + 1 : *i;
  bool exact = transport_word(p->spec + w, e - w, false, tr);
  const char *guess = exact ? tr_name(*tr) : transport_guess(p->spec + w, e - w);
  if (slash && exact) {
    *has = true;
    *i = e;
    return 0;
  }
  if (guess) {
    char with[FIX_MAX];
    snprintf(with, sizeof(with), "%.*s/%s", (int)(*i - s), p->spec + s, guess);
    set_fix(p, s, e, with);
  }
  if (slash)
    return fail(p, w, "unknown transport \"%.*s\" (tcp or udp)", (int)(e - w), p->spec + w);
  if (guess)
    return fail(p, *i, "\"%.*s\": a slash goes between the port and the transport", (int)(e - s),
                p->spec + s);
  return fail(p, *i, "unexpected \"%c\" in a port item", p->spec[*i]);
}

/* The port or range at *i: checks numbers and direction. */
static int read_ports(struct pctx *p, size_t s, size_t e, size_t *i, unsigned long *a,
                      unsigned long *b)
{
  size_t num_at = *i, nd = digits(p->spec, *i, e, a);
  size_t all = nd == 0 ? all_ports_word(p, *i, e) : 0;
  if (all) { /* "tcp:*", "all/udp": every port is 1-65535 */
    char with[FIX_MAX];
    bool bare = *i == s && *i + all == e && !p->have_prefix;
    snprintf(with, sizeof(with), "%.*s%s%.*s", (int)(*i - s), p->spec + s,
             bare ? "tcp:1-65535" : "1-65535", (int)(e - *i - all), p->spec + *i + all);
    set_fix(p, s, e, with);
    return fail(p, num_at, "\"%.*s\" is no port number: every port is the range 1-65535", (int)all,
                p->spec + *i);
  }
  if (nd == 0) {
    if (*i == s)
      return glued_prefix(p, s, e);
    return fail(p, num_at, "expected a port number after \"%.*s\"", (int)(num_at - s), p->spec + s);
  }
  *i += nd;
  *b = *a;
  size_t b_at = num_at, b_len = nd;
  if (*i < e && p->spec[*i] == '-') {
    b_at = ++*i;
    b_len = digits(p->spec, *i, e, b);
    if (b_len == 0) {
      char with[FIX_MAX]; /* nmap's "1024-" runs to the last port */
      snprintf(with, sizeof(with), "%.*s65535%.*s", (int)(b_at - s), p->spec + s, (int)(e - b_at),
               p->spec + b_at);
      set_fix(p, s, e, with);
      return fail(p, b_at, "expected the last port of the range (the last of all is 65535)");
    }
    *i += b_len;
  }
  if (*a < 1 || *a > 65535)
    return fail(p, num_at, "port %.*s is out of range (1-65535)", (int)nd, p->spec + num_at);
  if (*b < 1 || *b > 65535)
    return fail(p, b_at, "port %.*s is out of range (1-65535)", (int)b_len, p->spec + b_at);
  if (*a > *b) {
    char with[FIX_MAX];
    snprintf(with, sizeof(with), "%.*s%lu-%lu%.*s", (int)(num_at - s), p->spec + s, *b, *a,
             (int)(e - *i), p->spec + *i);
    set_fix(p, s, e, with);
    return fail(p, num_at, "range %lu-%lu runs backwards (write %lu-%lu)", *a, *b, *b, *a);
  }
  return 0;
}

/* Items with no transport of their own: the prefix in force, or the error that says how. */
static int implied_transport(struct pctx *p, size_t s, size_t e, unsigned *tr)
{
  if (p->have_prefix) {
    *tr = p->cur;
    return 0;
  }
  char with[FIX_MAX];
  if (!p->any_item) {
    snprintf(with, sizeof(with), "tcp:%.*s", (int)(e - s), p->spec + s);
    set_fix(p, s, e, with);
    return fail(p, s, "say which transport first: tcp:%.*s or %.*s/tcp (udp:%.*s, %.*s/udp)",
                (int)(e - s), p->spec + s, (int)(e - s), p->spec + s, (int)(e - s), p->spec + s,
                (int)(e - s), p->spec + s);
  }
  snprintf(with, sizeof(with), "%.*s/%s", (int)(e - s), p->spec + s, tr_name(p->prev_tr));
  set_fix(p, s, e, with);
  const char *t = tr_name(p->prev_tr);
  return fail(p, s,
              "say which transport \"%.*s\" is: a /%s after a port is for that port only (write "
              "%.*s/%s, or %s: before a list)",
              (int)(e - s), p->spec + s, t, (int)(e - s), p->spec + s, t, t);
}

static int parse_item(struct pctx *p, size_t s, size_t e)
{
  while (s < e && p->spec[s] == ' ')
    s++;
  while (e > s && p->spec[e - 1] == ' ')
    e--;
  size_t i = s;
  bool pre, suf;
  unsigned ptr = TR_TCP, str = TR_TCP, tr = TR_TCP;
  unsigned long a = 0, b = 0;
  if (read_prefix(p, s, e, &i, &pre, &ptr) < 0)
    return -1;
  size_t ports_s = i;
  if (read_ports(p, s, e, &i, &a, &b) < 0)
    return -1;
  size_t ports_e = i;
  if (read_suffix(p, s, e, &i, &suf, &str) < 0)
    return -1;
  if (i != e)
    return fail(p, i, "unexpected \"%c\" in a port item", p->spec[i]);
  if (pre && suf) {
    char with[FIX_MAX];
    size_t colon = (size_t)((const char *)memchr(p->spec + s, ':', e - s) - p->spec);
    size_t slash = e; /* the last '/': the suffix's (memrchr is not everywhere) */
    while (slash > s && p->spec[slash - 1] != '/')
      slash--;
    slash--;
    snprintf(with, sizeof(with), "%.*s", (int)(slash - s), p->spec + s);
    if (ptr == str)
      set_fix(p, s, e, with);
    int np = (int)(slash - colon - 1);
    const char *port = p->spec + colon + 1;
    if (ptr == str)
      return fail(p, s, "\"%.*s\" gives its transport twice: write %s:%.*s or %.*s/%s",
                  (int)(e - s), p->spec + s, tr_name(ptr), np, port, np, port, tr_name(ptr));
    return fail(p, s, "\"%.*s\" gives two transports: write %s:%.*s or %.*s/%s, not both",
                (int)(e - s), p->spec + s, tr_name(ptr), np, port, np, port, tr_name(str));
  }
  if (pre) {
    p->have_prefix = true;
    p->cur = ptr;
    tr = ptr;
  } else if (suf) {
    tr = str;
  } else if (implied_transport(p, s, e, &tr) < 0) {
    return -1;
  }
  p->prev_tr = tr;
  p->prev_s = ports_s;
  p->prev_e = ports_e;
  p->any_item = true;
  return push(p, tr, a, b);
}

static int cmp_items(const void *a, const void *b)
{
  const struct port_item *x = a, *y = b;
  if (x->transport != y->transport)
    return x->transport < y->transport ? -1 : 1;
  if (x->first != y->first)
    return x->first < y->first ? -1 : 1;
  if (x->is_range != y->is_range)
    return x->is_range ? 1 : -1;
  return x->last < y->last ? -1 : x->last > y->last;
}

static int inside_range(const struct port_item *ranges, size_t n, const struct port_item *p)
{
  for (size_t k = 0; k < n; k++)
    if (ranges[k].transport == p->transport && p->first >= ranges[k].first &&
        p->first <= ranges[k].last)
      return 1;
  return 0;
}

/* Ranges of one transport that overlap or touch merge; single ports inside a range, and
 * repeated single ports, go. Returns the new count; v is sorted. */
static size_t normalise(struct port_item *v, size_t n)
{
  struct port_item *tmp = malloc((n ? n : 1) * sizeof(*tmp));
  if (!tmp)
    return n;
  memcpy(tmp, v, n * sizeof(*v));
  qsort(tmp, n, sizeof(*tmp), cmp_items);
  size_t out = 0;
  for (size_t i = 0; i < n; i++) {
    if (!tmp[i].is_range)
      continue;
    struct port_item *last = out ? &v[out - 1] : NULL;
    if (last && last->transport == tmp[i].transport && tmp[i].first <= (unsigned)last->last + 1) {
      if (tmp[i].last > last->last)
        last->last = tmp[i].last;
    } else {
      v[out++] = tmp[i];
    }
  }
  size_t nranges = out;
  for (size_t i = 0; i < n; i++) {
    if (tmp[i].is_range || inside_range(v, nranges, &tmp[i]))
      continue;
    if (out > nranges && v[out - 1].transport == tmp[i].transport &&
        v[out - 1].first == tmp[i].first)
      continue; /* the same single port twice */
    v[out++] = tmp[i];
  }
  free(tmp);
  qsort(v, out, sizeof(*v), cmp_items);
  return out;
}

static int parse_spec(struct pctx *p)
{
  if (p->len == 0)
    return fail(p, 0, "empty port list (example: tcp:1-1024,udp:3478 or 5061/tcp)");
  for (size_t i = 0;;) {
    size_t end = i;
    while (end < p->len && p->spec[end] != ',')
      end++;
    size_t k = i;
    while (k < end && p->spec[k] == ' ')
      k++;
    if (k == end) {
      set_fix(p, i, end, NULL);
      return fail(p, i, "empty item in the port list");
    }
    if (parse_item(p, i, end) < 0)
      return -1;
    if (end == p->len)
      return 0;
    i = end + 1;
  }
}

/* Appends "did you mean --ports FIX?" when the fix parses and the message has room. */
static void suggest(const char *fix, struct uc_err *err)
{
  struct uc_err scratch;
  struct pctx q = {.spec = fix, .len = strlen(fix), .err = &scratch};
  int ok = parse_spec(&q) == 0;
  free(q.v);
  size_t used = strlen(err->text);
  if (ok && used + strlen(fix) + 32 < sizeof(err->text))
    snprintf(err->text + used, sizeof(err->text) - used, "; did you mean --ports %s?", fix);
}

int portspec_parse(const char *spec, struct port_item **items, size_t *n, struct uc_err *err)
{
  struct pctx p = {.spec = spec, .len = strlen(spec), .err = err};
  *items = NULL;
  *n = 0;
  if (parse_spec(&p) < 0) {
    free(p.v);
    if (p.fix[0] && strcmp(p.fix, spec) != 0)
      suggest(p.fix, err);
    return -1;
  }
  *n = normalise(p.v, p.n);
  *items = p.v;
  return 0;
}
