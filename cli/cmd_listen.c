/* cli/cmd_listen.c - `ucscan listen`: answer on every inbound port of a host's roles before
 * the real servers are installed, so that `ucscan scan` proves the firewall rules. */
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "common/textcol.h"
#include "model/names.h"
#include "common/certgen.h"
#include "common/fdroom.h"
#include "listen/fdlimit.h"
#include "listen/firewall.h"
#include "listen/listen.h"
#include "listen/plan.h"
#include "probes/probe.h"
#include "model/topology.h"

struct listen_args {
  const char *role, *product, *bind, *name, *cert, *key, *catalog, *color, *iface;
  const char *firewall_rules; /* --firewall-rules: print them and exit */
  struct cli_uint duration, rate;
  bool allow_partial;
};

#define A(field) offsetof(struct listen_args, field)

static const unsigned listen_default_rate = LISTEN_DEFAULT_RATE;

static const struct cli_opt listen_opts[] = {
    {"role", "ROLE[,ROLE...]", CLI_LIST, A(role),
     .help = "roles this host will hold (see `ucscan catalog`);\nrequired",
     .man = "The roles whose inbound ports to open (in any case); required."},
    {"product", "ID", CLI_STR, A(product), .def = "sfb2015", .help = "sfb2015 or lync2013",
     .man = "`sfb2015` or `lync2013`, in any case."},
    {"bind", "ADDR", CLI_STR, A(bind), .def = "0.0.0.0",
     .help = "address to listen on: IPv4, IPv6 or a name of\nthis host (:: listens on IPv6 and "
             "IPv4)",
     .man = "Listen on this address only: IPv4, IPv6 or a name of this host (`::` listens on "
            "IPv6 and IPv4)."},
    {"name", "FQDN", CLI_STR, A(name),
     .help = "name in the generated certificate and the XMPP\nstream (default: --bind's name, "
             "else this host's)",
     .man = "The name in the generated certificate and the XMPP stream (default: the name of "
            "--bind, else this host's name)."},
    {"cert", "FILE", CLI_STR, A(cert),
     .help = "serve this certificate (PEM) on TLS ports instead\nof a generated one; its key "
             "too unless --key",
     .man = "The certificate to present on TLS ports (PEM), instead of one made in memory; "
            "its private key too, unless --key."},
    {"key", "FILE", CLI_STR, A(key), .help = "private key of --cert (PEM, unencrypted)",
     .man = "The private key of --cert (PEM, unencrypted)."},
    {"duration", "S", CLI_UINT, A(duration), 1, 31536000,
     .help = "stop after S seconds (default: until SIGINT or\nSIGTERM)",
     .man = "Stop after <S> seconds (default: run until SIGINT or SIGTERM)."},
    {"allow-partial", NULL, CLI_FLAG, A(allow_partial),
     .help = "keep listening when some ports could not be\nopened",
     .man = "Keep listening, and exit 0, even when some ports could not be opened."},
    {"rate", "N", CLI_UINT, A(rate), 1, 10000000, .def_num = &listen_default_rate,
     .help = "replies per second, all ports together; beyond\nit replies are dropped",
     .man = "Replies per second, all ports together; beyond it replies are dropped, so the "
            "listener cannot be used as an amplifier."},
    {"catalog", "FILE", CLI_STR, A(catalog),
     .help = "site catalog that extends or replaces the\nbuilt-in tables",
     .man = "A site catalog that extends or replaces the built-in tables."},
    {"firewall-rules", "FORMAT", CLI_CHOICE, A(firewall_rules), .choices = "powershell",
     .what = "format",
     .help = "print the Windows Firewall rules the ports need,\nas PowerShell "
             "New-NetFirewallRule lines\n(FORMAT: powershell), and exit without\nlistening",
     .man = "Print the Windows Firewall rules the roles' ports need and exit without opening "
            "any port. <FORMAT> is `powershell`: one `New-NetFirewallRule` line per transport "
            "with every port (runs written a-b; with --bind, for that address only), all in "
            "the group `ucscan listen`, and, as a comment, the `Remove-NetFirewallRule -Group "
            "'ucscan listen'` line that removes them after the test. ucscan never changes the "
            "firewall itself; on Windows, `ucscan listen` prints the same lines before it "
            "starts listening."},
    {"interface", "NAME", CLI_CHOICE, A(iface), .choices = "internal|access|webconf|av",
     .help = "Edge Server only: answer the rows of one\ninterface (internal, access, webconf "
             "or av), as a\nscan of that interface's address checks them\n(default: every "
             "row)",
     .man = "Edge Server only: answer the rows of one interface (`internal`, `access`, "
            "`webconf` or `av`), as a scan of that interface's address checks them. An Edge's "
            "interfaces expect different protocols on one port (443 is SIP over TLS on the "
            "Access Edge, PSOM on Web Conferencing, MS-TURN on A/V): run one listener per "
            "interface address. Without it, every row of the roles."},
    {"color", "WHEN", CLI_CHOICE, A(color), .choices = "auto|always|never", .def = "auto",
     .help = "colour in the port list: auto, always or never",
     .man = "Colour in the list of ports: `always`, `never`, or `auto`: when stdout is a "
            "terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`."},
    {"help", NULL, CLI_HELP, 0, .help = "this help", .man = "The options of `ucscan listen`."},
    {NULL, NULL, 0, 0, .help = NULL},
};

