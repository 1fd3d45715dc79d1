/* scanner/attempt_tcp.c - one TCP attempt: connect, then (when the check asks for it) a
 * TLS handshake and an application exchange, all driven by the loop.
 *
 * Phases and deadlines:
 *   CONNECT  adaptive per-host deadline (rtt.h); no answer -> ATT_NO_ANSWER (retried)
 *   TLS      --timeout for the whole handshake; ciphertext capped at TLS_CAP bytes
 *   APP      --timeout for request and reply; plaintext capped at the module's read_cap
 * Every connected socket closes with RST (uv_tcp_close_reset): a scan leaves no TIME_WAIT
 * behind. A refused or failed connect has no connection to reset and just closes. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/platform.h"
#include "probes/cert.h"
#include "probes/tls.h"
#include "scanner/engine_int.h"

#define TLS_CAP (256u * 1024u)
#define CHUNK 16384

/* PH_SETTLE: a TLS 1.3 handshake done, a client certificate requested, no application to
 * speak: a short wait for the server's verdict on our empty Certificate (alert 116 comes only
 * after our side finished), so a refusal reads the same as with TLS 1.2. */
enum phase { PH_CONNECT, PH_TLS, PH_SETTLE, PH_APP, PH_CLOSING };

struct tcp_attempt {
  struct attempt a; /* first: the engine frees through it */
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_connect_t creq;
  struct sockaddr_storage dst;
  uint16_t lport;            /* our port, for the capture's evidence (0: unknown) */
  struct uc_handles handles; /* tcp and timer, until their close callbacks ran */
  bool established;          /* the connect succeeded: close with RST */
  enum phase phase;
  struct probe_choice pc;
  struct probe_target tgt;
  struct tls_conn *tls;
  size_t tls_bytes;
  void *app_state;
  uint8_t *rx;
  size_t rx_len;
  double rtt_ms;
  bool rtt_kernel;    /* rtt_ms is the kernel's handshake RTT (TCP_INFO) */
  int64_t sent_rt_ns; /* when connect() sent the SYN, CLOCK_REALTIME */
  json_t *evidence;   /* tls evidence, then app evidence merged in */
  enum uc_outcome tls_outcome;
  char tls_reason[UC_REASON_MAX];
  /* A server that refuses the SNI name (alert 112) is alive: the attempt reconnects and offers
   * the next name (tls_sni_alternative) until one is accepted or none is left. */
  char sni[256];       /* the name offered on this connection ("": none) */
  unsigned sni_next;   /* next alternative */
  json_t *sni_refused; /* names refused so far, or NULL */
  bool reconnecting;   /* the TCP handle is closing for a new connection */
  bool tcp_gone;       /* ... and could not be made again: nothing left to close */
  bool connect_late;   /* the deadline passed with the connect settled, its callback due */
};

struct write_req {
  uv_write_t req;
  uint8_t data[];
};

static void on_close(uv_handle_t *h)
{
  struct tcp_attempt *ta = h->data;
  if (!uc_handles_closed(&ta->handles))
    return;
  if (ta->tls)
    tls_conn_free(ta->tls);
  free(ta->app_state);
  free(ta->rx);
  json_decref(ta->evidence);
  json_decref(ta->sni_refused);
  engine_attempt_release(&ta->a);
}

static void close_all(struct tcp_attempt *ta)
{
  if (ta->phase == PH_CLOSING)
    return;
  ta->phase = PH_CLOSING;
  uv_timer_stop(&ta->timer);
  uv_close((uv_handle_t *)&ta->timer, on_close);
  if (ta->reconnecting || ta->tcp_gone)
    return; /* the handle is closing already: on_reconnect_closed sees PH_CLOSING */
  if (uv_is_active((uv_handle_t *)&ta->tcp))
    uv_read_stop((uv_stream_t *)&ta->tcp);
  if (!ta->established || uv_tcp_close_reset(&ta->tcp, on_close) != 0)
    uv_close((uv_handle_t *)&ta->tcp, on_close);
}

static void cancel(struct attempt *a)
{
  close_all((struct tcp_attempt *)a);
}

/* Report *r (its evidence handed over) and close. */
static void finish_with(struct tcp_attempt *ta, struct attempt_result *r)
{
  if (!ta->a.reported)
    engine_attempt_done(&ta->a, r);
  else
    json_decref(r->evidence);
  close_all(ta);
}

