# shellcheck shell=bash
# tests/e2e/lib/servers.sh: background servers for ucscan's end-to-end tests.
#
# Servers run inside a namespace made by netns.sh, or in the root namespace on a loopback
# address (NS "-": any 127.0.0.x works without configuration). Each one is registered with
# netns.sh, dies with the test (ns_cleanup, or SIGKILL via pdeathsig if the test shell is
# killed), logs to $NS_STATE/logs (printed when the test fails), and is ready (bound) when the
# function returns. The PID is left in SRV_PID: call these functions from the test's main shell,
# not inside $(...), a pipeline or ( ).
#
# API:
#   srv_tcp_listen NS ADDR PORTS...        one python3 asyncio process listening on every port
#   srv_udp_echo NS ADDR PORTS...          one python3 asyncio process echoing on every port
#   srv_tls NS ADDR PORT CERT KEY [--request-client-cert] [-- S_SERVER_ARGS...]
#   srv_turnserver NS ADDR PORT [--no-auth] [-- TURNSERVER_ARGS...]
#   srv_prosody NS ADDR DOMAIN CERT KEY    prosody: XMPP s2s on 5269 (STARTTLS), direct TLS on 23456
#   srv_nginx NS ADDR PORT CERT KEY        nginx: HTTPS on PORT (a web server where it does not belong)
#   srv_kamailio NS ADDR CERT KEY [--request-client-cert|--require-client-cert]
#                                          kamailio: SIP OPTIONS on TCP 5060 and TLS 5061
#   srv_smbd NS ADDR                       samba's smbd on ADDR:445 only
#   srv_stop PID                           stop one server early
#   mkcert DIR NAME [--expired] [--san a,b] [--days N] [--ca CANAME] [--is-ca]
# PORTS: words like "443", "5060-5070", "80,443" (as many as needed; 100+ ports is cheap).

if [[ -n ${_UC_SERVERS_LOADED:-} ]]; then
  return 0
fi
_UC_SERVERS_LOADED=1

# shellcheck source=tests/e2e/lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

SRV_PID=""
# Credentials of srv_turnserver (long-term credential mechanism, RFC 5389 section 10.2).
SRV_TURN_USER=ucscan
SRV_TURN_PASS=ucscan-test
SRV_TURN_REALM=ucscan.test

_srv_fatal() {
  echo "servers.sh: error: $*" >&2
  exit 1
}

# _srv_check_addr NS ADDR: root namespace servers use loopback, namespace servers use their own
# 198.18.0.0/15 address (the kernel refuses addresses the namespace does not own anyway).
_srv_check_addr() {
  if _ns_is_root "$1"; then
    [[ $2 =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] ||
      _srv_fatal "servers in the root namespace listen on 127.0.0.0/8 only (got '$2')"
  else
    _ns_check_test_addr "$2"
  fi
}

# _srv_fail_log PID LOG MSG: the server died or never became ready: show its log and fail.
_srv_fail_log() {
  echo "servers.sh: error: $3" >&2
  if [[ -s $2 ]]; then
    echo "---- $2 ----" >&2
    tail -n 30 "$2" >&2
  fi
  exit 1
}

# _srv_wait PID LOG CHECK...: poll until CHECK succeeds (5 s), failing early if PID died.
_srv_wait() {
  local pid=$1 log=$2 deadline
  shift 2
  _ns_now_ms
  deadline=$((REPLY + 5000))
  while ! "$@" 2>/dev/null; do
    ns_pid_alive "$pid" || _srv_fail_log "$pid" "$log" "server exited before it was ready"
    _ns_now_ms
    ((REPLY < deadline)) || _srv_fail_log "$pid" "$log" "server not ready after 5 s"
    sleep 0.02
  done
}

# _srv_py: path of the server helper (written once per test).
_srv_py() {
  _ns_need_init
  REPLY="$NS_STATE/uc_srv.py"
  [[ -f $REPLY ]] && return 0
  cat >"$REPLY" <<'PY'
"""Servers for tests/e2e/lib/servers.sh: many TCP listeners or UDP echoes in one process."""
import asyncio, os, signal, socket, sys

def ports(words):
    out = []
    for tok in " ".join(words).replace(",", " ").split():
        lo, _, hi = tok.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out

async def drain(reader, writer):
    # Keep the connection until the client closes it (or 60 s of silence), reading and
    # discarding whatever it sends: an open port that never answers.
    try:
        while await asyncio.wait_for(reader.read(65536), 60):
            pass
    except (asyncio.TimeoutError, OSError):
        pass
    writer.close()

class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport
    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)

async def main(mode, addr, ready, plist):
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    socks = []
    for p in plist:  # bind everything first: any failure is reported before "ready"
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if mode == "tcp" else socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, p))
        if mode == "tcp":
            s.listen(65535)
        s.setblocking(False)
        socks.append(s)
    for s in socks:
        if mode == "tcp":
            await asyncio.start_server(drain, sock=s, backlog=65535)
        else:
            await loop.create_datagram_endpoint(Echo, sock=s)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    print("%s: %d port(s) on %s" % (mode, len(socks), addr), flush=True)
    await asyncio.Event().wait()

