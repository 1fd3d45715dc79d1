#!/usr/bin/env bash
# tests/e2e/test_netns_selftest.sh: proves the e2e library (tests/e2e/lib) before any ucscan test
# relies on it. Needs root. Uses 198.18.1.0/29, 198.18.2.0/24, 198.18.3.0/30 and 127.0.0.9.
#
#  1. the assertions fail when they should (and say where and why);
#  2. a directly attached host: open / closed / dropped / rejected TCP ports (admin-prohibited,
#     tcp reset, icmp port-unreachable), port ranges, open / closed / dropped / rejected UDP
#     ports, as seen by connect()/send() from the root namespace; the wait helpers;
#  3. a router topology: a port rejected on the router gets ICMP 3/13 from the router's
#     address (python raw socket and tcpdump both see it), the host is reachable through it;
#  4. servers: 150 TCP listeners in one process on loopback, TLS (valid, expired, client cert
#     request, CA chain), coturn (STUN Binding, Allocate answered 401);
#  5. leftovers of a test killed with SIGKILL are swept; ns_cleanup leaves no namespace, veth,
#     route, nft table or process behind and is idempotent.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$HERE/lib/servers.sh"

T0=${EPOCHREALTIME/[.,]/}
ok() { printf 'ok - %s\n' "$*"; }
quietly() { "$@" >/dev/null 2>&1; }
dead() { ! ns_pid_alive "$1"; }

ROOT_NFT_BEFORE=$(nft list ruleset 2>/dev/null | sha256sum)
ns_init selftest
PREFIX=$NS_PREFIX
STATE=$NS_STATE

# ---- 1. assertions can fail ------------------------------------------------------------------
JSON=$NS_TMP/sample.json
printf '%s\n' '{"summary":{"open":9,"ok":true},"results":[{"port":80,"state":"open"},{"port":443,"state":"filtered"}]}' >"$JSON"
assert_json "$JSON" .summary.open 9
assert_json "$JSON" .summary.ok true
assert_json "$JSON" '.results[port=443].state' filtered
assert_json "$JSON" '.results|length' 2
assert_exit 0 true
assert_exit 3 bash -c 'exit 3'
assert_exit nonzero false
out=$( (assert_eq open closed "port 80") 2>&1) && fail "assert_eq open closed passed"
assert_contains "port 80: expected 'open', found 'closed'" "$out"
assert_match "test_netns_selftest\.sh:[0-9]+" "$out" "failure location"
( (assert_ne x x) 2>/dev/null) && fail "assert_ne x x passed"
( (assert_match '^a' b) 2>/dev/null) && fail "assert_match passed"
( (assert_contains a b) 2>/dev/null) && fail "assert_contains passed"
( (assert_exit 0 false) 2>/dev/null) && fail "assert_exit 0 false passed"
( (assert_exit nonzero true) 2>/dev/null) && fail "assert_exit nonzero true passed"
( (assert_json "$JSON" .summary.open 8) 2>/dev/null) && fail "assert_json with a wrong value passed"
( (assert_json "$JSON" .summary.closed 0) 2>/dev/null) && fail "assert_json on a missing key passed"
( (fail "on purpose") 2>/dev/null) && fail "fail did not fail"
ok "assertions pass and fail as they should"

# ---- 2. a directly attached host -------------------------------------------------------------
ns_host h1 198.18.1.2/29 198.18.1.1
H1=$(ns_addr h1)
assert_eq 198.18.1.2 "$H1" "ns_addr h1"
assert_match "inet 198\.18\.1\.2/29" "$(ns_exec h1 ip -4 -o addr show dev eth0)" "h1 eth0"
assert_eq "" "$(ns_exec h1 ip -6 -o addr show)" "IPv6 addresses in h1"
assert_eq 0 "$(ns_exec h1 sysctl -n net.ipv4.icmp_ratelimit)" "icmp_ratelimit in h1"
assert_eq 0 "$(ns_exec h1 sysctl -n net.ipv4.icmp_ratemask)" "icmp_ratemask in h1"

srv_tcp_listen h1 "$H1" 8080
ns_add_addr h1 198.18.1.3
srv_tcp_listen h1 198.18.1.3 8081
srv_udp_echo h1 "$H1" 4000
ns_drop_tcp h1 8082
ns_reject_tcp h1 8083 # default: icmpx admin-prohibited
ns_reject_tcp h1 8084 tcp reset
ns_reject_tcp h1 8085 icmp port-unreachable
ns_drop_tcp h1 "49152-49200,49300-49310"
ns_drop_udp h1 4002
ns_reject_udp h1 4003 icmpx admin-prohibited

got=$(probe_tcp - "$H1" "8080-8085,49160,49250,49305" 0.5)
want="8080 open
8081 refused
8082 timeout
8083 unreach
8084 refused
8085 refused
49160 timeout
49250 refused
49305 timeout"
assert_eq "$want" "$got" "TCP states of h1 from the root namespace"
assert_eq "8080 refused
8081 open" "$(probe_tcp - 198.18.1.3 8080,8081 0.5)" "TCP states of h1's second address"
ok "TCP: open connects, closed gets ECONNREFUSED, dropped times out, admin-prohibited gets EHOSTUNREACH, ranges"

