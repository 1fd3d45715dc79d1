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
#include "common/textcol.h"
#include "scanner/capture.h"
#include "scanner/engine.h"
#include "model/names.h"
#include "model/portspec.h"
#include "model/targets.h"
#include "scanner/privdrop.h"
#include "model/topology.h"

struct scan_args {
  const char *topology, *target, *targets_file, *role, *ports, *product, *catalog;
  const char *out, *format, *prom, *push, *fail_on, *color, *profile, *ca, *capture, *user;
  const char *tcp_method;
  const char *from;   /* --from, or NULL: the topology's vantage, else any */
  const char *source; /* --source: conf.source_addr */
  struct cli_uint timeout, retries, concurrency, per_host, rate, max_rate, cert_warn_days;
  bool no_evidence, no_progress;
  struct scan_conf conf; /* the profile with the options above applied */
};

#define A(field) offsetof(struct scan_args, field)

static const struct cli_opt scan_opts[] = {
    {"topology", "FILE", CLI_STR, A(topology), .help = "deployment to check (JSON, see ucscan(1))",
     .man = "The deployment to check: a topology file (see TOPOLOGY FILE)."},
    {"target", "HOST[,HOST...]", CLI_LIST, A(target),
     .help = "hosts to check instead of a topology: names,\naddresses, blocks (198.18.1.0/28) "
             "and ranges\n(198.18.1.10-20); at most " UC_STR(TARGETS_MAX) " hosts",
     .man = "Hosts to check instead of a topology: names, addresses, CIDR blocks "
            "(`198.18.1.0/28`: its host addresses, without the network and broadcast "
            "addresses) and IPv4 ranges (`198.18.1.10-20` or `198.18.1.10-198.18.1.20`). "
            "Blocks and ranges are expanded before any name is resolved. At most " UC_STR(
                TARGETS_MAX) " hosts in all; an expansion beyond that is refused before it "
                             "is made. The same host written twice is an error; a host that "
                             "a block or range also covers is scanned once. Every target gets "
                             "every role of --role, or the ports of --ports (an item written "
                             "HOST:PORT is refused, with the --ports it stands for)."},
    {"targets-file", "FILE", CLI_STR, A(targets_file),
     .help = "more targets, one per line (# comments; -: stdin)",
     .man = "More targets, read from <FILE> (`-`: standard input): one host, block or range "
            "per line; `#` starts a comment, blank lines are ignored. UTF-8 (with or without a "
            "byte order mark) and UTF-16 with a byte order mark, as Windows tools save text, "
            "are read. With --target, both lists are scanned."},
    {"role", "ROLE[,ROLE...]", CLI_LIST, A(role),
     .help = "roles of every target (see `ucscan catalog`)",
     .man = "Roles of every target host (see ROLES and `ucscan catalog`), in any case."},
    {"ports", "SPEC", CLI_STR, A(ports),
     .help = "ad hoc ports instead of roles, no catalog:\ntcp:1-1024,udp:3478,5061/tcp",
     .man = "Ad hoc ports instead of roles, without the catalog: a comma-separated list of "
            "ports and ranges, each with its transport before it (`tcp:1-1024`, which also "
            "applies to the items after it) or after it (`5061/tcp`, the port tables' "
            "notation, for that item only), e.g. `tcp:1-1024,udp:3478,5061/tcp`; "
            "`49152-57500/tcp+udp` is both transports (as `ucscan catalog` prints it), "
            "nmap's `T:5061` and `U:3478` are `tcp:` and `udp:`. An ad hoc "
            "check asks whether the network lets the port through, for single ports and "
            "ranges alike: open, or closed by the host itself (a TCP RST, an ICMP port "
            "unreachable), passes; filtered or unreachable fails; a UDP port with no answer "
            "either way warns. JUnit names these checks `ad-hoc`."},
    {"from", "VANTAGE", CLI_CHOICE, A(from),
     .choices = "servers|clients|internet|reverse-proxy|pstn|any", .what = "vantage",
     .help = "where this scan runs: servers, clients,\ninternet, reverse-proxy, pstn or any "
             "(default:\nthe topology's \"vantage\", else any); rows the\ndocumentation "
             "tests from elsewhere are skipped",
     .man = "Where this scan runs (see VANTAGES): `servers`, `clients`, `internet`, "
            "`reverse-proxy`, `pstn` or `any`; overrides the topology's `vantage`. A row the "
            "documentation tests from elsewhere is skip, with a reason naming the vantage "
            "that can test it. Default: the topology's `vantage`, else `any` (every inbound "
            "row is probed, as before vantages existed)."},
    {"source", "ADDR", CLI_STR, A(source),
     .help = "send every probe from ADDR, an address of this\nmachine (a scanner with a leg "
             "in the DMZ and one\nin the LAN)",
     .man = "Send every probe from <ADDR>, an address of this machine (a scanner with a leg "
            "in the DMZ and one in the LAN). An address the machine does not have is an input "
            "error. The report's `vantage.source_addresses` lists the local addresses the "
            "probes went out from."},
    {"product", "ID", CLI_STR, A(product),
     .help = "sfb2015 (default) or lync2013; overrides the\ntopology's",
     .man = "`sfb2015` (the default) or `lync2013`, in any case; overrides the topology's "
            "`product`."},
    {"catalog", "FILE", CLI_STR, A(catalog),
     .help = "site catalog that extends (or, with \"mode\":\n\"replace\", replaces) the built-in "
             "tables",
     .man = "A site catalog (format: docs/catalog-format.md) that extends the built-in port "
            "tables, or replaces them when it says `\"mode\": \"replace\"`."},
    {"out", "FILE", CLI_STR, A(out), .help = "write the JSON report to FILE, atomically",
     .man = "Write the JSON report to <FILE>, atomically (a temporary file in the same "
            "directory, flushed to disk, then renamed): a reader sees the previous report or "
            "the new one, never half of one. Whether <FILE> can be written is checked before "
            "the scan starts. A symbolic link is followed (its target is replaced, or created "
            "when the link dangles; the link is kept); the report keeps the mode of the file "
            "it replaces, and a new one gets 0666 less the umask."},
    {"format", "FMT", CLI_CHOICE, A(format), .choices = "json|table|junit|prometheus|csv|html",
     .help = "what stdout gets: json, table, junit,\nprometheus, csv or html (default: the "
             "table on a\nterminal, else json unless --out took it)",
     .man = "What stdout gets: `json` (the report), `table` (grouped by host, failures first, "
            "fitted to the terminal's width), `junit` (JUnit XML, see JUNIT OUTPUT), "
            "`prometheus` (the text exposition format, see PROMETHEUS OUTPUT), `csv` (a row per "
            "check, see CSV OUTPUT) or `html` (one self-contained page, see HTML OUTPUT). "
            "Without --format: the table when stdout is a terminal; otherwise the JSON "
            "report, or nothing when --out writes it."},
    {"prom", "FILE", CLI_STR, A(prom),
     .help = "write Prometheus metrics to FILE, atomically\n(node_exporter textfile collector: "
             "*.prom)",
     .man = "Also write the Prometheus metrics to <FILE>, atomically, for node_exporter's "
            "textfile collector: give a name ending in `.prom` in the collector's directory "
            "(the temporary file's name does not end in .prom, so the collector never reads "
            "a partial file). Checked for writability before the scan starts."},
    {"fail-on", "LEVEL", CLI_CHOICE, A(fail_on), .choices = "fail|warn", .what = "level",
     .def = "fail",
     .help = "fail: exit 1 when a check fails; warn: also when\none warns (strict pipelines; "
             "JUnit shows\nwarnings as failures)",
     .man = "`fail`: exit 1 when a check fails, and a warning passes (visibly: see JUNIT "
            "OUTPUT). `warn` (strict pipelines): a warning fails the scan too: exit 1 when a "
            "check fails or warns, and in JUnit each warning is a `<failure type=\"warn\">`. "
            "The JSON report is the same either way."},
    {"push", "URL", CLI_STR, A(push),
     .help = "PUT the Prometheus metrics to a Pushgateway,\nafter the report is written "
             "(http://HOST:9091;\ngrouping key job ucscan, topology, vantage); a\nfailed "
             "push: exit 3",
     .man = "PUT the same Prometheus metrics to a Pushgateway, for a vantage Prometheus "
            "cannot scrape: <URL> is `http://`<HOST>[`:`<PORT>][`/`<PATH>] or `https://...`; "
            "the metrics go to <PATH>`/metrics/job/ucscan/topology/`<TOPOLOGY>"
            "`/vantage/`<VANTAGE> (grouping key job, topology, vantage; values other than "
            "`[A-Za-z0-9._~-]` in the Pushgateway's base64url form). A path that already holds "
            "`/metrics/job/`<NAME> sets the job (and any further grouping labels given after "
            "it). PUT replaces the group. The push comes last, after the report and the other "
            "outputs are written, and takes at most 10 seconds in all; https checks the "
            "server's certificate and name against the system's trust store. A push that "
            "fails or is refused is reported on stderr and makes the exit status 3; the report "
            "is written all the same. A malformed URL (no http:// or https://, credentials, a "
            "query) is a usage error, before anything is scanned."},
    {"color", "WHEN", CLI_CHOICE, A(color), .choices = "auto|always|never", .def = "auto",
     .help = "colour in the table: auto, always or never",
     .man = "Colour in the table: `always`, `never`, or `auto`: when stdout is a terminal, "
            "`NO_COLOR` is unset or empty and `TERM` is not `dumb`."},
    {"timeout", "MS", CLI_UINT, A(timeout), 1, 600000, .conf = CLI_CONF(timeout_ms),
     .help = "longest wait for one attempt",
     .man = "Longest wait for one attempt, in milliseconds: a connection, or a handshake and "
            "its reply."},
    {"retries", "N", CLI_UINT, A(retries), 0, 20, .conf = CLI_CONF(retries),
     .help = "extra attempts when nothing answered",
     .man = "Extra attempts for probes that got no answer."},
    {"concurrency", "N", CLI_UINT, A(concurrency), 1, 1000000, .conf = CLI_CONF(concurrency),
     .help = "probes in flight, all hosts", .man = "Probes in flight, all hosts together."},
    {"per-host", "N", CLI_UINT, A(per_host), 1, 1000000, .conf = CLI_CONF(per_host),
     .help = "probes in flight per host", .man = "Probes in flight against one host."},
    {"rate", "N", CLI_UINT, A(rate), 0, 100000000, .conf = CLI_CONF(rate),
     .help = "new probes per second to one target, 0 = no cap",
     .man = "New probes per second to one target, `0` for no cap. Politeness is per target: a "
            "server's load is what it protects, so ten servers are scanned ten times as fast "
            "as one."},
    {"max-rate", "N", CLI_UINT, A(max_rate), 0, 100000000, .conf = CLI_CONF(max_rate),
     .help = "new probes per second, all targets together,\n0 = no cap",
     .man = "New probes per second from the scanner, all targets together, `0` for no cap: "
            "the scanner's own link and the firewalls on the way."},
    {"profile", "NAME", CLI_CHOICE, A(profile), .choices = "polite|fast", .def = "polite",
     .help = "polite (production) or fast (labs)",
     .man = "`polite` (for production) or `fast` (for labs); see PROFILES. Numbers given with "
            "the options above apply on top of the profile."},
    {"fast", NULL, CLI_SET, A(profile), .choices = "fast", .help = "same as --profile fast",
     .man = "Same as `--profile fast`."},
    {"cert-warn-days", "N", CLI_UINT, A(cert_warn_days), 0, 36500, .conf = CLI_CONF(cert_warn_days),
     .help = "warn when a certificate expires within N days\n(0 = off)",
     .man = "The certificate expiry horizon: a certificate that is valid now but expires "
            "within <N> days makes its check warn, with the date and the days left in the "
            "reason (\"certificate expires 2026-12-01 (10 days left)\"); the evidence carries "
            "`days_left`. `0` turns the warning off (an expired certificate still warns). "
            "Scheduled scans catch a certificate before the outage: the warning shows in the "
            "table, in JUnit's system-out, as a `degraded` entry of `ucscan diff`, and "
            "Prometheus gets the expiry itself "
            "(`ucscan_tls_certificate_not_after_timestamp_seconds`)."},
    {"ca", "FILE", CLI_STR, A(ca), .conf = CLI_CONF(ca_file),
     .help = "verify TLS chains against these CA certificates\n(PEM)",
     .man = "Verify TLS certificate chains against the CA certificates in <FILE> (PEM). The "
            "result is evidence (`tls.chain`); trust never stops a handshake."},
    {"capture", "FILE", CLI_STR, A(capture), .conf = CLI_CONF(capture_file),
     .help = "write every packet of the scan's traffic to FILE\n(pcap, for tcpdump -r or "
             "Wireshark); needs\nCAP_NET_RAW",
     .man = "Write every packet of the scan's traffic (probes, answers, ICMP errors) to a "
            "pcap file, for `tcpdump -r` or Wireshark; needs CAP_NET_RAW (refused up front "
            "without it)."},
    {"user", "NAME", CLI_STR, A(user), .conf = CLI_CONF(user),
     .help = "after opening the capture and the raw SYN socket\nas root, switch to user NAME "
             "(like tcpdump -Z);\n--out is written as NAME",
     .man = "After opening what needs root (the --capture file and the raw socket of SYN "
            "probes), drop root privileges to user <NAME> for the rest of the scan, before any "
            "name is resolved or probe sent (like `tcpdump -Z`). The report (--out) is "
            "written as <NAME> (checked before the scan), the --capture file is handed to "
            "<NAME>."},
    {"tcp-method", "HOW", CLI_CHOICE, A(tcp_method), .choices = "auto|connect|syn",
     .conf = CLI_CONF(tcp_method),
     .help = "auto: range ports by raw SYN when permitted, single\nports by connect; connect: "
             "every port by connect;\nsyn (CAP_NET_RAW): raw SYNs for ranges and for\nsingle "
             "ports that need no handshake (plain TCP)",
     .man = "How TCP ports are probed. `auto` (the default) sends raw SYN probes for the ports "
            "of TCP ranges when ucscan may capture packets (root or CAP_NET_RAW, IPv4 targets) "
            "and uses connect(2) otherwise; single-port checks connect, so a `ucscan listen` "
            "on the far side sees each connection. `connect` always uses connect(2). `syn` "
            "insists on raw SYN probes, for ranges and for every single-port check that needs "
            "only the port's state (plain TCP: no TLS handshake, no application request); "
            "those checks say so (`evidence.tcp_method` is `syn`) and keep a connect's states, "
            "ICMP evidence, TTL and retries. Checks that need a handshake always connect."},
    {"no-evidence", NULL, CLI_FLAG, A(no_evidence),
     .help = "no packet capture for ICMP/TTL evidence (also no\nraw SYN probes)",
     .man = "Do not open a packet capture: no ICMP attribution for TCP probes, no TTL "
            "evidence, and no raw SYN probes (ICMP errors on UDP probes are still read from "
            "the socket's error queue)."},
    {"no-progress", NULL, CLI_FLAG, A(no_progress), .help = "no live progress line on stderr",
     .man = "No live progress line on stderr (there is none either when stderr is not a "
            "terminal)."},
    {"help", NULL, CLI_HELP, 0, .help = "this help", .man = "The options of `ucscan scan`."},
    {NULL, NULL, 0, 0, .help = NULL},
};

