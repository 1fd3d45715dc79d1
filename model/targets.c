/* model/targets.c - --target lists and --targets-file files, expanded (targets.h). */
#include "model/targets.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jdoc.h"
#include "model/topology.h"

#define TARGETS_FILE_MAX (1024 * 1024)

/* Where an item was written, and what it is. */
struct at {
  const char *source;
  int line, column;
};

static int fail(struct uc_err *err, const struct at *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct uc_err *err, const struct at *at, const char *fmt, ...)
{
  char text[UC_ERR_TEXT_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  return uc_err_set(err, at->source, at->line, at->column, "%s", text);
}

static char *keep(struct target_list *l, const char *s, size_t len)
{
  if (l->nstore == l->capstore) {
    size_t cap = l->capstore ? l->capstore * 2 : 16;
    char **v = realloc(l->store, cap * sizeof(*v));
    if (!v)
      return NULL;
    l->store = v;
    l->capstore = cap;
  }
  char *c = strndup(s, len);
  if (c)
    l->store[l->nstore++] = c;
  return c;
}

/* "a:" and the canonical address, or "n:" and the name in lower case without a final dot. */
static void host_key(const char *name, char *key, size_t cap)
{
  unsigned char a[16];
  char text[INET6_ADDRSTRLEN];
  int fam = topo_address_family(name);
  if (fam && inet_pton(fam == 4 ? AF_INET : AF_INET6, name, a) == 1 &&
      inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, text, sizeof(text))) {
    snprintf(key, cap, "a:%s", text);
    return;
  }
  size_t n = strlen(name), o = (size_t)snprintf(key, cap, "n:");
  if (n && name[n - 1] == '.')
    n--;
  for (size_t i = 0; i < n && o + 1 < cap; i++)
    key[o++] = (char)tolower((unsigned char)name[i]);
  key[o < cap ? o : cap - 1] = '\0';
}

/* One host: refused when written out twice, skipped when an expansion covered it already. */
static int add_host(struct target_list *l, const char *name, const struct at *at, bool expanded,
                    struct uc_err *err)
{
  char key[300];
  if (!l->seen && !(l->seen = json_object()))
    return fail(err, at, "out of memory");
  host_key(name, key, sizeof(key));
  json_t *k = json_object_get(l->seen, key);
  if (k) {
    const struct target *prev = &l->v[json_integer_value(k)];
    if (expanded || prev->expanded)
      return 0;
    return fail(err, at, "target \"%s\" given twice", name);
  }
  if (l->n == TARGETS_MAX)
    return fail(err, at, "more than %d hosts: split the scan", TARGETS_MAX);
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    struct target *v = realloc(l->v, cap * sizeof(*v));
    if (!v)
      return fail(err, at, "out of memory");
    l->v = v;
    l->cap = cap;
  }
  char *copy = keep(l, name, strlen(name));
  if (!copy || json_object_set_new(l->seen, key, json_integer((json_int_t)l->n)) < 0)
    return fail(err, at, "out of memory");
  l->v[l->n++] = (struct target){copy, at->source, at->line, at->column, expanded};
  return 0;
}

static int check_address(const char *addr, const char *item, const struct at *at,
                         struct uc_err *err)
{
  char why[300];
  if (!topo_address_problem(addr, why, sizeof(why)))
    return 0;
  if (strcmp(addr, item) == 0)
    return fail(err, at, "%s", why);
  return fail(err, at, "\"%s\": %s", item, why);
}

static int too_many(const struct target_list *l, uint64_t count, const char *item, const char *how,
                    const struct at *at, struct uc_err *err)
{
  if (count <= TARGETS_MAX - l->n)
    return 0;
  return fail(err, at, "\"%s\" expands to %llu hosts; a scan takes at most %d in all%s: %s", item,
              (unsigned long long)count, TARGETS_MAX, l->n ? " (with the targets before it)" : "",
              how);
}

static int add_v4_run(struct target_list *l, uint32_t first, uint32_t last, const char *item,
                      const struct at *at, struct uc_err *err)
{
  for (uint64_t a = first; a <= last; a++) {
    char text[INET_ADDRSTRLEN];
    struct in_addr in;
    memset(&in, 0, sizeof(in));
    in.s_addr = htonl((uint32_t)a);
    inet_ntop(AF_INET, &in, text, sizeof(text));
    if (check_address(text, item, at, err) < 0 || add_host(l, text, at, true, err) < 0)
      return -1;
  }
  return 0;
}

