#!/usr/bin/env bash
# e2e (issue 6, hostile and broken servers, TCP): one host full of misbehaving peers next to
# well-behaved ones, scanned once with --timeout 500.
#   - every hostile check ends within its deadline (TLS handshake 500 ms, then the exchange
#     500 ms) with fail and a reason that names what went wrong; the scan as a whole too
#   - the well-behaved ports of the same host still pass (the rest of the scan is unaffected)
#   - 100 TLS ports that accept and close at once: the scan survives the resets (no SIGPIPE)
#   - memory stays bounded: peak RSS (/usr/bin/time -f %M) of a scan against 200 ports that
#     flood or send megabytes is within a few MB of the same scan against 200 silent ports
# Subnet 198.18.32.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
TIMEOUT=$((500 * ${UC_E2E_SLOW:-1})) # deadlines of the scan (slower under valgrind)

ns_init
H=198.18.32.2 QUIET=198.18.32.3 LOUD=198.18.32.4
ns_host hx "$H/24" 198.18.32.1
ns_add_addr hx "$QUIET"
ns_add_addr hx "$LOUD"
mkcert "$NS_TMP/pki" hostile.contoso.test --days 365
cert=(--cert "$MKCERT_CRT" --key "$MKCERT_KEY")

# port/transport/protocol[/application] and the peer behind it. The senders of bulk (flood,
# huge) run in a process of their own, the neighbours in another: a python loop busy pushing
# megabytes must not make a drip or a handshake late.
rows=() specs=() bulk=() good=()
peer() {
  rows+=("$1")
  case $2 in
    flood | huge | tls:flood | tls:huge) bulk+=("$2@$H:${1%%/*}${3:+,$3}") ;;
    *) specs+=("$2@$H:${1%%/*}${3:+,$3}") ;;
  esac
}
neighbour() { rows+=("$1"); good+=("$2@$H:${1%%/*}"); }
peer 7001/tcp/tls tarpit
peer 7002/tcp/tls drip data=tls,every=0.05
peer 7003/tcp/sip drip data=sip,every=0.05
peer 7004/tcp/sip flood data=sip
peer 7005/tcp/sip huge data=sip
peer 7006/tcp/xmpp huge data=xmpp
peer 7007/tcp/xmpp flood data=raw
peer 7008/tcp/tls garbage-on-tls
peer 7009/tcp/https non-tls
peer 7010/tcp/tls rst-mid-handshake
peer 7011/tcp/tls tls-alert
peer 7012/tcp/mtls tls-hang
peer 7013/tcp/sip sip-endless-header
peer 7014/tcp/tls huge data=tls
peer 7015/tcp/tls flood data=tls
peer 7016/tcp/http flood data=http
peer 7017/tcp/xmpp drip data=xmpp,every=0.05
peer 7018/tcp/tls/sip tls:sip-endless-header
peer 7019/tcp/tls/sip tls:drip data=sip,every=0.05
peer 7020/tcp/https tls:tarpit
peer 7021/tcp/tls/xmpp tls:huge data=raw
peer 7022/tcp/tls rst-mid-handshake after=half
# well-behaved neighbours
neighbour 7100/tcp/sip sip
neighbour 7101/tcp/tls/sip tls:sip
neighbour 7102/tcp/xmpp xmpp
neighbour 7103/tcp/https tls:http
rows+=(7104/tcp/tcp 7105/tcp/tcp)
srv_peers hx "${cert[@]}" "${specs[@]}"
plog=$SRV_LOG
srv_peers hx "${cert[@]}" "${bulk[@]}"
bulk_log=$SRV_LOG
srv_peers hx "${cert[@]}" "${good[@]}"
srv_tcp_listen hx "$H" 7104 # 7105: closed

peers_catalog "$NS_TMP/site.json" hostile "${rows[@]}"
cat >"$NS_TMP/topo.json" <<JSON
{"name": "e2e-hostile-tcp", "hosts": [
  {"name": "hostile.contoso.test", "address": "$H", "roles": ["hostile"]}]}
JSON

out=$NS_TMP/report.json
rc=0
t0=$(date +%s%N)
"$UCSCAN" scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site.json" \
  --timeout $TIMEOUT --no-progress --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
wall_ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq 1 "$rc" "exit status"
assert_json "$out" .complete true
echo "hostile scan: ${wall_ms} ms wall, report duration $(json_get "$out" .duration_ms) ms" >&2
# a TLS+app check may take the handshake deadline plus the exchange deadline, nothing more
assert_faster "$wall_ms" $((2 * TIMEOUT + 1000)) "the hostile scan"

