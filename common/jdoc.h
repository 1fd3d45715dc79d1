/* common/jdoc.h - a JSON document that remembers its text, so that a value found wrong
 * after parsing (an unknown key, an unknown role, a duplicate host) can be reported
 * with the file, line and column where it stands. jansson keeps no positions; jdoc
 * finds them again in the text when an error needs one. */
#ifndef UC_JDOC_H
#define UC_JDOC_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define JDOC_MAX_DEPTH 12
#define JDOC_MAX_FILE (16u * 1024u * 1024u) /* topology and catalog files */

struct jdoc {
  char source[256]; /* file name as given, for messages */
  char *text;       /* owned copy of the text, NUL-terminated */
  size_t len;
  json_t *root;
};

/* One step of a path: an object key, or (key == NULL) an array index. */
struct jpath_step {
  const char *key;
  size_t index;
};

struct jpath {
  struct jpath_step step[JDOC_MAX_DEPTH];
  size_t depth;
};

/* Read and parse a file (at most max_bytes). Strict: duplicate keys are errors. */
int jdoc_load_file(struct jdoc *d, const char *path, size_t max_bytes, struct uc_err *err);
/* Read a whole file (at most max_bytes) into a NUL-terminated malloc'd buffer. */
int jdoc_read_file(const char *path, size_t max_bytes, char **text, size_t *len,
                   struct uc_err *err);
/* Text as Windows tools save it, in place: a UTF-8 byte order mark (Notepad, PowerShell's
 * -Encoding UTF8) is dropped; UTF-16 with its mark (PowerShell 5.1's > and Out-File), little or
 * big endian, becomes UTF-8 when `utf16` is true, else is refused with a message that says how
 * to save it as UTF-8. *text is a malloc'd NUL-terminated buffer of *len bytes; it may be
 * replaced. Returns 0, or -1 with err set (source `source`). The JSON loaders use it. */
int jdoc_text_unmark(char **text, size_t *len, const char *source, bool utf16, struct uc_err *err);
/* Parse a buffer (copied). */
int jdoc_load_buffer(struct jdoc *d, const char *name, const char *text, size_t len,
                     struct uc_err *err);
void jdoc_free(struct jdoc *d);

/* Path building: push returns the path for chaining in calls. */
struct jpath *jpath_key(struct jpath *p, const char *key);
struct jpath *jpath_index(struct jpath *p, size_t index);
void jpath_pop(struct jpath *p);

/* Where the value at `p` starts (at_key: where its key starts) in the text; 1-based.
 * Returns 0, or -1 when the path is not in the text. */
int jdoc_locate(const struct jdoc *d, const struct jpath *p, int at_key, int *line, int *col);

/* Fill *err with the position of `p` and the message; returns -1. */
int jdoc_error(const struct jdoc *d, const struct jpath *p, int at_key, struct uc_err *err,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Strict object check: every key of `obj` must be in `allowed` (NULL-terminated list),
 * and every key in `required` must be present. Errors point at the key. */
int jdoc_check_keys(const struct jdoc *d, struct jpath *p, json_t *obj, const char *const *allowed,
                    const char *const *required, struct uc_err *err);

/* Typed getters that report "expected a string" etc. at the value's position.
 * A missing optional key leaves *out untouched and returns 0. */
int jdoc_get_string(const struct jdoc *d, struct jpath *p, json_t *obj, const char *key,
                    int required, const char **out, struct uc_err *err);
int jdoc_get_bool(const struct jdoc *d, struct jpath *p, json_t *obj, const char *key, int required,
                  int *out, struct uc_err *err);
/* A string or null: null leaves *out NULL. */
int jdoc_get_string_or_null(const struct jdoc *d, struct jpath *p, json_t *obj, const char *key,
                            const char **out, struct uc_err *err);

/* Text position helper shared with other parsers: 1-based line and column (in UTF-8
 * characters) of byte offset `off` in `text`. */
void jdoc_offset_to_pos(const char *text, size_t off, int *line, int *col);

#endif
