/* tests/fuzz/fuzz_jdoc.c - JSON documents with positions (common/jdoc.h): jdoc_load_buffer on
 * anything, then jdoc_locate on every path of the parsed document.
 *
 * jdoc_locate re-scans the text that jansson accepted to find where a value (or its key)
 * stands, so that errors found after parsing can name a line and column. Checks:
 *   - a buffer jansson refuses gives an error with a message and a line inside the text;
 *   - a loaded document's text is the input, without a leading UTF-8 byte order mark;
 *   - every path to every value (objects and arrays, JDOC_MAX_DEPTH levels) is found, and
 *     the position points at the value's first character ('{', '[', '"', a digit or '-',
 *     't', 'f', 'n'), or with at_key at the opening quote of a key that decodes to the
 *     step's key; a path that is not in the document (an index past the end, a key that
 *     does not exist) is not found;
 *   - jdoc_error fills a message and a position for any path. */
#include "common/jdoc.h"
#include "fuzz_util.h"

#define FUZZ_MAX_NODES 2000

static size_t nodes;

/* Byte offset of 1-based (line, column in UTF-8 characters), the inverse of
 * jdoc_offset_to_pos. */
static size_t pos_to_offset(const char *t, size_t n, int line, int col)
{
  size_t i = 0;
  for (int l = 1; l < line && i < n; i++)
    if (t[i] == '\n')
      l++;
  for (int c = 1; c < col && i < n; c++) {
    i++;
    while (i < n && ((unsigned char)t[i] & 0xC0) == 0x80)
      i++;
  }
  return i;
}

static void check_at(const struct jdoc *d, const struct jpath *p, json_t *v)
{
  int line = 0, col = 0;
  int rc = jdoc_locate(d, p, 0, &line, &col);
  FUZZ_CHECK(rc == 0, "path of depth %zu not found", p->depth);
  size_t off = pos_to_offset(d->text, d->len, line, col);
  FUZZ_CHECK(off < d->len, "position %d:%d past the end", line, col);
  int lc = 0, cc = 0;
  jdoc_offset_to_pos(d->text, off, &lc, &cc);
  FUZZ_CHECK(lc == line && cc == col, "offset_to_pos(%zu) = %d:%d, not %d:%d", off, lc, cc, line,
             col);
  char c = d->text[off];
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    FUZZ_CHECK(c == '{', "object at '%c'", c);
    break;
  case JSON_ARRAY:
    FUZZ_CHECK(c == '[', "array at '%c'", c);
    break;
  case JSON_STRING:
    FUZZ_CHECK(c == '"', "string at '%c'", c);
    break;
  case JSON_INTEGER:
  case JSON_REAL:
    FUZZ_CHECK(c == '-' || (c >= '0' && c <= '9'), "number at '%c'", c);
    break;
  case JSON_TRUE:
    FUZZ_CHECK(c == 't', "true at '%c'", c);
    break;
  case JSON_FALSE:
    FUZZ_CHECK(c == 'f', "false at '%c'", c);
    break;
  case JSON_NULL:
    FUZZ_CHECK(c == 'n', "null at '%c'", c);
    break;
  }
  if (p->depth > 0 && p->step[p->depth - 1].key) {
    rc = jdoc_locate(d, p, 1, &line, &col);
    FUZZ_CHECK(rc == 0, "key not found");
    off = pos_to_offset(d->text, d->len, line, col);
    FUZZ_CHECK(off < d->len && d->text[off] == '"', "key at '%c'", d->text[off]);
    /* the key there must be the step's key: parse that string with jansson */
    size_t e = off + 1;
    while (e < d->len && d->text[e] != '"')
      e += d->text[e] == '\\' ? 2 : 1;
    json_t *k = json_loadb(d->text + off, e + 1 - off, JSON_DECODE_ANY, NULL);
    FUZZ_CHECK(k && json_is_string(k) &&
                   strcmp(json_string_value(k), p->step[p->depth - 1].key) == 0,
               "the key at %d:%d is not \"%s\"", line, col, p->step[p->depth - 1].key);
    json_decref(k);
  }
}

static void walk(const struct jdoc *d, struct jpath *p, json_t *v)
{
  if (++nodes > FUZZ_MAX_NODES)
    return;
  check_at(d, p, v);
  if (p->depth >= JDOC_MAX_DEPTH)
    return;
  if (json_is_object(v)) {
    const char *key;
    json_t *child;
    json_object_foreach(v, key, child)
    {
      walk(d, jpath_key(p, key), child);
      jpath_pop(p);
    }
    /* a key that is not there */
    int line, col;
    if (!json_object_get(v, "no such key \x01"))
      FUZZ_CHECK(jdoc_locate(d, jpath_key(p, "no such key \x01"), 0, &line, &col) < 0,
                 "found a missing key");
    jpath_pop(p);
  } else if (json_is_array(v)) {
    for (size_t i = 0; i < json_array_size(v); i++) {
      walk(d, jpath_index(p, i), json_array_get(v, i));
      jpath_pop(p);
    }
    int line, col;
    FUZZ_CHECK(jdoc_locate(d, jpath_index(p, json_array_size(v)), 0, &line, &col) < 0,
               "found an index past the end");
    jpath_pop(p);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct jdoc d;
  struct uc_err err;
  uc_err_clear(&err);
  if (jdoc_load_buffer(&d, "fuzz.json", (const char *)data, size, &err) < 0) {
    fuzz_check_err(&err, (const char *)data, size);
    return 0;
  }
  /* the text is the input, less a UTF-8 byte order mark the loader drops (common/jdoc.c) */
  size_t bom = size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
  FUZZ_CHECK(d.root && d.len == size - bom && d.text[d.len] == '\0' &&
                 memcmp(d.text, data + bom, d.len) == 0,
             "loaded document: %zu bytes of text from %zu", d.len, size);
  struct jpath p = {0};
  nodes = 0;
  walk(&d, &p, d.root);
  FUZZ_CHECK(p.depth == 0, "path depth %zu after the walk", p.depth);

  /* jdoc_error on a path from the input: any path at all gets a message */
  for (size_t i = 0; i < size && i < 2 * JDOC_MAX_DEPTH; i++) {
    if (data[i] & 1)
      jpath_index(&p, data[i] >> 4);
    else
      jpath_key(&p, (data[i] & 2) ? "hosts" : "name");
  }
  jdoc_error(&d, &p, size & 1, &err, "fuzz %d", 1);
  fuzz_check_err(&err, d.text, d.len);
  jdoc_free(&d);
  return 0;
}
