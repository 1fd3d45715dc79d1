/* common/textcol.c - text tables fitted to a width (textcol.h says how). */
#include "common/textcol.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#ifndef _WIN32
#include <sys/ioctl.h> /* TIOCGWINSZ; a Windows console's width is the platform layer's */
#endif

#define TEXTCOL_DEFAULT_MIN 12
#define TEXTCOL_MAX_COLS 32

enum item_kind { IT_ROW, IT_HEAD, IT_LINE, IT_NOTE };

struct item {
  enum item_kind kind;
  char **cells;        /* IT_ROW: ncols; IT_LINE: [0] text; IT_NOTE: [0] text, [1] label */
  const char **styles; /* IT_ROW: ncols or NULL; IT_LINE: [0] */
  unsigned indent;     /* IT_LINE */
};

struct textcol {
  const struct textcol_col *cols;
  size_t ncols;
  struct item *items;
  size_t n, cap;
};

/* One line of a wrapped cell: bytes [off, off + len) of the text, "..." after it when cut. */
struct span {
  size_t off, len;
  bool cut;
};

/* The layout of one print: which columns show, how wide, with what gap. */
struct layout {
  bool shown[TEXTCOL_MAX_COLS];
  unsigned w[TEXTCOL_MAX_COLS];
  unsigned gap, indent, width;
  size_t cut; /* cells cut with "..." */
};

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0; *cp gets the code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
  size_t len;
  uint32_t c, min;
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  if ((s[0] & 0xE0) == 0xC0)
    len = 2, c = s[0] & 0x1Fu, min = 0x80;
  else if ((s[0] & 0xF0) == 0xE0)
    len = 3, c = s[0] & 0x0Fu, min = 0x800;
  else if ((s[0] & 0xF8) == 0xF0)
    len = 4, c = s[0] & 0x07u, min = 0x10000;
  else
    return 0;
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3Fu);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return len;
}

/* A copy fit for a terminal: controls and invalid UTF-8 as '?', a tab as a space. */
static char *safe_copy(const char *s)
{
  if (!s)
    s = "";
  size_t n = strlen(s);
  char *o = malloc(n + 1);
  if (!o)
    return NULL;
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, j = 0;
  while (i < n) {
    uint32_t cp;
    size_t len = utf8_seq(p + i, n - i, &cp);
    if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
      o[j++] = cp == '\t' && len == 1 ? ' ' : '?';
      i += len ? len : 1;
      continue;
    }
    memcpy(o + j, p + i, len);
    i += len;
    j += len;
  }
  o[j] = '\0';
  return o;
}

size_t textcol_display_width(const char *s)
{
  size_t w = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    w += (*p & 0xC0) != 0x80;
  return w;
}

/* Bytes of the character at s (a safe copy: valid UTF-8). */
static size_t char_len(const char *s)
{
  unsigned char c = (unsigned char)*s;
  return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
}

struct textcol *textcol_new(const struct textcol_col *cols, size_t ncols)
{
  if (ncols == 0 || ncols > TEXTCOL_MAX_COLS)
    return NULL;
  struct textcol *t = calloc(1, sizeof(*t));
  if (t) {
    t->cols = cols;
    t->ncols = ncols;
  }
  return t;
}

static void item_free(struct item *it, size_t ncells)
{
  for (size_t i = 0; it->cells && i < ncells; i++)
    free(it->cells[i]);
  free(it->cells);
  free(it->styles);
}

static size_t item_ncells(const struct textcol *t, const struct item *it)
{
  return it->kind == IT_ROW ? t->ncols : it->kind == IT_HEAD ? 0 : 2;
}

void textcol_free(struct textcol *t)
{
  if (!t)
    return;
  for (size_t i = 0; i < t->n; i++)
    item_free(&t->items[i], item_ncells(t, &t->items[i]));
  free(t->items);
  free(t);
}

static struct item *push(struct textcol *t, enum item_kind kind, size_t ncells)
{
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 32;
    struct item *v = realloc(t->items, cap * sizeof(*v));
    if (!v)
      return NULL;
    t->items = v;
    t->cap = cap;
  }
  struct item *it = &t->items[t->n];
  memset(it, 0, sizeof(*it));
  it->kind = kind;
  if (ncells) {
    it->cells = calloc(ncells, sizeof(*it->cells));
    it->styles = calloc(ncells, sizeof(*it->styles));
    if (!it->cells || !it->styles) {
      item_free(it, 0);
      return NULL;
    }
  }
  t->n++;
  return it;
}

