/* cli/cmd_scan.c - `ucscan scan`: read the deployment, plan, run the engine, report. */
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/push.h"
#include "probes/tls.h"
#include "reports/atomic.h"
#include "reports/report.h"
#include "cli/scan_session.h"
#include "common/fdroom.h"
#include "common/platform.h"
#include "scanner/capture.h"
#include "scanner/engine.h"
#include "model/portspec.h"
#include "scanner/privdrop.h"
#include "model/topology.h"

enum {
  O_TOPOLOGY = 1000,
  O_TARGET,
  O_ROLE,
  O_PORTS,
  O_PRODUCT,
  O_CATALOG,
  O_OUT,
  O_FORMAT,
  O_TIMEOUT,
  O_RETRIES,
  O_CONCURRENCY,
  O_PER_HOST,
  O_RATE,
  O_MAX_RATE,
  O_PROFILE,
  O_FAST,
  O_CERT_WARN_DAYS,
  O_CA,
  O_CAPTURE,
  O_USER,
  O_NO_PROGRESS,
  O_TCP_METHOD,
  O_NO_EVIDENCE,
  O_PROM,
  O_FAIL_ON,
  O_FROM,
  O_SOURCE,
  O_PUSH,
  O_HELP
};

static const struct cli_opt scan_opts[] = {
    {"topology", "FILE", O_TOPOLOGY, "deployment to check (JSON, see ucscan(1), TOPOLOGY FILE)"},
    {"target", "HOST[,HOST...]", O_TARGET, "hosts to check instead of a topology"},
    {"role", "ROLE[,ROLE...]", O_ROLE, "roles of every --target host (see `ucscan catalog`)"},
    {"ports", "SPEC", O_PORTS,
     "ad hoc ports instead of roles, no catalog:\ntcp:1-1024,udp:3478,5060 (a prefix applies to "
     "what follows)"},
    {"product", "ID", O_PRODUCT, "sfb2015 (default) or lync2013; overrides the topology's"},
    {"from", "VANTAGE", O_FROM,
     "where this scan runs: servers, clients, internet,\nreverse-proxy, pstn, or any (default: "
     "the topology's\n\"vantage\", else any). Rows the documentation tests\nfrom elsewhere are "
     "skipped, naming who can test them"},
    {"source", "ADDR", O_SOURCE,
     "send every probe from ADDR, an address of this machine\n(a scanner with a leg in the DMZ "
     "and one in the LAN)"},
    {"catalog", "FILE", O_CATALOG,
     "site catalog that extends (or, with \"mode\": \"replace\",\nreplaces) the built-in port "
     "tables"},
    {"out", "FILE", O_OUT, "write the JSON report to FILE, atomically"},
    {"format", "FMT", O_FORMAT,
     "what stdout gets: json, table, junit or prometheus\n(default: json without --out; with "
     "--out, a table on a\nterminal, else nothing)"},
    {"prom", "FILE", O_PROM,
     "write Prometheus metrics to FILE, atomically\n(node_exporter textfile collector: name it "
     "*.prom)"},
    {"fail-on", "LEVEL", O_FAIL_ON,
     "fail (default): exit 1 when a check fails; warn: also when\none warns (strict pipelines; "
     "JUnit shows warnings as\nfailures)"},
    {"push", "URL", O_PUSH,
     "PUT the Prometheus metrics to a Pushgateway, after the\nreport is written "
     "(http://HOST:9091; grouping key job\nucscan, topology, vantage); a failed push: exit 3"},
    {"timeout", "MS", O_TIMEOUT, "longest wait for one attempt (default 2000; fast: 1000)"},
    {"retries", "N", O_RETRIES, "extra attempts when nothing answered (default 2)"},
    {"concurrency", "N", O_CONCURRENCY, "probes in flight, all hosts (default 256; fast: 4096)"},
    {"per-host", "N", O_PER_HOST, "probes in flight per host (default 16; fast: 4096)"},
    {"rate", "N", O_RATE,
     "new probes per second to one target, 0 = no cap\n(default 2000; fast: 0)"},
    {"max-rate", "N", O_MAX_RATE,
     "new probes per second, all targets together, 0 = no\ncap (default 20000; fast: 0)"},
    {"profile", "NAME", O_PROFILE, "polite (default, production) or fast (labs)"},
    {"fast", NULL, O_FAST, "same as --profile fast"},
    {"cert-warn-days", "N", O_CERT_WARN_DAYS,
     "warn when a certificate expires within N days\n(default 30, 0 = off)"},
    {"ca", "FILE", O_CA, "verify TLS chains against these CA certificates (PEM)"},
    {"capture", "FILE", O_CAPTURE,
     "write every packet of the scan's traffic to FILE (pcap,\nfor tcpdump -r or Wireshark); needs "
     "CAP_NET_RAW"},
    {"user", "NAME", O_USER,
     "run as root only to open the capture and the raw SYN\nsocket, then switch to user NAME (like "
     "tcpdump -Z)\nbefore any probe; --out is written as NAME, the\n--capture file is handed to "
     "NAME"},
    {"tcp-method", "HOW", O_TCP_METHOD,
     "range ports: auto (raw SYN probes when permitted, else\nconnect), connect, or syn (needs "
     "CAP_NET_RAW)"},
    {"no-evidence", NULL, O_NO_EVIDENCE,
     "do not open a packet capture for ICMP/TTL evidence\n(also turns off raw SYN probes)"},
    {"no-progress", NULL, O_NO_PROGRESS, "no live progress line on stderr"},
    {"help", NULL, O_HELP, "this help"},
    {NULL, NULL, 0, NULL},
};

