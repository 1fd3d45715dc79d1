/* cli/scan_session.c - signals, progress line, engine run, outputs. */
#include "cli/scan_session.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/count.h"
#include "common/fdroom.h"
#include "reports/atomic.h"
#include "reports/junit.h"
#include "reports/prom.h"
#include "scanner/engine.h"
#include "scanner/privdrop.h"

/* The signals that stop a scan with a partial report: ^C, kill, and the hang-up of the SSH
 * session or terminal it was started from. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NSTOP_SIGNALS (sizeof(stop_signals) / sizeof(stop_signals[0]))

/* How long after the first stop signal another SIGINT or SIGTERM counts as a copy of it:
 * timeout(1) signals its child and then its process group, systemd and CI runners signal the
 * main process and its cgroup or group, a wrapper forwards what it got: two signals within
 * microseconds to milliseconds, and the second must not cost the report. A repeat of the
 * first signal by the same sender (kill(2) from the same process) is a copy at any time: a
 * supervisor that signals again while a slow shutdown writes the report asked for that report.
 * A person's second Ctrl-C is told apart by its sender (the terminal), and takes effect at
 * any time. */
#define STOP_GRACE_MS 1000

struct session {
  uv_loop_t *loop;
  struct engine *eng;
  uv_async_t wake; /* the stop handler's way into the loop */
  uv_timer_t progress;
  struct uc_handles handles; /* wake and progress, until their close callbacks ran */
  bool show_progress;
  bool stopping; /* the first stop signal has been acted on */
  uint64_t started_ns;
  const char *sources[8]; /* the engine's, for the report's vantage.source_addresses */
};

/* What the stop-signal handler knows. Process-wide, like the dispositions it serves (a
 * handler takes no argument); atomics, because a process-directed signal may run the handler
 * on a resolver thread while another copy runs it on the main thread. */
static struct {
  _Atomic(uv_async_t *) wake;    /* the running session's, or NULL */
  atomic_int claimed;            /* a first stop signal came */
  atomic_int signo;              /* which, once its time is stored (0: not yet) */
  atomic_uint_fast64_t first_ms; /* when it came (CLOCK_MONOTONIC) */
  atomic_int first_pid;          /* who sent it with kill(2) (SI_USER), else 0 */
} stop_sig;

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

static uint64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* async-signal-safe */
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The process that sent a signal with kill(2), or 0: sent by the kernel (a key typed on the
 * terminal, a hang-up), by sigqueue(3), or on Windows (a console event or raise(): no pid). */
static int signal_sender(const siginfo_t *si)
{
#ifdef _WIN32
  (void)si;
  return 0;
#else
  return si && si->si_code == SI_USER && si->si_pid > 0 ? (int)si->si_pid : 0;
#endif
}

static void say(const char *msg, size_t len)
{
  ssize_t w = write(STDERR_FILENO, msg, len);
  (void)w;
}
#define SAY(lit) say(lit, sizeof(lit) - 1)

/* The handler of every stop signal, for the whole scan and the writing of its outputs (the
 * loop may not run then: a blocked stdout, a slow disk). The first signal wakes the loop,
 * which stops the scan and writes the partial report. After it:
 *   - SIGHUP is ignored (a dropped session often hangs up twice: the shell, then the kernel);
 *   - a Ctrl-C typed on the terminal (SIGINT sent by the kernel, not by kill(2)) exits at once:
 *     a person pressing Ctrl-C twice means it;
 *   - the first signal again from the process that sent it with kill(2) (timeout(1), systemd,
 *     `kill -TERM -PGID`, a CI runner, at any later time) is a copy: ignored, with a note;
 *   - another SIGINT or SIGTERM within STOP_GRACE_MS of the first is a copy (timeout(1), a
 *     process-group kill, a forwarding wrapper): ignored, with a note;
 *   - later, it exits at once with status 3, writing nothing more. */
static void on_stop_signal(int signum, siginfo_t *si, void *uctx)
{
  (void)uctx;
  uint64_t now = mono_ms();
  int sender = signal_sender(si);
  int none = 0;
  if (atomic_compare_exchange_strong(&stop_sig.claimed, &none, 1)) {
    atomic_store(&stop_sig.first_ms, now);
    atomic_store(&stop_sig.first_pid, sender);
    atomic_store(&stop_sig.signo, signum); /* last: says the others are stored */
    uv_async_t *w = atomic_load(&stop_sig.wake);
    if (w)
      uv_async_send(w); /* async-signal-safe */
    return;
  }
  if (signum == SIGHUP || atomic_load(&stop_sig.signo) == 0)
    return; /* a hang-up; or a copy racing the first one on another thread */
  bool typed = signum == SIGINT && si && si->si_code == SI_KERNEL;
  if (!typed && sender != 0 && signum == atomic_load(&stop_sig.signo) &&
      sender == atomic_load(&stop_sig.first_pid)) {
    if (signum == SIGINT)
      SAY("ucscan: SIGINT again from the process that sent the first: taken for a copy, "
          "ignored; the partial report follows\n");
    else
      SAY("ucscan: SIGTERM again from the process that sent the first: taken for a copy "
          "(timeout(1), systemd, a process-group kill), ignored; the partial report follows\n");
    return;
  }
  if (!typed && now - atomic_load(&stop_sig.first_ms) < STOP_GRACE_MS) {
    if (signum == SIGINT)
      SAY("ucscan: SIGINT again within a second of the first: taken for a copy (a process-group "
          "kill), ignored; the partial report follows\n");
    else
      SAY("ucscan: SIGTERM again within a second of the first: taken for a copy (timeout(1), "
          "a process-group kill), ignored; the partial report follows\n");
    return;
  }
  SAY("\nucscan: signal during shutdown: exiting now (status 3)\n");
  _exit(3);
}