/* Fills the last item's cells from texts; on failure the item is taken back. */
static int fill(struct textcol *t, const char *const *texts, const char *const *styles,
                size_t ncells)
{
  struct item *it = &t->items[t->n - 1];
  for (size_t i = 0; i < ncells; i++) {
    it->cells[i] = safe_copy(texts[i]);
    it->styles[i] = styles ? styles[i] : NULL;
    if (!it->cells[i]) {
      item_free(it, ncells);
      t->n--;
      return -1;
    }
  }
  return 0;
}

int textcol_row(struct textcol *t, const char *const *cells, const char *const *styles)
{
  if (!push(t, IT_ROW, t->ncols))
    return -1;
  return fill(t, cells, styles, t->ncols);
}

int textcol_head(struct textcol *t)
{
  return push(t, IT_HEAD, 0) ? 0 : -1;
}

int textcol_line(struct textcol *t, unsigned indent, const char *text, const char *style)
{
  struct item *it = push(t, IT_LINE, 2);
  if (!it)
    return -1;
  it->indent = indent;
  const char *texts[2] = {text, ""}, *styles[2] = {style, NULL};
  return fill(t, texts, styles, 2);
}

int textcol_note(struct textcol *t, const char *label, const char *text)
{
  if (!push(t, IT_NOTE, 2))
    return -1;
  const char *texts[2] = {text, label ? label : ""};
  return fill(t, texts, NULL, 2);
}

/* ---- wrapping ---- */

static bool break_after(char c)
{
  return c == ',' || c == '-' || c == '/' || c == ';' || c == '|'; /* open|filtered */
}

/* Where the line starting at p ends when at most w characters fit: the byte index of the end
 * (exclusive). Prefers a space, then a break character; *hard is set when neither is there (a
 * token longer than the line, which the caller cuts with "..." rather than split). */
static size_t line_end(const char *s, size_t len, size_t p, unsigned w, size_t *next, bool *hard)
{
  *hard = false;
  size_t i = p, chars = 0, at_space = 0, at_break = 0;
  while (i < len && chars < w) {
    if (s[i] == ' ')
      at_space = i;
    else if (break_after(s[i]))
      at_break = i + 1;
    i += char_len(s + i);
    chars++;
  }
  size_t end = i;
  if (i < len && s[i] != ' ') {
    if (at_space > p)
      end = at_space;
    else if (at_break > p)
      end = at_break;
    else
      *hard = true;
  }
  *next = end;
  while (end > p && s[end - 1] == ' ')
    end--;
  return end;
}

/* The first `w - 3` characters of s[p..len), ended at a space when one is in the second half,
 * so that "..." can follow. Returns the byte length. */
static size_t cut_for_ellipsis(const char *s, size_t len, size_t p, unsigned w)
{
  unsigned room = w > 3 ? w - 3 : 0;
  size_t i = p, chars = 0, at_space = 0;
  while (i < len && chars < room) {
    if (s[i] == ' ' && chars >= room / 2)
      at_space = i;
    i += char_len(s + i);
    chars++;
  }
  size_t end = at_space > p ? at_space : i;
  while (end > p && (s[end - 1] == ' ' || s[end - 1] == ',' || s[end - 1] == ';'))
    end--;
  return end - p;
}

/* Wraps s into at most `max` spans of w characters (max 0: no limit; out has room for
 * `cap`). Returns the number of spans; the last one is cut ("...") when text was left. */
static size_t wrap(const char *s, unsigned w, unsigned max, struct span *out, size_t cap)
{
  size_t len = strlen(s), n = 0, p = 0;
  if (w == 0)
    w = 1;
  if (max == 0 || max > cap)
    max = (unsigned)cap;
  while (n < max) {
    while (n > 0 && p < len && s[p] == ' ')
      p++;
    if (n > 0 && p >= len)
      break;
    if (textcol_display_width(s + p) <= w) {
      out[n++] = (struct span){p, len - p, false};
      return n;
    }
    if (n + 1 == max) {
      out[n++] = (struct span){p, cut_for_ellipsis(s, len, p, w), true};
      return n;
    }
    bool hard;
    size_t next, end = line_end(s, len, p, w, &next, &hard);
    if (hard && w > 3) { /* "(from='edge01.contoso.test'," cut, never split in two */
      size_t room = p, chars = 0;
      while (room < len && chars < w - 3) {
        room += char_len(s + room);
        chars++;
      }
      out[n++] = (struct span){p, room - p, true};
      while (next < len && s[next] != ' ')
        next++;
    } else {
      out[n++] = (struct span){p, end - p, false};
    }
    p = next;
  }
  return n;
}