const struct cli_cmd cli_cmd_scan = {
    "scan",
    "ucscan scan --topology FILE [--out FILE] [--format json|table|junit|prometheus]\n"
    "                   [--prom FILE] [--push URL] [options]\n"
    "       ucscan scan --target HOST[,HOST...] --role ROLE[,ROLE...] [options]\n"
    "       ucscan scan --target HOST[,HOST...] --ports SPEC [options]",
    "Checks every host's ports against Microsoft's port tables for its roles (or the ports\n"
    "given), proves the expected protocol where one answers (TLS, SIP, HTTP, XMPP, STUN,\n"
    "SQL Browser) and writes a pass/warn/fail/skip report.",
    scan_opts,
    "profiles:\n"
    "  polite  (default) per target: 2000 new probes/s, 16 connections in flight;\n"
    "          in all: 20000 new probes/s, 256 connections; 2 s longest wait, adaptive\n"
    "          timeouts no shorter than 100 ms (raw SYNs and UDP range datagrams hold\n"
    "          no connection: the rates pace them)\n"
    "  fast    for labs: 4096 in flight, no rate cap, 1 s longest wait, 20 ms floor\n"
    "\nexit status:\n"
    "  0  no check failed    1  at least one check failed (or warned, with --fail-on warn)\n"
    "  2  bad usage or input, nothing scanned\n"
    "  3  the scan could not finish (SIGINT, SIGTERM, SIGHUP; out of resources): a partial\n"
    "     report is written\n"
    "\nexamples:\n"
    "  ucscan scan --topology contoso.json --out report.json --format table\n"
    "  ucscan scan --target dir01.contoso.test --role director\n"
    "  ucscan scan --target 198.18.1.20 --ports tcp:1-65535 --fast\n"
    "  ucscan scan --topology contoso.json --out report.json --format junit > junit.xml\n"
    "  ucscan scan --topology contoso.json --out report.json \\\n"
    "              --prom /var/lib/prometheus/node-exporter/ucscan.prom\n"
    "  ucscan scan --topology contoso.json --out report.json \\\n"
    "              --push http://pushgateway.example:9091\n",
};

