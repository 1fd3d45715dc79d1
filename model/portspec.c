/* model/portspec.c - parser for --ports. */
#include "model/portspec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SRC "--ports"

static int parse_num(const char *s, size_t *i, size_t end, unsigned long *out)
{
  size_t start = *i;
  unsigned long v = 0;
  while (*i < end && s[*i] >= '0' && s[*i] <= '9') {
    if (v < 1000000)
      v = v * 10 + (unsigned long)(s[*i] - '0');
    (*i)++;
  }
  if (*i == start)
    return -1;
  *out = v;
  return 0;
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

int portspec_parse(const char *spec, struct port_item **items, size_t *n, struct uc_err *err)
{
  size_t len = strlen(spec), cap = 8, count = 0;
  struct port_item *v = malloc(cap * sizeof(*v));
  int have_transport = 0;
  enum uc_transport cur = UC_TCP;
  *items = NULL;
  *n = 0;
  if (!v)
    return uc_err_set(err, SRC, 0, 0, "out of memory");
  if (len == 0) {
    free(v);
    return uc_err_set(err, SRC, 0, 1, "empty port list (example: tcp:1-1024,udp:3478)");
  }
  size_t i = 0;
  while (i <= len) {
    size_t item_start = i, end = i;
    while (end < len && spec[end] != ',')
      end++;
    if (end == item_start) {
      free(v);
      return uc_err_set(err, SRC, 0, (int)item_start + 1, "empty item in the port list");
    }
    const char *colon = memchr(spec + i, ':', end - i);
    if (colon) {
      size_t plen = (size_t)(colon - (spec + i));
      if (plen == 3 && strncmp(spec + i, "tcp", 3) == 0)
        cur = UC_TCP;
      else if (plen == 3 && strncmp(spec + i, "udp", 3) == 0)
        cur = UC_UDP;
      else {
        free(v);
        return uc_err_set(err, SRC, 0, (int)i + 1, "unknown transport \"%.*s\" (tcp or udp)",
                          (int)plen, spec + i);
      }
      have_transport = 1;
      i = (size_t)(colon - spec) + 1;
    } else if (!have_transport) {
      free(v);
      return uc_err_set(err, SRC, 0, (int)i + 1,
                        "say which transport first, e.g. tcp:%.*s or udp:%.*s", (int)(end - i),
                        spec + i, (int)(end - i), spec + i);
    }
    unsigned long a, b;
    size_t num_at = i;
    if (parse_num(spec, &i, end, &a) < 0) {
      free(v);
      return uc_err_set(err, SRC, 0, (int)num_at + 1, "expected a port number after \"%.*s\"",
                        (int)(num_at - item_start), spec + item_start);
    }
    b = a;
    int is_range = 0;
    size_t a_end = i, b_at = num_at, b_end = i;
    if (i < end && spec[i] == '-') {
      i++;
      b_at = i;
      if (parse_num(spec, &i, end, &b) < 0) {
        free(v);
        return uc_err_set(err, SRC, 0, (int)b_at + 1, "expected the last port of the range");
      }
      b_end = i;
      is_range = 1;
    }
    if (i != end) {
      free(v);
      return uc_err_set(err, SRC, 0, (int)i + 1, "unexpected \"%c\" in a port item", spec[i]);
    }
    if (a < 1 || a > 65535 || b < 1 || b > 65535) {
      bool first_bad = a < 1 || a > 65535; /* the number as written, however long */
      size_t at = first_bad ? num_at : b_at, to = first_bad ? a_end : b_end;
      free(v);
      return uc_err_set(err, SRC, 0, (int)at + 1, "port %.*s is out of range (1-65535)",
                        (int)(to - at), spec + at);
    }
    if (a > b) {
      free(v);
      return uc_err_set(err, SRC, 0, (int)num_at + 1,
                        "range %lu-%lu runs backwards (write %lu-%lu)", a, b, b, a);
    }
    if (count == cap) {
      cap *= 2;
      struct port_item *nv = realloc(v, cap * sizeof(*v));
      if (!nv) {
        free(v);
        return uc_err_set(err, SRC, 0, 0, "out of memory");
      }
      v = nv;
    }
    v[count].transport = cur;
    v[count].first = (uint16_t)a;
    v[count].last = (uint16_t)b;
    v[count].is_range = is_range && a != b;
    count++;
    i = end + 1;
  }
  *n = normalise(v, count);
  *items = v;
  return 0;
}
