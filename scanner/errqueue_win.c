/* scanner/errqueue_win.c - the socket error queue functions of scanner/engine_int.h on
 * Windows, which has no error queue (scanner/evidence.c has the Linux ones).
 *
 * Linux queues every ICMP error about a socket's packets with its type, code and sender
 * (IP_RECVERR). Windows tells a UDP socket of one kind only, a port unreachable, as the next
 * receive's error (WSAECONNRESET, without the sender: scanner/attempt_udp.c reads it); a
 * TCP connect() made with TCP_FAIL_CONNECT_ON_ICMP_ERROR (plat_tcp_probe_opts; Windows 10
 * 2004 and Server 2022 and later) fails on an ICMP error, whose type, code and sender
 * TCP_ICMP_ERROR_INFO then gives: that is this file's error queue. Elsewhere it is empty:
 * an ICMP error reads as silence (filtered), as on a Linux kernel that refuses IP_RECVERR.
 * CMakeLists.txt compiles this file on Windows only. */
#ifdef _WIN32
#include <string.h>
#include <time.h>
#include <ws2ipdef.h>

#include "probes/probe.h"
#include "scanner/engine_int.h"

void evidence_socket_opts(int fd, int family)
{
  (void)fd; /* SIO_UDP_CONNRESET: plat_udp_socket turns it on */
  (void)family;
}

int64_t evidence_realtime_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts); /* common/platform_win.c */
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool evidence_errqueue_any(int fd, struct sockaddr_storage *orig, struct icmp_info *ii,
                           int64_t *rx_ns)
{
  (void)fd; /* a UDP socket's one error is its receive's (attempt_udp.c) */
  (void)ii;
  memset(orig, 0, sizeof(*orig));
  *rx_ns = 0;
  return false;
}

#ifndef TCP_ICMP_ERROR_INFO /* ws2ipdef.h of newer SDKs than mingw's */
#define TCP_ICMP_ERROR_INFO 19
#endif
struct win_icmp_error_info { /* ICMP_ERROR_INFO */
  SOCKADDR_INET srcaddress;
  int protocol; /* IPPROTO: an enum, an int in size */
  UINT8 type;
  UINT8 code;
};

/* The address without its port, as text: the ICMP sender and the target compare so. */
static void host_str(const struct sockaddr *sa, char *buf, size_t cap)
{
  struct sockaddr_storage s;
  memset(&s, 0, sizeof(s));
  memcpy(&s, sa,
         sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
  if (s.ss_family == AF_INET6)
    ((struct sockaddr_in6 *)&s)->sin6_port = 0;
  else
    ((struct sockaddr_in *)&s)->sin_port = 0;
  probe_addr_str((struct sockaddr *)&s, buf, cap);
}

bool evidence_errqueue(int fd, const struct sockaddr_storage *dst, struct icmp_info *ii,
                       int64_t *rx_ns)
{
  *rx_ns = 0;
  struct win_icmp_error_info info;
  int len = sizeof(info);
  memset(&info, 0, sizeof(info));
  SOCKET s = (SOCKET)(unsigned)fd;
  int type = 0, tlen = sizeof(type);
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &tlen) != 0 || type != SOCK_STREAM ||
      getsockopt(s, IPPROTO_TCP, TCP_ICMP_ERROR_INFO, (char *)&info, &len) != 0 ||
      (info.srcaddress.si_family != AF_INET && info.srcaddress.si_family != AF_INET6) ||
      info.type == 0)
    return false;
  memset(ii, 0, sizeof(*ii));
  ii->v6 = info.srcaddress.si_family == AF_INET6;
  ii->type = info.type;
  ii->code = info.code;
  host_str((const struct sockaddr *)&info.srcaddress, ii->from, sizeof(ii->from));
  char target[64];
  host_str((const struct sockaddr *)dst, target, sizeof(target));
  ii->from_target = strcmp(target, ii->from) == 0;
  return true;
}
#endif
