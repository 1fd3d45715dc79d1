#!/usr/bin/env bash
# tests/e2e/test_monitoring_prometheus.sh: two vantages scan a namespaced deployment with a
# planted fault and report to a real Prometheus stack (Debian's prometheus,
# prometheus-node-exporter and prometheus-pushgateway), which loads the shipped rules
# (examples/prometheus/ucscan.rules.yml) with the shipped scrape configuration
# (examples/prometheus/prometheus.yml, its targets and intervals replaced).
#
#   root namespace: the two scanner runs (--from servers, --from clients)
#   fe   198.18.55.2  fe01.contoso.test, role front-end, whose rows a site catalog replaces
#                     ("mode": "replace"), each saying which vantage tests it:
#                       5061/tcp tls    from servers, clients   TLS, asks for a client cert
#                       5062/tcp tcp    from servers            dropped by nftables: THE FAULT
#                       443/tcp  https  from clients            TLS, certificate expires in 10 days
#   mon  198.18.56.2  node_exporter :9100 (textfile collector only), Pushgateway :9091,
#                     Prometheus :9090 (scrape and evaluation every second)
#
#  1. --from servers writes --prom into node_exporter's textfile directory; --from clients
#     pushes with --push; both reports say what each vantage tested (5062 failed filtered from
#     servers, skipped from clients);
#  2. promtool check metrics finds nothing in either output;
#  3. Prometheus's HTTP API shows ucscan_check_success 0 for 5062 with vantage="servers",
#     host and port labels and the textfile job, no series for 5062 from clients, the pushed
#     clients series with honor_labels' job, the alert UcscanCheckFailed firing with the check's
#     labels (and only for it), the certificate's days left and UcscanCertificateExpiresSoon;
#  4. every query of the shipped Grafana dashboard runs on this Prometheus, and its check
#     table shows the fault;
#  5. a push that cannot be delivered: the report is written all the same, exit 3, the reason
#     on stderr.
# Needs root, the three Debian packages and promtool; ucscan's --from (contract v2): without
# it the test fails and says so. Everything it starts is stopped by ns_cleanup.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/peers.sh
source "$HERE/lib/peers.sh" # servers.sh, and assert_check

