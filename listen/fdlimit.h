/* listen/fdlimit.h - the file descriptor budget of a listener: one descriptor per port,
 * plus held connections, plus a reserve (loop, stdio, the process's own files).
 *
 * listen_fd_prepare raises RLIMIT_NOFILE's soft limit towards what is needed (up to the
 * hard limit; as root, the hard limit too, up to fs.nr_open) and says how many ports and
 * connections fit. */
#ifndef UC_LISTEN_FDLIMIT_H
#define UC_LISTEN_FDLIMIT_H

#include <stdbool.h>
#include <stddef.h>

#define LISTEN_FD_RESERVE 64u

struct listen_fds {
  unsigned long in_use;      /* descriptors open before the listener */
  unsigned long need;        /* in_use + ports + connections + reserve */
  unsigned long soft_before; /* RLIMIT_NOFILE soft limit found */
  unsigned long soft, hard;  /* after raising */
  size_t ports;              /* ports that fit (all of them when enough) */
  unsigned conns;            /* connections that fit */
  bool enough;
};

/* ports: how many the listener wants to open; conns: connections it wants to hold. */
void listen_fd_prepare(size_t ports, unsigned conns, struct listen_fds *out);
/* Descriptors open in this process now (/proc/self/fd). */
unsigned long listen_fd_count(void);

#endif