/* Report and close. `evidence` is handed over. */
static void finish(struct tcp_attempt *ta, enum attempt_status st, enum uc_state state,
                   enum uc_outcome oc, json_t *evidence, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void finish(struct tcp_attempt *ta, enum attempt_status st, enum uc_state state,
                   enum uc_outcome oc, json_t *evidence, const char *fmt, ...)
{
  struct attempt_result r = {.status = st,
                             .state = state,
                             .outcome = oc,
                             .rtt_ms = ta->rtt_ms,
                             .rtt_kernel = ta->rtt_kernel,
                             .evidence = evidence};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r.reason, sizeof(r.reason), fmt, ap);
  va_end(ap);
  finish_with(ta, &r);
}

static double elapsed_ms(const struct tcp_attempt *ta)
{
  return (double)(uv_hrtime() - ta->a.start_ns) / 1e6;
}

/* The handshake's round trip as the kernel measured it (TCP_INFO, microseconds), free of the
 * time the connect callback waited its turn in a busy loop (4,096 connects in flight put tens
 * of milliseconds on a loopback RTT); -1 when the kernel has none. */
static double kernel_rtt_ms(const uv_tcp_t *t)
{
  uv_os_fd_t fd;
  if (uv_fileno((const uv_handle_t *)t, &fd) != 0)
    return -1;
  return plat_tcp_rtt_ms((uv_os_sock_t)fd); /* Linux: TCP_INFO */
}

/* ICMP errors about our SYN go to the socket's error queue too (evidence_socket_opts). */
static void tcp_socket_opts(struct tcp_attempt *ta, const struct engine *e)
{
  uv_os_fd_t fd;
  if (uv_fileno((const uv_handle_t *)&ta->tcp, &fd) == 0) {
    evidence_socket_opts(plat_fd_sock(fd), ta->dst.ss_family);
    plat_tcp_probe_opts((uv_os_sock_t)fd, e->conf->timeout_ms); /* Windows: RST at once */
  }
}

static void on_write(uv_write_t *req, int status)
{
  (void)status; /* a failed write shows up as a read error or the deadline */
  free(req->data);
}

static int write_bytes(struct tcp_attempt *ta, const uint8_t *p, size_t n)
{
  if (n == 0)
    return 0;
  struct write_req *w = malloc(sizeof(*w) + n);
  if (!w)
    return UV_ENOMEM;
  memcpy(w->data, p, n);
  w->req.data = w;
  uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
  int rc = uv_write(&w->req, (uv_stream_t *)&ta->tcp, &b, 1, on_write);
  if (rc != 0)
    free(w);
  return rc;
}

static int flush_tls(struct tcp_attempt *ta)
{
  uint8_t buf[CHUNK];
  size_t n;
  while ((n = tls_conn_drain(ta->tls, buf, sizeof(buf))) > 0)
    if (write_bytes(ta, buf, n) != 0)
      return -1;
  return 0;
}

static void restart_timer(struct tcp_attempt *ta, unsigned ms, uv_timer_cb cb)
{
  uv_timer_stop(&ta->timer);
  uv_update_time(ta->timer.loop); /* from now, not from the start of a long loop iteration */
  uv_timer_start(&ta->timer, cb, ms, 0);
}

/* --- application phase --- */

static json_t *merge_evidence(json_t *into, json_t *more)
{
  if (!more)
    return into;
  if (!into)
    return more;
  json_object_update(into, more);
  json_decref(more);
  return into;
}

/* The app module has its outcome: combine it with the TLS result when the exchange ran
 * inside TLS. There it is secondary: a SIP stack that does not answer, or answers badly, does
 * not fail the handshake. But another protocol answering (a web server on the Edge's 443
 * where Access Edge SIP belongs) is a different fact from silence: the port is served by the
 * wrong thing, and a person must look (issue 11). */
static void app_done(struct tcp_attempt *ta, struct probe_outcome *o)
{
  json_t *ev = merge_evidence(ta->evidence, o->evidence);
  ta->evidence = NULL;
  o->evidence = NULL;
  if (ta->pc.tls && ta->pc.app_is_secondary) {
    enum uc_outcome oc = ta->tls_outcome;
    if (o->foreign && oc < UC_OUT_WARN)
      oc = UC_OUT_WARN;
    finish(ta, ATT_FINAL, UC_ST_OPEN, oc, ev, "%s; %s", ta->tls_reason, o->reason);
    return;
  }
  if (ta->pc.app_is_secondary) { /* plain TCP: the accept decides, the answer is evidence */
    enum uc_outcome oc = o->foreign                ? UC_OUT_WARN
                         : o->outcome == UC_OUT_OK ? UC_OUT_OK
                                                   : UC_OUT_NONE;
    finish(ta, ATT_FINAL, UC_ST_OPEN, oc, ev, "connection accepted; %s", o->reason);
    return;
  }
  finish(ta, ATT_FINAL, UC_ST_OPEN, o->outcome, ev, "%s", o->reason);
}