UCSCAN=${UCSCAN:?set UCSCAN to the ucscan binary}
SRC=${UC_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
SLOW=${UC_E2E_SLOW:-1}
ok() { printf 'ok - %s\n' "$*"; }

for tool in prometheus promtool prometheus-node-exporter prometheus-pushgateway; do
  command -v "$tool" >/dev/null ||
    fail "$tool is not installed (Debian packages prometheus, prometheus-node-exporter, prometheus-pushgateway: .ci/setup)"
done
if ! "$UCSCAN" scan --help | grep -q -- '--from '; then
  fail "ucscan scan has no --from option: this test needs the vantages of contract v2 (--from servers, --from clients); it runs once they are merged"
fi

ns_init monprom
FE=198.18.55.2
MON=198.18.56.2
ns_host fe "$FE/24" 198.18.55.1
ns_host mon "$MON/24" 198.18.56.1

# ---- the deployment --------------------------------------------------------------------------
PKI=$NS_TMP/pki
mkcert "$PKI" fe5061 --san fe01.contoso.test,pool.contoso.test --days 400
srv_tls fe "$FE" 5061 "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
mkcert "$PKI" fe443 --san fe01.contoso.test --days 10
FE443_CRT=$MKCERT_CRT
srv_tls fe "$FE" 443 "$MKCERT_CRT" "$MKCERT_KEY"
ns_drop_tcp fe 5062

CATALOG=$NS_TMP/catalog.json
cat >"$CATALOG" <<'EOF'
{"schema": "ucscan-catalog/1", "mode": "replace",
 "tables": [{"id": "e2e", "title": "e2e", "title_en": "e2e", "rows": [
  {"id": "e2e-5061-tcp", "products": ["sfb2015"], "roles": ["front-end"], "seed_role": "e2e",
   "service": "SIP", "port": 5061, "transport": ["tcp"], "protocol": "tls", "seed_protocol": "TCP",
   "direction": "inbound", "peer": "Any", "optional": false, "probe": true, "note": "",
   "from": ["servers", "clients"], "source": {"file": "e2e", "table": "e2e", "row": 1}},
  {"id": "e2e-5062-tcp", "products": ["sfb2015"], "roles": ["front-end"], "seed_role": "e2e",
   "service": "SIP (servers only)", "port": 5062, "transport": ["tcp"], "protocol": "tcp",
   "seed_protocol": "TCP", "direction": "inbound", "peer": "Any", "optional": false,
   "probe": true, "note": "", "from": ["servers"],
   "source": {"file": "e2e", "table": "e2e", "row": 2}},
  {"id": "e2e-443-tcp", "products": ["sfb2015"], "roles": ["front-end"], "seed_role": "e2e",
   "service": "web", "port": 443, "transport": ["tcp"], "protocol": "https", "seed_protocol": "TCP",
   "direction": "inbound", "peer": "Any", "optional": false, "probe": true, "note": "",
   "from": ["clients"], "source": {"file": "e2e", "table": "e2e", "row": 3}}
 ]}]}
EOF
TOPO=$NS_TMP/topology.json
cat >"$TOPO" <<EOF
{"name": "monitoring-e2e", "product": "sfb2015", "hosts": [
  {"name": "fe01.contoso.test", "address": "$FE", "roles": ["front-end"], "pool": "pool.contoso.test"}
]}
EOF

# ---- the monitoring site ---------------------------------------------------------------------
TEXTFILE=$NS_TMP/textfile
mkdir -p "$TEXTFILE"
ns_spawn mon node_exporter prometheus-node-exporter --web.listen-address="$MON:9100" \
  --collector.disable-defaults --collector.textfile --collector.textfile.directory="$TEXTFILE"
ns_spawn mon pushgateway prometheus-pushgateway --web.listen-address="$MON:9091"
wait_tcp_listen mon "$MON" 9100 $((10 * SLOW))
wait_tcp_listen mon "$MON" 9091 $((10 * SLOW))

# The shipped scrape configuration, pointed at this site and made fast.
PROMDIR=$NS_TMP/prometheus
mkdir -p "$PROMDIR/data"
cp "$SRC/examples/prometheus/ucscan.rules.yml" "$PROMDIR/"
sed -e "s/scan-servers.contoso.test:9100/$MON:9100/" -e '/scan-clients.contoso.test:9100/d' \
  -e "s/pushgateway.contoso.test:9091/$MON:9091/" \
  -e 's/^  scrape_interval: 1m$/  scrape_interval: 1s/' \
  -e 's/^  evaluation_interval: 1m$/  evaluation_interval: 1s/' \
  "$SRC/examples/prometheus/prometheus.yml" >"$PROMDIR/prometheus.yml"
for want in "$MON:9100" "$MON:9091" "scrape_interval: 1s" "evaluation_interval: 1s" "honor_labels: true"; do
  grep -q -- "$want" "$PROMDIR/prometheus.yml" || fail "the shipped prometheus.yml no longer has what this test adapts ($want)"
done
promtool check config "$PROMDIR/prometheus.yml" >/dev/null || fail "promtool refuses the adapted prometheus.yml"
ns_spawn mon prometheus prometheus --config.file="$PROMDIR/prometheus.yml" \
  --storage.tsdb.path="$PROMDIR/data" --web.listen-address="$MON:9090"
wait_tcp_listen mon "$MON" 9090 $((20 * SLOW))
ok "node_exporter, Pushgateway and Prometheus run in the mon namespace"

# ---- 1. two vantages -------------------------------------------------------------------------
SCAN=(scan --topology "$TOPO" --catalog "$CATALOG" --timeout $((1000 * SLOW)) --retries 1 --no-progress)
assert_exit 1 "$UCSCAN" "${SCAN[@]}" --from servers --out "$NS_TMP/servers.json" \
  --prom "$TEXTFILE/ucscan-monitoring-e2e.prom"
assert_exit 0 "$UCSCAN" "${SCAN[@]}" --from clients --out "$NS_TMP/clients.json" \
  --push "http://$MON:9091" --format prometheus >"$NS_TMP/clients.prom" 2>"$NS_TMP/clients.err"
assert_contains "metrics pushed to http://$MON:9091/metrics/job/ucscan/topology/monitoring-e2e/vantage/clients" \
  "$(cat "$NS_TMP/clients.err")"
assert_check "$NS_TMP/servers.json" fe01.contoso.test 5062/tcp fail filtered '.'
assert_check "$NS_TMP/servers.json" fe01.contoso.test 5061/tcp pass open 'client certificate requested'
assert_json "$NS_TMP/servers.json" '.vantage.from' servers
assert_json "$NS_TMP/clients.json" '.vantage.from' clients
assert_json "$NS_TMP/clients.json" '.hosts[0].checks[port=5062].verdict' skip
assert_check "$NS_TMP/clients.json" fe01.contoso.test 443/tcp warn open 'certificate expires'
ok "servers: 5062 fails (filtered); clients: 5062 skipped, 443 warns"

# ---- 2. promtool on both outputs -------------------------------------------------------------
for f in "$TEXTFILE/ucscan-monitoring-e2e.prom" "$NS_TMP/clients.prom"; do
  out=$(promtool check metrics <"$f" 2>&1) || fail "promtool check metrics $f: $out"
  assert_eq "" "$out" "promtool check metrics $(basename "$f")"
done
ok "promtool check metrics finds nothing"

# ---- 3. Prometheus ---------------------------------------------------------------------------
NOT_AFTER=$(date -u -d "$(openssl x509 -noout -enddate -in "$FE443_CRT" | cut -d= -f2)" +%s)
PY=$(ns_python)
QUERY_PY=$NS_TMP/query.py
cat >"$QUERY_PY" <<'EOF'
import json, sys, time, urllib.parse, urllib.request

base, deadline_s, not_after, dashboard = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
TOPO = "monitoring-e2e"

def api(path, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=5) as r:
        doc = json.load(r)
    assert doc["status"] == "success", doc
    return doc["data"]

def query(q):
    data = api("/api/v1/query", query=q)
    assert data["resultType"] == "vector", data
    return data["result"]

def one(q):
    r = query(q)
    assert len(r) == 1, "%s: %d series: %s" % (q, len(r), r)
    return r[0]["metric"], float(r[0]["value"][1])

def check():
    # the fault, from the vantage that tests it, through node_exporter's textfile collector
    m, v = one('ucscan_check_success{topology="%s",vantage="servers",host="fe01.contoso.test",port="5062"}' % TOPO)
    assert v == 0, v
    want = {"transport": "tcp", "protocol": "tcp", "role": "front-end", "state": "filtered",
            "job": "ucscan-textfile", "instance": "198.18.56.2:9100"}
    assert all(m.get(k) == w for k, w in want.items()), m
    assert "interface" not in m, m
    # node_exporter read the file without complaint
    m, v = one('node_textfile_scrape_error{job="ucscan-textfile"}')
    assert v == 0, "the textfile collector refused the file"
    # nothing for 5062 from the clients vantage: skipped checks have no series
    assert query('ucscan_check_success{vantage="clients",port="5062"}') == []
    m, v = one('ucscan_checks{topology="%s",vantage="clients",verdict="skip"}' % TOPO)
    assert v == 1 and m["job"] == "ucscan", (m, v)
    # the clients' results, pushed: honor_labels keeps the job ucscan set
    m, v = one('ucscan_check_success{vantage="clients",port="5061"}')
    assert v == 1 and m["job"] == "ucscan" and m["state"] == "open", (m, v)
    m, v = one('ucscan_tls_client_cert_requested{vantage="clients",port="5061"}')
    assert v == 1, v
    for vt in ("servers", "clients"):
        m, v = one('ucscan_scan_complete{topology="%s",vantage="%s"}' % (TOPO, vt))
        assert v == 1, (vt, v)
    # the alert, firing, with the check's labels; and no other failure alert
    alerts = [a for a in api("/api/v1/alerts")["alerts"] if a["labels"]["alertname"] == "UcscanCheckFailed"]
    assert len(alerts) == 1, alerts
    a = alerts[0]
    assert a["state"] == "firing", a
    want = {"topology": TOPO, "vantage": "servers", "host": "fe01.contoso.test", "port": "5062",
            "transport": "tcp", "role": "front-end", "state": "filtered", "severity": "critical"}
    assert all(a["labels"].get(k) == w for k, w in want.items()), a["labels"]
    assert a["annotations"]["summary"] == "fe01.contoso.test 5062/tcp fails from servers (filtered)", a
    m, v = one('ALERTS{alertname="UcscanCheckFailed",alertstate="firing"}')
    assert m["vantage"] == "servers" and m["port"] == "5062", m
    # certificates: days left (a recording rule) and the expiry alert
    m, v = one('ucscan:tls_certificate_expiry:days{vantage="clients",port="443"}')
    assert abs(v - (not_after - time.time()) / 86400) < 0.01, v
    soon = [a for a in api("/api/v1/alerts")["alerts"]
            if a["labels"]["alertname"] == "UcscanCertificateExpiresSoon" and a["state"] == "firing"]
    assert [(a["labels"]["vantage"], a["labels"]["port"]) for a in soon] == [("clients", "443")], soon
    # the warning (certificate within --cert-warn-days) waits its day: pending, not firing
    warned = [(a["labels"]["vantage"], a["labels"]["port"], a["state"]) for a in api("/api/v1/alerts")["alerts"]
              if a["labels"]["alertname"] == "UcscanCheckWarning"]
    assert warned == [("clients", "443", "pending")], warned
    others = [a["labels"]["alertname"] for a in api("/api/v1/alerts")["alerts"]
              if a["labels"]["alertname"] not in ("UcscanCheckFailed", "UcscanCertificateExpiresSoon",
                                                  "UcscanCheckWarning")]
    assert others == [], others

def check_dashboard():
    dash = json.load(open(dashboard))
    n = 0
    for p in dash["panels"]:
        for t in p.get("targets", []):
            q = t["expr"].replace("$topology", TOPO).replace("$vantage", ".*")
            assert "$" not in q, q
            r = query(q)
            assert r, "dashboard panel %r: no data for %s" % (p["title"], q)
            n += 1
            if p["title"] == "Checks by vantage, host and port":
                rows = {(s["metric"]["vantage"], s["metric"]["port"]): s["metric"]["verdict"] for s in r}
                assert rows.get(("servers", "5062")) == "fail", rows
                assert rows.get(("clients", "443")) == "warn", rows
                assert ("clients", "5062") not in rows, rows
    return n

start = time.time()
end = start + deadline_s
last = None
while True:
    try:
        check()
        print("prometheus ok after %.1f s: the failure, its labels and the alert" % (time.time() - start))
        print("dashboard ok: %d queries" % check_dashboard())
        break
    except (AssertionError, OSError, KeyError, ValueError) as e:
        last = e
        if time.time() > end:
            print("FAIL after %.0f s: %r" % (deadline_s, last))
            sys.exit(1)
        time.sleep(0.5)
EOF
out=$("$PY" "$QUERY_PY" "http://$MON:9090" $((90 * SLOW)) "$NOT_AFTER" \
  "$SRC/examples/prometheus/grafana-dashboard.json" 2>&1) || fail "Prometheus: $out"
printf '%s\n' "$out"
ok "Prometheus has the failure with vantage, host and port labels, and UcscanCheckFailed fires"

# ---- 5. a push that cannot be delivered ------------------------------------------------------
rm -f "$NS_TMP/again.json"
err=$("$UCSCAN" "${SCAN[@]}" --from clients --out "$NS_TMP/again.json" --push "http://$MON:9" 2>&1 >/dev/null) &&
  rc=0 || rc=$?
assert_eq 3 "$rc" "exit status when the push fails"
assert_contains "--push http://$MON:9: cannot connect: connection refused ($MON:9); the metrics were not pushed" "$err"
assert_json "$NS_TMP/again.json" '.complete' true
assert_json "$NS_TMP/again.json" '.hosts[0].checks[port=443].verdict' warn
ok "a failed push: exit 3, the reason said, the report written"
echo "all passed"