const struct cli_cmd cli_cmd_scan = {
    "scan",
    "ucscan scan --topology FILE [--out FILE] [--format FMT] [--prom FILE]\n"
    "                   [--push URL] [options]\n"
    "       ucscan scan --target HOST[,HOST...] --role ROLE[,ROLE...] [options]\n"
    "       ucscan scan --target HOST[,HOST...] --ports SPEC [options]",
    "Checks every host's ports against Microsoft's port tables for its roles (or the\n"
    "ports given), proves the expected protocol where one answers (TLS, SIP, HTTP,\n"
    "XMPP, STUN, SQL Browser) and writes a pass/warn/fail/skip report.",
    scan_opts,
    "exit status:\n"
    "  0  no check failed\n"
    "  1  at least one check failed (or warned, with --fail-on warn)\n"
    "  2  bad usage or input, nothing scanned\n"
    "  3  the scan could not finish (SIGINT, SIGTERM, SIGHUP; out of resources): a\n"
    "     partial report is written; also when an output could not be written or\n"
    "     pushed\n"
    "\nexamples:\n"
    "  ucscan scan --target sip.contoso.com --ports 5061/tcp\n"
    "  ucscan scan --target dir01.contoso.test --role director\n"
    "  ucscan scan --target 198.18.1.0/28 --ports tcp:1-65535 --fast\n"
    "  ucscan scan --topology contoso.json --out report.json --format table\n"
    "  ucscan scan --topology contoso.json --format html > report.html\n"
    "  ucscan scan --topology contoso.json --format junit > junit.xml\n"
    "  ucscan scan --topology contoso.json --out report.json \\\n"
    "              --prom /var/lib/prometheus/node-exporter/ucscan.prom\n"
    "  ucscan scan --topology contoso.json --out report.json \\\n"
    "              --push http://pushgateway.example:9091\n",
    false,
    scan_profiles_help,
};

