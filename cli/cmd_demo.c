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
#include "common/fdroom.h"
#include "listen/demo_site.h"
#include "listen/listen.h"
#include "listen/plan.h"
#include "reports/atomic.h"
#include "reports/report.h"
#include "model/plan.h"
#include "model/topology.h"

#define DEMO_DEFAULT_OUT "ucscan-demo-report.json"

enum { D_OUT = 1000, D_FORMAT, D_NO_SANDBOX, D_HELP };

static const struct cli_opt demo_opts[] = {
    {"out", "FILE", D_OUT, "where the JSON report goes (default ./" DEMO_DEFAULT_OUT ")"},
    {"format", "FMT", D_FORMAT, "what stdout gets: table (default) or json"},
    {"no-sandbox", NULL, D_NO_SANDBOX,
     "use this machine's loopback, not a private network\nnamespace (ports below 1024 then move to "
     "port + 10000\nunless this process may open them)"},
    {"help", NULL, D_HELP, "this help"},
    {NULL, NULL, 0, NULL},
};

const struct cli_cmd cli_cmd_demo = {
    "demo",
    "ucscan demo [--out FILE] [--format table|json] [--no-sandbox]",
    "A full run in a few seconds, with no setup and no root. In this process, `ucscan\n"
    "listen` listeners play a small Skype for Business Server 2015 deployment on loopback\n"
    "addresses (fe01 127.0.0.11 Front End, dir01 127.0.0.12 Director, med01 127.0.0.13\n"
    "Mediation Server, edge01 127.0.0.14 Edge; names *.contoso.test given with their\n"
    "addresses, so no DNS is involved), and the normal scan engine checks every port the\n"
    "built-in catalog requires of their roles. Three faults are planted, and the scan must\n"
    "catch them:\n"
    "  dir01 444/tcp   never opened                                     -> fail\n"
    "  med01 5070/tcp  an MTLS port that asks for no client certificate -> warn\n"
    "  edge01 443/tcp  an expired certificate                           -> warn\n"
    "Everything else passes (outbound rows are skipped, as in any scan). Port ranges are\n"
    "cut to their first 8 ports: the real media ranges are 33,000 ports on a front end.\n"
    "The listeners run in a private network namespace when the system allows one (no\n"
    "root needed): nothing outside the process sees them.",
    demo_opts,
    "It prints the table, writes the JSON report atomically and says where.\n"
    "\nexit status:\n"
    "  1  the normal result: the planted fault on dir01 is a failed check (the contract's\n"
    "     exit status for a scan with a failure); a clean deployment would exit 0\n"
    "  2  bad usage, or the report file cannot be written\n"
    "  3  the run could not finish\n"
    "\nexamples:\n"
    "  ucscan demo\n"
    "  ucscan demo --out /tmp/demo.json --format json | less\n",
};

struct demo_args {
  const char *out, *format;
  bool no_sandbox;
};

static int parse_args(int argc, char **argv, struct demo_args *a)
{
  if (opts_check_argv(&cli_cmd_demo, argc, argv) != 0)
    return 2;
  struct option *lo = opts_getopt(demo_opts);
  int rc = 0, c;
  optind = 1;
  opterr = 0;
  while (rc == 0 && (c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
    switch (c) {
    case D_OUT:
      a->out = optarg;
      break;
    case D_FORMAT:
      a->format = optarg;
      break;
    case D_NO_SANDBOX:
      a->no_sandbox = true;
      break;
    case D_HELP:
      opts_help(stdout, &cli_cmd_demo);
      free(lo);
      exit(0);
    case ':':
      rc = opts_usage_error("demo", "option %s needs a value", argv[optind - 1]);
      break;
    default:
      rc = opts_usage_error("demo", "unknown option %s", argv[optind - 1]);
      break;
    }
  }
  if (rc == 0 && optind < argc)
    rc = opts_usage_error("demo", "unexpected argument \"%s\"", argv[optind]);
  free(lo);
  if (rc)
    return 2;
  if (!a->out)
    a->out = DEMO_DEFAULT_OUT;
  if (!a->format)
    a->format = "table";
  if (strcmp(a->format, "table") && strcmp(a->format, "json"))
    return opts_usage_error("demo", "unknown format \"%s\" (table or json)", a->format);
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

/* Starts one listener per host; returns how many ports could not be opened. */
static size_t start_listeners(uv_loop_t *loop, struct demo *d, const struct plan *plan,
                              bool shifted, FILE *info)
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
    fprintf(info, "  %-20s %-11s listening on %zu of %zu ports (%zu TCP, %zu UDP)%s\n", h->name,
            h->address, dh->rep.opened, dh->lp.n, dh->lp.ntcp, dh->lp.nudp,
            dh->rep.left_closed ? "; one left closed on purpose" : "");
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
              uc_transport_name(c->transport), uc_verdict_name(v), c->res.reason);
    }
  }
  return unexpected;
}

