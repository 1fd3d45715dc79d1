/* tests/unit/test_listen_loop.c - listeners on a real loop and real sockets (127.0.0.21-23):
 * start, answer, stop with connections open, and no handle left behind (uv_loop_close()
 * == 0); "address in use" and by whom; faults and the descriptor budget in the report; the
 * scan engine against a listener on the same loop, for a lab site and for every row of the
 * protocol table (the listener answers what the scanner asks, whatever the row). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen/fdlimit.h"
#include "listen/inuse.h"
#include "listen/listen.h"
#include "probes/probe.h"
#include "probes/registry.h"
#include "scanner/engine.h"
#include "model/topology.h"

static struct sockaddr_in addr4(const char *ip, unsigned port)
{
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
  return a;
}

/* The first port above the kernel's ephemeral range. Any process's unbound UDP socket that
 * sends takes an ephemeral port on every address (0.0.0.0), and the Windows lane's tests run
 * under Wine beside these: a port found free in that range can be taken before the listener
 * binds it (a CI run saw 35 of 36 ports open). */
static unsigned above_ephemeral(void)
{
  unsigned lo = 32768, hi = 60999;
  FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
  if (f) {
    if (fscanf(f, "%u %u", &lo, &hi) != 2)
      hi = 60999;
    fclose(f);
  }
  return hi < 64000 ? hi + 1 : 40000; /* no room above: the old neighbourhood */
}

/* Ports base .. base + n - 1 of ip can be bound for both TCP and UDP. */
static bool ports_free(const char *ip, unsigned base, unsigned n)
{
  bool ok = true;
  for (unsigned p = base; ok && p < base + n; p++) {
    for (int type = 0; ok && type < 2; type++) {
      int fd = socket(AF_INET, type ? SOCK_DGRAM : SOCK_STREAM, 0);
      struct sockaddr_in a = addr4(ip, p);
      ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
      if (fd >= 0)
        close(fd);
    }
  }
  return ok;
}

/* n ports in a row free on ip, from `offset` above the ephemeral range on. */
static unsigned free_ports(const char *ip, unsigned offset, unsigned n)
{
  for (unsigned base = above_ephemeral() + offset; base + n < 65500; base += n)
    if (ports_free(ip, base, n))
      return base;
  fail_msg("no %u free ports on %s", n, ip);
  return 0;
}

static void on_stopped(void *arg)
{
  (*(int *)arg)++;
}

/* Runs the loop without blocking until cond(arg) or about ms milliseconds. */
static bool pump_until(uv_loop_t *loop, bool (*cond)(void *), void *arg, unsigned ms)
{
  for (unsigned i = 0; i < ms; i++) {
    uv_run(loop, UV_RUN_NOWAIT);
    if (cond(arg))
      return true;
    usleep(1000);
  }
  return cond(arg);
}

struct udp_wait {
  int fd;
  uint8_t buf[1024];
  ssize_t n;
};

static bool udp_got(void *arg)
{
  struct udp_wait *w = arg;
  w->n = recv(w->fd, w->buf, sizeof(w->buf), MSG_DONTWAIT);
  return w->n > 0;
}

struct live {
  struct listener *l;
  unsigned want;
};

static bool live_is(void *arg)
{
  struct live *lv = arg;
  return listen_live_connections(lv->l) == lv->want;
}

