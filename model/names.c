/* model/names.c - role and product ids as people type them (names.h). */
#include "model/names.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/suggest.h"

const struct cat_role *names_role(const struct catalog *cat, const char *s)
{
  for (size_t i = 0; i < cat->nroles; i++)
    if (strcasecmp(cat->roles[i].id, s) == 0)
      return &cat->roles[i];
  return NULL;
}

/* "; did you mean X?" or " (ids: a, b, c)" after an unknown id. */
static void unknown_help(const char *typed, const char *const *ids, size_t n, const char *what,
                         char *buf, size_t cap)
{
  const char *near = suggest_pick(typed, ids, n);
  if (near) {
    snprintf(buf, cap, " (did you mean %s?)", near);
    return;
  }
  size_t used = (size_t)snprintf(buf, cap, " (%s: ", what);
  for (size_t i = 0; i < n && used < cap; i++) {
    int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", ids[i]);
    used += w > 0 ? (size_t)w : 0;
  }
  if (used + 1 < cap)
    snprintf(buf + used, cap - used, ")");
}

static int unknown_role(const struct catalog *cat, const char *opt, int col, const char *item,
                        size_t len, struct uc_err *err)
{
  const char **ids = calloc(cat->nroles ? cat->nroles : 1, sizeof(*ids));
  char typed[128], help[260] = "";
  snprintf(typed, sizeof(typed), "%.*s", (int)len, item);
  for (size_t i = 0; ids && i < cat->nroles; i++)
    ids[i] = cat->roles[i].id;
  if (ids)
    unknown_help(typed, ids, cat->nroles, "roles", help, sizeof(help));
  free(ids);
  return uc_err_set(err, opt, 0, col, "unknown role \"%s\"%s", typed, help);
}

/* One item of the list, [s, s + len): its role, or an error. */
static const struct cat_role *list_item(const struct catalog *cat, const char *opt,
                                        const char *list, const char *s, size_t len,
                                        struct uc_err *err)
{
  int col = (int)(s - list) + 1;
  while (len && *s == ' ')
    s++, len--;
  while (len && s[len - 1] == ' ')
    len--;
  if (len == 0) {
    uc_err_set(err, opt, 0, col, "empty item in the list");
    return NULL;
  }
  col = (int)(s - list) + 1;
  char id[128];
  snprintf(id, sizeof(id), "%.*s", (int)len, s);
  const struct cat_role *r = len < sizeof(id) ? names_role(cat, id) : NULL;
  if (!r)
    unknown_role(cat, opt, col, s, len, err);
  return r;
}

int names_roles(const struct catalog *cat, const char *opt, const char *list, const char ***out,
                size_t *n, struct uc_err *err)
{
  size_t cap = 1;
  for (const char *c = list; *c; c++)
    cap += *c == ',';
  const char **v = calloc(cap, sizeof(*v));
  *out = NULL;
  *n = 0;
  if (!v)
    return uc_err_set(err, opt, 0, 0, "out of memory");
  size_t count = 0;
  for (const char *s = list;;) {
    const char *end = strchr(s, ',');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    const struct cat_role *r = list_item(cat, opt, list, s, len, err);
    if (!r) {
      free(v);
      return -1;
    }
    for (size_t k = 0; k < count; k++)
      if (v[k] == r->id) {
        free(v);
        return uc_err_set(err, opt, 0, (int)(s - list) + 1, "role \"%s\" listed twice", r->id);
      }
    v[count++] = r->id;
    if (!end)
      break;
    s = end + 1;
  }
  *out = v;
  *n = count;
  return 0;
}

int names_product(const struct catalog *cat, const char *opt, const char *s, const char **out,
                  struct uc_err *err)
{
  const char *ids[16];
  size_t n = 0;
  for (size_t i = 0; i < cat->nproducts; i++) {
    if (strcasecmp(cat->products[i].id, s) == 0) {
      *out = cat->products[i].id;
      return 0;
    }
    if (n < sizeof(ids) / sizeof(ids[0]))
      ids[n++] = cat->products[i].id;
  }
  char help[260] = "";
  unknown_help(s, ids, n, "products", help, sizeof(help));
  return uc_err_set(err, opt, 0, 0, "unknown product \"%.80s\"%s", s, help);
}
