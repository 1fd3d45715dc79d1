/* common/err.h - input diagnostics in the manner of jansson's json_error_t:
 * the file, the line and column where the problem is, and what it is. */
#ifndef UC_ERR_H
#define UC_ERR_H

#include <stddef.h>

#define UC_ERR_TEXT_MAX 320

struct uc_err {
  char source[256]; /* file name, or "<command line>", "<builtin catalog>" */
  int line;         /* 1-based; 0 when not known */
  int column;       /* 1-based; 0 when not known */
  char text[UC_ERR_TEXT_MAX];
};

void uc_err_clear(struct uc_err *e);
/* Sets every field; returns -1 so callers can `return uc_err_set(...)`. */
int uc_err_set(struct uc_err *e, const char *source, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "file:line:column: text" (line and column left out when unknown). */
void uc_err_format(const struct uc_err *e, char *buf, size_t cap);

#endif