const struct cli_cmd cli_cmd_listen = {
    "listen",
    "ucscan listen --role ROLE[,ROLE...] [--bind ADDR]\n"
    "                     [--cert FILE [--key FILE]] [options]",
    "Before Skype for Business or Lync is installed nothing listens, and a scan cannot\n"
    "tell a closed firewall from a missing service. Run this on the future server: it\n"
    "opens every inbound port of the roles (the same catalog rows `ucscan scan` checks)\n"
    "and answers there: TCP accept, TLS with a certificate made in memory (a client\n"
    "certificate requested on MTLS ports), SIP OPTIONS, HTTP, the XMPP stream header,\n"
    "STUN Binding and MS-TURN Allocate (401), SQL Browser on 1434, and a token echo on\n"
    "every other UDP port, every port of TCP and UDP ranges included. Replies carry the\n"
    "token " UC_LISTENER_TOKEN ", so the scanner knows silence on a listener's UDP port\n"
    "means a filter: UDP ranges become fully provable. Then run `ucscan scan` from\n"
    "where the clients and servers will be.",
    listen_opts,
    "It prints what it opened and what it could not (port in use, and by which\n"
    "process; permission denied below port 1024 without root; file descriptor limit),\n"
    "then listens until SIGINT/SIGTERM or --duration. RLIMIT_NOFILE is raised as\n"
    "needed: a front end with all its media ranges needs over 33,000 descriptors.\n"
    "\nexit status:\n"
    "  0  every port opened (or --allow-partial), stopped by a signal or --duration\n"
    "  1  some port could not be opened (without --allow-partial), or none could\n"
    "  2  bad usage or input\n"
    "\nexamples:\n"
    "  ucscan listen --role mediation --bind 198.18.20.2 --name med01.contoso.com\n"
    "  ucscan listen --role front-end,central-management-store --duration 3600\n",
    false,
    NULL,
};

/* Returns 0, 1 when --help was printed, or 2. */
static int parse_args(int argc, char **argv, struct listen_args *a)
{
  int rc = opts_parse(&cli_cmd_listen, argc, argv, a);
  if (rc)
    return rc;
  if (!a->role)
    return opts_usage_error("listen", "%s",
                            "say which roles this host will hold: --role ROLE[,ROLE...]");
  if (a->key && !a->cert)
    return opts_usage_error("listen", "%s", "--key goes with --cert");
  if (a->name && !topo_valid_hostname(a->name) && !topo_address_family(a->name))
    return opts_usage_error("listen", "--name: \"%s\" is not a host name", a->name);
  return 0;
}

/* --bind: a literal, or one of this host's names (resolved once, now). */
static int resolve_bind(const char *bind, char *addr, size_t cap, bool *is_name)
{
  *is_name = false;
  if (!bind) {
    snprintf(addr, cap, "0.0.0.0");
    return 0;
  }
  if (topo_address_family(bind)) {
    snprintf(addr, cap, "%s", bind);
    return 0;
  }
  if (!topo_valid_hostname(bind))
    return opts_usage_error("listen", "--bind: \"%s\" is not an address or a host name", bind);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  int rc = getaddrinfo(bind, NULL, &hints, &res);
  if (rc != 0 || !res) {
    fprintf(stderr, "ucscan listen: --bind %s: %s\n", bind, gai_strerror(rc));
    return 2;
  }
  rc = getnameinfo(res->ai_addr, res->ai_addrlen, addr, (socklen_t)cap, NULL, 0, NI_NUMERICHOST);
  freeaddrinfo(res);
  if (rc != 0) {
    fprintf(stderr, "ucscan listen: --bind %s: %s\n", bind, gai_strerror(rc));
    return 2;
  }
  *is_name = true;
  return 0;
}

struct run {
  uv_loop_t loop;
  struct listener *l;
  uv_signal_t sigint, sigterm;
  uv_timer_t duration;
  int signum;
  bool stopped;
};