/* ---- layout ---- */

static bool cell_empty(const char *s)
{
  return !s || !*s || strcmp(s, "-") == 0;
}

static void natural_widths(const struct textcol *t, unsigned *nat, bool *empty)
{
  for (size_t c = 0; c < t->ncols; c++) {
    nat[c] = (unsigned)textcol_display_width(t->cols[c].head);
    empty[c] = true;
  }
  for (size_t i = 0; i < t->n; i++) {
    const struct item *it = &t->items[i];
    if (it->kind != IT_ROW)
      continue;
    for (size_t c = 0; c < t->ncols; c++) {
      unsigned w = (unsigned)textcol_display_width(it->cells[c]);
      if (w > nat[c])
        nat[c] = w;
      if (!cell_empty(it->cells[c]))
        empty[c] = false;
    }
  }
}

static unsigned col_min(const struct textcol_col *col, unsigned nat)
{
  unsigned m = col->min ? col->min : TEXTCOL_DEFAULT_MIN;
  unsigned head = (unsigned)textcol_display_width(col->head);
  if (m < head)
    m = head;
  return m < nat ? m : nat;
}

#define SHORT_NEED 8 /* columns a wrapping cell may lack and still be made whole first */

/* Widths for the shown columns with this gap: each wrapping column gets its minimum; then
 * those that lack at most SHORT_NEED columns to show every cell whole get them, least first,
 * while they last; what is left is shared max-min fairly (the ones that need least get all
 * they need first). Returns the total width. */
static unsigned share(const struct textcol *t, const unsigned *nat, struct layout *L)
{
  unsigned fixed = L->indent, nvis = 0, nwrap = 0, mins = 0;
  size_t order[TEXTCOL_MAX_COLS];
  unsigned need[TEXTCOL_MAX_COLS];
  for (size_t c = 0; c < t->ncols; c++) {
    if (!L->shown[c])
      continue;
    nvis++;
    L->w[c] = nat[c];
    if (!(t->cols[c].flags & TEXTCOL_WRAP)) {
      fixed += nat[c];
      continue;
    }
    L->w[c] = col_min(&t->cols[c], nat[c]);
    need[c] = nat[c] - L->w[c];
    mins += L->w[c];
    order[nwrap++] = c;
  }
  fixed += nvis ? L->gap * (nvis - 1) : 0;
  for (size_t a = 1; a < nwrap; a++) /* by what they still need, least first */
    for (size_t b = a; b > 0 && need[order[b]] < need[order[b - 1]]; b--) {
      size_t x = order[b];
      order[b] = order[b - 1];
      order[b - 1] = x;
    }
  long left = (long)L->width - (long)fixed - (long)mins;
  /* a short cell that a few columns make whole ("sql-browser", a range) gets them first: a
   * long text loses little by it, a word cut in two is harder to read */
  size_t first = 0;
  while (first < nwrap && need[order[first]] <= SHORT_NEED && (long)need[order[first]] <= left) {
    L->w[order[first]] += need[order[first]];
    left -= (long)need[order[first]];
    first++;
  }
  for (size_t k = first; k < nwrap && left > 0; k++) {
    size_t c = order[k];
    long fair = left / (long)(nwrap - k);
    unsigned extra = fair < (long)need[c] ? (unsigned)fair : need[c];
    L->w[c] += extra;
    left -= (long)extra;
  }
  unsigned total = fixed;
  for (size_t k = 0; k < nwrap; k++)
    total += L->w[order[k]];
  return total;
}

/* Whether a wrapping column got less than it wants (with its natural width as the cap). */
static bool starved(const struct textcol *t, const unsigned *nat, const struct layout *L)
{
  for (size_t c = 0; c < t->ncols; c++) {
    const struct textcol_col *col = &t->cols[c];
    if (!L->shown[c] || !(col->flags & TEXTCOL_WRAP))
      continue;
    unsigned want = col->want > col_min(col, nat[c]) ? col->want : col_min(col, nat[c]);
    if (L->w[c] < (want < nat[c] ? want : nat[c]))
      return true;
  }
  return false;
}

