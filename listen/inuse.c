/* listen/inuse.c - the process behind an "address in use". */
#include "listen/inuse.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/probe.h"

#define TCP_LISTEN 0x0A
#define UDP_UNCONNECTED 0x07

struct sock_match {
  unsigned long inode;
  unsigned uid;
  int score; /* 2: listening / unconnected, 1: any other state, 0: none */
};

/* Scans one /proc/net table for a socket bound to `port`. */
static void scan_table(const char *path, uint16_t port, bool tcp, struct sock_match *m)
{
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  char line[512];
  if (!fgets(line, sizeof(line), f)) { /* header */
    fclose(f);
    return;
  }
  while (fgets(line, sizeof(line), f)) {
    unsigned lport, st, uid;
    unsigned long inode;
    /*  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt  uid timeout inode
     */
    if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*s %*s %*s %u %*d %lu", &lport,
               &st, &uid, &inode) != 4)
      continue;
    if (lport != port || inode == 0)
      continue;
    int score = st == (tcp ? TCP_LISTEN : UDP_UNCONNECTED) ? 2 : 1;
    if (score > m->score) {
      m->inode = inode;
      m->uid = uid;
      m->score = score;
    }
  }
  fclose(f);
}

static bool all_digits(const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s))
      return false;
  return true;
}

/* Does process `pid` (a /proc entry name) hold the socket? */
static bool pid_has_socket(const char *pid, const char *want)
{
  char path[300]; /* "/proc/" + a directory entry name (up to 255 bytes) + "/fd" */
  snprintf(path, sizeof(path), "/proc/%s/fd", pid);
  DIR *d = opendir(path);
  if (!d)
    return false;
  bool found = false;
  struct dirent *e;
  while (!found && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char link[64];
    ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
    if (n <= 0)
      continue;
    link[n] = '\0';
    found = strcmp(link, want) == 0;
  }
  closedir(d);
  return found;
}

static void comm_of(const char *pid, char *buf, size_t cap)
{
  char path[300], raw[64];
  snprintf(path, sizeof(path), "/proc/%s/comm", pid);
  buf[0] = '\0';
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read(fd, raw, sizeof(raw));
  close(fd);
  if (n > 0)
    probe_printable(buf, cap, (const uint8_t *)raw, (size_t)n); /* stops at the newline */
}

int listen_inuse_who(enum uc_transport t, uint16_t port, char *buf, size_t cap)
{
  struct sock_match m = {0};
  bool tcp = t == UC_TCP;
  scan_table(tcp ? "/proc/net/tcp" : "/proc/net/udp", port, tcp, &m);
  scan_table(tcp ? "/proc/net/tcp6" : "/proc/net/udp6", port, tcp, &m);
  if (m.score == 0)
    return -1;
  char want[48];
  snprintf(want, sizeof(want), "socket:[%lu]", m.inode);
  DIR *d = opendir("/proc");
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (!all_digits(e->d_name) || !pid_has_socket(e->d_name, want))
        continue;
      char comm[32];
      comm_of(e->d_name, comm, sizeof(comm));
      snprintf(buf, cap, "pid %s%s%s", e->d_name, comm[0] ? " " : "", comm);
      closedir(d);
      return 0;
    }
    closedir(d);
  }
  snprintf(buf, cap, "a process of uid %u", m.uid);
  return 0;
}