static void on_stopped(void *arg)
{
  struct run *r = arg;
  r->stopped = true;
}

static void stop_all(struct run *r)
{
  if (!r->l)
    return;
  struct listen_counters cnt;
  listen_counters_get(r->l, &cnt);
  fprintf(
      stderr,
      "ucscan listen: stopping: %llu connections (%llu TLS handshakes, %llu closed at "
      "once over the limit), %llu datagrams, %llu replies, %llu dropped by the reply rate limit\n",
      (unsigned long long)cnt.connections, (unsigned long long)cnt.tls_handshakes,
      (unsigned long long)cnt.refused, (unsigned long long)cnt.datagrams,
      (unsigned long long)cnt.replies, (unsigned long long)cnt.rate_limited);
  listen_stop(r->l, on_stopped, r);
  r->l = NULL;
  uv_close((uv_handle_t *)&r->sigint, NULL);
  uv_close((uv_handle_t *)&r->sigterm, NULL);
  uv_close((uv_handle_t *)&r->duration, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
  struct run *r = s->data;
  fprintf(stderr, "ucscan listen: %s\n", signum == SIGINT ? "interrupted" : "terminated");
  stop_all(r);
}

static void on_duration(uv_timer_t *t)
{
  struct run *r = t->data;
  fprintf(stderr, "ucscan listen: --duration reached\n");
  stop_all(r);
}

static int run_listener(const struct listen_args *a, const struct listen_plan *plan,
                        const char *bind, const char *host, X509 *cert, EVP_PKEY *key,
                        const char *product)
{
  struct listen_fds fds;
  listen_fd_prepare(plan->n, LISTEN_DEFAULT_MAX_CONNS, &fds);
  printf("ucscan listen: roles %s (%s) on %s: %zu ports (%zu TCP, %zu UDP)", a->role, product, bind,
         plan->n, plan->ntcp, plan->nudp);
  if (cert)
    printf(", certificate from %s\n", a->cert);
  else
    printf(", certificate for %s made in memory\n", host);
  if (fds.soft != fds.soft_before)
    printf("ucscan listen: RLIMIT_NOFILE raised from %lu to %lu\n", fds.soft_before, fds.soft);
#ifdef _WIN32 /* Windows Firewall blocks inbound ports by default */
  printf("ucscan listen: Windows Firewall must let these ports in; the rules, for an elevated "
         "PowerShell (ucscan never changes the firewall):\n");
  listen_firewall_powershell(stdout, plan, a->role, product, bind);
#endif
  fflush(stdout); /* the header before any warning, when both go to one file */
  char note[200] = "";
  if (!fds.enough) {
    snprintf(note, sizeof(note), "not opened: the file descriptor limit (%lu) is too small",
             fds.soft);
    fprintf(stderr,
            "ucscan listen: the file descriptor limit is too small: %zu ports and %u connections "
            "need about %lu descriptors, RLIMIT_NOFILE allows %lu (hard limit %lu); only %zu "
            "ports will open. Raise the hard limit to %lu (ulimit -Hn in a root shell, "
            "LimitNOFILE= in a systemd unit, --ulimit nofile= for a container)%s.\n",
            plan->n, LISTEN_DEFAULT_MAX_CONNS, fds.need, fds.soft, fds.hard, fds.ports, fds.need,
            geteuid() == 0
                ? "; running as root did not allow it here (no CAP_SYS_RESOURCE, or above "
                  "fs.nr_open)"
                : " or run as root");
  }
  struct listen_conf conf = {.plan = plan,
                             .bind = bind,
                             .host_name = host,
                             .cert = cert,
                             .key = key,
                             .rate = a->rate.v,
                             .max_conns = fds.conns ? fds.conns : 16,
                             .max_ports = fds.enough ? 0 : fds.ports,
                             .budget_note = fds.enough ? NULL : note};
  struct run r;
  memset(&r, 0, sizeof(r));
  int lrc = fdroom_loop_init(&r.loop);
  if (lrc != 0) {
    fprintf(stderr, "ucscan listen: cannot create the event loop: %s%s\n", uv_strerror(lrc),
            lrc == UV_EMFILE ? " (raise the open-file limit, ulimit -n)" : "");
    return 1;
  }
  struct listen_report rep;
  memset(&rep, 0, sizeof(rep));
  r.l = listen_start(&r.loop, &conf, &rep);
  int status = 0;
  if (!r.l) {
    fprintf(stderr, "ucscan listen: %s\n", rep.error);
    status = 1;
  } else {
    enum textcol_color color = TEXTCOL_COLOR_AUTO;
    textcol_color_parse(a->color, &color);
    listen_report_print(stdout, &rep, textcol_color_wanted(color, STDOUT_FILENO));
    fflush(stdout);
    if (rep.opened == 0 || (rep.failed && !a->allow_partial)) {
      fprintf(stderr, "ucscan listen: %s: stopping%s\n",
              rep.opened ? "not every port could be opened" : "no port could be opened",
              rep.opened ? " (--allow-partial listens on the others anyway)" : "");
      listen_stop(r.l, on_stopped, &r);
      r.l = NULL;
      status = 1;
    } else {
      uv_signal_init(&r.loop, &r.sigint);
      uv_signal_init(&r.loop, &r.sigterm);
      uv_timer_init(&r.loop, &r.duration);
      r.sigint.data = r.sigterm.data = r.duration.data = &r;
      uv_signal_start(&r.sigint, on_signal, SIGINT);
      uv_signal_start(&r.sigterm, on_signal, SIGTERM);
      if (a->duration.set)
        uv_timer_start(&r.duration, on_duration, (uint64_t)a->duration.v * 1000, 0);
      if (a->duration.set)
        fprintf(stderr, "ucscan listen: ready: listening on %zu ports for %u s\n", rep.opened,
                a->duration.v);
      else
#ifdef _WIN32
        fprintf(stderr, "ucscan listen: ready: listening on %zu ports until Ctrl-C\n", rep.opened);
#else
        fprintf(stderr, "ucscan listen: ready: listening on %zu ports until SIGINT or SIGTERM\n",
                rep.opened);
#endif
    }
  }
  uv_run(&r.loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&r.loop) != 0) {
    fprintf(stderr, "ucscan listen: internal error: handles left open at exit\n");
    if (status == 0)
      status = 1;
  }
  listen_report_free(&rep);
  return status;
}