static int prefix_len(const char *s, int max, int *out)
{
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (!*s || !isdigit((unsigned char)*s) || *end || errno || v < 0 || v > max)
    return -1;
  *out = (int)v;
  return 0;
}

/* 198.18.1.0/28 or 2001:db8::/124. */
static int add_block(struct target_list *l, const char *item, const struct at *at,
                     struct uc_err *err)
{
  char addr[INET6_ADDRSTRLEN + 1];
  const char *slash = strchr(item, '/');
  int plen, fam;
  snprintf(addr, sizeof(addr), "%.*s", (int)(slash - item), item);
  if ((size_t)(slash - item) >= sizeof(addr) || !(fam = topo_address_family(addr)))
    return fail(err, at, "\"%s\": a block is an address and a prefix length (198.18.1.0/28)", item);
  if (prefix_len(slash + 1, fam == 4 ? 32 : 128, &plen) < 0)
    return fail(err, at, "\"%s\": the prefix length must be a number from 0 to %d", item,
                fam == 4 ? 32 : 128);
  int host_bits = (fam == 4 ? 32 : 128) - plen;
  if (fam == 4) {
    uint32_t a;
    inet_pton(AF_INET, addr, &a);
    uint64_t size = (uint64_t)1 << host_bits;
    uint32_t base = ntohl(a) & (uint32_t) ~(size - 1);
    uint64_t hosts = plen <= 30 ? size - 2 : size; /* no network or broadcast address */
    if (too_many(l, hosts, item, "give a longer prefix (a /20 holds 4094 hosts)", at, err) < 0)
      return -1;
    return plen <= 30 ? add_v4_run(l, base + 1, (uint32_t)(base + size - 2), item, at, err)
                      : add_v4_run(l, base, (uint32_t)(base + size - 1), item, at, err);
  }
  if (host_bits > 12)
    return fail(err, at,
                "\"%s\" expands to 2^%d hosts; a scan takes at most %d in all: give a longer "
                "prefix (a /116 holds 4096 addresses)",
                item, host_bits, TARGETS_MAX);
  if (too_many(l, (uint64_t)1 << host_bits, item,
               "give a longer prefix (a /116 holds 4096 addresses)", at, err) < 0)
    return -1;
  unsigned char a6[16];
  inet_pton(AF_INET6, addr, a6);
  for (int b = 0; b < host_bits; b++)
    a6[15 - b / 8] &= (unsigned char)~(1u << (b % 8));
  for (uint32_t i = 0; i < (1u << host_bits); i++) {
    unsigned char x[16];
    char text[INET6_ADDRSTRLEN];
    memcpy(x, a6, 16);
    x[15] |= (unsigned char)(i & 0xff);
    x[14] |= (unsigned char)(i >> 8);
    inet_ntop(AF_INET6, x, text, sizeof(text));
    if (check_address(text, item, at, err) < 0 || add_host(l, text, at, true, err) < 0)
      return -1;
  }
  return 0;
}

/* Whether `item` is written as an IPv4 range: an address, "-", and a byte or an address. */
static bool is_v4_range(const char *item, char *first, size_t cap, const char **rest)
{
  const char *dash = strchr(item, '-');
  if (!dash || (size_t)(dash - item) >= cap)
    return false;
  snprintf(first, cap, "%.*s", (int)(dash - item), item);
  struct in_addr a;
  if (inet_pton(AF_INET, first, &a) != 1 || !dash[1])
    return false;
  *rest = dash + 1;
  for (const char *c = *rest; *c; c++)
    if (!isdigit((unsigned char)*c) && *c != '.')
      return false;
  return true;
}

/* 198.18.1.10-20 or 198.18.1.10-198.18.1.20. */
static int add_range(struct target_list *l, const char *item, const char *first, const char *rest,
                     const struct at *at, struct uc_err *err)
{
  struct in_addr a, b;
  inet_pton(AF_INET, first, &a);
  uint32_t lo = ntohl(a.s_addr), hi;
  if (strchr(rest, '.')) {
    if (inet_pton(AF_INET, rest, &b) != 1)
      return fail(err, at, "\"%s\": \"%s\" is not an IPv4 address", item, rest);
    hi = ntohl(b.s_addr);
  } else {
    int last;
    if (prefix_len(rest, 255, &last) < 0)
      return fail(err, at, "\"%s\": the range's last byte must be a number from 0 to 255", item);
    hi = (lo & 0xffffff00u) | (uint32_t)last;
  }
  if (hi < lo) {
    char swapped[INET_ADDRSTRLEN];
    struct in_addr s;
    memset(&s, 0, sizeof(s));
    s.s_addr = htonl(hi);
    inet_ntop(AF_INET, &s, swapped, sizeof(swapped));
    return fail(err, at, "\"%s\" runs backwards (write %s-%u)", item, swapped, lo & 0xffu);
  }
  if (too_many(l, (uint64_t)hi - lo + 1, item, "split it", at, err) < 0)
    return -1;
  return add_v4_run(l, lo, hi, item, at, err);
}

