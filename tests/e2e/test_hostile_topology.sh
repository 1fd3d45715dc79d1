#!/usr/bin/env bash
# e2e (issue 6): a whole topology full of hostile hosts completes in bounded time.
# Twelve Directors and Edges (real catalog roles) whose every port misbehaves in its own way
# (tarpits, drips, floods, megabyte replies, garbage, resets, alerts, lying STUN and SQL
# Browser replies, silently dropped ports), plus one healthy Director among them, scanned with
# the polite profile and --timeout 500:
#   - the scan ends within (retries + 1) x timeout plus a margin, with "complete": true
#   - every probed check of a hostile host fails with a reason (rows that are not probed:
#     IPsec policies, outbound rows, are skipped as always); no check ends in "error"
#   - the healthy Director passes everything (its optional 5060 is skipped): 1434/udp, 444,
#     5061 and 445 (the Central Management Store's push; the seed's Director 80/443 rows are
#     checked on the web farm, not on Directors)
# Subnet 198.18.34.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
TIMEOUT=$((500 * ${UC_E2E_SLOW:-1})) # deadlines of the scan (slower under valgrind)

ns_init
ns_host topo 198.18.34.2/24 198.18.34.1
names=()
for i in $(seq 2 14); do
  ((i == 2)) || ns_add_addr topo "198.18.34.$i"
  if ((i % 2)); then names+=("edge$i.contoso.test"); else names+=("dir$i.contoso.test"); fi
done
san=$(IFS=,; echo "${names[*]}")
mkcert "$NS_TMP/pki" contoso --days 365 --san "$san"
cert=(--cert "$MKCERT_CRT" --key "$MKCERT_KEY")

# behaviours, cycled over the hosts
tls_bad=("tarpit" "drip,data=tls,every=0.05" "garbage-on-tls" "rst-mid-handshake" "tls-alert"
  "tls-hang" "flood,data=tls" "huge,data=tls" "non-tls")
