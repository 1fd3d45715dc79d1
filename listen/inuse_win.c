/* listen/inuse_win.c - the process behind an "address in use", on Windows: the IP Helper's
 * socket tables (GetExtendedTcpTable listeners, GetExtendedUdpTable) name the owning process
 * id; the process's image gives its name. listen/inuse.c is the Linux (/proc) version; the
 * contract is listen/inuse.h. */
#ifdef _WIN32
#include "listen/inuse.h"

#include <iphlpapi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "probes/probe.h"

struct want_addr {
  int family;
  unsigned char a[16];
  bool any;
};

/* 0 when a socket bound to (family, a) cannot be what keeps `want` from binding; else 2 for
 * the very address, 1 for a wildcard (or when we bind the wildcard ourselves). */
static int addr_score(const struct want_addr *want, int family, const unsigned char *a)
{
  static const unsigned char zero[16];
  size_t n = family == AF_INET ? 4 : 16;
  if (want->family == family && memcmp(a, want->a, n) == 0)
    return 2;
  if (memcmp(a, zero, n) == 0 || want->any)
    return 1;
  return 0;
}

/* One of the four tables (TCP listeners or UDP sockets, IPv4 or IPv6), grown to fit. */
static void *get_table(bool tcp, int family)
{
  DWORD size = 0;
  void *t = NULL;
  for (int tries = 0; tries < 4; tries++) {
    DWORD rc =
        tcp ? GetExtendedTcpTable(t, &size, FALSE, (ULONG)family, TCP_TABLE_OWNER_PID_LISTENER, 0)
            : GetExtendedUdpTable(t, &size, FALSE, (ULONG)family, UDP_TABLE_OWNER_PID, 0);
    if (rc == NO_ERROR)
      return t;
    free(t);
    t = NULL;
    if (rc != ERROR_INSUFFICIENT_BUFFER || size == 0)
      return NULL;
    t = malloc(size);
    if (!t)
      return NULL;
  }
  free(t);
  return NULL;
}

/* The owner of the best match for `port` in one table, and its score. */
static void scan_table(bool tcp, int family, const struct want_addr *want, uint16_t port,
                       DWORD *pid, int *best)
{
  void *t = get_table(tcp, family);
  if (!t)
    return;
  DWORD n = *(DWORD *)t; /* every table starts with dwNumEntries */
  for (DWORD i = 0; i < n; i++) {
    unsigned char a[16] = {0};
    DWORD lport, owner;
    if (family == AF_INET && tcp) {
      const MIB_TCPROW_OWNER_PID *r = &((MIB_TCPTABLE_OWNER_PID *)t)->table[i];
      memcpy(a, &r->dwLocalAddr, 4);
      lport = r->dwLocalPort;
      owner = r->dwOwningPid;
    } else if (family == AF_INET) {
      const MIB_UDPROW_OWNER_PID *r = &((MIB_UDPTABLE_OWNER_PID *)t)->table[i];
      memcpy(a, &r->dwLocalAddr, 4);
      lport = r->dwLocalPort;
      owner = r->dwOwningPid;
    } else if (tcp) {
      const MIB_TCP6ROW_OWNER_PID *r = &((MIB_TCP6TABLE_OWNER_PID *)t)->table[i];
      memcpy(a, r->ucLocalAddr, 16);
      lport = r->dwLocalPort;
      owner = r->dwOwningPid;
    } else {
      const MIB_UDP6ROW_OWNER_PID *r = &((MIB_UDP6TABLE_OWNER_PID *)t)->table[i];
      memcpy(a, r->ucLocalAddr, 16);
      lport = r->dwLocalPort;
      owner = r->dwOwningPid;
    }
    if (ntohs((u_short)lport) != port)
      continue;
    int score = addr_score(want, family, a);
    if (score > *best) {
      *best = score;
      *pid = owner;
    }
  }
  free(t);
}

/* The file name of the process's image ("svchost.exe"), printable; "" when not allowed. */
static void image_name(DWORD pid, char *buf, size_t cap)
{
  buf[0] = '\0';
  HANDLE p = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (!p)
    return;
  char path[MAX_PATH];
  DWORD len = sizeof(path);
  if (QueryFullProcessImageNameA(p, 0, path, &len) && len > 0) {
    const char *base = path;
    for (const char *c = path; *c; c++)
      if (*c == '\\' || *c == '/')
        base = c + 1;
    probe_printable(buf, cap, (const uint8_t *)base, strlen(base));
  }
  CloseHandle(p);
}

int listen_inuse_who(enum uc_transport t, const char *bind, uint16_t port, char *buf, size_t cap)
{
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
  DWORD pid = 0;
  int best = 0;
  scan_table(tcp, AF_INET, &wa, port, &pid, &best);
  scan_table(tcp, AF_INET6, &wa, port, &pid, &best);
  if (best == 0)
    return -1;
  if (pid == 4 && tcp && (port == 445 || port == 139)) { /* the kernel's SMB server */
    snprintf(buf, cap,
             "pid 4 System (SMB: the Server service, file and printer sharing; it "
             "accepts TCP there as the installed server will)");
    return 0;
  }
  if (pid == 4) { /* the kernel: http.sys (IIS, WinRM, a URL reservation) */
    snprintf(buf, cap, "pid 4 System (http.sys: IIS, WinRM or another HTTP.SYS listener)");
    return 0;
  }
  char name[MAX_PATH];
  image_name(pid, name, sizeof(name));
  snprintf(buf, cap, "pid %lu%s%s", (unsigned long)pid, name[0] ? " " : "", name);
  return 0;
}
#endif