static void app_finish(struct tcp_attempt *ta, enum probe_end why)
{
  struct probe_outcome o = {.state = UC_ST_OPEN};
  ta->pc.app->finish(ta->app_state, &ta->tgt, why, ta->rx, ta->rx_len, &o);
  app_done(ta, &o);
}

static void on_app_timeout(uv_timer_t *t)
{
  app_finish(t->data, PROBE_END_TIMEOUT);
}

/* New plaintext is in ta->rx: let the module judge it. */
static void app_classify(struct tcp_attempt *ta)
{
  struct probe_outcome o = {.state = UC_ST_OPEN};
  if (ta->pc.app->classify(ta->app_state, &ta->tgt, ta->rx, ta->rx_len, NULL, &o) == PROBE_DONE) {
    app_done(ta, &o);
    return;
  }
  json_decref(o.evidence);
  if (ta->rx_len >= ta->pc.app->read_cap)
    app_finish(ta, PROBE_END_CAP);
}

static void app_append(struct tcp_attempt *ta, const uint8_t *p, size_t n)
{
  size_t room = ta->pc.app->read_cap - ta->rx_len;
  if (n > room)
    n = room;
  memcpy(ta->rx + ta->rx_len, p, n);
  ta->rx_len += n;
}

static void app_start(struct tcp_attempt *ta)
{
  const struct probe_module *m = ta->pc.app;
  uint8_t rnd[32];
  ta->phase = PH_APP;
  ta->app_state = calloc(1, m->state_size ? m->state_size : 1);
  ta->rx = malloc(m->read_cap + 1);
  if (!ta->app_state || !ta->rx) {
    finish(ta, ATT_FINAL, UC_ST_ERROR, UC_OUT_NONE, NULL, "out of memory");
    return;
  }
  engine_random(rnd);
  if (m->init)
    m->init(ta->app_state, &ta->tgt, rnd);
  uint8_t buf[CHUNK];
  for (unsigned i = 0;; i++) {
    size_t n = m->build(ta->app_state, &ta->tgt, i, buf, sizeof(buf));
    if (n == 0)
      break;
    int rc = ta->tls ? (tls_conn_write(ta->tls, buf, n) == 0 && flush_tls(ta) == 0 ? 0 : -1)
                     : write_bytes(ta, buf, n);
    if (rc != 0) {
      app_finish(ta, PROBE_END_RESET);
      return;
    }
  }
  restart_timer(ta, ta->a.eng->conf->timeout_ms, on_app_timeout);
}

/* --- TLS phase --- */

/* Appends s to buf, cut to fit. */
static void reason_append(char *buf, size_t cap, const char *s)
{
  size_t used = strlen(buf), n = strlen(s);
  if (used + 1 >= cap)
    return;
  if (n > cap - used - 1)
    n = cap - used - 1;
  memcpy(buf + used, s, n);
  buf[used + n] = '\0';
}

/* The server refused the names in ta->sni_refused and this connection offered ta->sni: the
 * port is alive and speaks TLS, so the check never fails for it; a person should know which
 * name the server refused (the host's own name in the certificate's SNI is what clients send)
 * and what it accepted. evidence.tls gets "sni_refused" and "sni" (null: none offered). */
static void sni_judge(struct tcp_attempt *ta)
{
  char names[160] = "", accepted[300];
  size_t n = json_array_size(ta->sni_refused);
  for (size_t i = 0; i < n; i++) {
    const char *v = json_string_value(json_array_get(ta->sni_refused, i));
    size_t used = strlen(names);
    snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "", v ? v : "?");
  }
  if (ta->sni[0])
    snprintf(accepted, sizeof(accepted), "with SNI %s", ta->sni);
  else
    snprintf(accepted, sizeof(accepted), "without SNI");
  char tail[UC_REASON_MAX];
  snprintf(tail, sizeof(tail), "%s", ta->tls_reason);
  snprintf(ta->tls_reason, sizeof(ta->tls_reason), "server refused the SNI name%s ",
           n == 1 ? "" : "s");
  const char *parts[] = {names, " (alert unrecognized name (112)); ", accepted, ": ", tail};
  for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
    reason_append(ta->tls_reason, sizeof(ta->tls_reason), parts[i]);
  if (ta->tls_outcome != UC_OUT_WARN)
    ta->tls_outcome = UC_OUT_WARN; /* alive and reachable: never a failure of the port */
  if (!ta->evidence)
    ta->evidence = json_object();
  if (ta->evidence) {
    json_object_set(ta->evidence, "sni_refused", ta->sni_refused);
    json_object_set_new(ta->evidence, "sni", ta->sni[0] ? json_string(ta->sni) : json_null());
  }
}

