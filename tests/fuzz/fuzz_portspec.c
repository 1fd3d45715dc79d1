/* tests/fuzz/fuzz_portspec.c - the --ports parser (model/portspec.h).
 *
 * Input: the spec text (cut at the first NUL, as argv would be). Checks, beyond "no crash":
 *   - an error has a message, line 1 and a column inside the spec (or just past it);
 *   - a success is normalised: non-empty, sorted by transport then port, ports 1-65535,
 *     first <= last, is_range exactly when first < last, ranges of one transport neither
 *     overlap nor touch, no single port inside a range, no single port twice;
 *   - a success covers exactly the ports the spec names: a small reference parser (the
 *     grammar of portspec.h: "tcp:" (or "T:") prefixes, "/udp" suffixes, "tcp+udp" for both,
 *     any case, spaces around items)
 *     marks every port of every item in a bitmap per transport, and the parser's items must
 *     mark the same set. */
#include "fuzz_util.h"
#include "model/portspec.h"

#define FUZZ_SPEC_MAX 4096

static uint8_t want[UC_TRANSPORT_COUNT][65536 / 8];
static uint8_t got[UC_TRANSPORT_COUNT][65536 / 8];

static void mark(uint8_t map[][65536 / 8], int tr, unsigned first, unsigned last)
{
  unsigned p = first;
  for (; p <= last && (p & 7); p++)
    map[tr][p >> 3] |= (uint8_t)(1u << (p & 7));
  if (p + 8 <= last + 1) {
    unsigned whole = (last + 1 - p) / 8;
    memset(&map[tr][p >> 3], 0xFF, whole);
    p += whole * 8;
  }
  for (; p <= last; p++)
    map[tr][p >> 3] |= (uint8_t)(1u << (p & 7));
}

/* "tcp", "udp", "tcp+udp" or "udp+tcp" in any case at s (exactly n bytes), and with
 * `letters` nmap's "T" and "U": its transports as a mask (1 << UC_TCP, 1 << UC_UDP), or -1. */
static int ref_transport(const char *s, size_t n, bool letters)
{
  char w[8] = {0};
  if (n != 1 && n != 3 && n != 7)
    return -1;
  for (size_t k = 0; k < n; k++)
    w[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] | 0x20 : s[k]);
  if (strcmp(w, "tcp") == 0 || (letters && strcmp(w, "t") == 0))
    return 1 << UC_TCP;
  if (strcmp(w, "udp") == 0 || (letters && strcmp(w, "u") == 0))
    return 1 << UC_UDP;
  if (strcmp(w, "tcp+udp") == 0 || strcmp(w, "udp+tcp") == 0)
    return (1 << UC_TCP) | (1 << UC_UDP);
  return -1;
}

/* Digits at s[*i..end): the number (capped), or -1 when there are none. */
static long ref_number(const char *s, size_t *i, size_t end)
{
  unsigned long v = 0;
  size_t d = 0;
  for (; *i < end && s[*i] >= '0' && s[*i] <= '9'; (*i)++, d++)
    v = v < 1000000 ? v * 10 + (unsigned long)(s[*i] - '0') : v;
  return d ? (long)v : -1;
}

/* The grammar on its own terms (model/portspec.h): returns 0 and fills `want`, or -1 when the
 * spec is bad. */
