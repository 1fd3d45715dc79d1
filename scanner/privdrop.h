/* scanner/privdrop.h - giving up root once the privileged handles are open (--user NAME,
 * like tcpdump -Z).
 *
 * ucscan needs root (CAP_NET_RAW) only to open the packet capture and the raw SYN socket.
 * With --user, the scan session opens both first, then switches the whole process to NAME
 * (supplementary groups, group, user: real, effective and saved IDs) and checks that the
 * switch cannot be undone before it resolves a name or sends a probe. */
#ifndef UC_PRIVDROP_H
#define UC_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

struct privdrop_user {
  char name[64];
  uid_t uid;
  gid_t gid;
};

/* Looks NAME up in the user database. Refuses root itself (nothing would be dropped).
 * Returns 0, or -1 with a reason. */
int privdrop_lookup(const char *name, struct privdrop_user *u, char *why, size_t whycap);
/* initgroups, setresgid, setresuid; then proves it stuck: the IDs are NAME's and neither
 * setuid(0) nor setgid(0) succeeds. Returns 0, or -1 with a reason (the caller must not go
 * on: the process may be half switched). */
int privdrop_apply(const struct privdrop_user *u, char *why, size_t whycap);
/* Runs fn(arg) in a child process switched to `u` and returns its result (0-255), or -1
 * with a reason when the child could not switch. For checks such as "can NAME write the
 * report there?" before anything is scanned. */
int privdrop_run_as(const struct privdrop_user *u, int (*fn)(void *arg), void *arg, char *why,
                    size_t whycap);

#endif