struct scan_args {
  const char *topology, *target, *role, *ports, *product, *catalog, *out, *format, *prom, *push;
  const char *fail_on; /* --fail-on: "fail" (default) or "warn" */
  const char *from;    /* --from, or NULL: the topology's vantage, else any */
  struct scan_conf conf;
  bool profile_set;
  bool no_evidence;
  unsigned timeout, retries, concurrency, per_host, rate, max_rate, cert_warn_days;
  unsigned set; /* bit per numeric option given */
};

enum {
  S_TIMEOUT = 1,
  S_RETRIES = 2,
  S_CONC = 4,
  S_PERHOST = 8,
  S_RATE = 16,
  S_CWD = 32,
  S_MAXRATE = 64
};

/* The file a path names once written: realpath() of the file, or of its directory when the
 * file does not exist yet (./r.json and r.json, or a link and its target, are one file). */
static bool canonical_path(const char *path, char *out, size_t cap)
{
  char *real = realpath(path, NULL);
  if (!real) {
    char dir[4096], base[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    snprintf(base, sizeof(base), "%s", path);
    char *rdir = realpath(dirname(dir), NULL);
    if (!rdir)
      return false;
    int n = snprintf(out, cap, "%s/%s", rdir, basename(base));
    free(rdir);
    return n > 0 && (size_t)n < cap;
  }
  int n = snprintf(out, cap, "%s", real);
  free(real);
  return n > 0 && (size_t)n < cap;
}

static bool same_file(const char *a_given, const char *b_given)
{
  /* through links as the writer follows them: --out latest.json (a dangling link to
   * today.json) and --prom today.json are one file */
  char a[4096], b[4096];
  struct uc_err err;
  if (atomic_resolve(a_given, a, sizeof(a), &err) < 0)
    snprintf(a, sizeof(a), "%s", a_given);
  if (atomic_resolve(b_given, b, sizeof(b), &err) < 0)
    snprintf(b, sizeof(b), "%s", b_given);
  int same = plat_same_file(a, b); /* hard links too; -1: not both exist */
  if (same >= 0)
    return same;
  char ca[4200], cb[4200];
  if (canonical_path(a, ca, sizeof(ca)) && canonical_path(b, cb, sizeof(cb)))
    return strcmp(ca, cb) == 0;
  return strcmp(a, b) == 0;
}

/* --source must be an address of this machine: bound once here, so a typo is an input error
 * (exit 2) rather than a scan whose every probe fails. */
static int check_source(const char *addr)
{
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof(ss));
  if (uv_ip4_addr(addr, 0, (struct sockaddr_in *)&ss) == 0)
    len = sizeof(struct sockaddr_in);
  else if (uv_ip6_addr(addr, 0, (struct sockaddr_in6 *)&ss) == 0)
    len = sizeof(struct sockaddr_in6);
  else
    return opts_usage_error("scan", "--source \"%s\" is not an IPv4 or IPv6 address", addr);
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0) {
    int err = errno;
    if (fd >= 0)
      plat_sock_close(fd);
    fprintf(stderr, "ucscan: --source %s: not an address of this machine (%s); nothing scanned\n",
            addr, strerror(err));
    return 2;
  }
  plat_sock_close(fd);
  return 0;
}

