/* listen/listener.c - the set of sockets of one listener and its lifecycle: identity,
 * certificates and TLS contexts, opening every port (with the reason when one fails),
 * stopping (every handle closed before the callback). */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/certgen.h"
#include "listen/inuse.h"
#include "listen/listen_int.h"
#include "listen/responders.h"
#include "probes/probe.h"
#include "probes/tls.h"

#define INUSE_LOOKUPS_MAX 64 /* /proc scans per start: the rest just say "address in use" */
#define DAY (24 * 3600)

static void free_listener(struct listener *l)
{
  for (int e = 0; e < 2; e++)
    for (int r = 0; r < 2; r++)
      if (l->ctx[e][r])
        SSL_CTX_free(l->ctx[e][r]);
  X509_free(l->cert);
  X509_free(l->expired_cert);
  EVP_PKEY_free(l->key);
  free(l->socks);
  free(l);
}

void listen_handle_closed(struct listener *l)
{
  if (!uc_handles_closed(&l->handles) || !l->stopping)
    return;
  listen_stopped_cb cb = l->stop_cb;
  void *arg = l->stop_arg;
  free_listener(l);
  if (cb)
    cb(arg);
}

static void on_sock_closed(uv_handle_t *h)
{
  struct listen_sock *sock = h->data;
#ifdef _WIN32
  listen_tcp_closed_win(sock); /* the socket under a Windows accept watcher */
#endif
  listen_handle_closed(sock->l);
}

static void sock_close(struct listen_sock *sock)
{
  if (!sock->inited || uv_is_closing(&sock->u.h))
    return;
  sock->u.h.data = sock;
  uv_close(&sock->u.h, on_sock_closed);
}

static void on_keeper_closed(uv_handle_t *h)
{
  listen_handle_closed(h->data);
}

/* --- identity and certificates --- */

static void make_identity(struct listener *l, const char *host)
{
  static const char hex[] = "0123456789abcdef";
  uint8_t rnd[8];
  if (RAND_bytes(l->id.nonce, sizeof(l->id.nonce)) != 1 || RAND_bytes(rnd, sizeof(rnd)) != 1) {
    uint64_t t = uv_hrtime();
    for (size_t i = 0; i < sizeof(l->id.nonce); i++)
      l->id.nonce[i] = (uint8_t)(t >> (8 * (i % 8))) ^ (uint8_t)(i * 97);
    memcpy(rnd, l->id.nonce, sizeof(rnd));
  }
  char tag[17];
  for (size_t i = 0; i < sizeof(rnd); i++) {
    tag[2 * i] = hex[rnd[i] >> 4];
    tag[2 * i + 1] = hex[rnd[i] & 15];
  }
  tag[16] = '\0';
  snprintf(l->id.server, sizeof(l->id.server), "%s (ucscan %s)", UC_LISTENER_TOKEN, UC_VERSION);
  snprintf(l->id.domain, sizeof(l->id.domain), "%s", host);
  snprintf(l->id.stream_id, sizeof(l->id.stream_id), "%s-%s", UC_LISTENER_TOKEN, tag);
}