/* "sip.contoso.com:5061", "198.18.1.20:443" or "[2001:db8::1]:5061" (how nmap's and
 * Test-NetConnection's users write an endpoint): true with the host and the port apart. */
static bool host_and_port(const char *item, char *host, size_t cap, const char **port)
{
  const char *colon = strrchr(item, ':');
  if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
      strlen(colon + 1) > 5)
    return false;
  size_t n = (size_t)(colon - item);
  if (n >= 2 && item[0] == '[' && item[n - 1] == ']') { /* [v6]:port */
    item++;
    n -= 2;
  } else if (memchr(item, ':', n)) {
    return false; /* an IPv6 address, not a port */
  }
  if (n == 0 || n >= cap)
    return false;
  snprintf(host, cap, "%.*s", (int)n, item);
  *port = colon + 1;
  return topo_valid_hostname(host) || topo_address_family(host);
}

/* The refusal of an item written HOST:PORT; 0 when it is none. */
static int endpoint_item(const char *item, const struct at *at, struct uc_err *err)
{
  char host[256];
  const char *port;
  if (!host_and_port(item, host, sizeof(host), &port))
    return 0;
  return fail(err, at,
              "\"%s\" names a port: give the host here and the port with --ports (did you "
              "mean --target %s --ports %s/tcp?)",
              item, host, port);
}

static int add_item(struct target_list *l, const char *item, const struct at *at,
                    struct uc_err *err)
{
  char first[INET_ADDRSTRLEN + 1], why[300];
  const char *rest;
  if (strchr(item, '/'))
    return add_block(l, item, at, err);
  if (is_v4_range(item, first, sizeof(first), &rest))
    return add_range(l, item, first, rest, at, err);
  if (endpoint_item(item, at, err) < 0)
    return -1;
  if (topo_address_problem(item, why, sizeof(why)))
    return fail(err, at, "%s", why);
  if (!topo_valid_hostname(item) && !topo_address_family(item))
    return fail(err, at,
                "\"%s\" is not a host name, an address, a block (198.18.1.0/28) or a range "
                "(198.18.1.10-20)",
                item);
  return add_host(l, item, at, false, err);
}

/* Whether an item is words apart that each look like a host in a domain, an address, a block
 * or a range ("198.18.1.5 fe01.contoso.test"), not one bad name ("not a host!"). */
static bool several_hosts(const char *text, size_t len)
{
  size_t words = 0;
  for (size_t i = 0; i < len;) {
    size_t n = 0;
    while (i + n < len && text[i + n] != ' ' && text[i + n] != '\t')
      n++;
    char w[300], first[INET_ADDRSTRLEN + 1];
    const char *rest;
    if (n >= sizeof(w))
      return false;
    snprintf(w, sizeof(w), "%.*s", (int)n, text + i);
    bool dotted = strchr(w, '.') || strchr(w, ':'); /* a name in a domain, or an address */
    if (!dotted || (!topo_valid_hostname(w) && !topo_address_family(w) && !strchr(w, '/') &&
                    !is_v4_range(w, first, sizeof(first), &rest)))
      return false;
    words++;
    i += n;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
      i++;
  }
  return words > 1;
}

/* Items of one comma list; `base` is the column of text[0]. */
static int add_list(struct target_list *l, const char *text, size_t len, const char *source,
                    int line, int base, bool in_file, struct uc_err *err)
{
  size_t i = 0;
  for (;;) {
    size_t end = i;
    while (end < len && text[end] != ',')
      end++;
    size_t s = i, e = end;
    while (s < e && (text[s] == ' ' || text[s] == '\t'))
      s++;
    while (e > s && (text[e - 1] == ' ' || text[e - 1] == '\t'))
      e--;
    struct at at = {source, line, base + (int)s};
    if (s == e)
      return fail(err, &at, "empty item in the list");
    char item[300];
    if (several_hosts(text + s, e - s)) /* "198.18.1.5 198.18.1.6" */
      return fail(err, &at, "\"%.*s\": %s", (int)(e - s), text + s,
                  in_file ? "one host per line (or separate them with commas)"
                          : "separate hosts with commas, not spaces");
    if (e - s >= sizeof(item))
      return fail(err, &at, "an item of %zu characters is no host", e - s);
    snprintf(item, sizeof(item), "%.*s", (int)(e - s), text + s);
    if (add_item(l, item, &at, err) < 0)
      return -1;
    if (end >= len)
      return 0;
    i = end + 1;
  }
}