N=hostile.contoso.test
T="after $TIMEOUT ms"
assert_check "$out" $N 7001/tcp fail open "^TLS handshake timed out $T \\(0 bytes received\\)$"
assert_check "$out" $N 7002/tcp fail open "^TLS handshake timed out $T \\(([2-9]|[1-9][0-9]+) bytes received\\)$"
assert_check "$out" $N 7003/tcp fail open "^incomplete SIP reply \\(timeout\\): 'S[A-Z/0-9. ]*'$"
assert_check "$out" $N 7004/tcp fail open '^SIP reply headers exceed 16384 bytes$'
assert_check "$out" $N 7005/tcp fail open '^SIP reply headers exceed 16384 bytes$'
assert_check "$out" $N 7006/tcp fail open '^XMPP stream header exceeds 4096 bytes$'
assert_check "$out" $N 7007/tcp fail open "^not an XMPP stream: 'A{80,}'$"
assert_check "$out" $N 7008/tcp fail open '^server sent non-TLS bytes: 8f 00 13 37 .* \(hex\)$'
assert_check "$out" $N 7009/tcp fail open '^server sent non-TLS bytes: "HTTP/1\.1 400 Bad Request"$'
assert_check "$out" $N 7010/tcp fail open '^connection reset during TLS handshake \(0 bytes received\)$'
assert_check "$out" $N 7022/tcp fail open '^connection reset during TLS handshake \([1-9][0-9]* bytes received\)$'
assert_check "$out" $N 7011/tcp fail open '^TLS alert from server: handshake failure \(40\)$'
assert_check "$out" $N 7012/tcp fail open "^TLS handshake timed out $T \\(0 bytes received\\)$"
assert_check "$out" $N 7013/tcp fail open '^SIP reply headers exceed 16384 bytes$'
assert_check "$out" $N 7014/tcp fail open '^TLS handshake failed: '
assert_check "$out" $N 7015/tcp fail open '^TLS handshake failed: '
assert_check "$out" $N 7016/tcp fail open '^HTTP reply headers exceed 16384 bytes$'
assert_check "$out" $N 7017/tcp fail open "^incomplete XMPP stream header \\(timeout\\): '<"
# Inside a completed TLS handshake the application exchange is secondary (issue 3: a TLS port
# whose SIP stack does not answer properly still passes its TLS check); the reason says what
# the SIP, HTTP or XMPP peer did wrong. Bytes of another protocol are not a silent stack but
# the wrong thing on the port (issue 11): a warning.
tls_ok='^TLS 1\.[23] handshake completed; no client certificate requested; '
assert_check "$out" $N 7018/tcp pass open "${tls_ok}SIP reply headers exceed 16384 bytes$"
assert_check "$out" $N 7019/tcp pass open "${tls_ok}incomplete SIP reply \\(timeout\\): 'S[A-Z/0-9. ]*'$"
assert_check "$out" $N 7020/tcp pass open "${tls_ok}no HTTP answer to HEAD / \\(timeout\\)$"
assert_check "$out" $N 7021/tcp warn open "${tls_ok}not an XMPP stream: 'A+'$"
# the neighbours
assert_check "$out" $N 7100/tcp pass open '^SIP OPTIONS answered 200 OK \(Server: RTC/6\.0\)$'
assert_check "$out" $N 7101/tcp pass open "${tls_ok}SIP OPTIONS answered 200 OK \\(Server: RTC/6\\.0\\)$"
assert_check "$out" $N 7102/tcp pass open "^XMPP stream opened \\(from='peer\\.ucscan\\.test', version 1\\.0\\)$"
assert_check "$out" $N 7103/tcp pass open "${tls_ok}HTTP 200 OK \\(Server: Microsoft-IIS/8\\.5\\)$"
assert_check "$out" $N 7104/tcp pass open '^TCP connection accepted$'
assert_check "$out" $N 7105/tcp fail closed '^connection refused \(RST\)$'
assert_json "$out" .summary '{"checks":28,"fail":19,"hosts":1,"pass":8,"skip":0,"warn":1}'

# Each hostile connection, as its peer saw it: one per port, closed by us within the deadlines.
sleep 0.2
"$(ns_python)" - "$plog" "$bulk_log" $TIMEOUT "$UC_E2E_SLOW" <<'PY' || fail "a hostile connection outlived its deadline"
import re, sys
acc, worst = {}, {}
for line in open(sys.argv[1]).readlines() + open(sys.argv[2]).readlines():
    f = line.split()
    if len(f) < 4 or f[2] not in ("accept", "close"):
        continue
    t = float(f[-1][2:])
    key = (f[1], f[3])
    if f[2] == "accept":
        acc[key] = t
    elif key in acc:
        worst[f[1]] = t - acc.pop(key)
bound = (2 * int(sys.argv[3]) / 1000 + 0.4) * int(sys.argv[4])
bad = {k: v for k, v in worst.items() if v > bound}
print("connection lifetimes (s): max %.3f over %d ports, bound %.2f" %
      (max(worst.values()), len(worst), bound), file=sys.stderr)