static int parse_args(int argc, char **argv, struct scan_args *a)
{
  if (opts_check_argv(&cli_cmd_scan, argc, argv) != 0)
    return 2;
  struct option *lo = opts_getopt(scan_opts);
  int rc = 0, c;
  const char *profile = "polite";
  optind = 1;
  opterr = 0;
  while (rc == 0 && (c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
    switch (c) {
    case O_TOPOLOGY:
      a->topology = optarg;
      break;
    case O_TARGET:
      a->target = optarg;
      break;
    case O_ROLE:
      a->role = optarg;
      break;
    case O_PORTS:
      a->ports = optarg;
      break;
    case O_PRODUCT:
      a->product = optarg;
      break;
    case O_CATALOG:
      a->catalog = optarg;
      break;
    case O_OUT:
      a->out = optarg;
      break;
    case O_FORMAT:
      a->format = optarg;
      break;
    case O_PROM:
      a->prom = optarg;
      break;
    case O_FAIL_ON:
      a->fail_on = optarg;
      break;
    case O_FROM:
      a->from = optarg;
      break;
    case O_SOURCE:
      a->conf.source_addr = optarg;
      break;
    case O_PUSH:
      a->push = optarg;
      break;
    case O_TIMEOUT:
      rc = opts_uint("timeout", optarg, 1, 600000, &a->timeout);
      a->set |= S_TIMEOUT;
      break;
    case O_RETRIES:
      rc = opts_uint("retries", optarg, 0, 20, &a->retries);
      a->set |= S_RETRIES;
      break;
    case O_CONCURRENCY:
      rc = opts_uint("concurrency", optarg, 1, 1000000, &a->concurrency);
      a->set |= S_CONC;
      break;
    case O_PER_HOST:
      rc = opts_uint("per-host", optarg, 1, 1000000, &a->per_host);
      a->set |= S_PERHOST;
      break;
    case O_RATE:
      rc = opts_uint("rate", optarg, 0, 100000000, &a->rate);
      a->set |= S_RATE;
      break;
    case O_MAX_RATE:
      rc = opts_uint("max-rate", optarg, 0, 100000000, &a->max_rate);
      a->set |= S_MAXRATE;
      break;
    case O_CERT_WARN_DAYS:
      rc = opts_uint("cert-warn-days", optarg, 0, 36500, &a->cert_warn_days);
      a->set |= S_CWD;
      break;
    case O_PROFILE:
      profile = optarg;
      a->profile_set = true;
      break;
    case O_FAST:
      profile = "fast";
      a->profile_set = true;
      break;
    case O_CA:
      a->conf.ca_file = optarg;
      break;
    case O_CAPTURE:
      a->conf.capture_file = optarg;
      break;
    case O_USER:
      a->conf.user = optarg;
      break;
    case O_NO_PROGRESS:
      a->conf.progress = false;
      break;
    case O_TCP_METHOD:
      a->conf.tcp_method = optarg;
      break;
    case O_NO_EVIDENCE:
      a->no_evidence = true;
      break;
    case O_HELP:
      opts_help(stdout, &cli_cmd_scan);
      free(lo);
      exit(0);
    case ':':
      rc = opts_usage_error("scan", "option %s needs a value", argv[optind - 1]);
      break;
    default:
      rc = opts_usage_error("scan", "unknown option %s", argv[optind - 1]);
      break;
    }
  }
  if (rc == 0 && optind < argc)
    rc = opts_usage_error("scan", "unexpected argument \"%s\"", argv[optind]);
  free(lo);
  if (rc)
    return 2;
  /* Profile first, then the explicit numbers on top. */
  struct scan_conf base;
  if (strcmp(profile, "fast") == 0)
    scan_conf_fast(&base);
  else if (strcmp(profile, "polite") == 0)
    scan_conf_polite(&base);
  else
    return opts_usage_error("scan", "unknown profile \"%s\" (polite or fast)", profile);
  base.ca_file = a->conf.ca_file;
  base.capture_file = a->conf.capture_file;
  base.user = a->conf.user;
  base.progress = a->conf.progress;
  base.tcp_method = a->conf.tcp_method ? a->conf.tcp_method : base.tcp_method;
  base.evidence_capture = !a->no_evidence;
  base.source_addr = a->conf.source_addr;
  a->conf = base;
  if (a->from && uc_vantage_parse(a->from, &a->conf.vantage) < 0)
    return opts_usage_error("scan",
                            "unknown vantage \"%s\" for --from (servers, clients, internet, "
                            "reverse-proxy, pstn or any)",
                            a->from);
  if (a->conf.source_addr && check_source(a->conf.source_addr) != 0)
    return 2;
  if (a->set & S_TIMEOUT)
    a->conf.timeout_ms = a->timeout;
  if (a->set & S_RETRIES)
    a->conf.retries = a->retries;
  if (a->set & S_CONC)
    a->conf.concurrency = a->concurrency;
  if (a->set & S_PERHOST)
    a->conf.per_host = a->per_host;
  if (a->set & S_RATE)
    a->conf.rate = a->rate;
  if (a->set & S_MAXRATE)
    a->conf.max_rate = a->max_rate;
  if (a->set & S_CWD)
    a->conf.cert_warn_days = a->cert_warn_days;
  if (a->conf.min_rto_ms > a->conf.timeout_ms)
    a->conf.min_rto_ms = a->conf.timeout_ms;
  if (!!a->topology == !!a->target)
    return opts_usage_error("scan", "%s",
                            a->topology ? "give --topology or --target, not both"
                                        : "say what to scan: --topology FILE or --target HOST");
  if (a->topology && (a->role || a->ports))
    return opts_usage_error("scan", "%s",
                            "--role and --ports go with --target, not with --topology");
  if (a->target && !!a->role == !!a->ports)
    return opts_usage_error("scan", "%s",
                            a->role ? "give --role or --ports, not both"
                                    : "--target needs --role ROLE or --ports SPEC");
  if (a->out && !a->out[0])
    return opts_usage_error("scan", "%s", "--out needs a file name");
  if (strcmp(a->conf.tcp_method, "auto") && strcmp(a->conf.tcp_method, "connect") &&
      strcmp(a->conf.tcp_method, "syn"))
    return opts_usage_error("scan", "unknown --tcp-method \"%s\" (auto, connect or syn)",
                            a->conf.tcp_method);
  if (a->no_evidence && strcmp(a->conf.tcp_method, "syn") == 0)
    return opts_usage_error(
        "scan", "%s", "--tcp-method syn needs the packet capture that --no-evidence turns off");
  if (a->format && !scan_output_format_known(a->format))
    return opts_usage_error("scan", "unknown format \"%s\" (json, table, junit or prometheus)",
                            a->format);
  if (a->fail_on && strcmp(a->fail_on, "fail") && strcmp(a->fail_on, "warn"))
    return opts_usage_error("scan", "unknown --fail-on \"%s\" (fail or warn)", a->fail_on);
  struct push_target pt;
  char why[300];
  if (a->push && push_parse_url(a->push, &pt, why, sizeof(why)) < 0)
    return opts_usage_error("scan", "--push %s: %s", a->push, why);
  if (a->out && a->prom && same_file(a->out, a->prom))
    return opts_usage_error("scan", "%s", "--out and --prom name the same file");
  if (a->out && a->conf.capture_file && same_file(a->out, a->conf.capture_file))
    return opts_usage_error("scan", "%s", "--out and --capture name the same file");
  if (a->prom && a->conf.capture_file && same_file(a->prom, a->conf.capture_file))
    return opts_usage_error("scan", "%s", "--prom and --capture name the same file");
  if (a->no_evidence && a->conf.capture_file)
    return opts_usage_error("scan", "%s",
                            "--capture needs the packet capture that --no-evidence turns off");
  return 0;
}

static int check_out_file(void *arg)
{
  struct uc_err err;
  uc_err_clear(&err);
  if (atomic_check_writable(arg, &err) == 0)
    return 0;
  char msg[800];
  uc_err_format(&err, msg, sizeof(msg));
  fprintf(stderr, "ucscan: %s\n", msg);
  return 2;
}

static int check_ca_file(void *arg)
{
  char msg[200];
  SSL_CTX *ctx = tls_client_ctx_new(arg, msg, sizeof(msg));
  if (!ctx) {
    fprintf(stderr, "ucscan: --ca %s: %s\n", (const char *)arg, msg);
    return 2;
  }
  SSL_CTX_free(ctx);
  return 0;
}

/* Privileges and files, before anything is scanned: a --capture that could not be written
 * or a --user that could not write the report must not cost a scan. */
static int check_privileges(const struct scan_args *a)
{
  char why[300];
  const struct scan_conf *c = &a->conf;
  if (c->capture_file) {
    if (capture_check_file(c->capture_file, why, sizeof(why)) < 0) {
      fprintf(stderr, "ucscan: --capture %s: %s\n", c->capture_file, why);
      return 2;
    }
    if (!capture_permitted(why, sizeof(why))) {
      fprintf(stderr, "ucscan: --capture %s: %s; nothing scanned\n", c->capture_file, why);
      return 2;
    }
  }
  if (strcmp(c->tcp_method, "syn") == 0 && !capture_permitted(why, sizeof(why))) {
    fprintf(stderr, "ucscan: --tcp-method syn: %s; nothing scanned\n", why);
    return 2;
  }
  if (c->user) {
    struct privdrop_user u;
    if (geteuid() != 0) {
      fprintf(stderr, "ucscan: --user %s: only root can switch users (ucscan runs as uid %u)\n",
              c->user, (unsigned)geteuid());
      return 2;
    }
    if (privdrop_lookup(c->user, &u, why, sizeof(why)) < 0) {
      fprintf(stderr, "ucscan: --user: %s\n", why);
      return 2;
    }
    if (a->out) {
      int rc = privdrop_run_as(&u, check_out_file, (void *)a->out, why, sizeof(why));
      if (rc != 0) {
        if (rc < 0)
          fprintf(stderr, "ucscan: --user %s: %s\n", c->user, why);
        fprintf(stderr, "ucscan: --user %s: the report is written as %s, who cannot write %s\n",
                c->user, c->user, a->out);
        return 2;
      }
    }
    if (c->ca_file) { /* read when the scan starts, as NAME */
      int rc = privdrop_run_as(&u, check_ca_file, (void *)c->ca_file, why, sizeof(why));
      if (rc != 0) {
        if (rc < 0)
          fprintf(stderr, "ucscan: --user %s: %s\n", c->user, why);
        fprintf(stderr, "ucscan: --user %s: the CA file is read as %s, who cannot read %s\n",
                c->user, c->user, c->ca_file);
        return 2;
      }
    }
  }
  return 0;
}

/* scan_output.host_origin: where host i's name stands in the topology file, or in --target. */
static void host_origin(size_t i, struct uc_err *err, void *arg)
{
  const struct topology *t = arg;
  if (i >= t->nhosts)
    return;
  if (t->doc.text) {
    struct jpath p = {0};
    int line = 0, col = 0;
    jpath_key(jpath_index(jpath_key(&p, "hosts"), i), "name");
    if (jdoc_locate(&t->doc, &p, 0, &line, &col) < 0)
      line = col = 0;
    uc_err_set(err, t->doc.source, line, col, "%s", "");
  } else if (t->owned && t->hosts[i].name >= t->owned) {
    /* --target names point into a copy of the option's text, at the same offsets */
    uc_err_set(err, "--target", 1, (int)(t->hosts[i].name - t->owned) + 1, "%s", "");
  }
}

/* Descriptors the process needs before its first probe: stdio, the loop (epoll, eventfd),
 * libuv's signal pipes, the capture, a spare for the report, and one socket. Below this,
 * libuv aborts in its own initialisation (it cannot create its signal pipe). */
#define UC_MIN_FILES 16

static bool enough_files(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= UC_MIN_FILES)
    return true;
  if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= UC_MIN_FILES) {
    rl.rlim_cur = UC_MIN_FILES;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  return getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= UC_MIN_FILES;
}