assert_eq reply "$(probe_udp - "$H1" 4000 0.5)" "UDP echo port"
assert_eq refused "$(probe_udp - "$H1" 4001 0.5)" "closed UDP port"
assert_eq timeout "$(probe_udp - "$H1" 4002 0.3)" "dropped UDP port"
assert_eq unreach "$(probe_udp - "$H1" 4003 0.5)" "rejected UDP port"
ok "UDP: echo replies, closed gets port unreachable, dropped times out, rejected gets EHOSTUNREACH"

assert_eq "198.18.1.2 3 13 unreach" "$(probe_tcp_icmp - "$H1" 8083 1)" "ICMP for h1:8083"
assert_eq "- - - open" "$(probe_tcp_icmp - "$H1" 8080 1)" "ICMP for h1:8080"
assert_match "tcp dport 8082 counter packets [1-9]" "$(ns_fw_show h1)" "drop counter"
wait_tcp_listen - "$H1" 8080 2
assert_exit 1 quietly wait_tcp_listen - "$H1" 8081 0.3
wait_tcp_bound h1 "$H1" 8080
wait_udp_bound h1 4000
assert_exit 1 quietly wait_udp_bound h1 4001 0
ok "host ICMP comes from the host itself; counters; wait helpers"

# ---- 3. router topology ----------------------------------------------------------------------
ns_router_host r1 h2 198.18.2
H2=$(ns_addr h2)
R1=$(ns_addr r1)
assert_eq 198.18.2.130 "$H2" "ns_addr h2"
assert_eq 198.18.2.2 "$R1" "ns_addr r1"
assert_eq 1 "$(ns_exec r1 sysctl -n net.ipv4.ip_forward)" "forwarding in r1"
srv_tcp_listen h2 "$H2" 443 5061 5062
ns_reject_tcp r1 5061 icmpx admin-prohibited
ns_drop_tcp r1 5062
got=$(probe_tcp - "$H2" "443,5061,5062,5063" 0.5)
want="443 open
5061 unreach
5062 timeout
5063 refused"
assert_eq "$want" "$got" "TCP states of h2 behind r1"

# Independent witness: tcpdump on the root end of the router's veth.
ns_spawn - tcpdump timeout 5 tcpdump -i "$(ns_rootif r1)" -n -l -c 1 'icmp[icmptype] == 3'
DUMP_PID=$SPAWN_PID DUMP_LOG=$SPAWN_LOG
ns_wait_until 5 grep -q "listening on" "$DUMP_LOG" || fail "tcpdump did not start"
assert_eq "$R1 3 13 unreach" "$(probe_tcp_icmp - "$H2" 5061 1)" "ICMP for h2:5061 (raw socket)"
ns_wait_until 2 dead "$DUMP_PID" || fail "tcpdump saw no ICMP error"
assert_match "IP $R1 > 198\.18\.2\.1: ICMP host $H2 unreachable - admin prohibited filter" \
  "$(cat "$DUMP_LOG")" "tcpdump"
ok "router: reject on r1 is ICMP 3/13 from $R1 (raw socket and tcpdump), host reachable through it"

# ---- 4. servers ------------------------------------------------------------------------------
srv_tcp_listen - 127.0.0.9 41000-41149
got=$(probe_tcp - 127.0.0.9 41000-41150 1)
assert_eq 150 "$(grep -c ' open$' <<<"$got")" "open loopback ports"
assert_eq "41150 refused" "$(tail -n 1 <<<"$got")" "port after the range"
ok "150 TCP listeners in one process on 127.0.0.9"

PKI=$NS_TMP/pki
mkcert "$PKI" srv --san srv.ucscan.test,198.18.1.2
mkcert "$PKI" old --expired
mkcert "$PKI" ca --is-ca
mkcert "$PKI" leaf --ca ca --san leaf.ucscan.test
assert_match "OK$" "$(openssl verify -CAfile "$PKI/ca.crt" "$PKI/leaf.crt" 2>&1)" "leaf signed by ca"
assert_exit 1 quietly openssl x509 -in "$PKI/old.crt" -noout -checkend 0
srv_tls h1 "$H1" 5061 "$PKI/srv.crt" "$PKI/srv.key" --request-client-cert
srv_tls - 127.0.0.9 5061 "$PKI/old.crt" "$PKI/old.key"
got=$(timeout 5 openssl s_client -connect "$H1:5061" -servername srv.ucscan.test </dev/null 2>&1 || true)
assert_contains "subject=CN = srv" "$got" "s_client to h1:5061"
assert_contains "Requested Signature Algorithms" "$got" "client certificate request"
timeout 5 openssl s_client -connect 127.0.0.9:5061 </dev/null 2>/dev/null |
  openssl x509 -out "$NS_TMP/seen.crt"
assert_match "CN ?= ?old" "$(openssl x509 -in "$NS_TMP/seen.crt" -noout -subject)" "loopback cert"
assert_exit 1 quietly openssl x509 -in "$NS_TMP/seen.crt" -noout -checkend 0
assert_contains "IP Address:198.18.1.2" "$(openssl x509 -in "$PKI/srv.crt" -noout -ext subjectAltName)" "SAN"
ok "TLS: served certificate, client certificate request, expired certificate, CA chain"

