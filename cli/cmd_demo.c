/* cli/cmd_demo.c - `ucscan demo`: the embedded default. Listeners for a sample deployment
 * on loopback, in this process and on this loop, scanned by the normal engine. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/scan_session.h"
#include "common/textcol.h"
#include "common/fdroom.h"
#include "listen/demo_site.h"
#include "listen/listen.h"
#include "listen/plan.h"
#include "reports/atomic.h"
#include "reports/report.h"
#include "model/plan.h"
#include "model/topology.h"

#define DEMO_DEFAULT_OUT "ucscan-demo-report.json"

struct demo_args {
  const char *out, *format, *color;
  bool no_sandbox;
};

#define A(field) offsetof(struct demo_args, field)

static const struct cli_opt demo_opts[] = {
    {"out", "FILE", CLI_STR, A(out), .def = "./" DEMO_DEFAULT_OUT,
     .help = "where the JSON report goes", .man = "Where the JSON report goes."},
    {"format", "FMT", CLI_CHOICE, A(format), .choices = "table|json|csv|html", .def = "table",
     .help = "what stdout gets: table, json, csv or html",
     .man = "What stdout gets: `table`, or the report alone as `json`, `csv` or `html` (as "
            "`ucscan scan` writes them; the demo's own lines then go to stderr)."},
    {"no-sandbox", NULL, CLI_FLAG, A(no_sandbox),
     .help = "use this machine's loopback, not a private\nnetwork namespace (ports below 1024 "
             "then move to\nport + 10000 unless this process may open them)",
     .man = "Use this machine's loopback, not a private network namespace (ports below 1024 "
            "then move to port + 10000 unless this process may open them)."},
    {"color", "WHEN", CLI_CHOICE, A(color), .choices = "auto|always|never", .def = "auto",
     .help = "colour in the table: auto, always or never",
     .man = "Colour in the table: `always`, `never`, or `auto`: when stdout is a terminal, "
            "`NO_COLOR` is unset or empty and `TERM` is not `dumb`."},
    {"help", NULL, CLI_HELP, 0, .help = "this help", .man = "The options of `ucscan demo`."},
    {NULL, NULL, 0, 0, .help = NULL},
};

const struct cli_cmd cli_cmd_demo = {
    "demo",
    "ucscan demo [--out FILE] [--format table|json|csv|html] [--no-sandbox]",
    "A full run in a few seconds, with no setup and no root, and a self-test. In this\n"
    "process, `ucscan listen` listeners play a small Skype for Business Server 2015\n"
    "deployment on loopback addresses (fe01 127.0.0.11 Front End, dir01 127.0.0.12\n"
    "Director, med01 127.0.0.13 Mediation Server, edge01 127.0.0.14 Edge; names\n"
    "*.contoso.test given with their addresses, so no DNS is involved), and the normal\n"
    "scan engine checks every port the built-in catalog requires of their roles. Three\n"
    "faults are planted, and the scan must catch them:\n"
    "  dir01 444/tcp   never opened                                     -> fail\n"
    "  med01 5070/tcp  an MTLS port that asks for no client certificate -> warn\n"
    "  edge01 443/tcp  an expired certificate                           -> warn\n"
    "Everything else must pass (outbound rows are skipped, as in any scan). Port ranges\n"
    "are cut to their first 8 ports: the real media ranges are 33,000 ports on a front\n"
    "end. The listeners run in a private network namespace when the system allows one\n"
    "(no root needed): nothing outside the process sees them.",
    demo_opts,
    "It prints the table, writes the JSON report atomically, says where, and says\n"
    "whether the self-test passed.\n"
    "\nexit status:\n"
    "  0  the self-test passed: the scan caught the three planted faults, with the\n"
    "     verdicts above, and every other check passed (or was skipped, not probed)\n"
    "  1  it did not: a planted fault was missed or another check did not pass (each\n"
    "     is named on stderr); the report says what the scan saw\n"
    "  2  bad usage, or the report file cannot be written\n"
    "  3  the run could not finish\n"
    "\nexamples:\n"
    "  ucscan demo\n"
    "  ucscan demo --out /tmp/demo.json --format json | less\n"
    "  ucscan demo --format html > demo.html\n",
    false,
    NULL,
};

/* Returns 0, 1 when --help was printed, or 2. */
static int parse_args(int argc, char **argv, struct demo_args *a)
{
  int rc = opts_parse(&cli_cmd_demo, argc, argv, a);
  if (rc)
    return rc;
  if (!a->out)
    a->out = DEMO_DEFAULT_OUT;
  if (!a->format)
    a->format = "table";
  return 0;
}

struct demo_host {
  struct listen_plan lp;
  struct listen_override ovr[4];
  struct listen_report rep;
  struct listener *l;
};