static int input_error(const struct uc_err *err)
{
  char msg[800];
  uc_err_format(err, msg, sizeof(msg));
  fprintf(stderr, "ucscan: %s\n", msg);
  return 2;
}

int cmd_scan(int argc, char **argv)
{
  struct scan_args a;
  memset(&a, 0, sizeof(a));
  a.conf.progress = true;
  if (parse_args(argc, argv, &a) != 0)
    return 2;

  struct uc_err err;
  uc_err_clear(&err);
  struct catalog cat = {0};
  struct topology topo = {0};
  struct plan plan = {0};
  struct port_item *items = NULL;
  size_t nitems = 0;
  int status = 2;
  if (catalog_load_builtin(&cat, &err) < 0 ||
      (a.catalog && catalog_load_file(&cat, a.catalog, &err) < 0)) {
    input_error(&err);
    goto out;
  }
  if (a.topology ? topo_load_file(&topo, a.topology, &cat, &err) < 0
                 : topo_from_targets(&topo, a.target, a.role, &cat, &err) < 0) {
    input_error(&err);
    goto out;
  }
  const char *product =
      a.product ? a.product : (topo.product ? topo.product : catalog_default_product(&cat));
  if (!product || !catalog_product(&cat, product)) {
    fprintf(stderr, "ucscan: unknown product \"%s\" (known: sfb2015, lync2013)\n",
            product ? product : "");
    goto out;
  }
  if (!a.from && topo.has_vantage)
    a.conf.vantage = topo.vantage;
  if (a.ports) {
    if (portspec_parse(a.ports, &items, &nitems, &err) < 0) {
      input_error(&err);
      goto out;
    }
    if (plan_from_ports(&plan, &topo, items, nitems, product, &err) < 0) {
      input_error(&err);
      goto out;
    }
  } else if (plan_build(&plan, &topo, &cat, product, a.conf.vantage, &err) < 0) {
    input_error(&err);
    goto out;
  }
  if ((a.out && atomic_check_writable(a.out, &err) < 0) ||
      (a.prom && atomic_check_writable(a.prom, &err) < 0)) {
    input_error(&err);
    goto out;
  }
  if (check_privileges(&a) != 0)
    goto out;
  if (a.conf.ca_file) {
    char msg[200];
    SSL_CTX *ctx = tls_client_ctx_new(a.conf.ca_file, msg, sizeof(msg));
    if (!ctx) {
      fprintf(stderr, "ucscan: --ca %s: %s\n", a.conf.ca_file, msg);
      goto out;
    }
    SSL_CTX_free(ctx);
  }

  struct scan_output sout = {.out_file = a.out,
                             .format = a.format,
                             .prom_file = a.prom,
                             .fail_on_warn = a.fail_on && strcmp(a.fail_on, "warn") == 0,
                             .push_url = a.push,
                             .host_origin = host_origin,
                             .origin_arg = &topo};
  char scanner[256];
  size_t slen = sizeof(scanner);
  struct report_meta meta = {.topology = topo.name,
                             .product = product,
                             .vantage = a.conf.vantage,
                             .scanner = uv_os_gethostname(scanner, &slen) == 0 ? scanner : NULL};
  if (!enough_files()) {
    char what[160];
    struct rlimit rl = {0};
    getrlimit(RLIMIT_NOFILE, &rl);
    snprintf(what, sizeof(what),
             "the open-file limit (ulimit -n) is %llu, below the %d descriptors a scan needs",
             (unsigned long long)rl.rlim_cur, UC_MIN_FILES);
    status = scan_session_unrunnable(&sout, &plan, &meta, what, 0);
    goto out;
  }
  scan_session_hold_fd();
  uv_loop_t loop;
  int rc = fdroom_loop_init(&loop);
  if (rc != 0) {
    status = scan_session_unrunnable(&sout, &plan, &meta, "cannot create the event loop", rc);
    goto out;
  }
  status = scan_session_run(&loop, &plan, &a.conf, &sout, &meta);
  scan_session_close_loop(&loop);
out:
  free(items);
  plan_free(&plan);
  topo_free(&topo);
  catalog_free(&cat);
  return status;
}