try:
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], ports(sys.argv[4:])))
except RuntimeError:  # loop.stop() on SIGTERM
    pass
PY
}

# _srv_python_ports MODE NS ADDR PORTS...: start uc_srv.py and wait for its ready file.
_srv_python_ports() {
  local mode=$1 name=$2 addr=$3 ready py
  shift 3
  (($# >= 1)) || _srv_fatal "no ports given"
  _srv_check_addr "$name" "$addr"
  local w
  for w in "$@"; do
    [[ $w =~ ^[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*$ ]] || _srv_fatal "bad port list '$w'"
  done
  _srv_py
  py=$REPLY
  ready=$(mktemp -u "$NS_STATE/ready.XXXXXX")
  ns_spawn "$name" "$mode-$name-$addr-${1//,/_}" "$(ns_python)" "$py" "$mode" "$addr" "$ready" "$@"
  SRV_PID=$SPAWN_PID
  _srv_wait "$SRV_PID" "$SPAWN_LOG" test -e "$ready"
}

# srv_tcp_listen NS ADDR PORTS...
#   Listens on ADDR at every port (one asyncio process, backlog 65535 capped by the namespace's
#   somaxconn). Accepted connections are kept open and drained until the client closes them.
#   Example: srv_tcp_listen h1 198.18.1.2 443 5061 20000-20149
srv_tcp_listen() {
  (($# >= 3)) || _srv_fatal "usage: srv_tcp_listen NS ADDR PORTS..."
  _srv_python_ports tcp "$@"
}

# srv_udp_echo NS ADDR PORTS...: sends every datagram back to its sender.
srv_udp_echo() {
  (($# >= 3)) || _srv_fatal "usage: srv_udp_echo NS ADDR PORTS..."
  _srv_python_ports udp "$@"
}

# srv_tls NS ADDR PORT CERT KEY [--request-client-cert] [-- S_SERVER_ARGS...]
#   openssl s_server on ADDR:PORT in -www mode (serves one connection after the other, forever;
#   a plain GET gets a status page). --request-client-cert sends a CertificateRequest (-verify 1:
#   requested, not required; a client without a certificate is still served). Arguments after
#   "--" go to s_server as is (e.g. -tls1_2, -naccept 1, -alpn h2).
srv_tls() {
  (($# >= 5)) || _srv_fatal "usage: srv_tls NS ADDR PORT CERT KEY [--request-client-cert] [-- ARGS]"
  local name=$1 addr=$2 port=$3 cert=$4 key=$5 extra=()
  shift 5
  while (($#)); do
    case $1 in
      --request-client-cert) extra+=(-verify 1) ;;
      --) shift; extra+=("$@"); break ;;
      *) _srv_fatal "srv_tls: unknown option '$1'" ;;
    esac
    shift
  done
  [[ -r $cert && -r $key ]] || _srv_fatal "srv_tls: cannot read $cert / $key"
  _srv_check_addr "$name" "$addr"
  ns_spawn "$name" "tls-$name-$addr-$port" openssl s_server -4 -accept "$addr:$port" \
    -cert "$cert" -key "$key" -www "${extra[@]+"${extra[@]}"}"
  SRV_PID=$SPAWN_PID
  _srv_wait "$SRV_PID" "$SPAWN_LOG" _ns_wait_ss "$name" t "$addr" "$port" 0
}

# srv_turnserver NS ADDR PORT [--no-auth] [-- TURNSERVER_ARGS...]
#   coturn listening on ADDR:PORT (UDP and TCP) and relaying on ADDR (ports 49152-49407): no
#   config file, no TLS/DTLS, no CLI, no external database (its sqlite file lives in the temp
#   dir), log in $NS_STATE/logs. Binding requests never need authentication; Allocate needs the
#   long-term credentials SRV_TURN_USER / SRV_TURN_PASS in realm SRV_TURN_REALM, unless
#   --no-auth. Extra arguments after "--" are passed to turnserver.
srv_turnserver() {
  (($# >= 3)) || _srv_fatal "usage: srv_turnserver NS ADDR PORT [--no-auth] [-- ARGS]"
  local name=$1 addr=$2 port=$3 dir auth extra=()
  shift 3
  auth=(--lt-cred-mech --user "$SRV_TURN_USER:$SRV_TURN_PASS" --realm "$SRV_TURN_REALM")
  while (($#)); do
    case $1 in
      --no-auth) auth=(--no-auth) ;;
      --) shift; extra+=("$@"); break ;;
      *) _srv_fatal "srv_turnserver: unknown option '$1'" ;;
    esac
    shift
  done
  command -v turnserver >/dev/null || _srv_fatal "turnserver not found (apt-get install coturn)"
  _srv_check_addr "$name" "$addr"
  dir=$(mktemp -d "$NS_TMP/turn.XXXXXX")
  ns_spawn "$name" "turn-$name-$addr-$port" turnserver -n \
    --listening-ip "$addr" --listening-port "$port" --relay-ip "$addr" \
    --min-port 49152 --max-port 49407 \
    --no-tls --no-dtls --no-cli --no-multicast-peers \
    --userdb "$dir/turndb" --pidfile "$dir/turnserver.pid" \
    --log-file stdout --simple-log \
    "${auth[@]}" "${extra[@]+"${extra[@]}"}"
  SRV_PID=$SPAWN_PID
  _srv_wait "$SRV_PID" "$SPAWN_LOG" _ns_wait_ss "$name" u "$addr" "$port" 0
  _srv_wait "$SRV_PID" "$SPAWN_LOG" _ns_wait_ss "$name" t "$addr" "$port" 0
}

# srv_stop PID: stop one server started by this library (TERM, then KILL after 2 s).
# srv_prosody NS ADDR DOMAIN CERT KEY: Debian's prosody serving only the XMPP domain DOMAIN, with
# server-to-server streams on ADDR:5269 (STARTTLS) and direct TLS on ADDR:23456 (XEP-0368,
# prosody 0.12's s2s_direct_tls_ports), CERT/KEY for DOMAIN. Its own config, data, pid file and
# log in a temp directory: the system's prosody service (if any) is never used.
srv_prosody() {
  (($# == 5)) || _srv_fatal "usage: srv_prosody NS ADDR DOMAIN CERT KEY"
  local name=$1 addr=$2 domain=$3 cert=$4 key=$5 dir
  command -v prosody >/dev/null || _srv_fatal "prosody not found (apt-get install prosody)"
  [[ -r $cert && -r $key ]] || _srv_fatal "srv_prosody: cannot read $cert / $key"
  [[ $domain =~ ^[A-Za-z0-9.-]+$ ]] || _srv_fatal "srv_prosody: bad domain '$domain'"
  _srv_check_addr "$name" "$addr"
  dir=$(mktemp -d "$NS_TMP/prosody.XXXXXX")
  mkdir -p "$dir/data" "$dir/certs"
  cp "$cert" "$dir/certs/$domain.crt"
  cp "$key" "$dir/certs/$domain.key"
  cat >"$dir/prosody.cfg.lua" <<LUA
run_as_root = true
daemonize = false
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
certificates = "$dir/certs"
log = { { levels = { min = "info" }, to = "console" } }
plugin_paths = {}
modules_enabled = { "tls", "dialback" }
modules_disabled = { "c2s", "offline" }
interfaces = { "$addr" }
c2s_ports = {}
c2s_direct_tls_ports = {}
http_ports = {}
https_ports = {}
s2s_ports = { 5269 }
s2s_direct_tls_ports = { 23456 }
s2s_secure_auth = false
ssl = { certificate = "$dir/certs/$domain.crt", key = "$dir/certs/$domain.key" }
VirtualHost "$domain"
LUA
  ns_spawn "$name" "prosody-$name-$addr" prosody -F --config "$dir/prosody.cfg.lua"
  SRV_PID=$SPAWN_PID
  _srv_wait "$SRV_PID" "$SPAWN_LOG" _ns_wait_ss "$name" t "$addr" 5269 0
  _srv_wait "$SRV_PID" "$SPAWN_LOG" _ns_wait_ss "$name" t "$addr" 23456 0
}

# srv_nginx NS ADDR PORT CERT KEY: Debian's nginx with one HTTPS server on ADDR:PORT (TLS 1.2 and
# 1.3, the certificate CERT/KEY, "Server: nginx/VERSION"), its own config, pid file and logs in
# a temp directory; the system's nginx service (if any) is never used.
srv_nginx() {
  (($# == 5)) || _srv_fatal "usage: srv_nginx NS ADDR PORT CERT KEY"
  local name=$1 addr=$2 port=$3 cert=$4 key=$5 dir
  command -v nginx >/dev/null || _srv_fatal "nginx not found (apt-get install nginx-light)"
  [[ -r $cert && -r $key ]] || _srv_fatal "srv_nginx: cannot read $cert / $key"
  _srv_check_addr "$name" "$addr"
  dir=$(mktemp -d "$NS_TMP/nginx.XXXXXX")
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<NGINX
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log stderr info;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  server {
    listen $addr:$port ssl;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 200 "ucscan e2e\n"; }
  }
}
NGINX
  ns_spawn "$name" "nginx-$name-$addr-$port" nginx -p "$dir" -c "$dir/nginx.conf"
  SRV_PID=$SPAWN_PID
  _srv_wait "$SRV_PID" "$SPAWN_LOG" _ns_wait_ss "$name" t "$addr" "$port" 0
}

srv_stop() {
  (($# == 1)) || _srv_fatal "usage: srv_stop PID"
  local line
  line=$(awk -v p="$1" '$1 == p {print $1 ":" $2; exit}' "$NS_STATE/pids")
  [[ -n $line ]] || _srv_fatal "srv_stop: $1 is not a server of this test"
  _ns_kill_pids "$line"
}

# mkcert DIR NAME [--expired] [--san a,b] [--days N] [--ca CANAME] [--is-ca]
#   Writes DIR/NAME.key (EC P-256) and DIR/NAME.crt (CN=NAME, SHA-256) and sets MKCERT_CRT and
#   MKCERT_KEY. Self-signed unless --ca CANAME (then signed by DIR/CANAME.crt/.key, made before
#   with --is-ca). --san takes DNS names and IPv4 addresses ("sip.ucscan.test,198.18.1.2");
#   without it the SAN is DNS:NAME. --expired makes a certificate valid from 60 to 30 days ago;
#   otherwise it is valid from 1 hour ago for N days (default 30).
mkcert() {
  (($# >= 2)) || _srv_fatal "usage: mkcert DIR NAME [--expired] [--san a,b] [--days N] [--ca CANAME] [--is-ca]"
  local dir=$1 name=$2 expired=0 san="" days=30 ca="" is_ca=0 w sans=() dates
  shift 2
  while (($#)); do
    case $1 in
      --expired) expired=1 ;;
      --san) san=${2:?--san needs a list}; shift ;;
      --days) days=${2:?--days needs a number}; shift ;;
      --ca) ca=${2:?--ca needs a name}; shift ;;
      --is-ca) is_ca=1 ;;
      *) _srv_fatal "mkcert: unknown option '$1'" ;;
    esac
    shift
  done
  [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || _srv_fatal "mkcert: bad name '$name'"
  mkdir -p "$dir"
  for w in ${san//,/ }; do
    if [[ $w =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then sans+=("IP:$w"); else sans+=("DNS:$w"); fi
  done
  ((${#sans[@]})) || sans=("DNS:$name")
  san=$(IFS=,; printf '%s' "${sans[*]}")
  local work
  work=$(mktemp -d "$dir/.mkcert.XXXXXX")
  : >"$work/index.txt"
  openssl rand -hex 8 >"$work/serial"
  cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = p
unique_subject = no
email_in_dn = no
[p]
commonName = supplied
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[cacert]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectAltName = $san
subjectKeyIdentifier = hash
EOF
  if ((expired)); then
    dates=(-startdate "$(date -u -d '60 days ago' +%Y%m%d%H%M%SZ)"
      -enddate "$(date -u -d '30 days ago' +%Y%m%d%H%M%SZ)")
  else
    dates=(-startdate "$(date -u -d '1 hour ago' +%Y%m%d%H%M%SZ)"
      -enddate "$(date -u -d "$days days" +%Y%m%d%H%M%SZ)")
  fi
  local signer=(-selfsign -keyfile "$dir/$name.key") ext=leaf
  ((is_ca)) && ext=cacert
  [[ -z $ca ]] || signer=(-cert "$dir/$ca.crt" -keyfile "$dir/$ca.key")
  if ! {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" &&
      openssl req -new -key "$dir/$name.key" -subj "/CN=$name" -out "$work/req.csr" &&
      openssl ca -batch -notext -config "$work/ca.cnf" -extensions "$ext" "${signer[@]}" \
        "${dates[@]}" -in "$work/req.csr" -out "$dir/$name.crt"
  } >"$work/log" 2>&1; then
    cat "$work/log" >&2
    _srv_fatal "mkcert: openssl failed for $name"
  fi
  rm -rf "$work"
  # shellcheck disable=SC2034 # results for the caller
  MKCERT_CRT="$dir/$name.crt"
  # shellcheck disable=SC2034
  MKCERT_KEY="$dir/$name.key"
}

# private_dns NAMESERVER [OPTIONS]: makes the files of a private resolver in $NS_TMP/dns
# (resolv.conf naming NAMESERVER only, an empty hosts file, nsswitch.conf "hosts: files dns")
# and sets PRIVATE_DNS, a command prefix that runs a command in a mount namespace seeing them:
#   "${PRIVATE_DNS[@]}" "$UCSCAN" scan ...
# Names are then asked of NAMESERVER (a peer of the test, or nothing: an address where no
# server listens fails at once), never of the machine's resolver, nscd or systemd-resolved.
# The prefix execs: after `"${PRIVATE_DNS[@]}" cmd &`, $! is cmd itself.
private_dns() {
  (($# >= 1)) || _srv_fatal "usage: private_dns NAMESERVER [OPTIONS]"
  command -v unshare >/dev/null || _srv_fatal "unshare (util-linux) is needed for a private resolver"
  mkdir -p "$NS_TMP/dns"
  printf 'nameserver %s\noptions %s\n' "$1" "${2:-timeout:1 attempts:1}" >"$NS_TMP/dns/resolv.conf"
  : >"$NS_TMP/dns/hosts"
  printf 'hosts: files dns\n' >"$NS_TMP/dns/nsswitch.conf"
  # shellcheck disable=SC2034 # used by the tests that source this file
  PRIVATE_DNS=(unshare -m sh -c 'd=$1; shift
    for f in resolv.conf hosts nsswitch.conf; do
      mount --bind "$d/$f" "/etc/$f" || { echo "private_dns: cannot bind /etc/$f" >&2; exit 97; }
    done
    exec "$@"' sh "$NS_TMP/dns")
}

# srv_kamailio NS ADDR CERT KEY [--request-client-cert | --require-client-cert]
#   Debian's kamailio (with kamailio-tls-modules) answering every SIP OPTIONS with "200 OK"
#   (sl_send_reply: "Server: kamailio (VERSION (ARCH/linux))"), any other request with 501, on
#   tcp:ADDR:5060 and tls:ADDR:5061 (TLS 1.2 and up, CERT/KEY). --request-client-cert sends a
#   CertificateRequest and serves a client without a certificate, as a Front End's 5061 does
#   (MTLS between servers, clients without one); --require-client-cert refuses such a client.
#   Its own kamailio.cfg, tls.cfg, runtime dir and pid file in a temp directory, log in
#   $NS_STATE/logs; the system's kamailio service (if any) is never used.
srv_kamailio() {
  (($# >= 4)) || _srv_fatal "usage: srv_kamailio NS ADDR CERT KEY [--request-client-cert|--require-client-cert]"
  local name=$1 addr=$2 cert=$3 key=$4 verify=no require=no dir
  shift 4
  while (($#)); do
    case $1 in
      --request-client-cert) verify=yes ;;
      --require-client-cert) verify=yes require=yes ;;
      *) _srv_fatal "srv_kamailio: unknown option '$1'" ;;
    esac
    shift
  done
  command -v kamailio >/dev/null || _srv_fatal "kamailio not found (apt-get install kamailio kamailio-tls-modules)"
  [[ -r $cert && -r $key ]] || _srv_fatal "srv_kamailio: cannot read $cert / $key"
  _srv_check_addr "$name" "$addr"
  dir=$(mktemp -d "$NS_TMP/kamailio.XXXXXX")
  mkdir -p "$dir/run"
  cat >"$dir/tls.cfg" <<TLSCFG
[server:default]
method = TLSv1.2+
verify_certificate = $verify
require_certificate = $require
certificate = $cert
private_key = $key
TLSCFG
  cat >"$dir/kamailio.cfg" <<KAMCFG
#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=1
tcp_children=2
auto_aliases=no
dns=no
rev_dns=no
enable_tls=yes
listen=tcp:$addr:5060
listen=tls:$addr:5061
loadmodule "sl.so"
loadmodule "tls.so"
modparam("tls", "config", "$dir/tls.cfg")
request_route {
  if (method == "ACK") exit;
  if (method == "OPTIONS") {
    sl_send_reply("200", "OK");
    exit;
  }
  sl_send_reply("501", "Not Implemented");
}
KAMCFG
  # setsid: kamailio's main process ends by sending SIGTERM to its whole process group
  # (kill(0, ...)), which would otherwise be the test's
  ns_spawn "$name" "kamailio-$name-$addr" setsid kamailio -DD -E -m 32 -M 4 \
    -f "$dir/kamailio.cfg" -P "$dir/kamailio.pid" -Y "$dir/run" -w "$dir"
  SRV_PID=$SPAWN_PID
  _srv_wait "$SRV_PID" "$SPAWN_LOG" _ns_wait_ss "$name" t "$addr" 5060 0
  _srv_wait "$SRV_PID" "$SPAWN_LOG" _ns_wait_ss "$name" t "$addr" 5061 0
}

# srv_smbd NS ADDR: Debian's smbd (samba) on ADDR:445 only (no NetBIOS, no printers, one
# read-only share), standalone server. Its own smb.conf and its pid, lock, state, cache,
# private and ncalrpc directories in a temp directory, log in $NS_STATE/logs; the system's
# smbd/nmbd/samba-ad-dc services (if any) are never used.
srv_smbd() {
  (($# == 2)) || _srv_fatal "usage: srv_smbd NS ADDR"
  local name=$1 addr=$2 dir d
  command -v smbd >/dev/null || _srv_fatal "smbd not found (apt-get install samba)"
  _srv_check_addr "$name" "$addr"
  dir=$(mktemp -d "$NS_TMP/smbd.XXXXXX")
  for d in pid lock state cache private ncalrpc share; do
    mkdir -p "$dir/$d"
  done
  chmod 700 "$dir/private"
  cat >"$dir/smb.conf" <<SMBCONF
[global]
  server role = standalone server
  workgroup = UCSCAN
  netbios name = UCSCAN-E2E
  interfaces = $addr
  bind interfaces only = yes
  smb ports = 445
  disable netbios = yes
  pid directory = $dir/pid
  lock directory = $dir/lock
  state directory = $dir/state
  cache directory = $dir/cache
  private dir = $dir/private
  ncalrpc dir = $dir/ncalrpc
  passdb backend = tdbsam:$dir/private/passdb.tdb
  log file = $dir/smbd.log
  log level = 1
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  usershare path =
[e2e]
  path = $dir/share
  read only = yes
SMBCONF
  ns_spawn "$name" "smbd-$name-$addr" smbd --foreground --debug-stdout \
    --configfile="$dir/smb.conf"
  SRV_PID=$SPAWN_PID
  _srv_wait "$SRV_PID" "$SPAWN_LOG" _ns_wait_ss "$name" t "$addr" 445 0
}
