/* common/jdoc.c - JSON documents with positions for diagnostics. */
#include "common/jdoc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* UTF-16 with its byte order mark as UTF-8 (a new buffer, NUL-terminated), or NULL when it is
 * not valid UTF-16 (an odd length, a lone surrogate) or out of memory (*bad says which). */
static char *utf16_to_utf8(const unsigned char *u, size_t len, size_t *out_len, int *bad)
{
  bool be = u[0] == 0xfe;
  *bad = len % 2 != 0;
  char *out = *bad ? NULL : malloc(len / 2 * 3 + 1);
  size_t o = 0;
  for (size_t i = 2; out && i + 1 < len; i += 2) {
    uint32_t c = be ? (uint32_t)(u[i] << 8 | u[i + 1]) : (uint32_t)(u[i + 1] << 8 | u[i]);
    if (c >= 0xd800 && c <= 0xdbff && i + 3 < len) { /* a surrogate pair */
      uint32_t lo =
          be ? (uint32_t)(u[i + 2] << 8 | u[i + 3]) : (uint32_t)(u[i + 3] << 8 | u[i + 2]);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i += 2;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      *bad = 1;
      break;
    }
    if (c < 0x80) {
      out[o++] = (char)c;
    } else if (c < 0x800) {
      out[o++] = (char)(0xc0 | c >> 6);
      out[o++] = (char)(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out[o++] = (char)(0xe0 | c >> 12);
      out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
      out[o++] = (char)(0x80 | (c & 0x3f));
    } else { /* 4 bytes for the 4 of a pair: within the buffer */
      out[o++] = (char)(0xf0 | c >> 18);
      out[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
      out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
      out[o++] = (char)(0x80 | (c & 0x3f));
    }
  }
  if (*bad) {
    free(out);
    return NULL;
  }
  if (out)
    out[o] = '\0';
  *out_len = o;
  return out;
}

int jdoc_text_unmark(char **text, size_t *len, const char *source, bool utf16, struct uc_err *err)
{
  const unsigned char *u = (const unsigned char *)*text;
  /* Windows tools: UTF-16 from PowerShell 5.1's `>` and Out-File, a UTF-8 byte order mark
   * from Notepad and Set-Content -Encoding UTF8. The mark is dropped (positions then count
   * as an editor shows them); UTF-16 is converted, or named rather than read as binary. */
  if (*len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) {
    if (!utf16)
      return uc_err_set(err, source, 1, 1,
                        "UTF-16 text (as PowerShell 5.1's > and Out-File write): save it as "
                        "UTF-8, e.g. Out-File -Encoding utf8, or Set-Content -Encoding UTF8");
    int bad;
    size_t n = 0;
    char *out = utf16_to_utf8(u, *len, &n, &bad);
    if (!out)
      return uc_err_set(err, source, 0, 0, "%s",
                        bad ? "not valid UTF-16 text (an odd length or a lone surrogate)"
                            : "out of memory");
    free(*text);
    *text = out;
    *len = n;
    return 0;
  }
  if (*len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
    memmove(*text, *text + 3, *len - 3 + 1);
    *len -= 3;
  }
  return 0;
}

static int parse_text(struct jdoc *d, struct uc_err *err)
{
  json_error_t je;
  if (jdoc_text_unmark(&d->text, &d->len, d->source, false, err) < 0)
    return -1;
  if (memchr(d->text, '\0', d->len)) {
    size_t off = (size_t)((const char *)memchr(d->text, '\0', d->len) - d->text);
    int line, col;
    jdoc_offset_to_pos(d->text, off, &line, &col);
    return uc_err_set(err, d->source, line, col, "binary data (NUL byte) in a JSON file");
  }
  d->root = json_loadb(d->text, d->len, JSON_REJECT_DUPLICATES, &je);
  if (!d->root) {
    int line = je.line > 0 ? je.line : 0;
    int col = je.column > 0 ? je.column : 0;
    /* jansson's words for a \u0000 escape name its own flag: say what it means */
    if (strstr(je.text, "JSON_ALLOW_NUL"))
      return uc_err_set(err, d->source, line, col,
                        "invalid JSON: \\u0000 (a NUL character) is not allowed in a string");
    return uc_err_set(err, d->source, line, col, "invalid JSON: %s", je.text);
  }
  return 0;
}

int jdoc_load_buffer(struct jdoc *d, const char *name, const char *text, size_t len,
                     struct uc_err *err)
{
  memset(d, 0, sizeof(*d));
  snprintf(d->source, sizeof(d->source), "%s", name ? name : "");
  d->text = malloc(len + 1);
  if (!d->text)
    return uc_err_set(err, d->source, 0, 0, "out of memory");
  memcpy(d->text, text, len);
  d->text[len] = '\0';
  d->len = len;
  if (parse_text(d, err) < 0) {
    jdoc_free(d);
    return -1;
  }
  return 0;
}

int jdoc_read_file(const char *path, size_t max_bytes, char **text, size_t *len, struct uc_err *err)
{
  FILE *f = fopen(path, "rb");
  struct stat dir;
  if (!f && stat(path, &dir) == 0 && S_ISDIR(dir.st_mode)) /* Windows opens no directory */
    return uc_err_set(err, path, 0, 0, "is a directory, not a file");
  if (!f)
    return uc_err_set(err, path, 0, 0, "cannot open: %s", strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      fclose(f);
      return uc_err_set(err, path, 0, 0, "is a directory, not a file");
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max_bytes) {
      fclose(f);
      return uc_err_set(err, path, 0, 0, "file too large (%jd bytes; the limit is %zu)",
                        (intmax_t)st.st_size, max_bytes);
    }
  }
  /* Read in chunks: pipes and /proc files have no size; the limit still holds. */
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    if (n == cap) {
      if (cap >= max_bytes) {
        free(buf);
        fclose(f);
        return uc_err_set(err, path, 0, 0, "file too large (more than %zu bytes)", max_bytes);
      }
      cap = cap * 2 > max_bytes ? max_bytes : cap * 2;
      char *nb = realloc(buf, cap + 1);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  int rerr = ferror(f);
  fclose(f);
  if (!buf)
    return uc_err_set(err, path, 0, 0, "out of memory");
  if (rerr) {
    free(buf);
    return uc_err_set(err, path, 0, 0, "read error");
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
}

int jdoc_load_file(struct jdoc *d, const char *path, size_t max_bytes, struct uc_err *err)
{
  char *text;
  size_t len;
  memset(d, 0, sizeof(*d));
  if (jdoc_read_file(path, max_bytes, &text, &len, err) < 0)
    return -1;
  snprintf(d->source, sizeof(d->source), "%s", path);
  d->text = text;
  d->len = len;
  if (len == 0) {
    jdoc_free(d);
    return uc_err_set(err, path, 1, 1, "empty file: expected a JSON object");
  }
  if (parse_text(d, err) < 0) {
    jdoc_free(d);
    return -1;
  }
  return 0;
}

void jdoc_free(struct jdoc *d)
{
  if (!d)
    return;
  json_decref(d->root);
  free(d->text);
  d->root = NULL;
  d->text = NULL;
  d->len = 0;
}

struct jpath *jpath_key(struct jpath *p, const char *key)
{
  if (p->depth < JDOC_MAX_DEPTH) {
    p->step[p->depth].key = key;
    p->step[p->depth].index = 0;
  }
  p->depth++;
  return p;
}

struct jpath *jpath_index(struct jpath *p, size_t index)
{
  if (p->depth < JDOC_MAX_DEPTH) {
    p->step[p->depth].key = NULL;
    p->step[p->depth].index = index;
  }
  p->depth++;
  return p;
}

void jpath_pop(struct jpath *p)
{
  if (p->depth > 0)
    p->depth--;
}

void jdoc_offset_to_pos(const char *text, size_t off, int *line, int *col)
{
  int l = 1, c = 1;
  for (size_t i = 0; i < off && text[i]; i++) {
    unsigned char ch = (unsigned char)text[i];
    if (ch == '\n') {
      l++;
      c = 1;
    } else if ((ch & 0xC0) != 0x80) {
      c++;
    }
  }
  *line = l;
  *col = c;
}

/* --- a forward-only scanner over text that jansson has already accepted --- */

static size_t skip_ws(const char *t, size_t n, size_t i)
{
  while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
    i++;
  return i;
}

/* i at the opening quote; returns the index after the closing quote. */
static size_t skip_string(const char *t, size_t n, size_t i)
{
  for (i++; i < n; i++) {
    if (t[i] == '\\')
      i++;
    else if (t[i] == '"')
      return i + 1;
  }
  return n;
}

static size_t skip_value(const char *t, size_t n, size_t i)
{
  if (i >= n)
    return n;
  if (t[i] == '"')
    return skip_string(t, n, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    while (i < n) {
      char ch = t[i];
      if (ch == '"') {
        i = skip_string(t, n, i);
        continue;
      }
      if (ch == '{' || ch == '[')
        depth++;
      else if (ch == '}' || ch == ']') {
        if (--depth == 0)
          return i + 1;
      }
      i++;
    }
    return n;
  }
  while (i < n && !strchr(",}] \t\r\n", t[i]))
    i++;
  return i;
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Does the JSON string at t[i] (opening quote) decode to `want`? Handles escapes. */
static int string_equals(const char *t, size_t n, size_t i, const char *want)
{
  size_t w = 0, wlen = strlen(want);
  for (i++; i < n && t[i] != '"'; i++) {
    unsigned long cp;
    if (t[i] != '\\') {
      if (w >= wlen || t[i] != want[w])
        return 0;
      w++;
      continue;
    }
    if (++i >= n)
      return 0;
    switch (t[i]) {
    case 'b':
      cp = '\b';
      break;
    case 'f':
      cp = '\f';
      break;
    case 'n':
      cp = '\n';
      break;
    case 'r':
      cp = '\r';
      break;
    case 't':
      cp = '\t';
      break;
    case 'u': {
      cp = 0;
      for (int k = 1; k <= 4; k++) {
        int h = i + (size_t)k < n ? hexval(t[i + (size_t)k]) : -1;
        if (h < 0)
          return 0;
        cp = cp * 16 + (unsigned long)h;
      }
      i += 4;
      if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < n && t[i + 1] == '\\' && t[i + 2] == 'u') {
        unsigned long lo = 0;
        for (int k = 3; k <= 6; k++) {
          int h = hexval(t[i + (size_t)k]);
          if (h < 0)
            return 0;
          lo = lo * 16 + (unsigned long)h;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 6;
      }
      break;
    }
    default:
      cp = (unsigned char)t[i];
      break;
    }
    char enc[4];
    size_t elen;
    if (cp < 0x80) {
      enc[0] = (char)cp;
      elen = 1;
    } else if (cp < 0x800) {
      enc[0] = (char)(0xC0 | (cp >> 6));
      enc[1] = (char)(0x80 | (cp & 0x3F));
      elen = 2;
    } else if (cp < 0x10000) {
      enc[0] = (char)(0xE0 | (cp >> 12));
      enc[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
      enc[2] = (char)(0x80 | (cp & 0x3F));
      elen = 3;
    } else {
      enc[0] = (char)(0xF0 | (cp >> 18));
      enc[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
      enc[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
      enc[3] = (char)(0x80 | (cp & 0x3F));
      elen = 4;
    }
    if (w + elen > wlen || memcmp(want + w, enc, elen) != 0)
      return 0;
    w += elen;
  }
  return w == wlen;
}

int jdoc_locate(const struct jdoc *d, const struct jpath *p, int at_key, int *line, int *col)
{
  const char *t = d->text;
  size_t n = d->len, i = skip_ws(t, n, 0), mark = i;
  size_t depth = p->depth < JDOC_MAX_DEPTH ? p->depth : JDOC_MAX_DEPTH;
  for (size_t s = 0; s < depth; s++) {
    const struct jpath_step *st = &p->step[s];
    int found = 0;
    if (st->key) {
      if (i >= n || t[i] != '{')
        return -1;
      i++;
      for (;;) {
        i = skip_ws(t, n, i);
        if (i >= n || t[i] != '"')
          return -1;
        size_t key_at = i;
        int match = string_equals(t, n, i, st->key);
        i = skip_ws(t, n, skip_string(t, n, i));
        if (i >= n || t[i] != ':')
          return -1;
        i = skip_ws(t, n, i + 1);
        if (match) {
          mark = (at_key && s + 1 == depth) ? key_at : i;
          found = 1;
          break;
        }
        i = skip_ws(t, n, skip_value(t, n, i));
        if (i < n && t[i] == ',')
          i++;
        else
          return -1;
      }
    } else {
      if (i >= n || t[i] != '[')
        return -1;
      i++;
      for (size_t k = 0;; k++) {
        i = skip_ws(t, n, i);
        if (i >= n || t[i] == ']')
          return -1;
        if (k == st->index) {
          mark = i;
          found = 1;
          break;
        }
        i = skip_ws(t, n, skip_value(t, n, i));
        if (i < n && t[i] == ',')
          i++;
        else
          return -1;
      }
    }
    if (!found)
      return -1;
  }
  jdoc_offset_to_pos(t, mark, line, col);
  return 0;
}

int jdoc_error(const struct jdoc *d, const struct jpath *p, int at_key, struct uc_err *err,
               const char *fmt, ...)
{
  int line = 0, col = 0;
  if (d && d->text && p && jdoc_locate(d, p, at_key, &line, &col) < 0) {
    /* Fall back to the nearest enclosing value that exists. */
    struct jpath q = *p;
    while (q.depth > 0) {
      q.depth--;
      if (jdoc_locate(d, &q, 0, &line, &col) == 0)
        break;
    }
  }
  char text[UC_ERR_TEXT_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  return uc_err_set(err, d ? d->source : "", line, col, "%s", text);
}

static int in_list(const char *const *list, const char *s)
{
  for (; list && *list; list++)
    if (strcmp(*list, s) == 0)
      return 1;
  return 0;
}

int jdoc_check_keys(const struct jdoc *d, struct jpath *p, json_t *obj, const char *const *allowed,
                    const char *const *required, struct uc_err *err)
{
  const char *key;
  json_t *v;
  if (!json_is_object(obj))
    return jdoc_error(d, p, 0, err, "expected an object");
  json_object_foreach(obj, key, v)
  {
    if (!in_list(allowed, key)) {
      char list[200] = "";
      size_t used = 0;
      for (const char *const *a = allowed; a && *a && used + 1 < sizeof(list); a++) {
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", *a);
        if (w < 0)
          break;
        used += (size_t)w;
      }
      jpath_key(p, key);
      jdoc_error(d, p, 1, err, "unknown key \"%s\" (allowed: %s)", key, list);
      jpath_pop(p);
      return -1;
    }
  }
  for (const char *const *r = required; r && *r; r++) {
    if (!json_object_get(obj, *r))
      return jdoc_error(d, p, 0, err, "missing required key \"%s\"", *r);
  }
  return 0;
}

int jdoc_get_string(const struct jdoc *d, struct jpath *p, json_t *obj, const char *key,
                    int required, const char **out, struct uc_err *err)
{
  json_t *v = json_object_get(obj, key);
  if (!v) {
    if (required)
      return jdoc_error(d, p, 0, err, "missing required key \"%s\"", key);
    return 0;
  }
  if (!json_is_string(v)) {
    jpath_key(p, key);
    jdoc_error(d, p, 0, err, "\"%s\" must be a string", key);
    jpath_pop(p);
    return -1;
  }
  *out = json_string_value(v);
  return 0;
}

int jdoc_get_string_or_null(const struct jdoc *d, struct jpath *p, json_t *obj, const char *key,
                            const char **out, struct uc_err *err)
{
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    *out = NULL;
    return 0;
  }
  return jdoc_get_string(d, p, obj, key, 1, out, err);
}

int jdoc_get_bool(const struct jdoc *d, struct jpath *p, json_t *obj, const char *key, int required,
                  int *out, struct uc_err *err)
{
  json_t *v = json_object_get(obj, key);
  if (!v) {
    if (required)
      return jdoc_error(d, p, 0, err, "missing required key \"%s\"", key);
    return 0;
  }
  if (!json_is_boolean(v)) {
    jpath_key(p, key);
    jdoc_error(d, p, 0, err, "\"%s\" must be true or false", key);
    jpath_pop(p);
    return -1;
  }
  *out = json_is_true(v);
  return 0;
}
