/* listen/inuse.c - the process behind an "address in use". */
#include "listen/inuse.h"

#include <arpa/inet.h>
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
  int score; /* 0: none; higher: a likelier holder (the same address, listening) */
};

/* The bind we want: its family and address (16 bytes, IPv4 in the first 4), wildcard or not. */
struct want_addr {
  int family;
  unsigned char a[16];
  bool any;
};

/* A local_address field of /proc/net/{tcp,udp}[6]: 8 or 32 hex digits, each group of 8 the
 * kernel's 32-bit word printed in host order. */
static bool parse_proc_addr(const char *hex, size_t len, unsigned char out[16])
{
  if (len != 8 && len != 32)
    return false;
  for (size_t w = 0; w < len / 8; w++) {
    char word[9];
    memcpy(word, hex + w * 8, 8);
    word[8] = '\0';
    char *end;
    uint32_t v = (uint32_t)strtoul(word, &end, 16);
    if (*end)
      return false;
    memcpy(out + w * 4, &v, 4);
  }
  return true;
}

/* 0 when a socket bound to (family, a) cannot be what keeps `want` from binding; else 2 for
 * the very address, 1 for a wildcard (or when we bind the wildcard ourselves). */
static int addr_score(const struct want_addr *want, int family, const unsigned char a6[16])
{
  static const unsigned char zero[16], mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const unsigned char *a = a6;
  if (family == AF_INET6 && memcmp(a6, mapped, 12) == 0) { /* ::ffff:a.b.c.d is a.b.c.d */
    family = AF_INET;
    a = a6 + 12;
  }
  size_t n = family == AF_INET ? 4 : 16;
  bool any = memcmp(a, zero, n) == 0;
  if (want->family == family && memcmp(a, want->a, n) == 0)
    return 2;
  if (any || want->any)
    return 1;
  return 0;
}

/* Scans one /proc/net table for a socket bound to `port` in the way of `want`. */
static void scan_table(const char *path, int family, const struct want_addr *want, uint16_t port,
                       bool tcp, struct sock_match *m)
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
    char laddr[40];
    unsigned char a[16];
    /*  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt  uid timeout inode
     */
    if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*s %*s %*s %u %*d %lu", laddr,
               &lport, &st, &uid, &inode) != 5)
      continue;
    if (lport != port || inode == 0 || !parse_proc_addr(laddr, strlen(laddr), a))
      continue;
    int where = addr_score(want, family, a);
    if (where == 0)
      continue;
    /* a listening (unconnected) socket is what blocks a bind: before the exact address */
    int score = (st == (tcp ? TCP_LISTEN : UDP_UNCONNECTED)) * 4 + where;
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

int listen_inuse_who(enum uc_transport t, const char *bind, uint16_t port, char *buf, size_t cap)
{
  struct sock_match m = {0};
  struct want_addr wa = {0};
  static const unsigned char zero[16];
  if (inet_pton(AF_INET, bind, wa.a) == 1)
    wa.family = AF_INET;
  else if (inet_pton(AF_INET6, bind, wa.a) == 1)
    wa.family = AF_INET6;
  else
    wa.any = true;
  wa.any = wa.any || memcmp(wa.a, zero, wa.family == AF_INET ? 4 : 16) == 0;
  bool tcp = t == UC_TCP;
  scan_table(tcp ? "/proc/net/tcp" : "/proc/net/udp", AF_INET, &wa, port, tcp, &m);
  scan_table(tcp ? "/proc/net/tcp6" : "/proc/net/udp6", AF_INET6, &wa, port, tcp, &m);
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
