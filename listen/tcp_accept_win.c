/* listen/tcp_accept_win.c - a TCP listening port on Windows: a plain listening socket under a
 * uv_poll watcher, accepted with accept() and handed to libuv with uv_tcp_open.
 *
 * libuv's own uv_listen keeps an AcceptEx pending on every listening socket, and every one
 * holds a socket made in advance: a front end's 33,000 listening ports would hold 66,000
 * sockets (under Wine, 66,000 descriptors of the wineserver, beyond its limit). Here a port
 * is one socket. The connection, once accepted, is served as on Linux (listen_conn_new). */
#ifdef _WIN32
#include <string.h>

#include "listen/listen_int.h"

#define ACCEPTS_PER_WAKEUP 64 /* then back to the loop: other ports are waiting too */

static int take_socket(uv_tcp_t *tcp, void *arg)
{
  SOCKET s = *(SOCKET *)arg;
  int rc = uv_tcp_open(tcp, (uv_os_sock_t)s);
  if (rc != 0)
    closesocket(s); /* the handle never owned it */
  return rc;
}

static void on_acceptable(uv_poll_t *p, int status, int events)
{
  struct listen_sock *sock = p->data;
  (void)events;
  if (status < 0 || sock->l->stopping)
    return;
  for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
    SOCKET s = accept((SOCKET)sock->u.acc.sock, NULL, NULL);
    if (s == INVALID_SOCKET)
      return; /* WSAEWOULDBLOCK: all taken; anything else: the next wakeup tries again */
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    if (listen_conn_new(sock, take_socket, &s) != 0)
      closesocket(s);
  }
}

int listen_tcp_open_win(struct listener *l, struct listen_sock *sock)
{
  int family = l->addr.ss_family;
  SOCKET s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET)
    return uv_translate_sys_error(WSAGetLastError());
  struct sockaddr_storage a = l->addr;
  int alen = sizeof(struct sockaddr_in);
  if (family == AF_INET) {
    ((struct sockaddr_in *)&a)->sin_port = htons(sock->port);
  } else {
    DWORD off = 0; /* "::" takes IPv4 too, as libuv does */
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&off, sizeof(off));
    ((struct sockaddr_in6 *)&a)->sin6_port = htons(sock->port);
    alen = sizeof(struct sockaddr_in6);
  }
  u_long nonblocking = 1;
  int rc = 0;
  if (bind(s, (const struct sockaddr *)&a, alen) != 0 || listen(s, SOMAXCONN) != 0 ||
      ioctlsocket(s, FIONBIO, &nonblocking) != 0)
    rc = uv_translate_sys_error(WSAGetLastError());
  if (rc == 0)
    rc = uv_poll_init_socket(l->loop, &sock->u.acc.poll, (uv_os_sock_t)s);
  if (rc != 0) {
    closesocket(s);
    return rc;
  }
  sock->inited = true; /* the watcher is on the loop: closed by the caller, socket with it */
  sock->u.acc.sock = (uv_os_sock_t)s;
  sock->u.acc.poll.data = sock;
  return uv_poll_start(&sock->u.acc.poll, UV_READABLE, on_acceptable);
}

void listen_tcp_closed_win(struct listen_sock *sock)
{
  if (sock->transport == UC_TCP && sock->u.h.type == UV_POLL)
    closesocket((SOCKET)sock->u.acc.sock);
}
#endif