srv_turnserver h1 "$H1" 3478
STUN_PY='
import os, socket, struct, sys
COOKIE = 0x2112A442
def request(method, attrs=b""):
    return struct.pack("!HHI", method, len(attrs), COOKIE) + os.urandom(12) + attrs
def attributes(msg):
    out, pos = {}, 20
    while pos + 4 <= len(msg):
        t, n = struct.unpack("!HH", msg[pos:pos + 4])
        out.setdefault(t, msg[pos + 4:pos + 4 + n])
        pos += 4 + n + (-n % 4)
    return out
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((addr, port))
s.send(request(0x0001))
msg = s.recv(2048)
xma = attributes(msg)[0x0020]
mport = struct.unpack("!H", xma[2:4])[0] ^ (COOKIE >> 16)
mip = socket.inet_ntoa(struct.pack("!I", struct.unpack("!I", xma[4:8])[0] ^ COOKIE))
local = "%s:%d" % s.getsockname()
s.send(request(0x0003, struct.pack("!HHI", 0x0019, 4, 17 << 24)))
msg = s.recv(2048)
err = attributes(msg).get(0x0009, b"\0\0\0\0\0")
print("binding=0x%04x mapped=%s:%d local=%s allocate=0x%04x error=%d" % (
    0x0101, mip, mport, local, struct.unpack("!H", msg[:2])[0], (err[2] & 7) * 100 + err[3]))
'
got=$("$(ns_python)" -c "$STUN_PY" "$H1" 3478)
assert_match "^binding=0x0101 mapped=([0-9.:]+) local=\1 allocate=0x0113 error=401$" "$got" "STUN to coturn"
wait_tcp_bound h1 "$H1" 3478
ok "coturn: Binding answered with our mapped address, Allocate without credentials gets 401"

# ---- 5. stale sweep and cleanup --------------------------------------------------------------
CHILD_OUT=$NS_TMP/child.out
cat >"$NS_TMP/child.sh" <<EOF
set -euo pipefail
source "$HERE/lib/servers.sh"
ns_init stalechild
ns_host x 198.18.3.2/30 198.18.3.1
srv_tcp_listen x 198.18.3.2 80
echo "\$NS_PREFIX \$SRV_PID \$(ns_rootif x) \$\$" >"$CHILD_OUT"
kill -9 \$\$
EOF
{ bash "$NS_TMP/child.sh" || true; } 2>/dev/null # it kills itself with SIGKILL
read -r CPREFIX CSRV CLINK CPID <"$CHILD_OUT"
ip netns list | grep -q "^$CPREFIX-x" || fail "leftover namespace $CPREFIX-x missing before the sweep"
ip link show dev "$CLINK" >/dev/null || fail "leftover veth $CLINK missing before the sweep"
ns_wait_until 2 dead "$CSRV" || fail "server $CSRV of the killed test survived it (pdeathsig)"
ns_sweep_stale
ip netns list | grep -q "^$CPREFIX-" && fail "stale namespace $CPREFIX-x not swept"
ip link show dev "$CLINK" >/dev/null 2>&1 && fail "stale veth $CLINK not swept"
compgen -G "${TMPDIR:-/tmp}/ucscan-e2e.$CPID.*" >/dev/null && fail "stale state dir not swept"
ok "leftovers of a test killed by SIGKILL are swept by the next test"

ROOTIFS="$(ns_rootif h1) $(ns_rootif r1)"
PIDS=$(awk '{print $1 ":" $2}' "$STATE/pids")
ns_cleanup
ns_cleanup # idempotent
ip netns list | grep -q "^$PREFIX-" && fail "namespaces left: $(ip netns list | grep "^$PREFIX-")"
for ifc in $ROOTIFS; do
  ip link show dev "$ifc" >/dev/null 2>&1 && fail "veth $ifc left"
done
ip -o link show | grep -q ": ue$$v" && fail "veths left: $(ip -o link show | grep ": ue$$v")"
assert_eq "" "$(ip -4 route show match 198.18.1.2 | grep -v '^default' || true)" "route to h1"
assert_eq "" "$(ip -4 route show match 198.18.2.130 | grep -v '^default' || true)" "route to h2"
assert_eq "$ROOT_NFT_BEFORE" "$(nft list ruleset 2>/dev/null | sha256sum)" "root nft ruleset"
for p in $PIDS; do
  ns_pid_alive "${p%%:*}" "${p#*:}" && fail "process ${p%%:*} left"
done
(exec 3<>/dev/tcp/127.0.0.9/41000) 2>/dev/null && fail "loopback listener left"
[[ ! -e $STATE ]] || fail "state dir $STATE left"
ok "cleanup removed every namespace, veth, route, nft table, process and temp file"

T1=${EPOCHREALTIME/[.,]/}
printf 'selftest passed in %d.%03d s\n' $(((T1 - T0) / 1000000)) $(((T1 - T0) / 1000 % 1000))
