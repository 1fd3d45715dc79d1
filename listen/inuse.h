/* listen/inuse.h - who holds a port: /proc/net/{tcp,tcp6,udp,udp6} give the socket's inode
 * and owner uid, /proc/<pid>/fd links ("socket:[inode]") the process, /proc/<pid>/comm its
 * name. Without the right to read other users' /proc/<pid>/fd (not root), the uid is
 * what can be told. Linux only; reads the caller's network namespace. */
#ifndef UC_LISTEN_INUSE_H
#define UC_LISTEN_INUSE_H

#include <stddef.h>
#include <stdint.h>

#include "common/uc.h"

/* Writes "pid 1234 nginx" (or "a process of uid 33" when the process cannot be found) and
 * returns 0; -1 when no socket on that port is listed. */
int listen_inuse_who(enum uc_transport t, uint16_t port, char *buf, size_t cap);

#endif