static int reference(const char *s)
{
  int prefix = -1;
  size_t len = strlen(s), i = 0;
  memset(want, 0, sizeof(want));
  if (len == 0)
    return -1;
  for (;;) {
    size_t end = i;
    while (end < len && s[end] != ',')
      end++;
    size_t e = end;
    while (i < e && s[i] == ' ')
      i++;
    while (e > i && s[e - 1] == ' ')
      e--;
    if (e == i)
      return -1;
    int tr, pre = -1, suf = -1;
    const char *colon = memchr(s + i, ':', e - i);
    if (colon && (pre = ref_transport(s + i, (size_t)(colon - s) - i, true)) >= 0)
      i = (size_t)(colon - s) + 1;
    else if (colon)
      return -1;
    long a = ref_number(s, &i, e), b = a;
    if (a < 0)
      return -1;
    if (i < e && s[i] == '-') {
      i++;
      if ((b = ref_number(s, &i, e)) < 0)
        return -1;
    }
    if (i < e && s[i] == '/') {
      if ((suf = ref_transport(s + i + 1, e - i - 1, false)) < 0)
        return -1;
      i = e;
    }
    if (i != e || a < 1 || a > 65535 || b < 1 || b > 65535 || a > b || (pre >= 0 && suf >= 0))
      return -1;
    if (pre >= 0)
      prefix = pre;
    tr = pre >= 0 ? pre : suf >= 0 ? suf : prefix;
    if (tr < 0)
      return -1;
    for (int t = 0; t < UC_TRANSPORT_COUNT; t++)
      if (tr & (1 << t))
        mark(want, t, (unsigned)a, (unsigned)b);
    if (end == len)
      return 0;
    i = end + 1;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *spec = fuzz_str(data, size, FUZZ_SPEC_MAX);
  struct port_item *items = (struct port_item *)(uintptr_t)1;
  size_t n = 12345;
  struct uc_err err;
  uc_err_clear(&err);
  int rc = portspec_parse(spec, &items, &n, &err);
  int ref = reference(spec);
  size_t len = strlen(spec);

  if (rc != 0) {
    FUZZ_CHECK(rc == -1, "portspec_parse returned %d", rc);
    FUZZ_CHECK(items == NULL && n == 0, "failure left items %p n %zu", (void *)items, n);
    fuzz_check_err(&err, spec, len);
    FUZZ_CHECK(err.line == 0 || err.line == 1, "line %d in a one-line spec", err.line);
    FUZZ_CHECK(err.line == 0 || (err.column >= 1 && (size_t)err.column <= len + 1),
               "column %d outside a %zu-byte spec: %s", err.column, len, err.text);
    FUZZ_CHECK(ref != 0, "parser refused \"%s\" (%s) but the grammar accepts it", spec, err.text);
    free(spec);
    return 0;
  }
  FUZZ_CHECK(ref == 0, "parser accepted \"%s\" but the grammar refuses it", spec);
  FUZZ_CHECK(items != NULL && n > 0, "success with no items");
  memset(got, 0, sizeof(got));
  for (size_t i = 0; i < n; i++) {
    const struct port_item *p = &items[i];
    FUZZ_CHECK(p->transport == UC_TCP || p->transport == UC_UDP, "item %zu transport %d", i,
               (int)p->transport);
    FUZZ_CHECK(p->first >= 1 && p->first <= p->last, "item %zu is %u-%u", i, p->first, p->last);
    FUZZ_CHECK(p->is_range == (p->first < p->last), "item %zu %u-%u is_range %d", i, p->first,
               p->last, p->is_range);
    if (i > 0) {
      const struct port_item *q = &items[i - 1];
      FUZZ_CHECK(q->transport < p->transport ||
                     (q->transport == p->transport && q->first <= p->first),
                 "items %zu and %zu out of order", i - 1, i);
    }
    for (size_t k = 0; k < n; k++) {
      const struct port_item *q = &items[k];
      if (k == i || q->transport != p->transport)
        continue;
      if (p->is_range && q->is_range)
        FUZZ_CHECK(q->last + 1u < p->first || p->last + 1u < q->first,
                   "ranges %u-%u and %u-%u overlap or touch", p->first, p->last, q->first, q->last);
      else if (p->is_range)
        FUZZ_CHECK(q->first < p->first || q->first > p->last, "port %u inside range %u-%u",
                   q->first, p->first, p->last);
      else if (!q->is_range)
        FUZZ_CHECK(q->first != p->first, "port %u listed twice", p->first);
    }
    mark(got, p->transport, p->first, p->last);
  }
  FUZZ_CHECK(memcmp(want, got, sizeof(want)) == 0, "items cover other ports than \"%s\" names",
             spec);
  free(items);
  free(spec);
  return 0;
}
