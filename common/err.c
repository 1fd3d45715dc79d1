/* common/err.c - input diagnostics with file, line and column. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void uc_err_clear(struct uc_err *e)
{
  if (e)
    memset(e, 0, sizeof(*e));
}

int uc_err_set(struct uc_err *e, const char *source, int line, int column, const char *fmt, ...)
{
  if (!e)
    return -1;
  snprintf(e->source, sizeof(e->source), "%s", source ? source : "");
  e->line = line;
  e->column = column;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->text, sizeof(e->text), fmt, ap);
  va_end(ap);
  return -1;
}

void uc_err_format(const struct uc_err *e, char *buf, size_t cap)
{
  if (e->line > 0 && e->column > 0)
    snprintf(buf, cap, "%s:%d:%d: %s", e->source, e->line, e->column, e->text);
  else if (e->line > 0)
    snprintf(buf, cap, "%s:%d: %s", e->source, e->line, e->text);
  else if (e->column > 0) /* a command-line value: no lines */
    snprintf(buf, cap, "%s: column %d: %s", e->source, e->column, e->text);
  else if (e->source[0])
    snprintf(buf, cap, "%s: %s", e->source, e->text);
  else
    snprintf(buf, cap, "%s", e->text);
}