/* What a profile does, from its struct scan_conf: "per target: 2000 new probes/s, 16
 * connections in flight; in all: ...". `per_s`: "new probes/s" or "new probes per second". */
static void profile_text(const struct scan_conf *c, const char *per_s, char *buf, size_t cap)
{
  char rate[48], max_rate[48], wait[24];
  if (c->rate)
    snprintf(rate, sizeof(rate), "%u %s", c->rate, per_s);
  else
    snprintf(rate, sizeof(rate), "no rate cap");
  if (c->max_rate)
    snprintf(max_rate, sizeof(max_rate), "%u %s", c->max_rate, per_s);
  else
    snprintf(max_rate, sizeof(max_rate), "no rate cap");
  if (c->timeout_ms % 1000 == 0)
    snprintf(wait, sizeof(wait), "%u s", c->timeout_ms / 1000);
  else
    snprintf(wait, sizeof(wait), "%u ms", c->timeout_ms);
  snprintf(buf, cap,
           "per target: %s, %u connections in flight; in all: %s, %u connections; %s longest "
           "wait, adaptive timeouts no shorter than %u ms; %u retries",
           rate, c->per_host, max_rate, c->concurrency, wait, c->min_rto_ms, c->retries);
}

void scan_profiles_help(FILE *out)
{
  static const struct textcol_col cols[2] = {{"", 0, 0, 0, 0, 0}, {"", TEXTCOL_WRAP, 20, 0, 0, 0}};
  struct scan_conf polite, fast;
  scan_conf_polite(&polite);
  scan_conf_fast(&fast);
  char p[400], f[400], pt[440], ft[440];
  profile_text(&polite, "new probes/s", p, sizeof(p));
  profile_text(&fast, "new probes/s", f, sizeof(f));
  snprintf(pt, sizeof(pt), "(default, production) %s", p);
  snprintf(ft, sizeof(ft), "(labs) %s", f);
  fputs("profiles (numbers given with the options above apply on top):\n", out);
  struct textcol *t = textcol_new(cols, 2);
  const char *rows[2][2] = {{"polite", pt}, {"fast", ft}};
  for (size_t i = 0; t && i < 2; i++)
    textcol_row(t, rows[i], NULL);
  if (t)
    textcol_line(t, 2, "Raw SYNs and UDP range datagrams hold no connection: the rates pace them.",
                 NULL);
  if (t)
    textcol_print(t, out, 80, 2, false);
  textcol_free(t);
}

