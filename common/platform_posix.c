/* common/platform_posix.c - common/platform.h on Linux (and other POSIX systems). */
#ifndef _WIN32
#include "common/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void plat_init(void)
{
}

int plat_dup_cloexec(int fd)
{
  return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

int plat_replace_file(const char *from, const char *to)
{
  return rename(from, to);
}

bool plat_is_device_name(const char *path)
{
  (void)path;
  return false;
}

int plat_same_file(const char *a, const char *b)
{
  struct stat sa, sb;
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
    return -1;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int plat_udp_socket(int family)
{
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? -errno : fd; /* libuv error codes are negated errno values on Unix */
}

void plat_sock_close(int fd)
{
  close(fd);
}

int plat_sock_errno(void)
{
  return errno;
}

int plat_sock_uverr(void)
{
  return -errno;
}

int plat_tls_default_verify_paths(SSL_CTX *ctx)
{
  return SSL_CTX_set_default_verify_paths(ctx);
}

void plat_tcp_probe_opts(uv_os_sock_t sock, unsigned timeout_ms)
{
  (void)sock;
  (void)timeout_ms;
}

int plat_sock_pending_error(uv_os_sock_t sock)
{
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return 0;
  return -err;
}

bool plat_tcp_connect_settled(uv_os_sock_t sock)
{
  struct pollfd p = {.fd = sock, .events = POLLOUT};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLOUT | POLLERR | POLLHUP)) != 0;
}

double plat_tcp_rtt_ms(uv_os_sock_t sock)
{
#ifdef TCP_INFO
  struct tcp_info ti;
  socklen_t len = sizeof(ti);
  if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_rtt != 0)
    return (double)ti.tcpi_rtt / 1000.0;
#endif
  (void)sock;
  return -1;
}
#endif