struct demo {
  struct demo_host *hosts;
  size_t nhosts;
  unsigned running; /* listeners not yet stopped */
};

static void on_listener_stopped(void *arg)
{
  struct demo *d = arg;
  d->running--;
}

enum { L_HOST, L_ADDR, L_PORTS, L_NCOLS };
static const struct textcol_col listener_cols[L_NCOLS] = {
    [L_HOST] = {"HOST", 0, 0, 0, 0, 0},
    [L_ADDR] = {"ADDRESS", 0, 0, 0, 0, 0},
    [L_PORTS] = {"LISTENING ON", TEXTCOL_WRAP, 20, 0, 0, 0},
};

/* Starts one listener per host, each a row of `info`; returns how many ports could not be
 * opened. */
static size_t start_listeners(uv_loop_t *loop, struct demo *d, const struct plan *plan,
                              bool shifted, struct textcol *info)
{
  const struct demo_fault *faults;
  size_t nfaults = demo_faults(&faults), failed = 0;
  for (size_t i = 0; i < plan->nhosts; i++) {
    const struct plan_host *h = &plan->hosts[i];
    struct demo_host *dh = &d->hosts[i];
    struct uc_err err;
    if (listen_plan_from_host(&dh->lp, h, &err) < 0) {
      fprintf(stderr, "ucscan demo: %s\n", err.text);
      failed++;
      continue;
    }
    size_t no = 0;
    for (size_t k = 0; k < nfaults && no < 4; k++)
      if (strcmp(faults[k].host, h->name) == 0)
        dh->ovr[no++] = (struct listen_override){demo_port(faults[k].port, shifted),
                                                 faults[k].transport, faults[k].fault};
    struct listen_conf conf = {.plan = &dh->lp,
                               .bind = h->address,
                               .host_name = h->name,
                               .max_conns = 256,
                               .overrides = dh->ovr,
                               .noverrides = no};
    dh->l = listen_start(loop, &conf, &dh->rep);
    if (!dh->l) {
      fprintf(stderr, "ucscan demo: %s: %s\n", h->name, dh->rep.error);
      failed += dh->lp.n;
      continue;
    }
    d->running++;
    char ports[160];
    snprintf(ports, sizeof(ports), "%zu of %zu ports (%zu TCP, %zu UDP)%s", dh->rep.opened,
             dh->lp.n, dh->lp.ntcp, dh->lp.nudp,
             dh->rep.left_closed ? "; one left closed on purpose" : "");
    const char *cells[L_NCOLS] = {h->name, h->address, ports};
    textcol_row(info, cells, NULL);
    if (dh->rep.failed) {
      fprintf(stderr,
              "ucscan demo: %s: %zu ports could not be opened; the scan will show "
              "them as failures:\n",
              h->name, dh->rep.failed);
      listen_report_print(stderr, &dh->rep, false);
      failed += dh->rep.failed;
    }
  }
  return failed;
}

static const struct demo_fault *fault_for(const struct plan_host *h, const struct plan_check *c,
                                          bool shifted)
{
  const struct demo_fault *faults;
  size_t n = demo_faults(&faults);
  for (size_t k = 0; k < n; k++)
    if (!c->is_range && strcmp(faults[k].host, h->name) == 0 &&
        demo_port(faults[k].port, shifted) == c->first && faults[k].transport == c->transport)
      return &faults[k];
  return NULL;
}

/* Did the scan find exactly the planted faults? Prints what it did not expect. */
static size_t check_outcome(FILE *out, const struct plan *plan, bool shifted, size_t *caught)
{
  size_t unexpected = 0;
  *caught = 0;
  for (size_t i = 0; i < plan->nhosts; i++) {
    const struct plan_host *h = &plan->hosts[i];
    for (size_t k = 0; k < h->nchecks; k++) {
      const struct plan_check *c = &h->checks[k];
      const struct demo_fault *f = fault_for(h, c, shifted);
      enum uc_verdict v = c->res.verdict;
      bool ok = f ? v == f->expect : (v == UC_PASS || (v == UC_SKIP && !c->probe));
      if (f && ok)
        (*caught)++;
      if (ok)
        continue;
      unexpected++;
      fprintf(out, "ucscan demo: UNEXPECTED: %s %u/%s %s: %s\n", h->name, c->first,
              uc_transport_name(c->transport), uc_verdict_name(v), check_reason(&c->res));
    }
  }
  return unexpected;
}