/* Judges the connection into ta->evidence ({"tls": ...}), ta->tls_outcome and ta->tls_reason.
 * `failure`: the engine's words for a failed handshake (a timeout, a reset), used as the
 * reason when the handshake failed; NULL after a completed one. */
static void tls_judge(struct tcp_attempt *ta, const char *failure)
{
  const struct scan_conf *conf = ta->a.eng->conf;
  struct tls_judge_opts jo = {.host = plan_target_name(ta->a.hs->h, ta->a.hs->tg),
                              .pool = ta->a.hs->h->pool,
                              .expect_client_cert = ta->pc.expect_client_cert,
                              .now = time(NULL),
                              .cert_warn_days = (int)conf->cert_warn_days};
  ta->evidence =
      tls_conn_evidence(ta->tls, &jo, &ta->tls_outcome, ta->tls_reason, sizeof(ta->tls_reason));
  if (ta->tls_outcome == UC_OUT_FAIL && failure && *failure)
    snprintf(ta->tls_reason, sizeof(ta->tls_reason), "%s", failure);
  if (ta->sni_refused)
    sni_judge(ta);
  if (ta->evidence) {
    json_t *wrap = json_pack("{s:o}", "tls", ta->evidence);
    ta->evidence = wrap;
  }
}

static bool sni_retry(struct tcp_attempt *ta);
static void on_connect(uv_connect_t *req, int status);
static void on_connect_timeout(uv_timer_t *t);

static void tls_failed(struct tcp_attempt *ta, const char *why)
{
  if (sni_retry(ta))
    return;
  /* A server that asked for a client certificate and refused to go on without one is not a
   * failure (tls_judge says so); otherwise the engine's words say best what went wrong. */
  tls_judge(ta, why);
  if (ta->tls_outcome == UC_OUT_FAIL && !ta->sni_refused && tls_conn_alert(ta->tls) == 112) {
    /* refused for its name, and no other name to offer: alive all the same */
    char was[UC_REASON_MAX];
    snprintf(was, sizeof(was), "%s", ta->tls_reason);
    snprintf(ta->tls_reason, sizeof(ta->tls_reason),
             "server serves other names and none is known to offer by SNI: %.190s", was);
    ta->tls_outcome = UC_OUT_WARN;
  }
  json_t *ev = ta->evidence;
  ta->evidence = NULL;
  finish(ta, ATT_FINAL, UC_ST_OPEN, ta->tls_outcome, ev, "%s", ta->tls_reason);
}

/* Reports the check as tls_judge left it. */
static void finish_tls_judged(struct tcp_attempt *ta)
{
  json_t *ev = ta->evidence;
  ta->evidence = NULL;
  finish(ta, ATT_FINAL, UC_ST_OPEN, ta->tls_outcome, ev, "%s", ta->tls_reason);
}

static bool finish_if_cert_refused(struct tcp_attempt *ta);
static void settle_read(struct tcp_attempt *ta, bool ended);

/* The deadline: first what the socket holds now (a busy loop runs expired timers before it
 * polls, so the verdict may be waiting), then, with no refusal, the handshake stands. */
static void on_settle_timeout(uv_timer_t *t)
{
  struct tcp_attempt *ta = t->data;
  uv_os_fd_t fd;
  uint8_t buf[CHUNK];
  ssize_t n = -1;
  if (uv_fileno((const uv_handle_t *)&ta->tcp, &fd) == 0)
    while ((n = recv(plat_fd_sock(fd), buf, sizeof(buf), MSG_DONTWAIT)) > 0)
      tls_conn_feed(ta->tls, buf, (size_t)n);
  if (n == 0)
    tls_conn_eof(ta->tls);
  settle_read(ta, true);
}

/* PH_SETTLE: whatever the server sent after the handshake (a session ticket, an alert, a
 * close) has been fed; a refusal decides the check, a close or data lets the handshake
 * stand. */
static void settle_read(struct tcp_attempt *ta, bool ended)
{
  uint8_t buf[CHUNK];
  ssize_t n = tls_conn_read(ta->tls, buf, sizeof(buf));
  flush_tls(ta);
  if (n == 0 && !ended)
    return; /* a session ticket, or nothing yet: wait for the verdict or the deadline */
  if (n < 0 && finish_if_cert_refused(ta))
    return;
  finish_tls_judged(ta);
}