static bool wildcard(const struct sockaddr_storage *a)
{
  if (a->ss_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
  const struct in6_addr *a6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
  return memcmp(a6, &in6addr_any, sizeof(*a6)) == 0;
}

static bool needs_tls(const struct listen_plan *p)
{
  for (size_t i = 0; i < p->n; i++)
    if (p->v[i].transport == UC_TCP && p->v[i].proto->tls)
      return true;
  return false;
}

static enum listen_fault fault_of(const struct listen_conf *c, uint16_t port, enum uc_transport t)
{
  for (size_t i = 0; i < c->noverrides; i++)
    if (c->overrides[i].port == port && c->overrides[i].transport == t)
      return c->overrides[i].fault;
  return LISTEN_FAULT_NONE;
}

static bool any_fault(const struct listen_conf *c, enum listen_fault f)
{
  for (size_t i = 0; i < c->noverrides; i++)
    if (c->overrides[i].fault == f)
      return true;
  return false;
}

static int make_certs(struct listener *l, const struct listen_conf *c, const char *host,
                      struct listen_report *rep)
{
  const char *names[2] = {host, NULL};
  size_t nnames = 1;
  if (!wildcard(&l->addr) && strcmp(rep->bind, host) != 0)
    names[nnames++] = rep->bind;
  time_t now = time(NULL);
  if (c->cert && c->key) {
    X509_up_ref(c->cert);
    EVP_PKEY_up_ref(c->key);
    l->cert = c->cert;
    l->key = c->key;
  } else if (c->cert || c->key) {
    snprintf(rep->error, sizeof(rep->error),
             "a certificate needs its key (and the key its certificate)");
    return -1;
  } else {
    l->key = certgen_key();
    l->cert = l->key ? certgen_issue(l->key, host, names, nnames, now - 3600,
                                     now + (time_t)LISTEN_CERT_DAYS * DAY, NULL, NULL, 0)
                     : NULL;
    if (!l->cert) {
      snprintf(rep->error, sizeof(rep->error), "cannot make a certificate for \"%s\"", host);
      return -1;
    }
  }
  if (any_fault(c, LISTEN_FAULT_EXPIRED_CERT)) {
    l->expired_cert =
        certgen_issue(l->key, host, names, nnames, now - 60 * DAY, now - 30 * DAY, NULL, NULL, 0);
    if (!l->expired_cert) {
      snprintf(rep->error, sizeof(rep->error), "cannot make an expired certificate for \"%s\"",
               host);
      return -1;
    }
  }
  return 0;
}

static SSL_CTX *tls_ctx(struct listener *l, bool expired, bool request, char *err, size_t cap)
{
  SSL_CTX **slot = &l->ctx[expired][request];
  if (!*slot)
    *slot = tls_server_ctx_new(expired ? l->expired_cert : l->cert, l->key,
                               request ? TLS_CLIENT_CERT_REQUEST : TLS_CLIENT_CERT_NONE, err, cap);
  return *slot;
}

/* --- opening ports --- */

static unsigned unprivileged_port_start(void)
{
  unsigned v = 1024;
  FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
  if (f) {
    if (fscanf(f, "%u", &v) != 1)
      v = 1024;
    fclose(f);
  }
  return v;
}

static void fail_reason(const struct listen_sock *sock, int err, const char *bind,
                        unsigned *lookups, char *buf, size_t cap)
{
  char who[160];
  struct rlimit rl;
  switch (err) {
  case UV_EADDRINUSE:
    if ((*lookups)++ < INUSE_LOOKUPS_MAX &&
        listen_inuse_who(sock->transport, bind, sock->port, who, sizeof(who)) == 0)
      snprintf(buf, cap, "address in use (by %s)", who);
    else
      snprintf(buf, cap, "address in use");
    return;
  case UV_EACCES:
  case UV_EPERM: {
#ifdef _WIN32 /* no privileged ports there: held exclusively, or in a reserved range */
    snprintf(buf, cap,
             "access denied (held exclusively by another program, or reserved: netsh interface "
             "ipv4 show excludedportrange protocol=%s)",
             uc_transport_name(sock->transport));
    return;
#endif
    unsigned start = unprivileged_port_start();
    if (sock->port < start)
      snprintf(buf, cap, "permission denied (ports below %u need root or CAP_NET_BIND_SERVICE)",
               start);
    else
      snprintf(buf, cap, "permission denied");
    return;
  }
  case UV_EADDRNOTAVAIL:
    snprintf(buf, cap, "address %s is not on this host", bind);
    return;
  case UV_EMFILE:
  case UV_ENFILE:
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && err == UV_EMFILE)
      snprintf(buf, cap, "too many open files (RLIMIT_NOFILE %llu)",
               (unsigned long long)rl.rlim_cur);
    else
      snprintf(buf, cap, "%s", uv_strerror(err));
    return;
  default:
    snprintf(buf, cap, "%s", uv_strerror(err));
  }
}

static void describe(const struct listen_sock *sock, enum uc_proto proto, enum listen_fault f,
                     char *buf, size_t cap)
{
  const char *what = listen_responder(sock->responder)->what;
  if (sock->transport == UC_UDP) {
    snprintf(buf, cap, "%s", what);
    return;
  }
  char tls[128] = "";
  if (sock->tls)
    snprintf(tls, sizeof(tls), "TLS%s%s%s; ",
             proto == UC_P_MTLS && f != LISTEN_FAULT_NO_CLIENT_CERT
                 ? ", client certificate requested"
                 : "",
             f == LISTEN_FAULT_NO_CLIENT_CERT ? ", no client certificate request (fault)" : "",
             f == LISTEN_FAULT_EXPIRED_CERT ? ", expired certificate (fault)" : "");
  snprintf(buf, cap, "%s%s", tls, what);
}

/* Opens the plan's single ports first, then range ports: when the descriptor budget is
 * short, what it leaves out is media range ports, not SIP or SQL Browser. */
