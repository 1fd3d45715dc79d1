/* cli/scan_session.c - signals, progress line, engine run, outputs. */
#include "cli/scan_session.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/fdroom.h"
#include "reports/atomic.h"
#include "reports/csv.h"
#include "reports/html.h"
#include "reports/junit.h"
#include "reports/prom.h"
#include "reports/report_table.h"
#include "scanner/engine.h"
#include "scanner/privdrop.h"

/* The signals that stop a scan with a partial report: ^C, kill, and the hang-up of the SSH
 * session or terminal it was started from. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NSTOP_SIGNALS (sizeof(stop_signals) / sizeof(stop_signals[0]))

struct session {
  uv_loop_t *loop;
  struct engine *eng;
  uv_signal_t sig[NSTOP_SIGNALS];
  uv_timer_t progress;
  unsigned closing; /* our handles whose close callback has not run yet */
  bool show_progress;
  uint64_t started_ns;
};

uint64_t scan_now_ms(void)
{
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void progress_line(struct session *r, bool final)
{
  struct engine_progress p;
  engine_progress(r->eng, &p);
  double secs = (double)(uv_hrtime() - r->started_ns) / 1e9;
  double rate = secs > 0 ? (double)p.done / secs : 0;
  double pct = p.total ? 100.0 * (double)p.done / (double)p.total : 100.0;
  char eta[32] = "-";
  if (rate > 0 && p.done < p.total)
    snprintf(eta, sizeof(eta), "%.0fs", (double)(p.total - p.done) / rate);
  fprintf(stderr, "\r\033[K%llu/%llu probes (%.1f%%)  %.0f/s  ETA %s  in flight %u%s",
          (unsigned long long)p.done, (unsigned long long)p.total, pct, rate, eta, p.inflight,
          p.hosts_resolving ? "  resolving names" : "");
  if (final)
    fputs("\r\033[K", stderr);
  fflush(stderr);
}

static void on_progress(uv_timer_t *t)
{
  progress_line(t->data, false);
}

/* Once a stop is under way, or the scan is over and its outputs are being written, the loop
 * may not run again (a blocked stdout, a slow disk): a libuv signal watcher would then never
 * see a second SIGINT. A plain handler exits at once, whatever the loop is doing. */
static void exit_now(int signum)
{
  static const char msg[] = "\nucscan: signal during shutdown: exiting now (status 3)\n";
  (void)signum;
  ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
  (void)w;
  _exit(3);
}

static void exit_on_next_signal(struct session *r)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < NSTOP_SIGNALS; i++) {
    uv_signal_stop(&r->sig[i]); /* hands the signal back (SIG_DFL) first */
    /* a dropped session often sends SIGHUP twice (the shell, then the kernel): the second
     * must not cost the report */
    sa.sa_handler = stop_signals[i] == SIGHUP ? SIG_IGN : exit_now;
    sigaction(stop_signals[i], &sa, NULL);
  }
}

static void on_signal(uv_signal_t *s, int signum)
{
  struct session *r = s->data;
  fprintf(stderr,
          "%sucscan: %s: stopping, cancelling probes in flight; a partial report follows "
          "(signal again to exit at once)\n",
          r->show_progress ? "\n" : "",
          signum == SIGINT   ? "interrupted"
          : signum == SIGHUP ? "hung up"
                             : "terminated");
  exit_on_next_signal(r);
  engine_stop(r->eng);
}

static void on_done(struct engine *e, void *arg)
{
  struct session *r = arg;
  (void)e;
  if (r->show_progress) {
    uv_timer_stop(&r->progress);
    progress_line(r, true);
  }
  exit_on_next_signal(r);
  uv_stop(r->loop); /* the caller's other handles (demo listeners) may keep the loop alive */
}

bool scan_output_format_known(const char *fmt)
{
  static const char *const known[] = {"json", "table", "junit", "prometheus", "csv", "html", NULL};
  for (const char *const *k = known; *k; k++)
    if (fmt && strcmp(fmt, *k) == 0)
      return true;
  return false;
}

