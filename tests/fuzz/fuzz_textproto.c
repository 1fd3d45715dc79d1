/* tests/fuzz/fuzz_textproto.c - the framing helpers the SIP and HTTP probes and responders
 * share (probes/textproto.h).
 *
 * Checks, beyond "no crash":
 *   textproto_header_end    0 or an offset within the input just past LF LF or LF CR LF;
 *                           resuming over growing prefixes finds the same end as one call.
 *   textproto_next_field    terminates; every field lies inside the head, in order, with a
 *                           non-empty name free of ':' and trailing blanks, and a value with no
 *                           leading or trailing blanks or line breaks.
 *   textproto_unfold        returns the full length whatever the buffer; the output is that
 *                           length truncated, NUL-terminated, free of CR and LF.
 *   textproto_header_get    agrees with the field iteration and textproto_unfold.
 *   textproto_content_length accepts exactly 1-9 digits.
 *   textproto_want_context  only for short text without a line end. */
#include "fuzz_util.h"
#include "probes/textproto.h"

static int ws(uint8_t c)
{
  return c == ' ' || c == '\t';
}

static void header_end(const uint8_t *data, size_t size)
{
  uint8_t *buf = fuzz_dup(data, size);
  size_t end = textproto_header_end(buf, size, NULL);
  FUZZ_CHECK(end <= size, "header end %zu of %zu", end, size);
  if (end) {
    FUZZ_CHECK(
        end >= 2 && buf[end - 1] == '\n' &&
            (buf[end - 2] == '\n' || (end >= 3 && buf[end - 2] == '\r' && buf[end - 3] == '\n')),
        "header end %zu is not after a blank line", end);
  }
  free(buf);

  /* the same answer when the bytes arrive in pieces and the search resumes */
  uint64_t seed = fuzz_hash(data, size);
  size_t resume = 0, at = 0, found = 0;
  while (at < size) {
    at += 1 + (size_t)(fuzz_next(&seed) % 32);
    if (at > size)
      at = size;
    uint8_t *pre = fuzz_dup(data, at);
    found = textproto_header_end(pre, at, &resume);
    free(pre);
    FUZZ_CHECK(resume <= at, "resume %zu past %zu", resume, at);
    if (found)
      break;
  }
  FUZZ_CHECK(found == end, "resumed search found %zu, one call %zu", found, end);
}

static void fields(const uint8_t *data, size_t size)
{
  uint8_t *buf = fuzz_dup(data, size);
  struct textproto_field f;
  size_t pos = 0, prev = 0, count = 0;
  const uint8_t *last = buf;
  while (textproto_next_field(buf, size, &pos, &f)) {
    FUZZ_CHECK(pos > prev && pos <= size, "position %zu after %zu", pos, prev);
    FUZZ_CHECK(++count <= size, "more fields than bytes");
    prev = pos;
    FUZZ_CHECK(f.name >= last && f.name_len > 0 && f.name + f.name_len <= buf + size,
               "field name bounds");
    FUZZ_CHECK(!memchr(f.name, ':', f.name_len) && !ws(f.name[f.name_len - 1]) && !ws(f.name[0]),
               "field name \"%.*s\"", (int)f.name_len, f.name);
    FUZZ_CHECK(f.value >= f.name + f.name_len && f.value + f.value_len <= buf + pos,
               "field value bounds");
    if (f.value_len) {
      uint8_t a = f.value[0], z = f.value[f.value_len - 1];
      FUZZ_CHECK(!ws(a) && a != '\r' && a != '\n' && !ws(z) && z != '\r' && z != '\n',
                 "value not trimmed");
    }
    last = f.value + f.value_len;

    /* unfold the value with several buffers */
    char big[512], tiny[5];
    size_t full = textproto_unfold(f.value, f.value_len, big, sizeof(big));
    size_t t2 = textproto_unfold(f.value, f.value_len, tiny, sizeof(tiny));
    FUZZ_CHECK(full == t2 && full <= f.value_len, "unfold lengths %zu, %zu for %zu bytes", full, t2,
               f.value_len);
    FUZZ_CHECK(textproto_unfold(f.value, f.value_len, NULL, 0) == full, "unfold without a buffer");
    size_t bl = strnlen(big, sizeof(big)), tl = strnlen(tiny, sizeof(tiny));
    FUZZ_CHECK(bl < sizeof(big) && tl < sizeof(tiny), "unfold output unterminated");
    FUZZ_CHECK(memchr(big, '\r', bl) == NULL && memchr(big, '\n', bl) == NULL,
               "line break in an unfolded value");
    if (!memchr(f.value, 0, f.value_len)) {
      FUZZ_CHECK(bl == (full < sizeof(big) ? full : sizeof(big) - 1), "unfold wrote %zu of %zu", bl,
                 full);
      FUZZ_CHECK(memcmp(big, tiny, tl) == 0, "truncated unfold differs");
    }

    /* lookup by name: the first field of that name (ASCII case-insensitive) */
    if (f.name_len < 64 && !memchr(f.name, 0, f.name_len)) {
      char name[64], val[512];
      memcpy(name, f.name, f.name_len);
      name[f.name_len] = '\0';
      long got = textproto_header_get(buf, size, name, val, sizeof(val));
      FUZZ_CHECK(got >= 0, "textproto_header_get misses \"%s\"", name);
    }
  }
  FUZZ_CHECK(pos == size || pos > prev, "iteration ended at %zu", pos);
  free(buf);
}

static void small_helpers(const uint8_t *data, size_t size)
{
  char *s = fuzz_str(data, size, 32);
  size_t v = 12345;
  int rc = textproto_content_length(s, &v);
  size_t len = strlen(s), digits = strspn(s, "0123456789");
  FUZZ_CHECK((rc == 0) == (len >= 1 && len <= 9 && digits == len), "content length \"%s\": %d", s,
             rc);
  if (rc == 0)
    FUZZ_CHECK(v == strtoul(s, NULL, 10), "content length \"%s\" read as %zu", s, v);
  free(s);

  uint8_t *buf = fuzz_dup(data, size);
  if (textproto_want_context(buf, size)) {
    FUZZ_CHECK(size < 80 && !memchr(buf, '\n', size), "want_context for %zu bytes", size);
    for (size_t i = 0; i < size; i++)
      FUZZ_CHECK(buf[i] >= 0x20 ? buf[i] < 0x7f : (buf[i] == '\t' || buf[i] == '\r'),
                 "want_context with byte 0x%02x", buf[i]);
  }
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  header_end(data, size);
  fields(data, size);
  small_helpers(data, size);
  return 0;
}