xmpp_bad=("huge,data=xmpp" "flood,data=raw" "drip,data=xmpp,every=0.05" "tarpit" "rst-mid-handshake")
stun_bad=("stun-lying-length" "stun-unknown-attr" "stun-wrong-txid" "udp-flood,count=500" "DROP")
sqlb_bad=("sqlb-truncated" "sqlb-lying-length" "udp-flood,count=500" "DROP")
specs=() healthy=() drops_tcp=() drops_udp=() hosts_json="" good=dir8.contoso.test
spec() { # BEHAVIOUR ADDR PORT [NAME]: a peer, or a dropped port
  local b=${1%%,*} pk_suffix=""
  [[ $1 == *,* ]] && pk_suffix=",${1#*,}"
  case $b in
    DROP) if [[ ${4:-} == udp ]]; then drops_udp+=("$2:$3"); else drops_tcp+=("$2:$3"); fi ;;
    *) specs+=("$b@$2:$3$pk_suffix") ;;
  esac
}
k=0
for n in "${names[@]}"; do
  i=${n//[^0-9]/}
  a=198.18.34.$i
  if [[ $n == "$good" ]]; then
    role=director # its peers run in a process of their own, away from the floods
    healthy=("tls:http@$a:444" "mtls:sip@$a:5061" "sqlb@$a:1434" "count@$a:445")
  elif [[ $n == edge* ]]; then
    role=edge
    spec "${tls_bad[k % 9]}" "$a" 443
    spec "${tls_bad[(k + 1) % 9]}" "$a" 5061
    spec "${xmpp_bad[k % 5]}" "$a" 5269
    spec "${tls_bad[(k + 2) % 9]}" "$a" 23456
    spec "${stun_bad[k % 5]}" "$a" 3478 udp
  else
    role=director
    # 445 is plain TCP: an accepting tarpit passes, so drop it instead
    spec DROP "$a" 445
    spec "${tls_bad[k % 9]}" "$a" 444
    spec "${tls_bad[(k + 5) % 9]}" "$a" 5061
    spec "${sqlb_bad[k % 4]}" "$a" 1434 udp
  fi
  k=$((k + 1))
  hosts_json+="${hosts_json:+,}
  {\"name\": \"$n\", \"address\": \"$a\", \"roles\": [\"$role\"]}"
done
srv_peers topo "${cert[@]}" "${specs[@]}"
srv_peers topo "${cert[@]}" "${healthy[@]}"
rules=""
for d in "${drops_tcp[@]}"; do rules+="ip daddr ${d%:*} tcp dport ${d#*:} drop
"; done
for d in "${drops_udp[@]+"${drops_udp[@]}"}"; do rules+="ip daddr ${d%:*} udp dport ${d#*:} drop
"; done
ns_nft topo "table inet uc_topo {
  chain in {
    type filter hook input priority 0; policy accept;
    $rules
  }
}"
printf '{"name": "e2e-hostile-topology", "hosts": [%s]}\n' "$hosts_json" >"$NS_TMP/topo.json"

out=$NS_TMP/report.json
rc=0
t0=$(date +%s%N)
/usr/bin/time -f %M -o "$NS_TMP/rss" "$UCSCAN" scan --topology "$NS_TMP/topo.json" \
  --timeout $TIMEOUT --no-progress --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
wall_ms=$((($(date +%s%N) - t0) / 1000000))
echo "topology of ${#names[@]} hosts, ${#specs[@]} hostile peers: ${wall_ms} ms, peak RSS $(tail -n 1 "$NS_TMP/rss") kB" >&2
assert_eq 1 "$rc" "exit status"
assert_json "$out" .complete true
bound=$((3 * TIMEOUT + 1500))
assert_faster "$wall_ms" "$bound" "the hostile topology"

"$(ns_python)" - "$out" "$good" <<'PY' || fail "verdicts of the hostile topology"
import json, sys
rep = json.load(open(sys.argv[1]))
bad = []
for h in rep["hosts"]:
    for c in h["checks"]:
        tag = "%s %s/%s %s %s: %s" % (h["name"], c["port"], c["transport"], c["verdict"],
                                      c["state"], c["reason"])
        if c["state"] is None:  # not probed: a policy row (IPsec) or an outbound row
            if c["verdict"] != "skip" or not c["reason"]:
                bad.append("unprobed row: " + tag)
        elif c["reason"] == "" or c["state"] == "error":
            bad.append("no result: " + tag)
        elif h["name"] == sys.argv[2]:
            want = "skip" if c["port"] == 5060 else "pass"
            if c["verdict"] != want:
                bad.append("healthy host: " + tag)
        elif c["port"] == 5060:
            if c["verdict"] != "skip":
                bad.append("optional port: " + tag)
        elif c["verdict"] != "fail":
            bad.append("hostile port did not fail: " + tag)
print("%d hosts, %d checks, summary %s" % (len(rep["hosts"]), rep["summary"]["checks"],
                                           json.dumps(rep["summary"], sort_keys=True)), file=sys.stderr)
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
assert_json "$out" .summary.hosts 13
assert_json "$out" '.hosts[6].name' "$good"
assert_json "$out" '.hosts[6].summary' '{"fail":0,"pass":4,"skip":3,"warn":0}' # skips: 5060 optional, the web farm 80/443 outbound
# a few reasons, one per kind of fault
assert_check "$out" dir2.contoso.test 444/tcp fail open "^TLS handshake timed out after $TIMEOUT ms"
assert_check "$out" dir2.contoso.test 445/tcp fail filtered '^no answer to 3 connection attempts'
assert_check "$out" dir2.contoso.test 1434/udp fail open '^invalid SQL Browser reply: record 2 truncated'
assert_check "$out" edge3.contoso.test 3478/udp fail open '^invalid STUN reply: unknown comprehension-required attribute'
assert_check "$out" edge3.contoso.test 5061/tcp fail open '^server sent non-TLS bytes'
assert_check "$out" edge11.contoso.test 3478/udp fail "open|filtered" '^no STUN or MS-TURN answer'
echo "ok"