static void tls_step(struct tcp_attempt *ta)
{
  enum tls_step st = tls_conn_handshake(ta->tls);
  if (flush_tls(ta) != 0 && st != TLS_STEP_FAILED) {
    tls_failed(ta, "connection reset during TLS handshake");
    return;
  }
  if (st == TLS_STEP_FAILED) {
    tls_failed(ta, tls_conn_error(ta->tls));
    return;
  }
  if (st != TLS_STEP_DONE)
    return;
  tls_judge(ta, NULL);
  if (ta->pc.app) {
    if (ta->sni_refused && ta->sni[0])
      ta->tgt.host = ta->sni; /* speak to the name the server said it serves */
    app_start(ta);
    return;
  }
  if (SSL_version(tls_conn_ssl(ta->tls)) == TLS1_3_VERSION && tls_conn_cert_requested(ta->tls)) {
    const struct scan_conf *c = ta->a.eng->conf;
    ta->phase = PH_SETTLE;
    restart_timer(ta, rtt_deadline_ms(&ta->a.hs->rtt, 0, c->min_rto_ms, c->timeout_ms),
                  on_settle_timeout);
    return;
  }
  finish_tls_judged(ta);
}

static void on_tls_timeout(uv_timer_t *t)
{
  struct tcp_attempt *ta = t->data;
  char why[UC_REASON_MAX];
  snprintf(why, sizeof(why), "TLS handshake timed out after %u ms (%zu bytes received)",
           ta->a.eng->conf->timeout_ms, ta->tls_bytes);
  tls_failed(ta, why);
}

/* --- reading --- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)suggested;
  struct tcp_attempt *ta = h->data;
  buf->base = (char *)ta->a.eng->readbuf;
  buf->len = sizeof(ta->a.eng->readbuf);
}

/* TLS 1.3: the server judged our empty Certificate once our side had finished, and refused to
 * go on. That refusal, not the application's silence, is what the port answered. */
static bool finish_if_cert_refused(struct tcp_attempt *ta)
{
  if (!ta->tls || !tls_conn_cert_refused(ta->tls))
    return false;
  json_decref(ta->evidence);
  ta->evidence = NULL;
  tls_judge(ta, NULL);
  json_t *ev = ta->evidence;
  ta->evidence = NULL;
  finish(ta, ATT_FINAL, UC_ST_OPEN, ta->tls_outcome, ev, "%s", ta->tls_reason);
  return true;
}

static void on_tls_plaintext(struct tcp_attempt *ta)
{
  uint8_t buf[CHUNK];
  for (;;) {
    ssize_t n = tls_conn_read(ta->tls, buf, sizeof(buf));
    flush_tls(ta);
    if (n > 0) {
      app_append(ta, buf, (size_t)n);
      app_classify(ta);
      if (ta->phase != PH_APP)
        return;
      continue;
    }
    if (n < 0 && !finish_if_cert_refused(ta))
      app_finish(ta, PROBE_END_EOF);
    return;
  }
}

/* UV_EOF, or the reset libuv took for one: a peer's last bytes and its RST read in one
 * turn come out as EOF (platform.h, plat_sock_pending_error), and "closed" would then be
 * the wrong fact about a server that reset mid-handshake. */
static ssize_t eof_or_reset(const struct tcp_attempt *ta)
{
  uv_os_fd_t fd;
  if (uv_fileno((const uv_handle_t *)&ta->tcp, &fd) == 0 &&
      plat_sock_pending_error((uv_os_sock_t)fd) == UV_ECONNRESET)
    return UV_ECONNRESET;
  return UV_EOF;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
  struct tcp_attempt *ta = s->data;
  if (ta->phase == PH_CLOSING || nread == 0)
    return;
  if (nread == UV_EOF)
    nread = eof_or_reset(ta);
  if (nread < 0) {
    bool eof = nread == UV_EOF;
    if (ta->phase == PH_TLS) {
      if (eof) {
        tls_conn_eof(ta->tls);
        tls_step(ta);
        if (ta->phase == PH_TLS)
          tls_failed(ta, "connection closed during TLS handshake");
      } else {
        char why[UC_REASON_MAX];
        snprintf(why, sizeof(why), "connection %s during TLS handshake (%zu bytes received)",
                 nread == UV_ECONNRESET ? "reset" : uv_strerror((int)nread), ta->tls_bytes);
        tls_failed(ta, why);
      }
    } else if (ta->phase == PH_SETTLE) {
      if (eof)
        tls_conn_eof(ta->tls);
      settle_read(ta, true);
    } else if (ta->phase == PH_APP) {
      if (ta->tls && eof) {
        tls_conn_eof(ta->tls);
        on_tls_plaintext(ta);
        if (ta->phase != PH_APP)
          return;
      }
      app_finish(ta, eof ? PROBE_END_EOF : PROBE_END_RESET);
    }
    return;
  }
  if (ta->phase == PH_TLS) {
    ta->tls_bytes += (size_t)nread;
    if (ta->tls_bytes > TLS_CAP) {
      char why[UC_REASON_MAX];
      snprintf(why, sizeof(why), "TLS handshake exceeds %u bytes without completing", TLS_CAP);
      tls_failed(ta, why);
      return;
    }
    tls_conn_feed(ta->tls, (const uint8_t *)buf->base, (size_t)nread);
    tls_step(ta);
    return;
  }
  if (ta->phase == PH_SETTLE) {
    tls_conn_feed(ta->tls, (const uint8_t *)buf->base, (size_t)nread);
    settle_read(ta, false);
    return;
  }
  if (ta->phase == PH_APP) {
    if (ta->tls) {
      tls_conn_feed(ta->tls, (const uint8_t *)buf->base, (size_t)nread);
      on_tls_plaintext(ta);
    } else {
      app_append(ta, (const uint8_t *)buf->base, (size_t)nread);
      app_classify(ta);
    }
  }
}

