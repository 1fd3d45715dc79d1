/* listen/udp_server.c - the datagram side: runs the port's responder (listen/responders.c).
 *
 * Replies go out with uv_udp_try_send: no request to allocate, and a reply the socket
 * cannot take right now is dropped like any lost datagram (the scanner retransmits). */
#include "listen/udp_server.h"

#include <string.h>

#include "listen/listen_int.h"
#include "listen/responders.h"

#define UDP_READ_MAX 2048 /* requests are small; a larger datagram is ignored */

size_t listen_udp_answer(enum probe_responder kind, const struct listen_identity *id,
                         const uint8_t *req, size_t len, const struct sockaddr *from, uint8_t *out,
                         size_t cap)
{
  const struct listen_responder *r = listen_responder(kind);
  if (cap > LISTEN_UDP_REPLY_MAX)
    cap = LISTEN_UDP_REPLY_MAX;
  return r->udp ? r->udp(id, req, len, from, out, cap) : 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)suggested;
  struct listen_sock *sock = h->data;
  buf->base = (char *)sock->l->rbuf;
  buf->len = UDP_READ_MAX;
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags)
{
  struct listen_sock *sock = h->data;
  struct listener *l = sock->l;
  if (nread < 0 || !addr || l->stopping)
    return; /* nread 0 without addr: nothing more to read */
  l->cnt.datagrams++;
  if (flags & UV_UDP_PARTIAL) {
    l->cnt.ignored++;
    return;
  }
  uint8_t out[LISTEN_UDP_REPLY_MAX];
  size_t n = listen_udp_answer(sock->responder, &l->id, (const uint8_t *)buf->base, (size_t)nread,
                               addr, out, sizeof(out));
  if (n == 0) {
    l->cnt.ignored++;
    return;
  }
  if (!listen_rate_take(&l->rate, uv_hrtime())) {
    l->cnt.rate_limited++;
    return;
  }
  uv_buf_t b = uv_buf_init((char *)out, (unsigned)n);
  if (uv_udp_try_send(h, &b, 1, addr) >= 0)
    l->cnt.replies++;
  else
    l->cnt.ignored++;
}

int listen_udp_open(struct listener *l, struct listen_sock *sock)
{
  int rc = uv_udp_init_ex(l->loop, &sock->u.udp, l->addr.ss_family);
  if (rc != 0)
    return rc;
  sock->inited = true;
  sock->u.udp.data = sock;
  struct sockaddr_storage a = l->addr;
  if (a.ss_family == AF_INET)
    ((struct sockaddr_in *)&a)->sin_port = htons(sock->port);
  else
    ((struct sockaddr_in6 *)&a)->sin6_port = htons(sock->port);
  rc = uv_udp_bind(&sock->u.udp, (const struct sockaddr *)&a, 0);
  if (rc != 0)
    return rc;
  return uv_udp_recv_start(&sock->u.udp, on_alloc, on_recv);
}
