/* tests/support/data_cases.c - data-driven unit tests over tests/data/<kind>/<case>/. */
#include "tests/support/data_cases.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#define DATA_PATH_MAX 4096

/* buf = a + "/" + b; a test failure when it does not fit. */
static void path_join(char *buf, size_t cap, const char *a, const char *b)
{
  if (snprintf(buf, cap, "%s/%s", a, b) >= (int)cap)
    fail_msg("path too long: %s/%s", a, b);
}

/* A whole file, NUL-terminated (the NUL not counted); NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && st.st_size >= 0) {
    size_t n = (size_t)st.st_size;
    buf = malloc(n + 1);
    if (buf && fread(buf, 1, n, f) == n) {
      buf[n] = '\0';
      *len = n;
    } else {
      free(buf);
      buf = NULL;
    }
  }
  fclose(f);
  return buf;
}

static int spill(const char *path, const char *text)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t n = strlen(text);
  int ok = fwrite(text, 1, n, f) == n;
  return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* Does name match pattern, where '*' is any run of characters and '?' any one? (fnmatch's
 * core, which MinGW lacks.) */
static int name_matches(const char *pat, const char *name)
{
  if (*pat == '\0')
    return *name == '\0';
  if (*pat == '*')
    return name_matches(pat + 1, name) || (*name && name_matches(pat, name + 1));
  return *name && (*pat == '?' || *pat == *name) && name_matches(pat + 1, name + 1);
}