/* --- connecting --- */

/* The round trip from the capture's timestamp of the answer (a RST, an ICMP error), when it
 * saw one: the kernel's clock, comparable with an accepted port's TCP_INFO. */
static void capture_rtt(const struct tcp_attempt *ta, double *rtt_ms, bool *kernel)
{
  int64_t rx = ta->a.answer_rx_ns;
  if (rx > 0 && ta->sent_rt_ns > 0 && rx >= ta->sent_rt_ns) {
    *rtt_ms = (double)(rx - ta->sent_rt_ns) / 1e6;
    *kernel = true;
  }
}

/* What the capture saw settles the attempt: an ICMP error about this connect (or a RST
 * that our deadline beat to the socket). False: carry on with the socket's word. */
static bool finish_from_capture(struct tcp_attempt *ta, int status)
{
  struct attempt_result r;
  if (!evidence_connect(&ta->a, ta->lport, status, false, &r))
    return false;
  r.rtt_ms = ta->rtt_ms;
  capture_rtt(ta, &r.rtt_ms, &r.rtt_kernel);
  finish_with(ta, &r);
  return true;
}

/* The socket's error queue has the ICMP error that failed the connect (IP_RECVERR, no
 * privileges needed): the same state, reason and evidence as the capture gives, so that one
 * network reads the same from a root and a non-root scan (issue 11: "administratively
 * prohibited" was filtered with the capture and unreachable from EHOSTUNREACH). */
static bool finish_from_errqueue(struct tcp_attempt *ta)
{
  uv_os_fd_t fd;
  struct icmp_info ii;
  int64_t rx_ns;
  const char *meaning;
  if (uv_fileno((const uv_handle_t *)&ta->tcp, &fd) != 0 ||
      !evidence_errqueue(plat_fd_sock(fd), &ta->dst, &ii, &rx_ns))
    return false;
  enum uc_state st = icmp_classify(ii.v6, ii.type, ii.code, &meaning);
  if (st == UC_ST_NONE)
    return false;
  struct attempt_result r = {.status = ATT_FINAL, .state = st, .rtt_ms = ta->rtt_ms};
  if (rx_ns > 0 && ta->sent_rt_ns > 0 && rx_ns >= ta->sent_rt_ns) {
    r.rtt_ms = (double)(rx_ns - ta->sent_rt_ns) / 1e6;
    r.rtt_kernel = true;
  }
  icmp_reason(&ii, r.reason, sizeof(r.reason));
  r.evidence = json_pack("{s:o}", "icmp", icmp_evidence(&ii));
  r.has_icmp = true;
  r.icmp = ii;
  finish_with(ta, &r);
  return true;
}

static void on_connect_timeout(uv_timer_t *t)
{
  struct tcp_attempt *ta = t->data;
  if (finish_from_capture(ta, UV_ETIMEDOUT))
    return;
  if (finish_from_errqueue(ta))
    return; /* the ICMP came in time; the loop ran this timer before the socket's callback */
  uv_os_fd_t fd;
  if (!ta->connect_late && uv_fileno((const uv_handle_t *)&ta->tcp, &fd) == 0 &&
      plat_tcp_connect_settled(plat_fd_sock(fd))) {
    /* The SYN-ACK (or a RST) came in time, but a loop that was late (a loaded machine) runs
     * expired timers before it polls: the connect's callback comes in this iteration. The
     * timer stays as a guard, once. */
    ta->connect_late = true;
    restart_timer(ta, ta->a.eng->conf->timeout_ms, on_connect_timeout);
    return;
  }
  finish(ta, ATT_NO_ANSWER, UC_ST_FILTERED, UC_OUT_NONE, NULL,
         "no answer to %u connection attempts (last waited %.0f ms)", ta->a.w.attempt + 1,
         elapsed_ms(ta));
}