static int write_file(const char *path, const char *text, size_t len, bool newline)
{
  struct uc_err err;
  char *file = malloc(len + 2);
  if (!file) {
    fprintf(stderr, "ucscan: %s: out of memory\n", path);
    return -1;
  }
  memcpy(file, text, len);
  if (newline)
    file[len++] = '\n';
  file[len] = '\0';
  int rc = atomic_write(path, file, len, &err);
  free(file);
  if (rc < 0) {
    char msg[800];
    uc_err_format(&err, msg, sizeof(msg));
    fprintf(stderr, "ucscan: %s\n", msg);
  }
  return rc;
}

/* One descriptor, held from before the event loop exists until the outputs are written:
 * when the open-file limit is what stopped the scan, or kept it from starting, the report
 * can still be written. Process-wide, like the limit it guards against. */
static int spare_fd = -1;

void scan_session_hold_fd(void)
{
  if (spare_fd < 0)
    spare_fd = fdroom_take();
  tzset(); /* the report's times need /etc/localtime: read it now, while descriptors are free */
}

static void give_back_fd(void)
{
  if (spare_fd >= 0)
    close(spare_fd);
  spare_fd = -1;
}

int scan_session_write(const struct scan_output *out, const struct plan *plan,
                       const struct report_meta *meta)
{
  give_back_fd();
  /* The JSON report is the one source every output is made from. */
  json_t *rep = report_json(plan, meta);
  char *text = rep ? json_dumps(rep, REPORT_DUMP_FLAGS) : NULL;
  if (!text) {
    json_decref(rep);
    fprintf(stderr, "ucscan: out of memory writing the report\n");
    return -1;
  }
  int rc = 0;
  bool out_ok = false, prom_ok = false;
  if (out->out_file) {
    out_ok = write_file(out->out_file, text, strlen(text), true) == 0;
    rc = out_ok ? rc : -1;
  }
  if (out->prom_file) {
    size_t len;
    char *prom = prom_render(rep, &len);
    if (!prom)
      fprintf(stderr, "ucscan: %s: out of memory\n", out->prom_file);
    prom_ok = prom && write_file(out->prom_file, prom, len, false) == 0;
    rc = prom_ok ? rc : -1;
    free(prom);
  }
  /* Without --format: the table on a terminal; elsewhere (scripts) the JSON report, unless
   * --out took it. */
  const char *fmt = out->format;
  if (!fmt)
    fmt = isatty(STDOUT_FILENO) ? "table" : out->out_file ? NULL : "json";
  if (fmt && strcmp(fmt, "json") == 0) {
    printf("%s\n", text);
  } else if (fmt && strcmp(fmt, "table") == 0) {
    struct report_table_opts topts = {.width = textcol_width(STDOUT_FILENO),
                                      .color = textcol_color_wanted(out->color, STDOUT_FILENO)};
    report_table(stdout, rep, &topts);
  } else if (fmt && strcmp(fmt, "csv") == 0) {
    csv_write(stdout, rep);
  } else if (fmt && strcmp(fmt, "html") == 0) {
    html_write(stdout, rep);
  } else if (fmt && strcmp(fmt, "junit") == 0)
    junit_write(stdout, rep);
  else if (fmt && strcmp(fmt, "prometheus") == 0)
    prom_write(stdout, rep);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "ucscan: cannot write to standard output\n");
    rc = -1;
  }
  if (out_ok)
    fprintf(stderr, "ucscan: report written to %s\n", out->out_file);
  if (prom_ok)
    fprintf(stderr, "ucscan: metrics written to %s\n", out->prom_file);
  free(text);
  json_decref(rep);
  return rc;
}