static void open_all(struct listener *l, const struct listen_conf *c, struct listen_report *rep)
{
  unsigned lookups = 0;
  char err[160];
  for (size_t k = 0; k < 2 * c->plan->n; k++) {
    size_t i = k % c->plan->n;
    const struct listen_port *p = &c->plan->v[i];
    if (p->in_range != (k >= c->plan->n))
      continue;
    struct listen_sock *sock = &l->socks[i];
    struct listen_result *res = &rep->v[i];
    sock->l = l;
    sock->port = p->port;
    sock->transport = p->transport;
    res->port = p->port;
    res->transport = p->transport;
    res->protocol = p->protocol;
    res->in_range = p->in_range;
    enum listen_fault f = fault_of(c, p->port, p->transport);
    if (f == LISTEN_FAULT_CLOSED) {
      res->status = LISTEN_LEFT_CLOSED;
      snprintf(res->reason, sizeof(res->reason), "left closed on purpose (fault)");
      rep->left_closed++;
      continue;
    }
    if (c->max_ports && rep->opened >= c->max_ports) {
      res->status = LISTEN_FAILED;
      snprintf(res->reason, sizeof(res->reason), "%s",
               c->budget_note ? c->budget_note : "file descriptor budget used up");
      rep->failed++;
      continue;
    }
    int rc;
    if (p->transport == UC_UDP) {
      sock->responder = p->proto->responder;
      rc = listen_udp_open(l, sock);
    } else {
      sock->responder = p->proto->responder;
      if (p->proto->tls) {
        bool request = p->proto->expect_client_cert && f != LISTEN_FAULT_NO_CLIENT_CERT;
        sock->tls = tls_ctx(l, f == LISTEN_FAULT_EXPIRED_CERT, request, err, sizeof(err));
        if (!sock->tls) {
          res->status = LISTEN_FAILED;
          snprintf(res->reason, sizeof(res->reason), "TLS: %s", err);
          rep->failed++;
          continue;
        }
      }
      rc = listen_tcp_open(l, sock);
    }
    if (sock->inited)
      uc_handles_open(&l->handles, 1);
    if (rc != 0) {
      res->status = LISTEN_FAILED;
      res->error = rc;
      fail_reason(sock, rc, rep->bind, &lookups, res->reason, sizeof(res->reason));
      rep->failed++;
      sock_close(sock);
      continue;
    }
    res->status = LISTEN_OPEN;
    describe(sock, p->protocol, f, res->what, sizeof(res->what));
    rep->opened++;
  }
}

struct listener *listen_start(uv_loop_t *loop, const struct listen_conf *c,
                              struct listen_report *rep)
{
  const char *bind = c->bind ? c->bind : "0.0.0.0";
  const char *host = c->host_name ? c->host_name : "localhost";
  snprintf(rep->bind, sizeof(rep->bind), "%s", bind);
  struct listener *l = calloc(1, sizeof(*l));
  size_t n = c->plan ? c->plan->n : 0;
  rep->v = calloc(n ? n : 1, sizeof(*rep->v));
  if (!l || !rep->v || !c->plan || !(l->socks = calloc(n ? n : 1, sizeof(*l->socks)))) {
    snprintf(rep->error, sizeof(rep->error), "%s", c->plan ? "out of memory" : "no ports given");
    if (l)
      free(l->socks);
    free(l);
    return NULL;
  }
  rep->n = n;
  l->nsocks = n;
  l->loop = loop;
  l->idle_ms = c->idle_ms ? c->idle_ms : LISTEN_DEFAULT_IDLE_MS;
  l->max_conns = c->max_conns ? c->max_conns : LISTEN_DEFAULT_MAX_CONNS;
  listen_rate_init(&l->rate, c->rate ? c->rate : LISTEN_DEFAULT_RATE, 0, uv_hrtime());
  struct sockaddr_in a4;
  struct sockaddr_in6 a6;
  if (uv_ip4_addr(bind, 0, &a4) == 0) {
    memcpy(&l->addr, &a4, sizeof(a4));
  } else if (uv_ip6_addr(bind, 0, &a6) == 0) {
    memcpy(&l->addr, &a6, sizeof(a6));
  } else {
    snprintf(rep->error, sizeof(rep->error), "\"%s\" is not an IPv4 or IPv6 address", bind);
    free_listener(l);
    return NULL;
  }
  make_identity(l, host);
  if (needs_tls(c->plan) && make_certs(l, c, host, rep) < 0) {
    free_listener(l);
    return NULL;
  }
  /* One handle that always exists, so listen_stop always calls back from the loop. */
  uv_timer_init(loop, &l->keeper);
  l->keeper.data = l;
  uc_handles_open(&l->handles, 1);
  open_all(l, c, rep);
  return l;
}

void listen_stop(struct listener *l, listen_stopped_cb cb, void *arg)
{
  if (l->stopping)
    return;
  l->stopping = true;
  l->stop_cb = cb;
  l->stop_arg = arg;
  while (l->conns)
    listen_conn_close(l->conns, true);
  for (size_t i = 0; i < l->nsocks; i++)
    sock_close(&l->socks[i]);
  uv_close((uv_handle_t *)&l->keeper, on_keeper_closed);
}

void listen_counters_get(const struct listener *l, struct listen_counters *out)
{
  *out = l->cnt;
}

unsigned listen_live_connections(const struct listener *l)
{
  return l->nconns;
}

void listen_report_free(struct listen_report *rep)
{
  if (!rep)
    return;
  free(rep->v);
  memset(rep, 0, sizeof(*rep));
}