static void after_connect(struct tcp_attempt *ta)
{
  if (!ta->pc.tls && !ta->pc.app) {
    finish(ta, ATT_FINAL, UC_ST_OPEN, UC_OUT_NONE, NULL, "TCP connection accepted");
    return;
  }
  int rc = uv_read_start((uv_stream_t *)&ta->tcp, on_alloc, on_read);
  if (rc != 0) {
    finish(ta, ATT_FINAL, UC_ST_ERROR, UC_OUT_NONE, NULL, "cannot read: %s", uv_strerror(rc));
    return;
  }
  if (ta->pc.tls) {
    ta->phase = PH_TLS;
    ta->tls = tls_conn_new(ta->a.eng->tls_ctx, 0, ta->sni[0] ? ta->sni : NULL);
    if (!ta->tls) {
      finish(ta, ATT_FINAL, UC_ST_ERROR, UC_OUT_NONE, NULL, "out of memory");
      return;
    }
    restart_timer(ta, ta->a.eng->conf->timeout_ms, on_tls_timeout);
    tls_step(ta);
    return;
  }
  app_start(ta);
}

static void on_connect(uv_connect_t *req, int status)
{
  struct tcp_attempt *ta = req->data;
  if (ta->phase == PH_CLOSING || status == UV_ECANCELED)
    return;
  if (ta->sni_refused && status == 0) { /* a connection to offer another SNI name */
    ta->established = true;
    after_connect(ta);
    return;
  }
  ta->rtt_ms = elapsed_ms(ta);
  if (finish_from_capture(ta, status))
    return;
  if (status != 0 && status != UV_ECONNREFUSED && finish_from_errqueue(ta))
    return;
  if (status == 0) {
    ta->established = true;
    /* deadlines adapt to what the loop sees (its own delays included); the report gets the
     * network's round trip */
    rtt_sample(&ta->a.hs->rtt, ta->rtt_ms);
    double k = kernel_rtt_ms(&ta->tcp);
    if (k >= 0 && k < ta->rtt_ms) {
      ta->rtt_ms = k;
      ta->rtt_kernel = true;
    }
    after_connect(ta);
    return;
  }
  if (status == UV_ECONNREFUSED) {
    rtt_sample(&ta->a.hs->rtt, ta->rtt_ms);
    capture_rtt(ta, &ta->rtt_ms, &ta->rtt_kernel);
  }
  struct attempt_result r = {.rtt_ms = ta->rtt_ms, .rtt_kernel = ta->rtt_kernel};
  engine_connect_failure(status, ta->a.w.attempt + 1, &r);
  finish_with(ta, &r);
}

/* The refused connection is closed: open the next one (same attempt, same deadlines). */
static void on_reconnect_closed(uv_handle_t *h)
{
  struct tcp_attempt *ta = h->data;
  ta->reconnecting = false;
  if (ta->phase == PH_CLOSING) { /* cancelled meanwhile: the handle counts as closed */
    on_close(h);
    return;
  }
  uc_handles_closed(&ta->handles); /* the refused connection's; the timer stays open */
  int rc = uv_tcp_init_ex(ta->a.eng->loop, &ta->tcp, ta->dst.ss_family);
  if (rc != 0) {
    ta->tcp_gone = true;
    finish(ta, ATT_FINAL, UC_ST_ERROR, UC_OUT_NONE, NULL,
           "cannot reconnect to offer another SNI name: %s", uv_strerror(rc));
    return;
  }
  uc_handles_open(&ta->handles, 1);
  ta->tcp.data = ta;
  ta->creq.data = ta;
  tcp_socket_opts(ta, ta->a.eng);
  rc = uv_tcp_connect(&ta->creq, &ta->tcp, (const struct sockaddr *)&ta->dst, on_connect);
  if (rc != 0) {
    finish(ta, ATT_FINAL, UC_ST_ERROR, UC_OUT_NONE, NULL,
           "cannot reconnect to offer another SNI name: %s", uv_strerror(rc));
    return;
  }
  restart_timer(ta, ta->a.eng->conf->timeout_ms, on_connect_timeout);
}

/* The server answered our SNI name with alert 112 (unrecognized name): it is alive and speaks
 * TLS, for other names. Closes this connection and offers the next name on a new one; false
 * when it was not that alert or no name is left to offer. */
