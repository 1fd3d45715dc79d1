/* tests/fuzz/fuzz_text.h - checks shared by the SIP and HTTP targets (probes/textproto.h). */
#ifndef UC_FUZZ_TEXT_H
#define UC_FUZZ_TEXT_H

#include "fuzz_util.h"
#include "probes/textproto.h"

typedef int (*fuzz_status_fn)(const uint8_t *buf, size_t len, int *code, char *phrase, size_t cap);

/* A status line parser: 1 / 0 / -1 only; on 1 a code in [lo, hi] and a printable phrase
 * that fits cap; the same answer and code whatever the phrase buffer (a shorter phrase is a
 * prefix of a longer one); and prefixes agree with the whole: a complete line stays complete,
 * a line that cannot be one never becomes one. buf is an exact-size copy. */
__attribute__((unused)) static void fuzz_status_line(fuzz_status_fn fn, int lo, int hi,
                                                     const uint8_t *data, size_t size,
                                                     const char *name)
{
  static const size_t caps[] = {64, 8, 1};
  uint8_t *buf = fuzz_dup(data, size);
  char phrase[64], small[8], what[64];
  int code = -1;
  int rc = fn(buf, size, &code, phrase, sizeof(phrase));
  FUZZ_CHECK(rc == 1 || rc == 0 || rc == -1, "%s returned %d", name, rc);
  snprintf(what, sizeof(what), "%s phrase", name);
  if (rc == 1) {
    FUZZ_CHECK(code >= lo && code <= hi, "%s code %d", name, code);
    fuzz_check_printable(phrase, sizeof(phrase), 1, what);
  }
  for (size_t k = 1; k < sizeof(caps) / sizeof(caps[0]); k++) {
    int c2 = -1;
    memset(small, 'X', sizeof(small));
    int r2 = fn(buf, size, &c2, small, caps[k]);
    FUZZ_CHECK(r2 == rc, "%s: %d with a %zu-byte phrase buffer, %d with 64", name, r2, caps[k], rc);
    if (rc == 1) {
      FUZZ_CHECK(c2 == code, "%s: code %d vs %d", name, c2, code);
      fuzz_check_printable(small, caps[k], 1, what);
      FUZZ_CHECK(strncmp(small, phrase, strlen(small)) == 0, "%s: phrase \"%s\" vs \"%s\"", name,
                 small, phrase);
    }
  }
  FUZZ_CHECK(fn(buf, size, NULL, NULL, 0) == rc, "%s without outputs", name);
  free(buf);

  /* one prefix, its length picked by the input */
  size_t k = size ? (size_t)(fuzz_hash(data, size) % (size + 1)) : 0;
  uint8_t *pre = fuzz_dup(data, k);
  int pc = -1;
  int pr = fn(pre, k, &pc, phrase, sizeof(phrase));
  free(pre);
  if (pr == 1)
    FUZZ_CHECK(rc == 1 && pc == code,
               "%s: the %zu-byte prefix is a complete line (%d), the "
               "whole is %d",
               name, k, pc, rc);
  if (pr == -1)
    FUZZ_CHECK(rc == -1, "%s: the %zu-byte prefix cannot be a line, the whole is %d", name, k, rc);
}

/* An answer the responders write: text, every line ended by CRLF (no bare CR or LF, so no
 * value can start a header of its own), one header section ending exactly at the end. */
__attribute__((unused)) static void fuzz_check_head(const uint8_t *out, size_t n, const char *who)
{
  FUZZ_CHECK(n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0,
             "%s: answer does not end with "
             "a blank line",
             who);
  for (size_t i = 0; i < n; i++) {
    FUZZ_CHECK(out[i] != 0, "%s: NUL at %zu", who, i);
    if (out[i] == '\r')
      FUZZ_CHECK(i + 1 < n && out[i + 1] == '\n', "%s: bare CR at %zu", who, i);
    if (out[i] == '\n')
      FUZZ_CHECK(i > 0 && out[i - 1] == '\r', "%s: bare LF at %zu", who, i);
  }
  FUZZ_CHECK(textproto_header_end(out, n, NULL) == n, "%s: a blank line before the end", who);
}

#endif