int targets_find_endpoint(const char *opt, const char *text, struct uc_err *err)
{
  size_t len = strlen(text);
  for (size_t i = 0;;) {
    size_t end = i;
    while (end < len && text[end] != ',')
      end++;
    size_t s = i, e = end;
    while (s < e && (text[s] == ' ' || text[s] == '\t'))
      s++;
    while (e > s && (text[e - 1] == ' ' || text[e - 1] == '\t'))
      e--;
    struct at at = {opt, 0, 1 + (int)s}; /* a command-line value: no lines */
    char item[300];
    if (e > s && e - s < sizeof(item)) {
      snprintf(item, sizeof(item), "%.*s", (int)(e - s), text + s);
      if (!strchr(item, '/') && endpoint_item(item, &at, err) < 0)
        return -1;
    }
    if (end >= len)
      return 0;
    i = end + 1;
  }
}

int targets_add_text(struct target_list *l, const char *opt, const char *text, struct uc_err *err)
{
  const char *source = keep(l, opt, strlen(opt));
  if (!source)
    return uc_err_set(err, opt, 0, 0, "out of memory");
  return add_list(l, text, strlen(text), source, 0, 1, false, err); /* line 0: no lines */
}

static char *read_file(const char *path, size_t *len, struct uc_err *err)
{
  bool is_stdin = strcmp(path, "-") == 0;
  const char *name = is_stdin ? "stdin" : path; /* how messages name it */
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  if (!f) {
    uc_err_set(err, name, 0, 0, "cannot read the targets file: %s", strerror(errno));
    return NULL;
  }
  char *buf = malloc(TARGETS_FILE_MAX + 1);
  size_t n = buf ? fread(buf, 1, TARGETS_FILE_MAX + 1, f) : 0;
  bool bad = !buf || ferror(f);
  if (!is_stdin)
    fclose(f);
  if (bad || n > TARGETS_FILE_MAX) {
    uc_err_set(err, name, 0, 0, "%s",
               !buf  ? "out of memory"
               : bad ? "cannot read the targets file"
                     : "a targets file of more than 1 MiB");
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  if (jdoc_text_unmark(&buf, &n, name, true, err) < 0) { /* as Windows tools save it */
    free(buf);
    return NULL;
  }
  if (memchr(buf, '\0', n)) {
    uc_err_set(err, name, 0, 0, "not a text file (a NUL byte)");
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

int targets_add_file(struct target_list *l, const char *path, struct uc_err *err)
{
  size_t len;
  char *text = read_file(path, &len, err);
  if (strcmp(path, "-") == 0)
    path = "stdin"; /* how messages name it */
  const char *source = text ? keep(l, path, strlen(path)) : NULL;
  if (!text || !source) {
    free(text);
    return text ? uc_err_set(err, path, 0, 0, "out of memory") : -1;
  }
  int rc = 0, line = 1;
  size_t before = l->n;
  for (char *s = text; rc == 0 && s < text + len; line++) {
    char *nl = memchr(s, '\n', (size_t)(text + len - s));
    char *end = nl ? nl : text + len;
    char *hash = memchr(s, '#', (size_t)(end - s));
    char *stop = hash ? hash : end;
    while (stop > s && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
      stop--;
    size_t lead = 0;
    while (s + lead < stop && (s[lead] == ' ' || s[lead] == '\t'))
      lead++;
    if (s + lead < stop)
      rc = add_list(l, s + lead, (size_t)(stop - s - lead), source, line, (int)lead + 1, true, err);
    s = end + 1;
  }
  free(text);
  if (rc == 0 && l->n == before)
    return uc_err_set(err, path, 0, 0, "no target in the file (one host per line)");
  return rc;
}

void targets_free(struct target_list *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->nstore; i++)
    free(l->store[i]);
  free(l->store);
  free(l->v);
  json_decref(l->seen);
  memset(l, 0, sizeof(*l));
}