void scan_profiles_man(FILE *out)
{
  struct scan_conf polite, fast;
  scan_conf_polite(&polite);
  scan_conf_fast(&fast);
  char text[600], p[400];
  profile_text(&polite, "new probes per second", p, sizeof(p));
  snprintf(text, sizeof(text), "The default, for servers in production: %s.", p);
  fputs(".TP\n.B polite\n", out);
  opts_roff(out, text);
  profile_text(&fast, "new probes per second", p, sizeof(p));
  snprintf(text, sizeof(text), "For labs: %s.", p);
  fputs(".TP\n.B fast\n", out);
  opts_roff(out, text);
}

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
    return opts_usage_error("scan", "--source: \"%s\" is not an IPv4 or IPv6 address", addr);
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

static int input_error(const struct uc_err *err)
{
  char msg[800];
  uc_err_format(err, msg, sizeof(msg));
  fprintf(stderr, "ucscan: %s\n", msg);
  return 2;
}

/* Which options go together: what to scan, and the files that must not be one file. */
static int check_combinations(const struct scan_args *a)
{
  bool targets = a->target || a->targets_file;
  if (!!a->topology == targets)
    return opts_usage_error("scan", "%s",
                            a->topology ? "give --topology or --target, not both"
                                        : "say what to scan: --topology FILE or --target HOST");
  if (a->topology && (a->role || a->ports))
    return opts_usage_error("scan", "%s",
                            "--role and --ports go with --target, not with --topology");
  struct uc_err err;
  uc_err_clear(&err);
  if (targets && !a->role && !a->ports && a->target &&
      targets_find_endpoint("--target", a->target, &err) < 0)
    return input_error(&err); /* "--target host:5061": the port it names, then --role */
  if (targets && !!a->role == !!a->ports)
    return opts_usage_error("scan", "%s",
                            a->role ? "give --role or --ports, not both"
                                    : "--target needs --role ROLE or --ports SPEC");
  if (a->out && !a->out[0])
    return opts_usage_error("scan", "%s", "--out needs a file name");
  struct push_target pt;
  char why[300];
  if (a->push && push_parse_url(a->push, &pt, why, sizeof(why)) < 0)
    return opts_usage_error("scan", "--push %s: %s", a->push, why);
  if (a->no_evidence && strcmp(a->conf.tcp_method, "syn") == 0)
    return opts_usage_error(
        "scan", "%s", "--tcp-method syn needs the packet capture that --no-evidence turns off");
  if (a->out && a->prom && same_file(a->out, a->prom))
    return opts_usage_error("scan", "%s", "--out and --prom name the same file");
  if (a->out && a->capture && same_file(a->out, a->capture))
    return opts_usage_error("scan", "%s", "--out and --capture name the same file");
  if (a->prom && a->capture && same_file(a->prom, a->capture))
    return opts_usage_error("scan", "%s", "--prom and --capture name the same file");
  if (a->no_evidence && a->capture)
    return opts_usage_error("scan", "%s",
                            "--capture needs the packet capture that --no-evidence turns off");
  return 0;
}