static void fit(const struct textcol *t, struct layout *L)
{
  unsigned nat[TEXTCOL_MAX_COLS];
  bool empty[TEXTCOL_MAX_COLS];
  natural_widths(t, nat, empty);
  for (size_t c = 0; c < t->ncols; c++)
    L->shown[c] = !((t->cols[c].flags & TEXTCOL_HIDE_EMPTY) && empty[c]);
  L->gap = 2;
  unsigned total = L->indent;
  size_t nvis = 0;
  for (size_t c = 0; c < t->ncols; c++)
    if (L->shown[c]) {
      L->w[c] = nat[c];
      total += nat[c] + (nvis++ ? L->gap : 0);
    }
  if (L->width == 0 || total <= L->width)
    return;
  L->gap = 1;
  for (;;) {
    if (share(t, nat, L) <= L->width && !starved(t, nat, L))
      return;
    size_t victim = t->ncols;
    for (size_t c = 0; c < t->ncols; c++)
      if (L->shown[c] && t->cols[c].drop &&
          (victim == t->ncols || t->cols[c].drop < t->cols[victim].drop))
        victim = c;
    if (victim == t->ncols)
      return; /* nothing left to drop: narrow columns, or rows that run over */
    L->shown[victim] = false;
  }
}

unsigned textcol_natural_width(const struct textcol *t, unsigned indent)
{
  struct layout L;
  memset(&L, 0, sizeof(L));
  L.indent = indent;
  fit(t, &L); /* width 0: natural widths, gap 2 */
  unsigned total = indent, nvis = 0;
  for (size_t c = 0; c < t->ncols; c++)
    if (L.shown[c])
      total += L.w[c] + (nvis++ ? L.gap : 0);
  return total;
}

bool textcol_shows(const struct textcol *t, unsigned width, unsigned indent, size_t col)
{
  struct layout L;
  memset(&L, 0, sizeof(L));
  L.width = width;
  L.indent = indent;
  fit(t, &L);
  return col < t->ncols && L.shown[col];
}

/* ---- printing ---- */

static void put_styled(FILE *out, const char *s, size_t len, const char *style, bool color)
{
  bool on = color && style && *style;
  if (on)
    fputs(style, out);
  fwrite(s, 1, len, out);
  if (on)
    fputs("\033[0m", out);
}

static void pad(FILE *out, size_t n)
{
  while (n--)
    fputc(' ', out);
}

#define TEXTCOL_MAX_LINES 64

static size_t last_shown(const struct textcol *t, const struct layout *L)
{
  size_t last = 0;
  for (size_t c = 0; c < t->ncols; c++)
    if (L->shown[c])
      last = c;
  return last;
}

/* Display width of bytes [s, s + len). */
static unsigned span_width(const char *s, size_t len)
{
  unsigned w = 0;
  for (size_t i = 0; i < len; i++)
    w += ((unsigned char)s[i] & 0xC0) != 0x80;
  return w;
}

/* One row: every shown cell wrapped to its width, line by line; spaces are written only
 * before text, so no line ends in blanks. */
static void print_row(const struct textcol *t, FILE *out, char *const *cells,
                      const char *const *styles, struct layout *L, bool color)
{
  static const struct span none = {0, 0, false};
  struct span lines[TEXTCOL_MAX_COLS][TEXTCOL_MAX_LINES];
  size_t nl[TEXTCOL_MAX_COLS] = {0}, height = 1, last = last_shown(t, L);
  for (size_t c = 0; c < t->ncols; c++) {
    if (!L->shown[c])
      continue;
    const struct textcol_col *col = &t->cols[c];
    if (L->width && (col->flags & TEXTCOL_WRAP))
      nl[c] = wrap(cells[c], L->w[c], col->max_lines, lines[c], TEXTCOL_MAX_LINES);
    else
      nl[c] = 1, lines[c][0] = (struct span){0, strlen(cells[c]), false};
    for (size_t k = 0; k < nl[c]; k++)
      if (lines[c][k].cut) { /* the end, or a token too long for the column */
        L->cut++;
        break;
      }
    height = nl[c] > height ? nl[c] : height;
  }
  for (size_t k = 0; k < height; k++) {
    size_t pending = L->indent; /* spaces owed before the next text */
    for (size_t c = 0; c < t->ncols; c++) {
      if (!L->shown[c])
        continue;
      const struct span *sp = k < nl[c] ? &lines[c][k] : &none;
      bool any = sp->len || sp->cut;
      unsigned w = span_width(cells[c] + sp->off, sp->len) + (sp->cut ? 3 : 0);
      unsigned lead = (t->cols[c].flags & TEXTCOL_RIGHT) && L->w[c] > w ? L->w[c] - w : 0;
      if (any) {
        pad(out, pending + lead);
        put_styled(out, cells[c] + sp->off, sp->len, styles ? styles[c] : NULL, color);
        if (sp->cut)
          fputs("...", out);
        pending = 0;
      } else {
        pending += lead;
      }
      unsigned used = any ? lead + w : lead;
      if (c != last)
        pending += (L->w[c] > used ? L->w[c] - used : 0) + L->gap;
    }
    fputc('\n', out);
  }
}