int cmd_listen(int argc, char **argv)
{
  struct listen_args a;
  memset(&a, 0, sizeof(a));
  int prc = parse_args(argc, argv, &a);
  if (prc)
    return prc == 1 ? 0 : 2;
  /* A peer that resets while we write must not kill the process. */
  signal(SIGPIPE, SIG_IGN);
  struct uc_err err;
  uc_err_clear(&err);
  struct catalog cat = {0};
  struct listen_plan plan = {0};
  X509 *cert = NULL;
  EVP_PKEY *key = NULL;
  int status = 2;
  char msg[800];
  if (catalog_load_builtin(&cat, &err) < 0 ||
      (a.catalog && catalog_load_file(&cat, a.catalog, &err) < 0)) {
    uc_err_format(&err, msg, sizeof(msg));
    fprintf(stderr, "ucscan: %s\n", msg);
    goto out;
  }
  const char *product = catalog_default_product(&cat);
  enum uc_iface iface = UC_IF_NONE;
  if (a.iface)
    uc_iface_parse(a.iface, &iface); /* one of the row's choices */
  if ((a.product && names_product(&cat, "--product", a.product, &product, &err) < 0) ||
      listen_plan_for_interface(&plan, &cat, product ? product : "", a.role, iface, &err) < 0) {
    uc_err_format(&err, msg, sizeof(msg));
    fprintf(stderr, "ucscan listen: %s\n", msg);
    goto out;
  }
  if (plan.n == 0) {
    fprintf(stderr, "ucscan listen: roles %s have no inbound port to open\n", a.role);
    goto out;
  }
  char bind[64], hostbuf[256];
  bool bind_is_name;
  if (resolve_bind(a.bind, bind, sizeof(bind), &bind_is_name) != 0)
    goto out;
  if (a.firewall_rules) { /* the rules only: nothing is opened */
    listen_firewall_powershell(stdout, &plan, a.role, product, bind);
    status = 0;
    goto out;
  }
  const char *host = a.name;
  if (!host && bind_is_name)
    host = a.bind;
  if (!host) {
    if (gethostname(hostbuf, sizeof(hostbuf)) != 0 || !topo_valid_hostname(hostbuf))
      snprintf(hostbuf, sizeof(hostbuf), "localhost");
    hostbuf[sizeof(hostbuf) - 1] = '\0';
    host = hostbuf;
  }
  if (a.cert && certgen_load_pem(a.cert, a.key, &cert, &key, msg, sizeof(msg)) < 0) {
    fprintf(stderr, "ucscan listen: %s\n", msg);
    goto out;
  }
  status = run_listener(&a, &plan, bind, host, cert, key, product);
out:
  X509_free(cert);
  EVP_PKEY_free(key);
  listen_plan_free(&plan);
  catalog_free(&cat);
  return status;
}
