/* common/suggest.h - "did you mean": the word nearest to a mistyped one. */
#ifndef UC_SUGGEST_H
#define UC_SUGGEST_H

#include <stddef.h>

/* Optimal string alignment distance (insertions, deletions, substitutions, swaps of two
 * neighbours), case-insensitive, of at most 64 bytes each (longer: a large number). */
size_t suggest_distance(const char *a, const char *b);

/* The candidate nearest to `typed`, when it is near enough to be what was meant: at most 1
 * edit for up to 4 characters, 2 up to 8, else 3; or `typed` is a prefix of it of at least 3
 * characters ("dir" -> "director"); or it, of at least 3 characters, is a prefix of `typed`
 * ("warning" -> "warn"). Ties go to the first candidate. NULL: none is near. */
const char *suggest_pick(const char *typed, const char *const *candidates, size_t n);

#endif
