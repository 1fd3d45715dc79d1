/* common/fdroom.h - how many descriptors the process can still open.
 *
 * RLIMIT_NOFILE bounds descriptor numbers, not a count, and descriptors inherited from the
 * parent fill the table in any order: the only exact answer is to try. libuv abort()s when
 * it cannot make the pipe of its signal machinery, so code that creates a loop under a
 * tight limit asks first. */
#ifndef UC_FDROOM_H
#define UC_FDROOM_H

#include <uv.h>

/* Descriptors a libuv loop takes on Linux: epoll, an eventfd, the process-wide signal
 * lock pipe and the loop's own signal pipe. */
#define FDROOM_UV_LOOP 6

/* One descriptor, of /dev/null (or a copy of a standard one where there is no /dev/null),
 * close-on-exec; -1 when the table is full. */
int fdroom_take(void);

/* How many more descriptors could be opened now, counted up to `want` (at most 64) by
 * opening them and closing them again. */
unsigned fdroom_free(unsigned want);

/* uv_loop_init(), or UV_EMFILE when fewer than FDROOM_UV_LOOP descriptors are free (where
 * libuv would abort()). */
int fdroom_loop_init(uv_loop_t *loop);

#endif