static void test_start_answer_stop(void **state)
{
  (void)state;
  const char *ip = "127.0.0.21";
  unsigned base = free_ports(ip, 100, 5);
  struct listen_port ports[] = {
      {(uint16_t)base, UC_TCP, UC_P_TCP, probe_lookup(UC_TCP, UC_P_TCP, "sip"), false},
      {(uint16_t)(base + 1), UC_TCP, UC_P_MTLS, probe_lookup(UC_TCP, UC_P_MTLS, "sip"), false},
      {(uint16_t)(base + 2), UC_UDP, UC_P_RTP, probe_lookup(UC_UDP, UC_P_RTP, "media"), true},
      {(uint16_t)(base + 3), UC_UDP, UC_P_STUN, probe_lookup(UC_UDP, UC_P_STUN, "media"), false},
      {(uint16_t)(base + 4), UC_UDP, UC_P_SQL_BROWSER, probe_lookup(UC_UDP, UC_P_SQL_BROWSER, NULL),
       false},
  };
  struct listen_plan plan = {.v = ports, .n = 5, .ntcp = 2, .nudp = 3};
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct listen_conf conf = {.plan = &plan, .bind = ip, .host_name = "fe01.contoso.test"};
  struct listen_report rep;
  memset(&rep, 0, sizeof(rep));
  struct listener *l = listen_start(&loop, &conf, &rep);
  assert_non_null(l);
  assert_int_equal(rep.n, 5);
  assert_int_equal(rep.opened, 5);
  assert_int_equal(rep.failed, 0);
  assert_string_equal(rep.v[0].what, "answers SIP");
  assert_string_equal(rep.v[1].what, "TLS, client certificate requested; answers SIP");
  assert_int_equal(rep.v[2].status, LISTEN_OPEN);

  /* UDP: the token probe comes back with our nonce. */
  struct udp_wait w = {.fd = socket(AF_INET, SOCK_DGRAM, 0)};
  struct sockaddr_in dst = addr4(ip, base + 2);
  static const char probe[] = UC_PROBE_TOKEN " 00112233aabbccdd\n";
  assert_int_equal(sendto(w.fd, probe, strlen(probe), 0, (struct sockaddr *)&dst, sizeof(dst)),
                   (ssize_t)strlen(probe));
  assert_true(pump_until(&loop, udp_got, &w, 2000));
  assert_int_equal(w.n, strlen(UC_LISTENER_TOKEN " 00112233aabbccdd\n"));
  assert_memory_equal(w.buf, UC_LISTENER_TOKEN " 00112233aabbccdd\n", (size_t)w.n);
  /* Junk gets nothing. */
  assert_int_equal(sendto(w.fd, "junk", 4, 0, (struct sockaddr *)&dst, sizeof(dst)), 4);
  assert_false(pump_until(&loop, udp_got, &w, 50));
  close(w.fd);

  /* TCP: a connection is accepted and held. */
  int t = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in tdst = addr4(ip, base);
  assert_int_equal(connect(t, (struct sockaddr *)&tdst, sizeof(tdst)), 0);
  struct live lv = {l, 1};
  assert_true(pump_until(&loop, live_is, &lv, 2000));
  struct listen_counters cnt;
  listen_counters_get(l, &cnt);
  assert_int_equal(cnt.connections, 1);
  assert_int_equal(cnt.datagrams, 2);
  assert_int_equal(cnt.replies, 1);
  assert_int_equal(cnt.ignored, 1);

  /* Stop with the connection still open: it is closed, the callback comes from the loop,
   * and nothing is left on the loop. */
  int stopped = 0;
  listen_stop(l, on_stopped, &stopped);
  assert_int_equal(stopped, 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(stopped, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
  char b;
  ssize_t r = recv(t, &b, 1, 0);
  assert_true(r == 0 || (r < 0 && errno == ECONNRESET));
  close(t);
  /* The ports are free again. */
  assert_true(ports_free(ip, base, 5));
  listen_report_free(&rep);
}

static void test_idle_timeout(void **state)
{
  (void)state;
  const char *ip = "127.0.0.21";
  unsigned base = free_ports(ip, 150, 1);
  struct listen_port ports[] = {
      {(uint16_t)base, UC_TCP, UC_P_TCP, probe_lookup(UC_TCP, UC_P_TCP, NULL), false}};
  struct listen_plan plan = {.v = ports, .n = 1, .ntcp = 1};
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct listen_conf conf = {.plan = &plan, .bind = ip, .idle_ms = 100, .max_conns = 2};
  struct listen_report rep;
  memset(&rep, 0, sizeof(rep));
  struct listener *l = listen_start(&loop, &conf, &rep);
  assert_non_null(l);
  /* Three clients for a limit of two: the third is accepted and closed at once (a FIN, so
   * its connect() succeeded). */
  int t[3];
  struct sockaddr_in dst = addr4(ip, base);
  for (int i = 0; i < 3; i++) {
    t[i] = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(t[i], (struct sockaddr *)&dst, sizeof(dst)), 0);
  }
  struct live lv = {l, 2};
  assert_true(pump_until(&loop, live_is, &lv, 2000));
  struct listen_counters cnt;
  listen_counters_get(l, &cnt);
  assert_int_equal(cnt.connections, 3);
  assert_int_equal(cnt.refused, 1);
  /* Silent clients are let go after idle_ms. */
  lv.want = 0;
  uint64_t t0 = uv_hrtime();
  assert_true(pump_until(&loop, live_is, &lv, 2000));
  assert_true(uv_hrtime() - t0 >= 50 * 1000000ull);
  char b;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(recv(t[i], &b, 1, 0), 0); /* an orderly close */
    close(t[i]);
  }
  int stopped = 0;
  listen_stop(l, on_stopped, &stopped);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(stopped, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
  listen_report_free(&rep);
}

static void test_in_use(void **state)
{
  (void)state;
  const char *ip = "127.0.0.22";
  unsigned base = free_ports(ip, 200, 3);
  int tfd = socket(AF_INET, SOCK_STREAM, 0), ufd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = addr4(ip, base);
  assert_int_equal(bind(tfd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(listen(tfd, 4), 0);
  a = addr4(ip, base + 1);
  assert_int_equal(bind(ufd, (struct sockaddr *)&a, sizeof(a)), 0);

  char comm[64] = "", want[128], who[160];
  int fd = open("/proc/self/comm", O_RDONLY);
  assert_true(fd >= 0);
  ssize_t n = read(fd, comm, sizeof(comm) - 1);
  close(fd);
  assert_true(n > 1);
  comm[n - 1] = '\0'; /* the newline */
  snprintf(want, sizeof(want), "pid %d %s", (int)getpid(), comm);
  assert_int_equal(listen_inuse_who(UC_TCP, ip, (uint16_t)base, who, sizeof(who)), 0);
  assert_string_equal(who, want);
  assert_int_equal(listen_inuse_who(UC_UDP, ip, (uint16_t)(base + 1), who, sizeof(who)), 0);
  assert_string_equal(who, want);
  assert_int_equal(listen_inuse_who(UC_TCP, ip, (uint16_t)(base + 2), who, sizeof(who)), -1);
  /* the wildcard is blocked by a socket on any address; another address is not in the way */
  assert_int_equal(listen_inuse_who(UC_TCP, "0.0.0.0", (uint16_t)base, who, sizeof(who)), 0);
  assert_string_equal(who, want);
  assert_int_equal(listen_inuse_who(UC_TCP, "127.0.0.23", (uint16_t)base, who, sizeof(who)), -1);
  /* a dual-stack socket on ::ffff:127.0.0.23 is in the way of 127.0.0.23 (where IPv6 is on) */
  int v6 = socket(AF_INET6, SOCK_STREAM, 0);
  if (v6 >= 0) {
    struct sockaddr_in6 m6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)base)};
    inet_pton(AF_INET6, "::ffff:127.0.0.23", &m6.sin6_addr);
    if (bind(v6, (struct sockaddr *)&m6, sizeof(m6)) == 0 && listen(v6, 4) == 0) {
      assert_int_equal(listen_inuse_who(UC_TCP, "127.0.0.23", (uint16_t)base, who, sizeof(who)), 0);
      assert_string_equal(who, want);
    }
    close(v6);
  }

  struct listen_port ports[] = {
      {(uint16_t)base, UC_TCP, UC_P_TCP, probe_lookup(UC_TCP, UC_P_TCP, NULL), false},
      {(uint16_t)(base + 1), UC_UDP, UC_P_UDP, probe_lookup(UC_UDP, UC_P_UDP, NULL), false},
      {(uint16_t)(base + 2), UC_TCP, UC_P_TCP, probe_lookup(UC_TCP, UC_P_TCP, NULL), false},
  };
  struct listen_plan plan = {.v = ports, .n = 3, .ntcp = 2, .nudp = 1};
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct listen_conf conf = {.plan = &plan, .bind = ip};
  struct listen_report rep;
  memset(&rep, 0, sizeof(rep));
  struct listener *l = listen_start(&loop, &conf, &rep);
  assert_non_null(l);
  assert_int_equal(rep.opened, 1);
  assert_int_equal(rep.failed, 2);
  char reason[256];
  snprintf(reason, sizeof(reason), "address in use (by %s)", want);
  assert_int_equal(rep.v[0].status, LISTEN_FAILED);
  assert_int_equal(rep.v[0].error, UV_EADDRINUSE);
  assert_string_equal(rep.v[0].reason, reason);
  assert_string_equal(rep.v[1].reason, reason);
  assert_int_equal(rep.v[2].status, LISTEN_OPEN);

  /* The table says it. */
  char *text = NULL;
  size_t len = 0;
  FILE *mf = open_memstream(&text, &len);
  listen_report_print(mf, &rep, false);
  fclose(mf);
  assert_non_null(strstr(text, reason));
  assert_non_null(strstr(text, "opened 1 of 3 ports on 127.0.0.22; 2 could not be opened"));
  free(text);

  int stopped = 0;
  listen_stop(l, on_stopped, &stopped);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(stopped, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
  listen_report_free(&rep);
  close(tfd);
  close(ufd);
}

static void test_faults_budget_errors(void **state)
{
  (void)state;
  const char *ip = "127.0.0.22";
  unsigned base = free_ports(ip, 300, 4);
  struct listen_port ports[] = {
      {(uint16_t)base, UC_TCP, UC_P_MTLS, probe_lookup(UC_TCP, UC_P_MTLS, "sip"), false},
      {(uint16_t)(base + 1), UC_TCP, UC_P_HTTPS, probe_lookup(UC_TCP, UC_P_HTTPS, "web"), false},
      {(uint16_t)(base + 2), UC_TCP, UC_P_TCP, probe_lookup(UC_TCP, UC_P_TCP, NULL), false},
      {(uint16_t)(base + 3), UC_UDP, UC_P_UDP, probe_lookup(UC_UDP, UC_P_UDP, NULL), true},
  };
  struct listen_plan plan = {.v = ports, .n = 4, .ntcp = 3, .nudp = 1};
  struct listen_override ovr[] = {
      {(uint16_t)base, UC_TCP, LISTEN_FAULT_NO_CLIENT_CERT},
      {(uint16_t)(base + 1), UC_TCP, LISTEN_FAULT_EXPIRED_CERT},
      {(uint16_t)(base + 2), UC_TCP, LISTEN_FAULT_CLOSED},
  };
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct listen_conf conf = {.plan = &plan,
                             .bind = ip,
                             .overrides = ovr,
                             .noverrides = 3,
                             .max_ports = 2,
                             .budget_note = "not opened: budget"};
  struct listen_report rep;
  memset(&rep, 0, sizeof(rep));
  struct listener *l = listen_start(&loop, &conf, &rep);
  assert_non_null(l);
  assert_int_equal(rep.opened, 2);
  assert_int_equal(rep.left_closed, 1);
  assert_int_equal(rep.failed, 1);
  assert_string_equal(rep.v[0].what, "TLS, no client certificate request (fault); answers SIP");
  assert_string_equal(rep.v[1].what, "TLS, expired certificate (fault); answers HTTP");
  assert_int_equal(rep.v[2].status, LISTEN_LEFT_CLOSED);
  assert_int_equal(rep.v[3].status, LISTEN_FAILED);
  assert_string_equal(rep.v[3].reason, "not opened: budget");
  int stopped = 0;
  listen_stop(l, on_stopped, &stopped);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(stopped, 1);
  listen_report_free(&rep);

  /* An address this host does not have. */
  struct listen_conf bad = {.plan = &plan, .bind = "192.0.2.1"};
  memset(&rep, 0, sizeof(rep));
  l = listen_start(&loop, &bad, &rep);
  assert_non_null(l);
  assert_int_equal(rep.opened, 0);
  assert_string_equal(rep.v[2].reason, "address 192.0.2.1 is not on this host");
  listen_stop(l, on_stopped, &stopped);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(stopped, 2);
  listen_report_free(&rep);

  /* Nothing starts: not an address; a certificate without its key. */
  bad.bind = "fe01.contoso.test";
  memset(&rep, 0, sizeof(rep));
  assert_null(listen_start(&loop, &bad, &rep));
  assert_non_null(strstr(rep.error, "not an IPv4 or IPv6 address"));
  listen_report_free(&rep);
  bad.bind = ip;
  bad.key = (EVP_PKEY *)1; /* never dereferenced: refused before */
  memset(&rep, 0, sizeof(rep));
  assert_null(listen_start(&loop, &bad, &rep));
  assert_non_null(strstr(rep.error, "certificate"));
  listen_report_free(&rep);

  if (geteuid() != 0) { /* ports below 1024 (root may open them) */
    struct listen_port low[] = {{444, UC_TCP, UC_P_TCP, NULL, false}};
    struct listen_plan lp = {.v = low, .n = 1, .ntcp = 1};
    struct listen_conf c = {.plan = &lp, .bind = ip};
    memset(&rep, 0, sizeof(rep));
    l = listen_start(&loop, &c, &rep);
    assert_non_null(strstr(rep.v[0].reason, "permission denied (ports below"));
    listen_stop(l, on_stopped, &stopped);
    uv_run(&loop, UV_RUN_DEFAULT);
    listen_report_free(&rep);
  }
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* --- the engine against a listener on the same loop --- */

static const char lab_fmt[] =
    "{\"schema\": \"ucscan-catalog/1\", \"roles\": [{\"id\": \"lab\", \"name\": \"Lab\"}],\n"
    " \"tables\": [{\"id\": \"t\", \"rows\": [%s]}]}";
static const char row_fmt[] =
    "%s{\"id\": \"lab-%u\", \"products\": [\"sfb2015\"], \"roles\": [\"lab\"], \"seed_role\": "
    "\"l\", \"service\": \"s\", %s, \"transport\": %s, \"protocol\": \"%s\", \"application\": "
    "%s, \"seed_protocol\": \"x\", \"direction\": \"%s\", \"peer\": \"Any\", \"optional\": "
    "false, \"probe\": true, \"note\": \"\", \"source\": {\"file\": \"lab\", \"table\": \"t\", "
    "\"row\": %u}}\n";

struct scan_done {
  int done;
};

static void on_engine_done(struct engine *e, void *arg)
{
  (void)e;
  ((struct scan_done *)arg)->done = 1;
}

static struct plan_check *check_at(struct plan_host *h, unsigned port, enum uc_transport t,
                                   bool range)
{
  for (size_t i = 0; i < h->nchecks; i++)
    if (h->checks[i].first == port && h->checks[i].transport == t && h->checks[i].is_range == range)
      return &h->checks[i];
  fail_msg("no check %u/%s", port, uc_transport_name(t));
  return NULL;
}

static void test_engine_against_listener(void **state)
{
  (void)state;
  const char *ip = "127.0.0.23";
  unsigned b = free_ports(ip, 400, 24);
  struct {
    const char *ports, *tr, *proto, *app, *dir;
  } spec[] = {
      {"", "[\"tcp\"]", "mtls", "\"sip\"", "inbound"},            /* b     */
      {"", "[\"tcp\"]", "https", "\"web\"", "inbound"},           /* b + 1: expired certificate */
      {"", "[\"tcp\"]", "tls", "\"sip\"", "inbound"},             /* b + 2 */
      {"", "[\"tcp\"]", "xmpp", "\"xmpp\"", "inbound"},           /* b + 3 */
      {"", "[\"tcp\"]", "http", "\"web\"", "inbound"},            /* b + 4 */
      {"", "[\"tcp\"]", "rpc", "null", "inbound"},                /* b + 5 */
      {"", "[\"udp\"]", "stun", "\"media\"", "both"},             /* b + 6 */
      {"", "[\"udp\"]", "sql-browser", "null", "inbound"},        /* b + 7 */
      {"", "[\"tcp\"]", "tls", "null", "outbound"},               /* b + 8: skip, never opened */
      {"r", "[\"tcp\", \"udp\"]", "rtp", "\"media\"", "inbound"}, /* b + 10 .. b + 23 */
  };
  char rows[8192] = "", portbuf[64];
  size_t used = 0;
  for (unsigned i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
    if (spec[i].ports[0])
      snprintf(portbuf, sizeof(portbuf), "\"ports\": \"%u-%u\"", b + 10, b + 23);
    else
      snprintf(portbuf, sizeof(portbuf), "\"port\": %u", b + i);
    used += (size_t)snprintf(rows + used, sizeof(rows) - used, row_fmt, i ? "," : "", i, portbuf,
                             spec[i].tr, spec[i].proto, spec[i].app, spec[i].dir, i + 1);
  }
  char *doc = malloc(sizeof(rows) + sizeof(lab_fmt));
  assert_non_null(doc);
  snprintf(doc, sizeof(rows) + sizeof(lab_fmt), lab_fmt, rows);
  struct catalog cat = {0};
  struct uc_err err;
  assert_int_equal(catalog_load_builtin(&cat, &err), 0);
  if (catalog_load_text(&cat, "lab.json", doc, strlen(doc), 0, &err) < 0)
    fail_msg("%s:%d:%d: %s", err.source, err.line, err.column, err.text);
  static const char topo_text[] =
      "{\"name\": \"lab\", \"hosts\": [{\"name\": \"lab01.contoso.test\", \"address\": "
      "\"127.0.0.23\", \"roles\": [\"lab\"]}]}";
  struct topology topo;
  assert_int_equal(topo_load_text(&topo, "lab", topo_text, strlen(topo_text), &cat, &err), 0);
  struct plan plan;
  assert_int_equal(plan_from_catalog(&plan, &topo, &cat, "sfb2015", &err), 0);
  struct plan_host *h = &plan.hosts[0];

  struct listen_plan lp;
  assert_int_equal(listen_plan_from_host(&lp, h, &err), 0);
  assert_int_equal(lp.ntcp, 6 + 14);
  assert_int_equal(lp.nudp, 2 + 14);
  struct listen_override ovr = {(uint16_t)(b + 1), UC_TCP, LISTEN_FAULT_EXPIRED_CERT};
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct listen_conf conf = {
      .plan = &lp, .bind = ip, .host_name = h->name, .overrides = &ovr, .noverrides = 1};
  struct listen_report rep;
  memset(&rep, 0, sizeof(rep));
  struct listener *l = listen_start(&loop, &conf, &rep);
  assert_non_null(l);
  assert_int_equal(rep.opened, lp.n);

  struct scan_conf sc;
  scan_conf_fast(&sc);
  /* Every check here is answered (nothing waits for a deadline), but scanner and listener
   * share this loop: under valgrind on a busy machine a TLS handshake waits seconds behind
   * the others. A short deadline would test the machine's load, not the exchange. */
  sc.timeout_ms = 20000;
  sc.retries = 1;
  sc.progress = false;
  sc.evidence_capture = false;
  struct engine *e = engine_new(&loop, &plan, &sc);
  struct scan_done sd = {0};
  assert_int_equal(engine_start(e, on_engine_done, &sd), 0);
  while (!sd.done)
    uv_run(&loop, UV_RUN_ONCE);
  engine_finalize(e);

  struct plan_check *c = check_at(h, b, UC_TCP, false);
  if (c->res.verdict != UC_PASS)
    fail_msg("%u/tcp: %s: %s", b, uc_verdict_name(c->res.verdict), check_reason(&c->res));
  assert_non_null(strstr(check_reason(&c->res), "client certificate requested"));
  c = check_at(h, b + 1, UC_TCP, false);
  if (c->res.verdict != UC_WARN)
    fail_msg("%u/tcp: %s: %s", b + 1, uc_verdict_name(c->res.verdict), check_reason(&c->res));
  assert_non_null(strstr(check_reason(&c->res), "expired"));
  for (unsigned p = b + 2; p <= b + 5; p++) {
    c = check_at(h, p, UC_TCP, false);
    if (c->res.verdict != UC_PASS)
      fail_msg("%u/tcp: %s: %s", p, uc_verdict_name(c->res.verdict), check_reason(&c->res));
  }
  c = check_at(h, b + 6, UC_UDP, false);
  assert_int_equal(c->res.verdict, UC_PASS);
  assert_true(c->res.listener);
  c = check_at(h, b + 7, UC_UDP, false);
  assert_int_equal(c->res.verdict, UC_PASS);
  assert_true(c->res.listener);
  assert_int_equal(check_at(h, b + 8, UC_TCP, false)->res.verdict, UC_SKIP);
  c = check_at(h, b + 10, UC_UDP, true);
  assert_int_equal(c->res.verdict, UC_PASS);
  assert_int_equal(c->range->open, 14);
  assert_true(c->range->listener);
  c = check_at(h, b + 10, UC_TCP, true);
  assert_int_equal(c->res.verdict, UC_PASS);
  assert_int_equal(c->range->open, 14);

  int stopped = 0;
  listen_stop(l, on_stopped, &stopped);
  engine_free(e);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(stopped, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
  listen_report_free(&rep);
  listen_plan_free(&lp);
  plan_free(&plan);
  topo_free(&topo);
  catalog_free(&cat);
  free(doc);
}

/* A (protocol, application) whose check the plan resolves to `row`: the row's own, or for a
 * row that takes any protocol the first one no earlier row claims (the transport's plain
 * protocol first). false: no check reaches the row (an earlier row shadows it). */
static bool check_for_row(const struct probe_choice *row, enum uc_proto *p)
{
  if (row->protocol != UC_P_COUNT) {
    *p = row->protocol;
    return probe_lookup(row->transport, *p, row->application) == row;
  }
  enum uc_proto plain = row->transport == UC_UDP ? UC_P_UDP : UC_P_TCP;
  for (int k = -1; k < UC_P_COUNT; k++) {
    enum uc_proto c = k < 0 ? plain : (enum uc_proto)k;
    if (c == UC_P_DHCP || c == UC_P_IPSEC || c == (row->transport == UC_UDP ? UC_P_TCP : UC_P_UDP))
      continue; /* not probeable; the other transport's plain protocol */
    if (probe_lookup(row->transport, c, row->application) == row) {
      *p = c;
      return true;
    }
  }
  return false;
}

/* The module classified the listener's reply: its token is in what the check kept (the UDP
 * modules flag it; the TCP ones keep the Server header or the stream id as evidence). */
static bool answered_by_listener(const struct check_result *res)
{
  if (res->listener || strstr(check_reason(res), UC_LISTENER_TOKEN))
    return true;
  char *ev = res->evidence ? json_dumps(res->evidence, JSON_COMPACT) : NULL;
  bool found = ev && strstr(ev, UC_LISTENER_TOKEN);
  free(ev);
  return found;
}

/* Every row of the protocol table, one check each on a port of its own: the listener opens
 * the port from the check's row (its responder, TLS, client-certificate request), the engine
 * scans it with the same row's probe module, and the check passes. A row whose module asks
 * something is answered by the listener (the token is in the reply the module classified).
 * Nothing here says which responder answers which module: the row does. */
static void test_every_row_against_its_listener(void **state)
{
  (void)state;
  const char *ip = "127.0.0.23";
  size_t nrows;
  const struct probe_choice *rows = probe_table(&nrows);
  assert_true(nrows > 10 && nrows < 60);
  unsigned b = free_ports(ip, 500, (unsigned)nrows + 2);
  size_t cap = 512 * (nrows + 1) + sizeof(lab_fmt);
  char *doc = malloc(cap), *rowtext = malloc(cap), portbuf[64], appbuf[64];
  assert_non_null(doc);
  assert_non_null(rowtext);
  size_t used = 0;
  for (unsigned i = 0; i < nrows; i++) {
    enum uc_proto p = UC_P_TCP;
    if (!check_for_row(&rows[i], &p))
      fail_msg("row %u (%s/%s/%s): no check reaches it", i, uc_transport_name(rows[i].transport),
               rows[i].protocol == UC_P_COUNT ? "*" : uc_proto_name(rows[i].protocol),
               rows[i].application ? rows[i].application : "*");
    snprintf(portbuf, sizeof(portbuf), "\"port\": %u", b + i);
    if (rows[i].application)
      snprintf(appbuf, sizeof(appbuf), "\"%s\"", rows[i].application);
    else
      snprintf(appbuf, sizeof(appbuf), "null");
    used += (size_t)snprintf(rowtext + used, cap - used, row_fmt, i ? "," : "", i, portbuf,
                             rows[i].transport == UC_UDP ? "[\"udp\"]" : "[\"tcp\"]",
                             uc_proto_name(p), appbuf, "inbound", i + 1);
    assert_true(used < cap);
  }
  /* and the range rows: one range on both transports */
  snprintf(portbuf, sizeof(portbuf), "\"ports\": \"%u-%u\"", b + (unsigned)nrows,
           b + (unsigned)nrows + 1);
  used +=
      (size_t)snprintf(rowtext + used, cap - used, row_fmt, ",", (unsigned)nrows, portbuf,
                       "[\"tcp\", \"udp\"]", "rtp", "\"media\"", "inbound", (unsigned)nrows + 1);
  assert_true(used < cap);
  snprintf(doc, cap, lab_fmt, rowtext);
  free(rowtext);

  struct catalog cat = {0};
  struct uc_err err;
  assert_int_equal(catalog_load_builtin(&cat, &err), 0);
  if (catalog_load_text(&cat, "rows.json", doc, strlen(doc), 0, &err) < 0)
    fail_msg("%s:%d:%d: %s", err.source, err.line, err.column, err.text);
  static const char topo_text[] =
      "{\"name\": \"rows\", \"hosts\": [{\"name\": \"rows01.contoso.test\", \"address\": "
      "\"127.0.0.23\", \"roles\": [\"lab\"]}]}";
  struct topology topo;
  assert_int_equal(topo_load_text(&topo, "rows", topo_text, strlen(topo_text), &cat, &err), 0);
  struct plan plan;
  assert_int_equal(plan_from_catalog(&plan, &topo, &cat, "sfb2015", &err), 0);
  struct plan_host *h = &plan.hosts[0];
  for (unsigned i = 0; i < nrows; i++)
    assert_ptr_equal(check_at(h, b + i, rows[i].transport, false)->proto, &rows[i]);

  struct listen_plan lp;
  assert_int_equal(listen_plan_from_host(&lp, h, &err), 0);
  assert_int_equal(lp.n, nrows + 4);
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct listen_conf conf = {.plan = &lp, .bind = ip, .host_name = h->name};
  struct listen_report rep;
  memset(&rep, 0, sizeof(rep));
  struct listener *l = listen_start(&loop, &conf, &rep);
  assert_non_null(l);
  assert_int_equal(rep.opened, lp.n);

  struct scan_conf sc;
  scan_conf_fast(&sc);
  sc.timeout_ms = 20000; /* see test_engine_against_listener */
  sc.retries = 1;
  sc.progress = false;
  sc.evidence_capture = false;
  struct engine *e = engine_new(&loop, &plan, &sc);
  struct scan_done sd = {0};
  assert_int_equal(engine_start(e, on_engine_done, &sd), 0);
  while (!sd.done)
    uv_run(&loop, UV_RUN_ONCE);
  engine_finalize(e);

  for (unsigned i = 0; i < nrows; i++) {
    const struct probe_choice *r = &rows[i];
    struct plan_check *c = check_at(h, b + i, r->transport, false);
    if (c->res.verdict != UC_PASS || (r->app && !answered_by_listener(&c->res)))
      fail_msg("row %u (%s/%s/%s, probe %s%s%s) on %u: %s%s: %s", i,
               uc_transport_name(r->transport),
               r->protocol == UC_P_COUNT ? "*" : uc_proto_name(r->protocol),
               r->application ? r->application : "*", r->name, r->app ? " + " : "",
               r->app ? r->app->name : "", b + i, uc_verdict_name(c->res.verdict),
               answered_by_listener(&c->res) ? "" : " (no listener token)", check_reason(&c->res));
  }
  for (int t = 0; t < 2; t++) {
    struct plan_check *c = check_at(h, b + (unsigned)nrows, t ? UC_UDP : UC_TCP, true);
    assert_ptr_equal(c->proto, probe_range(t ? UC_UDP : UC_TCP));
    if (c->res.verdict != UC_PASS || c->range->open != 2)
      fail_msg("range %s: %s: %s", t ? "udp" : "tcp", uc_verdict_name(c->res.verdict),
               check_reason(&c->res));
  }

  int stopped = 0;
  listen_stop(l, on_stopped, &stopped);
  engine_free(e);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(stopped, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
  listen_report_free(&rep);
  listen_plan_free(&lp);
  plan_free(&plan);
  topo_free(&topo);
  catalog_free(&cat);
  free(doc);
}

static void test_fd_budget(void **state)
{
  (void)state;
  struct listen_fds fds;
  listen_fd_prepare(10, 16, &fds);
  assert_true(fds.enough);
  assert_int_equal(fds.ports, 10);
  assert_int_equal(fds.conns, 16);
  assert_true(fds.in_use >= 3); /* stdio at least */
  /* More than any limit can give (fs.nr_open caps even root): say how many fit. */
  listen_fd_prepare(5000000, 1024, &fds);
  assert_false(fds.enough);
  assert_true(fds.ports < 5000000);
  assert_true(fds.ports > 0);
  assert_true(fds.conns >= 16 && fds.conns <= 1024);
  assert_true(fds.in_use + fds.ports + fds.conns + LISTEN_FD_RESERVE <= fds.soft);
  struct rlimit rl;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
  assert_int_equal(rl.rlim_cur, fds.soft); /* raised as far as it goes */
  assert_int_equal(rl.rlim_cur, rl.rlim_max);
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN); /* as ucscan's main(): a write to a closed peer fails with EPIPE */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_start_answer_stop),
      cmocka_unit_test(test_idle_timeout),
      cmocka_unit_test(test_in_use),
      cmocka_unit_test(test_faults_budget_errors),
      cmocka_unit_test(test_engine_against_listener),
      cmocka_unit_test(test_every_row_against_its_listener),
      cmocka_unit_test(test_fd_budget),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
