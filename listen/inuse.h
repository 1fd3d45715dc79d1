/* listen/inuse.h - who holds a port: /proc/net/{tcp,tcp6,udp,udp6} give the socket's inode
 * and owner uid, /proc/<pid>/fd links ("socket:[inode]") the process, /proc/<pid>/comm its
 * name. Without the right to read other users' /proc/<pid>/fd (not root), the uid is
 * what can be told. Linux only; reads the caller's network namespace. */
#ifndef UC_LISTEN_INUSE_H
#define UC_LISTEN_INUSE_H

#include <stddef.h>
#include <stdint.h>

#include "common/uc.h"

/* Who holds `port` in the way of a bind to `bind` (an IPv4 or IPv6 literal; the wildcard
 * is blocked by any address, a specific address by itself or the wildcard). Writes "pid
 * 1234 nginx" (or "a process of uid 33" when the process cannot be found) and returns 0;
 * -1 when no such socket is listed. */
int listen_inuse_who(enum uc_transport t, const char *bind, uint16_t port, char *buf, size_t cap);

#endif
