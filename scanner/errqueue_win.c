/* scanner/errqueue_win.c - the socket error queue functions of scanner/engine_int.h on
 * Windows, which has no error queue (scanner/evidence.c has the Linux ones).
 *
 * Linux queues every ICMP error about a socket's packets with its type, code and sender
 * (IP_RECVERR); Windows tells a UDP socket of one kind only, a port unreachable, as the
 * next receive's error (WSAECONNRESET, without the sender: scanner/attempt_udp.c reads it),
 * and a TCP connect() of none beyond its own error. So the queue is always empty here: an
 * unreachable host or an administratively prohibited port reads as filtered (silence), as
 * it does on a Linux kernel that refuses IP_RECVERR. CMakeLists.txt compiles this file on
 * Windows only. */
#ifdef _WIN32
#include <string.h>
#include <time.h>

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
  (void)fd;
  (void)ii;
  memset(orig, 0, sizeof(*orig));
  *rx_ns = 0;
  return false;
}

bool evidence_errqueue(int fd, const struct sockaddr_storage *dst, struct icmp_info *ii,
                       int64_t *rx_ns)
{
  (void)dst;
  struct sockaddr_storage orig;
  return evidence_errqueue_any(fd, &orig, ii, rx_ns);
}
#endif
