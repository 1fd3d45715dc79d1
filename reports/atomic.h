/* reports/atomic.h - report files written atomically: a temporary file in the same
 * directory, fsync'd, renamed over the target, and the directory fsync'd. A reader sees
 * the old file or the complete new one, never a truncated one. */
#ifndef UC_ATOMIC_H
#define UC_ATOMIC_H

#include <stddef.h>

#include "common/err.h"

/* Can `path` be written? Checked before a scan starts (creates and removes a temp file). */
int atomic_check_writable(const char *path, struct uc_err *err);
int atomic_write(const char *path, const char *data, size_t len, struct uc_err *err);
/* atomic_write() of content made piece by piece, never whole in memory: fill(put, sink, arg)
 * hands each piece to put(piece, len, sink), which buffers and writes it and returns 0, or -1
 * once writing failed (fill then stops and returns -1). A fill that fails leaves the old file
 * as it was. 0, or -1 with *err set. */
typedef int (*atomic_put_fn)(const char *piece, size_t len, void *sink);
typedef int (*atomic_fill_fn)(atomic_put_fn put, void *sink, void *arg);
int atomic_write_fill(const char *path, atomic_fill_fn fill, void *arg, struct uc_err *err);
/* The file a write to `path` replaces or creates: symbolic links followed one by one, as
 * atomic_write() does (a dangling link names its target). 0, or -1 with *err set. */
int atomic_resolve(const char *path, char *out, size_t cap, struct uc_err *err);

#endif