static void print_head(const struct textcol *t, FILE *out, struct layout *L, bool color)
{
  char *heads[TEXTCOL_MAX_COLS];
  for (size_t c = 0; c < t->ncols; c++)
    heads[c] = (char *)t->cols[c].head;
  print_row(t, out, heads, NULL, L, color);
}

/* Text wrapped at `width` (0: no limit) from column `at`, continuation lines at `cont`. */
static void print_wrapped(FILE *out, const char *label, const char *text, const char *style,
                          unsigned at, unsigned cont, unsigned width, bool color)
{
  struct span lines[TEXTCOL_MAX_LINES];
  unsigned lw = (unsigned)textcol_display_width(label);
  unsigned room = width > cont + lw + 1 ? width - cont - (lw ? lw + 1 : 0) : 20;
  size_t n = width ? wrap(text, room, TEXTCOL_MAX_LINES, lines, TEXTCOL_MAX_LINES) : 0;
  if (!width) {
    lines[0] = (struct span){0, strlen(text), false};
    n = 1;
  }
  for (size_t k = 0; k < n; k++) {
    pad(out, k ? cont + (lw ? lw + 1 : 0) : at);
    if (k == 0 && lw)
      fprintf(out, "%s ", label);
    put_styled(out, text + lines[k].off, lines[k].len, style, color);
    fputs(lines[k].cut ? "...\n" : "\n", out);
  }
}

static unsigned note_column(const struct textcol *t, const struct layout *L)
{
  unsigned x = L->indent;
  for (size_t c = 0; c < t->ncols; c++) {
    if (!L->shown[c])
      continue;
    if (t->cols[c].flags & TEXTCOL_WRAP)
      return x;
    x += L->w[c] + L->gap;
  }
  return L->indent + 2;
}

size_t textcol_print(struct textcol *t, FILE *out, unsigned width, unsigned indent, bool color)
{
  struct layout L;
  memset(&L, 0, sizeof(L));
  L.width = width;
  L.indent = indent;
  fit(t, &L);
  unsigned notes_at = note_column(t, &L);
  if (width && notes_at + 20 > width)
    notes_at = indent + 2;
  for (size_t i = 0; i < t->n; i++) {
    const struct item *it = &t->items[i];
    switch (it->kind) {
    case IT_ROW:
      print_row(t, out, it->cells, it->styles, &L, color);
      break;
    case IT_HEAD:
      print_head(t, out, &L, color);
      break;
    case IT_LINE:
      print_wrapped(out, "", it->cells[0], it->styles[0], it->indent, it->indent, width, color);
      break;
    case IT_NOTE:
      print_wrapped(out, it->cells[1], it->cells[0], NULL, notes_at, notes_at, width, color);
      break;
    }
  }
  return L.cut;
}

/* ---- the terminal ---- */

unsigned textcol_width(int fd)
{
  bool tty = isatty(fd);
#ifdef TIOCGWINSZ
  struct winsize ws;
  if (tty && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
#endif
  const char *env = getenv("COLUMNS");
  if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (!*end && v >= 20 && v <= 1000)
      return (unsigned)v;
  }
  return tty ? 80 : 0;
}

int textcol_color_parse(const char *s, enum textcol_color *out)
{
  if (!s || strcmp(s, "auto") == 0)
    *out = TEXTCOL_COLOR_AUTO;
  else if (strcmp(s, "always") == 0)
    *out = TEXTCOL_COLOR_ALWAYS;
  else if (strcmp(s, "never") == 0)
    *out = TEXTCOL_COLOR_NEVER;
  else
    return -1;
  return 0;
}

bool textcol_color_wanted(enum textcol_color mode, int fd)
{
  if (mode != TEXTCOL_COLOR_AUTO)
    return mode == TEXTCOL_COLOR_ALWAYS;
  const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
  if (no && *no)
    return false;
  if (term && strcasecmp(term, "dumb") == 0)
    return false;
  return isatty(fd);
}
