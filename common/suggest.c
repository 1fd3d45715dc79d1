/* common/suggest.c - "did you mean" (suggest.h). */
#include "common/suggest.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define SUGGEST_MAX 64

size_t suggest_distance(const char *a, const char *b)
{
  size_t n = strlen(a), m = strlen(b);
  if (n > SUGGEST_MAX || m > SUGGEST_MAX)
    return (size_t)-1 / 2;
  size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];
  for (size_t i = 0; i <= n; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= m; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      int x = tolower((unsigned char)a[i - 1]), y = tolower((unsigned char)b[j - 1]);
      size_t best = d[i - 1][j - 1] + (x != y);
      if (d[i - 1][j] + 1 < best)
        best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && x == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == y && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[n][m];
}

const char *suggest_pick(const char *typed, const char *const *candidates, size_t n)
{
  size_t len = strlen(typed), limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
  const char *best = NULL;
  size_t best_d = limit + 1;
  for (size_t i = 0; i < n; i++) {
    if (!candidates[i])
      continue;
    size_t d = suggest_distance(typed, candidates[i]);
    if (d < best_d) {
      best = candidates[i];
      best_d = d;
    }
  }
  if (best || len < 3)
    return best;
  for (size_t i = 0; i < n; i++)
    if (candidates[i] && strncasecmp(candidates[i], typed, len) == 0)
      return candidates[i];
  for (size_t i = 0; i < n; i++) /* "warning" for "warn": a word said in full */
    if (candidates[i] && strlen(candidates[i]) >= 3 &&
        strncasecmp(typed, candidates[i], strlen(candidates[i])) == 0)
      return candidates[i];
  return NULL;
}