enum { F_HOST, F_PORT, F_EXPECT, F_WHAT, F_NCOLS };
static const struct textcol_col fault_cols[F_NCOLS] = {
    [F_HOST] = {"HOST", 0, 0, 0, 0, 0},
    [F_PORT] = {"PORT", TEXTCOL_RIGHT, 0, 0, 0, 0},
    [F_EXPECT] = {"MUST BE", 0, 0, 0, 0, 0},
    [F_WHAT] = {"FAULT", TEXTCOL_WRAP, 20, 0, 0, 0},
};

/* Text wrapped at the width of `out`. */
static void say(FILE *out, const char *text)
{
  static const struct textcol_col one[1] = {{"", TEXTCOL_WRAP, 0, 0, 0, 0}};
  struct textcol *t = textcol_new(one, 1);
  if (!t) {
    fprintf(out, "%s\n", text);
    return;
  }
  textcol_line(t, 0, text, NULL);
  textcol_print(t, out, textcol_width(fileno(out)), 0, false);
  textcol_free(t);
}

static void print_faults(FILE *info, bool shifted)
{
  const struct demo_fault *faults;
  size_t nfaults = demo_faults(&faults);
  struct textcol *t = textcol_new(fault_cols, F_NCOLS);
  if (!t)
    return;
  textcol_head(t);
  for (size_t k = 0; k < nfaults; k++) {
    char port[24];
    snprintf(port, sizeof(port), "%u/%s", demo_port(faults[k].port, shifted),
             uc_transport_name(faults[k].transport));
    const char *cells[F_NCOLS] = {faults[k].host, port, uc_verdict_name(faults[k].expect),
                                  faults[k].what};
    textcol_row(t, cells, NULL);
  }
  say(info, "Planted faults the scan must catch:");
  textcol_print(t, info, textcol_width(fileno(info)), 2, false);
  textcol_free(t);
}

/* The self-test's verdict, said and returned as the exit status: 0 when the scan caught
 * exactly the planted faults, 1 otherwise. */
static int self_test(FILE *info, const struct plan *plan, bool shifted, const char *out)
{
  const struct demo_fault *faults;
  size_t nfaults = demo_faults(&faults), caught;
  size_t unexpected = check_outcome(stderr, plan, shifted, &caught);
  bool passed = unexpected == 0 && caught == nfaults;
  size_t nfail = 0;
  for (size_t k = 0; k < nfaults; k++)
    nfail += faults[k].expect == UC_FAIL;
  char line[600];
  if (passed)
    snprintf(line, sizeof(line),
             "ucscan demo: self-test passed: the scan caught the %zu planted faults (%zu fail, "
             "%zu warn) and every other check passed (outbound rows skipped). Exit status 0. "
             "Report: %s",
             nfaults, nfail, nfaults - nfail, out);
  else
    snprintf(line, sizeof(line),
             "ucscan demo: self-test FAILED: %zu of %zu planted faults caught; %zu check%s not "
             "as expected (listed on stderr). Exit status 1. Report: %s",
             caught, nfaults, unexpected, unexpected == 1 ? "" : "s", out);
  fputc('\n', info);
  say(info, line);
  say(info, "Next: `ucscan catalog --role front-end` (what is required), `ucscan listen --role "
            "ROLE` on a server before installation, `ucscan scan --topology FILE` on your "
            "deployment.");
  return passed ? 0 : 1;
}

/* Stops the listeners and closes the loop; 0, or 3 when a handle was left open. */
static int stop_listeners(uv_loop_t *loop, struct demo *d)
{
  for (size_t i = 0; i < d->nhosts; i++)
    if (d->hosts[i].l)
      listen_stop(d->hosts[i].l, on_listener_stopped, d);
  while (d->running && uv_run(loop, UV_RUN_DEFAULT) != 0)
    ;
  uv_run(loop, UV_RUN_DEFAULT);
  if (uv_loop_close(loop) != 0) {
    fprintf(stderr, "ucscan demo: internal error: handles left open\n");
    return 3;
  }
  return 0;
}

/* The scan settings of the demo: fast, but with waits a loaded machine can meet. */
static void demo_conf(struct scan_conf *conf)
{
  scan_conf_fast(conf);
  /* Loopback answers within microseconds, and nothing in the demo is silent, so long
   * waits cost nothing; a short floor would, on a slow or loaded machine (or under
   * valgrind), read a UDP answer delayed by TLS work on the same loop as a filter. The
   * listeners run on this loop too: under load a handshake waits behind the scanner's own
   * work on the others (under valgrind, seconds), and no planted fault needs a deadline
   * (a closed port answers RST at once), so the deadline is long: a busy machine must not
   * turn into a fault that is not there. */
  conf->timeout_ms = 10000;
  conf->min_rto_ms = 250;
  conf->retries = 2;
  conf->concurrency = 256; /* the listeners share the process's descriptors */
  conf->per_host = 64;
  conf->progress = false;
  conf->evidence_capture = false;
}