/* Names that did not resolve: input errors, each where the name was given. */
static void report_unresolved(const struct plan *plan, const struct scan_output *out)
{
  size_t bad = 0;
  for (size_t i = 0; i < plan->nhosts; i++) {
    const struct plan_host *h = &plan->hosts[i];
    if (h->resolved || !h->resolve_error[0])
      continue;
    struct uc_err err;
    char msg[800];
    uc_err_clear(&err);
    if (out->host_origin)
      out->host_origin(i, &err, out->origin_arg);
    snprintf(err.text, sizeof(err.text), "%s", h->resolve_error);
    uc_err_format(&err, msg, sizeof(msg));
    fprintf(stderr, "ucscan: %s\n", msg);
    bad++;
  }
  fprintf(stderr, "ucscan: %zu host name%s %s not resolve: nothing scanned\n", bad,
          bad == 1 ? "" : "s", bad == 1 ? "does" : "do");
}

int scan_session_unrunnable(const struct scan_output *out, const struct plan *plan,
                            struct report_meta *meta, const char *what, int uv_err)
{
  fprintf(stderr, "ucscan: the scan cannot run: %s%s%s%s; a report with nothing done follows\n",
          what, uv_err ? ": " : "", uv_err ? uv_strerror(uv_err) : "",
          uv_err == UV_EMFILE || uv_err == UV_ENFILE ? " (raise the open-file limit, ulimit -n)"
                                                     : "");
  meta->started_ms = meta->finished_ms = scan_now_ms();
  meta->complete = false;
  if (!meta->capture_reason && !meta->capture_available)
    meta->capture_reason = "not requested";
  scan_session_write(out, plan, meta);
  return 3;
}

static void on_session_closed(uv_handle_t *h)
{
  struct session *r = h->data;
  r->closing--;
}

/* The handles live in this function's caller's frame: they must be off the loop before it
 * returns. A scan with nothing to probe finishes inside engine_start(), and the uv_stop()
 * of on_done() then makes the next uv_run() return before closing anything: run until
 * every close callback has been called. */
static void close_session(struct session *r)
{
  r->closing = NSTOP_SIGNALS + 1;
  for (size_t i = 0; i < NSTOP_SIGNALS; i++)
    uv_close((uv_handle_t *)&r->sig[i], on_session_closed);
  uv_close((uv_handle_t *)&r->progress, on_session_closed);
  engine_free(r->eng);
  while (r->closing > 0)
    uv_run(r->loop, UV_RUN_NOWAIT);
}

/* Starts the watchers of stop_signals; on failure none is left on the loop. A SIGHUP
 * ignored by whoever started us (nohup) stays ignored: its watcher is made, not started. */
static int watch_signals(struct session *r)
{
  size_t n;
  int rc = 0;
  struct sigaction hup;
  bool hup_ignored = sigaction(SIGHUP, NULL, &hup) == 0 && hup.sa_handler == SIG_IGN;
  for (n = 0; n < NSTOP_SIGNALS; n++) {
    rc = uv_signal_init(r->loop, &r->sig[n]);
    if (rc != 0)
      break;
    r->sig[n].data = r;
    if (stop_signals[n] == SIGHUP && hup_ignored)
      continue;
    rc = uv_signal_start(&r->sig[n], on_signal, stop_signals[n]);
    if (rc != 0) {
      n++;
      break;
    }
  }
  if (rc != 0)
    while (n > 0)
      uv_close((uv_handle_t *)&r->sig[--n], NULL);
  return rc;
}

/* The capture and the raw socket first, while privileged; then --user. */
static int open_privileged(struct session *r, const struct scan_conf *conf)
{
  bool avail;
  const char *why;
  unsigned long packets;
  unsigned drops;
  char msg[300];
  if (engine_prepare(r->eng) < 0 && conf->capture_file) {
    engine_capture_status(r->eng, &avail, &why, &packets, &drops);
    fprintf(stderr, "ucscan: --capture %s: %s; nothing scanned\n", conf->capture_file, why);
    return -1;
  }
  if (!conf->user)
    return 0;
  struct privdrop_user u;
  if (privdrop_lookup(conf->user, &u, msg, sizeof(msg)) < 0 ||
      engine_capture_chown(r->eng, u.uid, u.gid, msg, sizeof(msg)) < 0 ||
      privdrop_apply(&u, msg, sizeof(msg)) < 0) {
    fprintf(stderr, "ucscan: --user %s: %s; nothing scanned\n", conf->user, msg);
    return -1;
  }
  return 0;
}