if acc or bad or len(worst) < 22:
    print("still open: %s; too long: %s; closed: %d" % (acc, bad, len(worst)), file=sys.stderr)
    sys.exit(1)
PY

# --- 100 TLS ports that accept and close at once: our writes meet resets; the scan must
# survive them (it used to die of SIGPIPE, status 141, without a report) ------------------
CLOSER=198.18.32.5
ns_add_addr hx "$CLOSER"
closers=() crows=()
for p in $(seq 9000 9099); do closers+=("count@$CLOSER:$p") crows+=("$p/tcp/tls"); done
srv_peers hx "${closers[@]}"
peers_catalog "$NS_TMP/closers.json" closers "${crows[@]}"
printf '{"name": "closers", "hosts": [{"name": "closers.contoso.test", "address": "%s", "roles": ["closers"]}]}\n' \
  "$CLOSER" >"$NS_TMP/closers-topo.json"
for run in 1 2 3; do
  rc=0
  "$UCSCAN" scan --topology "$NS_TMP/closers-topo.json" --catalog "$NS_TMP/closers.json" \
    --timeout $TIMEOUT --per-host 128 --no-progress --out "$NS_TMP/closers.out" >/dev/null 2>&1 || rc=$?
  assert_eq 1 "$rc" "accept-and-close scan $run: exit status"
  assert_json "$NS_TMP/closers.out" .summary.fail 100
done
assert_check "$NS_TMP/closers.out" $CLOSER 9000/tcp fail open \
  '^(connection (reset|closed) during TLS handshake|TLS handshake failed: )'

# --- memory: 200 ports of floods and megabyte replies vs 200 silent ports ------------------
quiet=() loud=() mrows=()
for p in $(seq 8000 8099); do
  quiet+=("tarpit@$QUIET:$p") mrows+=("$p/tcp/sip")
  if ((p < 8050)); then loud+=("flood@$LOUD:$p,data=sip"); else loud+=("huge@$LOUD:$p,data=sip,size=8388608"); fi
done
for p in $(seq 8100 8199); do
  quiet+=("tls:tarpit@$QUIET:$p") mrows+=("$p/tcp/tls/sip")
  if ((p < 8150)); then loud+=("tls:flood@$LOUD:$p,data=sip"); else loud+=("tls:huge@$LOUD:$p,data=sip,size=8388608"); fi
done
srv_peers hx "${cert[@]}" "${quiet[@]}"
srv_peers hx "${cert[@]}" "${loud[@]}"
# count what the flooding address really puts on the wire towards the scanner
ns_nft hx "table inet uc_mem {
  chain out {
    type filter hook output priority 0; policy accept;
    ip saddr $LOUD tcp sport 8000-8199 counter
  }
}"
peers_catalog "$NS_TMP/mem.json" mem "${mrows[@]}"
# What is measured here is memory, not deadlines: 100 TLS handshakes at once against one
# python process are slow on a busy machine (beside stress-ng --cpu 2 they took more than
# 500 ms, and the floods never started), so this scan waits longer.
MEM_TIMEOUT=$((5000 * ${UC_E2E_SLOW:-1}))
rss() { # TARGET: peak RSS in kB of one scan of the 200 ports
  local topo=$NS_TMP/mem-$1.json
  printf '{"name": "mem", "hosts": [{"name": "mem.contoso.test", "address": "%s", "roles": ["mem"]}]}\n' "$1" >"$topo"
  /usr/bin/time -f %M -o "$NS_TMP/rss" "$UCSCAN" scan --topology "$topo" --catalog "$NS_TMP/mem.json" \
    --timeout $MEM_TIMEOUT --per-host 256 --no-progress --out "$NS_TMP/mem-$1.out" >/dev/null 2>&1 || true
  tail -n 1 "$NS_TMP/rss"
}
rq=$(rss "$QUIET")
rl=$(rss "$LOUD")
wire=$(ns_exec hx nft list table inet uc_mem | awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "bytes") print int($(i + 1) / 1048576) }')
echo "peak RSS: ${rq} kB against 200 silent ports, ${rl} kB against 200 flooding ports (${wire} MiB sent to the scanner)" >&2
assert_json "$NS_TMP/mem-$LOUD.out" '.summary.fail' 100
assert_json "$NS_TMP/mem-$LOUD.out" '.summary.warn' 100 # TLS done (certificate for another name), SIP garbage
assert_json "$NS_TMP/mem-$QUIET.out" '.summary.fail' 100
((wire >= 8)) || fail "the flooding peers sent only $wire MiB"
assert_rss_below "$rl" $((rq + 8192)) "floods (silent ports: $rq kB)"
assert_rss_below "$rl" 65536 "floods"
echo "ok"