static int by_name(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case directories of a kind, sorted; NULL when the kind's directory cannot be opened. */
static char **case_names(const char *dir, size_t *n)
{
  *n = 0;
  DIR *d = opendir(dir);
  if (!d)
    return NULL;
  size_t cap = 64;
  char **v = malloc(cap * sizeof(*v));
  struct dirent *e;
  while (v && (e = readdir(d)) != NULL) {
    char path[DATA_PATH_MAX];
    struct stat st;
    path_join(path, sizeof(path), dir, e->d_name);
    if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
      continue;
    if (*n == cap) {
      cap *= 2;
      char **nv = realloc(v, cap * sizeof(*v));
      if (!nv)
        break;
      v = nv;
    }
    v[(*n)++] = strdup(e->d_name);
  }
  closedir(d);
  if (v && *n)
    qsort(v, *n, sizeof(*v), by_name);
  return v;
}

uint8_t *data_case_input(const char *kind, const char *name, size_t *len)
{
  const char *src = getenv("UC_SOURCE_DIR");
  char path[DATA_PATH_MAX];
  if (snprintf(path, sizeof(path), "%s/tests/data/%s/%s/input", src && *src ? src : ".", kind,
               name) >= (int)sizeof(path))
    fail_msg("path too long: %s", src);
  char *text = slurp(path, len);
  if (!text)
    fail_msg("cannot read %s: %s (is UC_SOURCE_DIR set?)", path, strerror(errno));
  uint8_t *copy = test_malloc(*len + 1);
  memcpy(copy, text, *len + 1);
  free(text);
  return copy;
}

char *data_case_printf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = malloc(n > 0 ? (size_t)n + 1 : 1);
  if (!s)
    abort();
  va_start(ap, fmt);
  vsnprintf(s, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
  va_end(ap);
  return s;
}

char *data_case_err(const struct uc_err *e, const char *source)
{
  struct uc_err copy = *e;
  char buf[UC_ERR_TEXT_MAX + 512];
  if (source)
    snprintf(copy.source, sizeof(copy.source), "%s", source);
  uc_err_format(&copy, buf, sizeof(buf));
  return data_case_printf("%s\n", buf);
}

char *data_case_load_result(const struct data_case *c, int rc, const struct uc_err *err)
{
  if (rc == 0)
    return data_case_printf("accepted\n");
  if (strcmp(err->source, c->path) != 0)
    return data_case_printf("error from \"%s\", not the file: %s\n", err->source, err->text);
  return data_case_err(err, "input");
}

const char *data_case_env(const struct data_case *c, const char *key, const char *dflt, char *buf,
                          size_t cap)
{
  size_t klen = strlen(key);
  for (const char *line = c->env; *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    if (line[0] != '#' && len > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
      snprintf(buf, cap, "%.*s", (int)(len - klen - 1), line + klen + 1);
      return buf;
    }
    line += len + (end != NULL);
  }
  if (!dflt)
    return NULL;
  snprintf(buf, cap, "%s", dflt);
  return buf;
}

/* Same as expected? For DATA_JSON both must parse and be equal values. */
static int same(enum data_expect how, const char *want, const char *got)
{
  if (how == DATA_TEXT)
    return strcmp(want, got) == 0;
  json_t *a = json_loads(want, JSON_DECODE_ANY, NULL);
  json_t *b = json_loads(got, JSON_DECODE_ANY, NULL);
  int eq = a && b && json_equal(a, b);
  json_decref(a);
  json_decref(b);
  return eq;
}

/* Runs one case; returns 1 when it passed (or its expect file was written). */
static int run_case(struct data_case *c, enum data_expect how, data_case_fn fn, void *arg,
                    int regen)
{
  char path[DATA_PATH_MAX], envpath[DATA_PATH_MAX], expath[DATA_PATH_MAX];
  size_t inlen = 0, exlen = 0, envlen = 0;
  path_join(path, sizeof(path), c->dir, "input");
  path_join(envpath, sizeof(envpath), c->dir, "env");
  path_join(expath, sizeof(expath), c->dir, "expect");
  char *input = slurp(path, &inlen);
  if (!input) {
    print_error("%s/%s: cannot read %s: %s\n", c->kind, c->name, path, strerror(errno));
    return 0;
  }
  char *env = slurp(envpath, &envlen);
  c->path = path;
  c->input = (const uint8_t *)input;
  c->input_len = inlen;
  c->env = env ? env : "";
  char *got = fn(c, arg);
  if (!got) {
    print_error("%s/%s: failed (above)\n", c->kind, c->name);
    free(env);
    free(input);
    return 0;
  }
  char *want = slurp(expath, &exlen);
  int ok = want && same(how, want, got);
  if (!ok && regen) {
    ok = spill(expath, got) == 0;
    print_message("%s %s/%s/expect\n", ok ? "wrote" : "CANNOT WRITE", c->kind, c->name);
  } else if (!ok && !want) {
    print_error("%s/%s: no expect file (UC_REGEN=1 writes it); got:\n%s", c->kind, c->name, got);
  } else if (!ok) {
    print_error("%s/%s: expected:\n%s\n%s/%s: got:\n%s\n", c->kind, c->name, want, c->kind, c->name,
                got);
  }
  free(want);
  free(got);
  free(env);
  free(input);
  return ok;
}

size_t data_cases_run(const char *kind, enum data_expect how, data_case_fn fn, void *arg)
{
  const char *src = getenv("UC_SOURCE_DIR");
  const char *only = getenv("UC_CASE");
  const char *regen_env = getenv("UC_REGEN");
  int regen = regen_env && strcmp(regen_env, "1") == 0;
  char dir[DATA_PATH_MAX];
  size_t n, ran = 0, failed = 0;
  if (snprintf(dir, sizeof(dir), "%s/tests/data/%s", src && *src ? src : ".", kind) >=
      (int)sizeof(dir))
    fail_msg("path too long: %s", src);
  char **names = case_names(dir, &n);
  if (!names)
    fail_msg("%s: cannot open %s: %s (is UC_SOURCE_DIR set?)", kind, dir, strerror(errno));
  for (size_t i = 0; i < n; i++) {
    char cdir[DATA_PATH_MAX];
    path_join(cdir, sizeof(cdir), dir, names[i]);
    struct data_case c = {.kind = kind, .name = names[i], .dir = cdir};
    if (!only || name_matches(only, names[i])) {
      failed += !run_case(&c, how, fn, arg, regen);
      ran++;
    }
    free(names[i]);
  }
  free(names);
  if (ran == 0)
    fail_msg("%s: no case in %s%s%s", kind, dir, only ? " matching " : "", only ? only : "");
  if (failed)
    fail_msg("%zu of %zu %s cases failed (above)", failed, ran, kind);
  return ran;
}