/* Listeners up, scan, listeners down, the self-test. Returns the exit status. */
static int run_demo(const struct demo_args *a, struct demo *d, struct plan *plan,
                    const struct topology *topo, bool shifted, const char *note)
{
  FILE *info = strcmp(a->format, "table") != 0 ? stderr : stdout;
  char line[400];
  snprintf(line, sizeof(line),
           "ucscan demo: a sample Skype for Business Server 2015 deployment on loopback, "
           "scanned by the normal engine. Listeners (%s; port ranges cut to their first %u "
           "ports%s):",
           note, DEMO_RANGE_PORTS,
           shifted ? "; ports below 1024 moved to port + 10000: no root and no sandbox here" : "");
  say(info, line);
  scan_session_hold_fd();
  uv_loop_t loop;
  int lrc = fdroom_loop_init(&loop);
  if (lrc != 0) {
    fprintf(stderr, "ucscan demo: cannot create the event loop: %s%s\n", uv_strerror(lrc),
            lrc == UV_EMFILE ? " (raise the open-file limit, ulimit -n)" : "");
    return 3;
  }
  d->nhosts = plan->nhosts;
  d->hosts = calloc(plan->nhosts, sizeof(*d->hosts));
  struct textcol *listeners = textcol_new(listener_cols, L_NCOLS);
  if (!d->hosts || !listeners) {
    fprintf(stderr, "ucscan demo: out of memory\n");
    textcol_free(listeners);
    uv_loop_close(&loop);
    return 3;
  }
  start_listeners(&loop, d, plan, shifted, listeners);
  textcol_print(listeners, info, textcol_width(fileno(info)), 2, false);
  textcol_free(listeners);
  print_faults(info, shifted);
  fputc('\n', info);
  fflush(info);

  struct scan_conf conf;
  demo_conf(&conf);
  enum textcol_color color = TEXTCOL_COLOR_AUTO;
  textcol_color_parse(a->color, &color);
  struct scan_output sout = {.out_file = a->out, .format = a->format, .color = color};
  struct report_meta meta = {.topology = topo->name, .product = topo->product};
  int status = scan_session_run(&loop, plan, &conf, &sout, &meta);
  if (stop_listeners(&loop, d) != 0)
    status = 3;
  if (status == 0 || status == 1)
    status = self_test(info, plan, shifted, a->out);
  return status;
}

int cmd_demo(int argc, char **argv)
{
  struct demo_args a;
  memset(&a, 0, sizeof(a));
  int rc = parse_args(argc, argv, &a);
  if (rc)
    return rc == 1 ? 0 : 2;
  /* A peer that resets while we write must not kill the process. */
  signal(SIGPIPE, SIG_IGN);
  /* First, while the process has one thread: the sandbox. */
  char note[200] = "on this machine's loopback, --no-sandbox";
  int sandboxed = a.no_sandbox ? 0 : demo_sandbox(note, sizeof(note));
  if (sandboxed < 0) {
    fprintf(stderr, "ucscan demo: %s\n", note);
    return 3;
  }
  struct uc_err err;
  uc_err_clear(&err);
  if (atomic_check_writable(a.out, &err) < 0) {
    char msg[800];
    uc_err_format(&err, msg, sizeof(msg));
    fprintf(stderr, "ucscan demo: %s\n", msg);
    return 2;
  }
  struct catalog cat = {0};
  struct topology topo = {0};
  struct plan plan = {0};
  struct demo d = {0};
  int status = 3;
  const char *text = demo_topology_json();
  if (catalog_load_builtin(&cat, &err) < 0 ||
      topo_load_text(&topo, "<demo topology>", text, strlen(text), &cat, &err) < 0) {
    fprintf(stderr, "ucscan demo: internal error: %s\n", err.text);
    goto out;
  }
  demo_trim_ranges(&cat, DEMO_RANGE_PORTS);
  bool shifted = false;
  if (sandboxed == 0 && !demo_can_bind_privileged())
    shifted = demo_shift_privileged(&cat) > 0;
  if (plan_from_catalog(&plan, &topo, &cat, topo.product, &err) < 0) {
    fprintf(stderr, "ucscan demo: internal error: %s\n", err.text);
    goto out;
  }
  status = run_demo(&a, &d, &plan, &topo, shifted, note);
out:
  if (d.hosts)
    for (size_t i = 0; i < d.nhosts; i++) {
      listen_plan_free(&d.hosts[i].lp);
      listen_report_free(&d.hosts[i].rep);
    }
  free(d.hosts);
  plan_free(&plan);
  topo_free(&topo);
  catalog_free(&cat);
  return status;
}