int scan_session_run(uv_loop_t *loop, struct plan *plan, const struct scan_conf *conf,
                     const struct scan_output *out, struct report_meta *meta)
{
  struct session r;
  memset(&r, 0, sizeof(r));
  r.loop = loop;
  r.show_progress = conf->progress && isatty(STDERR_FILENO);
  r.eng = engine_new(loop, plan, conf);
  if (!r.eng) {
    fprintf(stderr, "ucscan: out of memory\n");
    return 2;
  }
  uv_timer_init(loop, &r.progress);
  r.progress.data = &r;
  /* The signal watchers need descriptors (libuv's signal pipe): under a tight open-file
   * limit they can fail, and a half-made handle crashes or spins the loop later. */
  int rc = watch_signals(&r);
  if (rc != 0) {
    uv_close((uv_handle_t *)&r.progress, NULL);
    engine_free(r.eng);
    uv_run(loop, UV_RUN_NOWAIT);
    return scan_session_unrunnable(out, plan, meta, "cannot watch for signals", rc);
  }
  meta->started_ms = scan_now_ms();
  r.started_ns = uv_hrtime();
  if (!meta->capture_reason && !meta->capture_available)
    meta->capture_reason = "not requested";
  if (open_privileged(&r, conf) != 0) {
    close_session(&r);
    return 2;
  }
  if (engine_start(r.eng, on_done, &r) < 0) {
    fprintf(stderr, "ucscan: cannot start the scan: %s\n", engine_error(r.eng));
    close_session(&r);
    return 2;
  }
  if (r.show_progress)
    uv_timer_start(&r.progress, on_progress, 250, 250);
  while (!engine_finished(r.eng)) {
    if (uv_run(loop, UV_RUN_DEFAULT) == 0 && !engine_finished(r.eng)) {
      fprintf(stderr, "ucscan: internal error: the scan stalled with nothing in flight\n");
      engine_stop(r.eng);
      break;
    }
  }
  if (engine_complete(r.eng) && engine_unresolved(r.eng) > 0) {
    report_unresolved(plan, out);
    close_session(&r);
    return 2;
  }
  if (engine_stop_reason(r.eng))
    fprintf(stderr, "ucscan: the scan cannot go on: %s; a partial report follows\n",
            engine_stop_reason(r.eng));
  meta->finished_ms = scan_now_ms();
  meta->complete = engine_complete(r.eng);
  unsigned long packets;
  unsigned drops;
  bool avail;
  const char *why;
  engine_capture_status(r.eng, &avail, &why, &packets, &drops);
  meta->capture_available = avail;
  meta->capture_reason = why;
  meta->capture_file = avail ? conf->capture_file : NULL;
  meta->capture_packets = packets;
  meta->capture_drops = drops;
  engine_finalize(r.eng);
  int status = report_exit_status(plan, meta->complete);
  if (scan_session_write(out, plan, meta) < 0 && status < 3)
    status = 3;
  struct engine_progress p;
  engine_progress(r.eng, &p);
  if (p.hosts_resolving > 0) {
    /* Stopped while a resolver thread waits for DNS: it cannot be cancelled, and closing
     * the loop (or freeing the engine its callback points at) would wait for it, seconds
     * after the report is written. The outputs are complete: leave now. */
    fprintf(stderr, "ucscan: not waiting for %u name lookup%s still in progress\n",
            p.hosts_resolving, p.hosts_resolving == 1 ? "" : "s");
    fflush(stdout);
    fflush(stderr);
    _exit(status);
  }
  close_session(&r);
  return status;
}

static void close_walk(uv_handle_t *h, void *arg)
{
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

void scan_session_close_loop(uv_loop_t *loop)
{
  uv_walk(loop, close_walk, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
}
