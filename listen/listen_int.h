/* listen/listen_int.h - listener internals shared by listener.c, tcp_server.c and
 * udp_server.c. Not for other modules. */
#ifndef UC_LISTEN_INT_H
#define UC_LISTEN_INT_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <uv.h>

#include "common/count.h"
#include "listen/listen.h"
#include "listen/rate.h"
#include "listen/session.h"
#include "listen/udp_server.h"

/* One port of the listener. The handle lives in the listener's array, so the array is
 * freed only once every handle in it has closed. */
struct listen_sock {
  struct listener *l;
  uint16_t port;
  enum uc_transport transport;
  enum probe_responder responder; /* the row's (listen/responders.h) */
  SSL_CTX *tls;                   /* TCP over TLS, or NULL */
  bool inited;                    /* the handle exists (and must be closed) */
  union {
    uv_handle_t h;
    uv_tcp_t tcp;
    uv_udp_t udp;
    struct { /* Windows TCP: a listening socket under a watcher (tcp_accept_win.c) */
      uv_poll_t poll;
      uv_os_sock_t sock;
    } acc;
  } u;
};

/* One accepted connection. */
struct listen_conn {
  struct listen_conn *prev, *next;
  struct listener *l;
  struct listen_sock *sock;
  uv_tcp_t tcp;
  uv_timer_t idle;
  uv_shutdown_t sreq;
  struct listen_session *s;
  struct uc_handles handles; /* tcp and idle timer, until their close callbacks ran */
  bool closing, shutting_down;
};

struct listener {
  uv_loop_t *loop;
  struct listen_sock *socks;
  size_t nsocks;
  struct listen_conn *conns;
  unsigned nconns;
  unsigned max_conns, idle_ms;
  struct listen_rate rate;
  struct listen_counters cnt;
  struct listen_identity id;
  struct sockaddr_storage addr;
  X509 *cert, *expired_cert;
  EVP_PKEY *key;
  SSL_CTX *ctx[2][2];        /* [expired certificate][client certificate requested] */
  struct uc_handles handles; /* handles not yet closed (keeper, ports, connections) */
  uv_timer_t keeper;         /* never started: makes listen_stop's callback asynchronous */
  bool stopping;
  listen_stopped_cb stop_cb;
  void *stop_arg;
  uint8_t rbuf[65536]; /* read buffer, consumed inside each read callback */
};

/* tcp_server.c: listen on sock->port; 0 or a libuv error (the handle, if made, is
 * closed by the caller through listen_sock_close). */
int listen_tcp_open(struct listener *l, struct listen_sock *sock);
void listen_conn_close(struct listen_conn *c, bool reset);
/* A new connection on sock: take(tcp, arg) puts it into the connection's handle (uv_accept,
 * or uv_tcp_open of an accepted socket), then it is held and served. 0, or -1 when nothing
 * was taken (out of memory: the caller still owns the connection). */
int listen_conn_new(struct listen_sock *sock, int (*take)(uv_tcp_t *tcp, void *arg), void *arg);
#ifdef _WIN32
/* tcp_accept_win.c: listen_tcp_open on Windows; the socket is closed with the watcher. */
int listen_tcp_open_win(struct listener *l, struct listen_sock *sock);
void listen_tcp_closed_win(struct listen_sock *sock);
#endif
/* udp_server.c */
int listen_udp_open(struct listener *l, struct listen_sock *sock);
/* listener.c: a handle of the listener has closed (ports and connections alike). */
void listen_handle_closed(struct listener *l);

#endif
