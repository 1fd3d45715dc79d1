/* common/textcol.h - text tables fitted to a terminal's width, shared by the scan report's
 * table and `ucscan catalog`.
 *
 * A table is a list of items (rows, column headings, full-width lines, notes under a row)
 * collected first and printed once, so that every column is as wide as its widest cell and no
 * wider. When the table does not fit `width` columns: the wrapping columns (TEXTCOL_WRAP)
 * shrink, fairly (the narrowest keep their natural width, the widest give most; a column a
 * few characters short of whole gets them first) but never below their minimum, and their
 * cells wrap at word boundaries (after a space, else after
 * ",", "-", "/", ";", "|"), up to `max_lines` lines, the last cut with "..."; while a wrapping
 * column gets less than the width it `want`s (or its minimum), droppable columns go, the
 * lowest `drop` rank first. Full-width lines and notes wrap
 * at word boundaries too. Width 0 prints every cell whole on one line (a file, a pipe).
 *
 * Cells are copied and made safe for a terminal on the way in: control characters (C0, DEL,
 * C1) and invalid UTF-8 become '?', a tab a space; display width counts characters. Styles
 * are ANSI sequences ("\033[1;31m"), printed only when the table is printed with colour,
 * and never counted in widths. */
#ifndef UC_TEXTCOL_H
#define UC_TEXTCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
  TEXTCOL_WRAP = 1,       /* may wrap over several lines */
  TEXTCOL_RIGHT = 2,      /* right-aligned (numbers) */
  TEXTCOL_HIDE_EMPTY = 4, /* left out when no row has a value in it ("" or "-") */
};

struct textcol_col {
  const char *head;   /* column heading */
  unsigned flags;     /* TEXTCOL_* */
  unsigned min;       /* TEXTCOL_WRAP: narrowest width (0: 12, or the natural width if less) */
  unsigned want;      /* TEXTCOL_WRAP: below this width, droppable columns go first (0: min) */
  unsigned max_lines; /* TEXTCOL_WRAP: at most this many lines (0: no limit) */
  unsigned drop;      /* 0: always shown; else dropped when space runs out, lowest first */
};

struct textcol;

/* A table with these columns (the array must outlive the table). NULL: out of memory. */
struct textcol *textcol_new(const struct textcol_col *cols, size_t ncols);
void textcol_free(struct textcol *t);

/* A row: ncols cells (NULL is empty); styles NULL, or one per cell (NULL: plain). */
int textcol_row(struct textcol *t, const char *const *cells, const char *const *styles);
/* The column headings, here. */
int textcol_head(struct textcol *t);
/* A line across the table (a heading), wrapped at word boundaries; style may be NULL.
 * `indent`: columns before it (and before its continuation lines). */
int textcol_line(struct textcol *t, unsigned indent, const char *text, const char *style);
/* A note under the last row, starting at the first wrapping column (or at `indent` when the
 * table has none), wrapped there; `label` ("open:") is printed before it. */
int textcol_note(struct textcol *t, const char *label, const char *text);

/* Prints the table: rows indented by `indent`, fitted to `width` (0: no limit). Returns the
 * number of cells that had to be cut with "..." (0: everything shown whole). */
size_t textcol_print(struct textcol *t, FILE *out, unsigned width, unsigned indent, bool color);
/* Whether column `col` would show if the table were printed so (not dropped for space, not
 * hidden empty): a footnote about a column's marks belongs only under a table that has it. */
bool textcol_shows(const struct textcol *t, unsigned width, unsigned indent, size_t col);

/* How wide the table is with every cell whole on one line (with `indent`): a caller may
 * choose another layout when this does not fit. */
unsigned textcol_natural_width(const struct textcol *t, unsigned indent);

/* Characters (not bytes) of UTF-8 text, as the terminal shows them. */
size_t textcol_display_width(const char *s);

/* How wide output to `fd` may be: the terminal's columns (TIOCGWINSZ) when fd is a terminal,
 * else $COLUMNS when it is a number from 20 to 1000, else 80 on a terminal and 0 (no limit)
 * for a file or a pipe. */
unsigned textcol_width(int fd);

enum textcol_color { TEXTCOL_COLOR_AUTO = 0, TEXTCOL_COLOR_ALWAYS, TEXTCOL_COLOR_NEVER };
/* "auto", "always", "never" (NULL reads as "auto"). Returns 0, or -1 for anything else. */
int textcol_color_parse(const char *s, enum textcol_color *out);
/* Whether output to `fd` gets colour: always; never; auto: when fd is a terminal, NO_COLOR
 * is unset or empty (https://no-color.org) and TERM is not "dumb". */
bool textcol_color_wanted(enum textcol_color mode, int fd);

#endif