/* Returns 0, 1 when --help was printed, or 2. */
static int parse_args(int argc, char **argv, struct scan_args *a)
{
  int rc = opts_parse(&cli_cmd_scan, argc, argv, a);
  if (rc)
    return rc;
  /* The profile first, then the numbers and files given, on top. */
  if (a->profile && strcmp(a->profile, "fast") == 0)
    scan_conf_fast(&a->conf);
  else
    scan_conf_polite(&a->conf);
  opts_apply_conf(&cli_cmd_scan, a, &a->conf);
  a->conf.progress = !a->no_progress;
  a->conf.evidence_capture = !a->no_evidence;
  if (a->conf.min_rto_ms > a->conf.timeout_ms)
    a->conf.min_rto_ms = a->conf.timeout_ms;
  if (a->from)
    uc_vantage_parse(a->from, &a->conf.vantage); /* one of the row's choices */
  a->conf.source_addr = a->source;
  rc = check_combinations(a);
  if (rc == 0 && a->source)
    rc = check_source(a->source); /* after the usage errors: it binds a socket */
  return rc;
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

/* Where the hosts came from, for scan_output.host_origin. */
struct origins {
  const struct topology *topo;
  const struct target_list *targets; /* --target, --targets-file: host i is item i */
};

/* scan_output.host_origin: where host i's name stands in the topology file, in --target or
 * in the --targets-file. */
static void host_origin(size_t i, struct uc_err *err, void *arg)
{
  const struct origins *o = arg;
  const struct topology *t = o->topo;
  if (i >= t->nhosts)
    return;
  if (t->doc.text) {
    struct jpath p = {0};
    int line = 0, col = 0;
    jpath_key(jpath_index(jpath_key(&p, "hosts"), i), "name");
    if (jdoc_locate(&t->doc, &p, 0, &line, &col) < 0)
      line = col = 0;
    uc_err_set(err, t->doc.source, line, col, "%s", "");
  } else if (o->targets && i < o->targets->n) {
    const struct target *x = &o->targets->v[i];
    uc_err_set(err, x->source, x->line, x->column, "%s", "");
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

/* The deployment: a topology file, or the --target and --targets-file hosts with --role. */
static int load_hosts(const struct scan_args *a, const struct catalog *cat, struct topology *topo,
                      struct target_list *targets, struct uc_err *err)
{
  if (a->topology)
    return topo_load_file(topo, a->topology, cat, err);
  if (a->target && targets_add_text(targets, "--target", a->target, err) < 0)
    return -1;
  if (a->targets_file && targets_add_file(targets, a->targets_file, err) < 0)
    return -1;
  return topo_from_list(topo, targets, a->role, cat, err);
}

/* What to probe: the catalog's rows for the hosts' roles, or the --ports items. */
static int make_plan(const struct scan_args *a, const struct catalog *cat,
                     const struct topology *topo, const struct port_item *items, size_t nitems,
                     struct plan *plan, const char **product, struct uc_err *err)
{
  if (a->product && names_product(cat, "--product", a->product, product, err) < 0)
    return -1;
  if (!a->product)
    *product = topo->product ? topo->product : catalog_default_product(cat);
  if (!*product)
    return uc_err_set(err, "--product", 0, 0, "the catalog names no default product: give one");
  if (a->ports)
    return plan_from_ports(plan, topo, items, nitems, *product, err);
  return plan_build(plan, topo, cat, *product, a->conf.vantage, err);
}

/* The outputs can be written and the privileges are there, before anything is sent. */
static int ready_to_scan(const struct scan_args *a, struct uc_err *err)
{
  if ((a->out && atomic_check_writable(a->out, err) < 0) ||
      (a->prom && atomic_check_writable(a->prom, err) < 0))
    return input_error(err);
  if (check_privileges(a) != 0)
    return 2;
  if (a->conf.ca_file) {
    char msg[200];
    SSL_CTX *ctx = tls_client_ctx_new(a->conf.ca_file, msg, sizeof(msg));
    if (!ctx) {
      fprintf(stderr, "ucscan: --ca %s: %s\n", a->conf.ca_file, msg);
      return 2;
    }
    SSL_CTX_free(ctx);
  }
  return 0;
}

static int run_scan(const struct scan_args *a, struct plan *plan, const struct topology *topo,
                    const struct target_list *targets, const char *product)
{
  char scanner[256];
  size_t slen = sizeof(scanner);
  struct origins origins = {topo, targets};
  enum textcol_color color = TEXTCOL_COLOR_AUTO;
  textcol_color_parse(a->color, &color);
  struct scan_output sout = {.out_file = a->out,
                             .format = a->format,
                             .color = color,
                             .prom_file = a->prom,
                             .push_url = a->push,
                             .fail_on_warn = a->fail_on && strcmp(a->fail_on, "warn") == 0,
                             .host_origin = host_origin,
                             .origin_arg = &origins};
  struct report_meta meta = {.topology = topo->name,
                             .product = product,
                             .vantage = a->conf.vantage,
                             .scanner = uv_os_gethostname(scanner, &slen) == 0 ? scanner : NULL};
  if (!enough_files()) {
    char what[160];
    struct rlimit rl = {0};
    getrlimit(RLIMIT_NOFILE, &rl);
    snprintf(what, sizeof(what),
             "the open-file limit (ulimit -n) is %llu, below the %d descriptors a scan needs",
             (unsigned long long)rl.rlim_cur, UC_MIN_FILES);
    return scan_session_unrunnable(&sout, plan, &meta, what, 0);
  }
  scan_session_hold_fd();
  uv_loop_t loop;
  int rc = fdroom_loop_init(&loop);
  if (rc != 0)
    return scan_session_unrunnable(&sout, plan, &meta, "cannot create the event loop", rc);
  int status = scan_session_run(&loop, plan, &a->conf, &sout, &meta);
  scan_session_close_loop(&loop);
  return status;
}

int cmd_scan(int argc, char **argv)
{
  struct scan_args a;
  memset(&a, 0, sizeof(a));
  int rc = parse_args(argc, argv, &a);
  if (rc)
    return rc == 1 ? 0 : 2;

  struct uc_err err;
  uc_err_clear(&err);
  struct catalog cat = {0};
  struct topology topo = {0};
  struct target_list targets = {0};
  struct plan plan = {0};
  struct port_item *items = NULL;
  size_t nitems = 0;
  const char *product = NULL;
  int status = 2;
  if ((a.ports && portspec_parse(a.ports, &items, &nitems, &err) < 0) ||
      catalog_load_builtin(&cat, &err) < 0 ||
      (a.catalog && catalog_load_file(&cat, a.catalog, &err) < 0) ||
      load_hosts(&a, &cat, &topo, &targets, &err) < 0) {
    input_error(&err);
    goto out;
  }
  if (!a.from && topo.has_vantage)
    a.conf.vantage = topo.vantage;
  if (make_plan(&a, &cat, &topo, items, nitems, &plan, &product, &err) < 0) {
    input_error(&err);
    goto out;
  }
  if (ready_to_scan(&a, &err) == 0)
    status = run_scan(&a, &plan, &topo, &targets, product);
out:
  free(items);
  plan_free(&plan);
  topo_free(&topo);
  targets_free(&targets);
  catalog_free(&cat);
  return status;
}