static bool sni_retry(struct tcp_attempt *ta)
{
  char next[256];
  const struct plan_host *h = ta->a.hs->h;
  if (ta->phase != PH_TLS || !ta->tls || tls_conn_alert(ta->tls) != 112)
    return false;
  do { /* never the name just refused again (no SNI for an address, then no SNI) */
    if (!tls_sni_alternative(h->name, h->pool, ta->sni_next++, next, sizeof(next)))
      return false;
  } while (strcmp(next, ta->sni) == 0);
  if (!ta->sni_refused && !(ta->sni_refused = json_array()))
    return false;
  json_array_append_new(ta->sni_refused, json_string(ta->sni[0] ? ta->sni : "(none)"));
  snprintf(ta->sni, sizeof(ta->sni), "%s", next);
  tls_conn_free(ta->tls);
  ta->tls = NULL;
  ta->tls_bytes = 0;
  ta->phase = PH_CONNECT;
  ta->lport = 0; /* the capture's evidence belongs to the first connection */
  uv_timer_stop(&ta->timer);
  if (uv_is_active((uv_handle_t *)&ta->tcp))
    uv_read_stop((uv_stream_t *)&ta->tcp);
  ta->reconnecting = true;
  bool reset = ta->established;
  ta->established = false;
  if (!reset || uv_tcp_close_reset(&ta->tcp, on_reconnect_closed) != 0)
    uv_close((uv_handle_t *)&ta->tcp, on_reconnect_closed);
  return true;
}

/* connect() failed before any packet: the same mapping as an asynchronous failure. */
static void on_connect_error_now(struct tcp_attempt *ta, int rc)
{
  ta->creq.data = ta;
  on_connect(&ta->creq, rc);
  if (ta->phase != PH_CLOSING) /* on_connect ignored it (UV_ECANCELED) */
    finish(ta, ATT_FINAL, UC_ST_ERROR, UC_OUT_NONE, NULL, "connect failed: %s", uv_strerror(rc));
}

int attempt_tcp_start(struct engine *e, struct host_sched *hs, const struct work *w)
{
  struct tcp_attempt *ta = calloc(1, sizeof(*ta));
  if (!ta)
    return UV_ENOMEM;
  if (w->check)
    ta->pc = *w->check->proto;
  else
    ta->pc = *probe_range(UC_TCP);
  ta->dst = hs->tg->addr;
  if (ta->dst.ss_family == AF_INET)
    ((struct sockaddr_in *)&ta->dst)->sin_port = htons(w->port);
  else
    ((struct sockaddr_in6 *)&ta->dst)->sin6_port = htons(w->port);
  struct sockaddr_storage src;
  socklen_t srclen;
  int has_src = engine_source_for(e, ta->dst.ss_family, &src, &srclen);
  if (has_src < 0) {
    free(ta);
    return has_src;
  }
  /* The socket is made now: EMFILE is then a start error with nothing to close. */
  int rc = uv_tcp_init_ex(e->loop, &ta->tcp, ta->dst.ss_family);
  if (rc != 0) {
    free(ta);
    return rc;
  }
  ta->tcp.data = ta;
  tcp_socket_opts(ta, e);
  uv_timer_init(e->loop, &ta->timer);
  ta->timer.data = ta;
  uc_handles_open(&ta->handles, 2);
  ta->creq.data = ta;
  engine_attempt_link(e, &ta->a, hs, w);
  ta->a.cancel = cancel;
  ta->rtt_ms = -1;
  ta->tgt.host = plan_target_name(hs->h, hs->tg);
  ta->tgt.pool = hs->h->pool;
  ta->tgt.addr = (const struct sockaddr *)&ta->dst;
  ta->tgt.port = w->port;
  ta->tgt.protocol = w->check ? w->check->protocol : UC_P_TCP;
  if (has_src && (rc = uv_tcp_bind(&ta->tcp, (const struct sockaddr *)&src, 0)) != 0) {
    finish(ta, engine_is_resource_error(rc) ? ATT_RESOURCE : ATT_FINAL, UC_ST_ERROR, UC_OUT_NONE,
           NULL, "cannot send from --source %s: %s", e->conf->source_addr, uv_strerror(rc));
    return 0;
  }
  /* the name the first handshake offers by SNI: none for an address (tls_conn_new) */
  const char *name = plan_target_name(hs->h, hs->tg);
  snprintf(ta->sni, sizeof(ta->sni), "%s", cert_ip_literal(name, NULL, NULL) ? "" : name);
  ta->sent_rt_ns = evidence_realtime_ns();
  rc = uv_tcp_connect(&ta->creq, &ta->tcp, (const struct sockaddr *)&ta->dst, on_connect);
  if (rc != 0) {
    on_connect_error_now(ta, rc);
    return 0;
  }
  struct sockaddr_storage local;
  int llen = sizeof(local);
  if (e->capture && uv_tcp_getsockname(&ta->tcp, (struct sockaddr *)&local, &llen) == 0)
    ta->lport = ntohs(local.ss_family == AF_INET ? ((struct sockaddr_in *)&local)->sin_port
                                                 : ((struct sockaddr_in6 *)&local)->sin6_port);
  const struct scan_conf *conf = e->conf;
  restart_timer(ta, rtt_deadline_ms(&hs->rtt, w->attempt, conf->min_rto_ms, conf->timeout_ms),
                on_connect_timeout);
  return 0;
}
