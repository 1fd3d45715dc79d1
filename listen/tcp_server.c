/* listen/tcp_server.c - TCP listeners: accept, hold, and hand the bytes to the connection's
 * session (listen/session.h: TLS and the application responder).
 *
 * A connection closes when the peer does (after our answer is sent), on a reset, after
 * idle_ms without bytes, when the session says so, or at listen_stop. Beyond max_conns
 * live connections a new one is accepted and closed at once: the handshake already proved
 * the port reachable, and the file descriptors stay within budget. */
#include <stdlib.h>
#include <string.h>

#include "listen/listen_int.h"

#define WRITE_QUEUE_MAX (512u * 1024u) /* bytes queued to a peer that does not read */

struct write_req {
  uv_write_t req;
  uint8_t *data;
};

static void on_conn_closed(uv_handle_t *h)
{
  struct listen_conn *c = h->data;
  struct listener *l = c->l;
  if (uc_handles_closed(&c->handles)) {
    listen_session_free(c->s);
    free(c);
  }
  listen_handle_closed(l);
}

void listen_conn_close(struct listen_conn *c, bool reset)
{
  if (c->closing)
    return;
  c->closing = true;
  struct listener *l = c->l;
  if (c->prev)
    c->prev->next = c->next;
  else
    l->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  l->nconns--;
  uv_timer_stop(&c->idle);
  uv_close((uv_handle_t *)&c->idle, on_conn_closed);
  if (uv_is_active((uv_handle_t *)&c->tcp))
    uv_read_stop((uv_stream_t *)&c->tcp);
  if (!reset || uv_tcp_close_reset(&c->tcp, on_conn_closed) != 0)
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_write(uv_write_t *req, int status)
{
  (void)status; /* a failed write shows up as a read error, or the idle timeout */
  struct write_req *w = req->data;
  free(w->data);
  free(w);
}

/* Sends what the session has queued. false: the connection must go. */
static bool flush(struct listen_conn *c)
{
  size_t n;
  uint8_t *p;
  while ((p = listen_session_take_output(c->s, &n)) != NULL) {
    struct write_req *w = malloc(sizeof(*w));
    if (!w) {
      free(p);
      return false;
    }
    w->data = p;
    w->req.data = w;
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
      free(p);
      free(w);
      return false;
    }
  }
  return uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) <= WRITE_QUEUE_MAX;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
  (void)status;
  listen_conn_close(req->data, false);
}

/* Close once what is queued has gone out. */
static void finish(struct listen_conn *c)
{
  if (c->shutting_down || c->closing)
    return;
  c->shutting_down = true;
  uv_read_stop((uv_stream_t *)&c->tcp);
  c->sreq.data = c;
  if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
    listen_conn_close(c, false);
}

static void on_idle(uv_timer_t *t)
{
  listen_conn_close(t->data, false);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)suggested;
  struct listen_conn *c = h->data;
  buf->base = (char *)c->l->rbuf;
  buf->len = sizeof(c->l->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
  struct listen_conn *c = st->data;
  if (c->closing || nread == 0)
    return;
  enum listen_session_act act;
  if (nread > 0)
    act = listen_session_input(c->s, (const uint8_t *)buf->base, (size_t)nread);
  else if (nread == UV_EOF)
    act = listen_session_eof(c->s);
  else
    act = LISTEN_SESSION_ABORT;
  if (!flush(c))
    act = LISTEN_SESSION_ABORT;
  if (act == LISTEN_SESSION_ABORT) {
    listen_conn_close(c, true);
    return;
  }
  if (act == LISTEN_SESSION_CLOSE) {
    finish(c);
    return;
  }
  uv_timer_start(&c->idle, on_idle, c->l->idle_ms, 0);
}

int listen_conn_new(struct listen_sock *sock, int (*take)(uv_tcp_t *tcp, void *arg), void *arg)
{
  struct listener *l = sock->l;
  struct listen_conn *c = calloc(1, sizeof(*c));
  if (!c)
    return -1; /* it waits in the backlog */
  c->l = l;
  c->sock = sock;
  uv_tcp_init(l->loop, &c->tcp);
  uv_timer_init(l->loop, &c->idle);
  c->tcp.data = c->idle.data = c;
  uc_handles_open(&c->handles, 2);
  uc_handles_open(&l->handles, 2);
  c->next = l->conns;
  if (l->conns)
    l->conns->prev = c;
  l->conns = c;
  l->nconns++;
  if (take(&c->tcp, arg) != 0) {
    listen_conn_close(c, false);
    return 0;
  }
  l->cnt.connections++;
  if (l->nconns > l->max_conns) {
    /* Closed, not reset: a reset that reaches the client before its loop has seen the
     * connect complete turns a successful connect into ECONNRESET. */
    l->cnt.refused++;
    listen_conn_close(c, false);
    return 0;
  }
  struct sockaddr_storage peer;
  int plen = sizeof(peer);
  memset(&peer, 0, sizeof(peer));
  uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &plen);
  struct listen_session_conf sc = {.tls = sock->tls,
                                   .app = sock->responder,
                                   .id = &l->id,
                                   .rate = &l->rate,
                                   .cnt = &l->cnt,
                                   .peer = (const struct sockaddr *)&peer};
  c->s = listen_session_new(&sc);
  if (!c->s || uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
    listen_conn_close(c, true);
    return 0;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_timer_start(&c->idle, on_idle, l->idle_ms, 0);
  return 0;
}

static int take_accept(uv_tcp_t *tcp, void *server)
{
  return uv_accept(server, (uv_stream_t *)tcp);
}

static void on_connection(uv_stream_t *server, int status)
{
  struct listen_sock *sock = server->data;
  if (status < 0 || sock->l->stopping)
    return; /* EMFILE and friends: libuv already dropped that connection */
  listen_conn_new(sock, take_accept, server);
}

int listen_tcp_open(struct listener *l, struct listen_sock *sock)
{
#ifdef _WIN32
  return listen_tcp_open_win(l, sock); /* listen/tcp_accept_win.c: no AcceptEx */
#endif
  int rc = uv_tcp_init_ex(l->loop, &sock->u.tcp, l->addr.ss_family);
  if (rc != 0)
    return rc;
  sock->inited = true;
  sock->u.tcp.data = sock;
  struct sockaddr_storage a = l->addr;
  if (a.ss_family == AF_INET)
    ((struct sockaddr_in *)&a)->sin_port = htons(sock->port);
  else
    ((struct sockaddr_in6 *)&a)->sin6_port = htons(sock->port);
  rc = uv_tcp_bind(&sock->u.tcp, (const struct sockaddr *)&a, 0);
  if (rc != 0)
    return rc;
  return uv_listen((uv_stream_t *)&sock->u.tcp, SOMAXCONN, on_connection);
}