/* The first stop signal, in the loop: stop the scan; the partial report follows. */
static void on_wake(uv_async_t *a)
{
  struct session *r = a->data;
  int signum = atomic_load(&stop_sig.signo);
  if (r->stopping || signum == 0 || engine_finished(r->eng))
    return;
  r->stopping = true;
  fprintf(stderr,
          "%sucscan: %s: stopping, cancelling probes in flight; a partial report follows "
          "(Ctrl-C again, or a signal from another sender after a second, exits at once)\n",
          r->show_progress ? "\n" : "",
          signum == SIGINT   ? "interrupted"
          : signum == SIGHUP ? "hung up"
                             : "terminated");
  engine_request_stop(r->eng); /* answers this turn's poll brought still count */
}

static void on_done(struct engine *e, void *arg)
{
  struct session *r = arg;
  (void)e;
  if (r->show_progress) {
    uv_timer_stop(&r->progress);
    progress_line(r, true);
  }
  uv_stop(r->loop); /* the caller's other handles (demo listeners) may keep the loop alive */
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
  return scan_output_emit_plan(out, plan, meta);
}

/* Names that did not resolve: input errors, each where the name was given. */
static void report_unresolved(const struct plan *plan, const struct scan_output *out)
{
  size_t bad = 0;
  for (size_t i = 0; i < plan->nhosts; i++) {
    const struct plan_host *h = &plan->hosts[i];
    for (size_t t = 0; t < h->ntargets; t++) {
      const struct plan_target *tg = &h->targets[t];
      if (tg->resolved || !tg->resolve_error[0])
        continue;
      struct uc_err err;
      char msg[800];
      uc_err_clear(&err);
      if (out->host_origin)
        out->host_origin(i, &err, out->origin_arg);
      snprintf(err.text, sizeof(err.text), "%s", tg->resolve_error);
      uc_err_format(&err, msg, sizeof(msg));
      fprintf(stderr, "ucscan: %s\n", msg);
      bad++;
    }
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
  uc_handles_closed(&r->handles);
}

/* The handles live in this function's caller's frame: they must be off the loop before it
 * returns. A scan with nothing to probe finishes inside engine_start(), and the uv_stop()
 * of on_done() then makes the next uv_run() return before closing anything: run until
 * every close callback has been called. The stop-signal handler stays: until the process
 * exits, a first signal is taken in silence and a second one exits at once, as during the
 * writing of the outputs. */
static void close_session(struct session *r)
{
  atomic_store(&stop_sig.wake, NULL);
  uc_handles_open(&r->handles, 2);
  uv_close((uv_handle_t *)&r->wake, on_session_closed);
  uv_close((uv_handle_t *)&r->progress, on_session_closed);
  engine_free(r->eng);
  while (uc_handles_left(&r->handles) > 0)
    uv_run(r->loop, UV_RUN_NOWAIT);
}

/* Installs on_stop_signal for every stop signal, and the handle through which it wakes the
 * loop; on failure nothing is left on the loop. A SIGHUP ignored by whoever started us
 * (nohup) stays ignored. */
static int watch_signals(struct session *r)
{
  int rc = uv_async_init(r->loop, &r->wake, on_wake);
  if (rc != 0)
    return rc;
  r->wake.data = r;
  atomic_store(&stop_sig.claimed, 0);
  atomic_store(&stop_sig.signo, 0);
  atomic_store(&stop_sig.first_pid, 0);
  atomic_store(&stop_sig.wake, &r->wake);
  struct sigaction sa, old;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_stop_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART; /* a blocked write of the report goes on */
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < NSTOP_SIGNALS; i++)
    sigaddset(&sa.sa_mask, stop_signals[i]);
  for (size_t i = 0; i < NSTOP_SIGNALS; i++) {
    if (stop_signals[i] == SIGHUP && sigaction(SIGHUP, NULL, &old) == 0 &&
        old.sa_handler == SIG_IGN)
      continue;
    sigaction(stop_signals[i], &sa, NULL);
  }
  return 0;
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
  /* The stop handler's wake-up needs a descriptor (the loop's eventfd): under a tight
   * open-file limit it can fail, and a half-made handle crashes or spins the loop later. */
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
  meta->nsources = engine_sources(r.eng, r.sources, sizeof(r.sources) / sizeof(r.sources[0]));
  meta->sources = r.sources;
  engine_finalize(r.eng);
  int status = report_exit_status(plan, meta->complete);
  if (status == 0 && out->fail_on_warn) {
    struct report_counts c;
    report_count(plan, &c);
    status = c.warn ? 1 : 0;
  }
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