int cmd_demo(int argc, char **argv)
{
  struct demo_args a;
  memset(&a, 0, sizeof(a));
  if (parse_args(argc, argv, &a) != 0)
    return 2;
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
  /* The table goes to stdout; with --format json stdout is the report alone. */
  FILE *info = strcmp(a.format, "json") == 0 ? stderr : stdout;
  const struct demo_fault *faults;
  size_t nfaults = demo_faults(&faults);
  fprintf(info,
          "ucscan demo: a sample %s deployment on loopback, scanned by the normal engine.\n"
          "Listeners (%s; port ranges cut to their first %u ports%s):\n",
          "Skype for Business Server 2015", note, DEMO_RANGE_PORTS,
          shifted ? "; ports below 1024 moved to port + 10000: no root and no sandbox here" : "");
  scan_session_hold_fd();
  uv_loop_t loop;
  int lrc = fdroom_loop_init(&loop);
  if (lrc != 0) {
    fprintf(stderr, "ucscan demo: cannot create the event loop: %s%s\n", uv_strerror(lrc),
            lrc == UV_EMFILE ? " (raise the open-file limit, ulimit -n)" : "");
    status = 3;
    goto out;
  }
  d.nhosts = plan.nhosts;
  d.hosts = calloc(plan.nhosts, sizeof(*d.hosts));
  if (!d.hosts) {
    fprintf(stderr, "ucscan demo: out of memory\n");
    uv_loop_close(&loop);
    goto out;
  }
  start_listeners(&loop, &d, &plan, shifted, info);
  fprintf(info, "Planted faults the scan must catch:\n");
  for (size_t k = 0; k < nfaults; k++)
    fprintf(info, "  %-20s %5u/%s  %-4s  %s\n", faults[k].host, demo_port(faults[k].port, shifted),
            uc_transport_name(faults[k].transport), uc_verdict_name(faults[k].expect),
            faults[k].what);
  fputc('\n', info);
  fflush(info);

  struct scan_conf conf;
  scan_conf_fast(&conf);
  /* Loopback answers within microseconds, and nothing in the demo is silent, so long
   * waits cost nothing; a short floor would, on a slow or loaded machine (or under
   * valgrind), read a UDP answer delayed by TLS work on the same loop as a filter. The
   * listeners run on this loop too: under load a handshake waits behind the scanner's own
   * work on the others (under valgrind, seconds), and no planted fault needs a deadline
   * (a closed port answers RST at once), so the deadline is long: a busy machine must not
   * turn into a fault that is not there. */
  conf.timeout_ms = 10000;
  conf.min_rto_ms = 250;
  conf.retries = 2;
  conf.concurrency = 256; /* the listeners share the process's descriptors */
  conf.per_host = 64;
  conf.progress = false;
  conf.evidence_capture = false;
  struct scan_output sout = {.out_file = a.out, .format = a.format};
  struct report_meta meta = {.topology = topo.name, .product = topo.product};
  status = scan_session_run(&loop, &plan, &conf, &sout, &meta);

  for (size_t i = 0; i < d.nhosts; i++)
    if (d.hosts[i].l)
      listen_stop(d.hosts[i].l, on_listener_stopped, &d);
  while (d.running && uv_run(&loop, UV_RUN_DEFAULT) != 0)
    ;
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0) {
    fprintf(stderr, "ucscan demo: internal error: handles left open\n");
    status = 3;
  }
  if (status == 0 || status == 1) {
    size_t caught;
    size_t unexpected = check_outcome(stderr, &plan, shifted, &caught);
    fprintf(info, "\nucscan demo: %zu of %zu planted faults caught%s.\n", caught, nfaults,
            unexpected ? "; some other checks did not pass (above)"
                       : ", every other check passed (outbound rows skipped)");
    fprintf(info,
            "ucscan demo: exit status %d%s. Report: %s\n"
            "Next: `ucscan catalog --role front-end` (what is required), `ucscan listen --role "
            "ROLE` on a\nserver before installation, `ucscan scan --topology FILE` on your "
            "deployment.\n",
            status, status == 1 ? ": a failed check exits 1, and the demo has one by design" : "",
            a.out);
  }
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
