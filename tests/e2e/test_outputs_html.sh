#!/usr/bin/env bash
# tests/e2e/test_outputs_html.sh: `--format html` and `--format csv` as people see them. A
# Director (198.18.60.2) and an Edge (198.18.61.2), each in its own namespace, with a TLS
# server on some ports, a dropped port and closed ones; the scan writes the JSON report
# (--out) and the HTML page or the CSV on stdout, which must say the same. Which verdicts the
# checks get does not matter here (other tests judge them); that the page shows them does.
#
#  1. The page is one self-contained file: its Content Security Policy forbids every fetch, no
#     src= or href= names the network.
#  2. Headless Chromium (Debian's chromium) renders it: after the script ran (--dump-dom), the
#     summary counts are the report's, there is one cell per check and its colour class is
#     its verdict; #verdict=fail leaves only the failing cells on; #check=HOST/PORT/TRANSPORT
#     opens that check's evidence panel with its reason, requirements and evidence.
#  3. What a person sees (--screenshot): as many red areas (#d32f2f) as failing checks, and
#     green ones for the passes; a page whose failing cells are blue is caught.
#  4. Chromium's network log: the page starts no request (Chromium's own background requests,
#     which resolve nothing here, aside). The check fails when it should: a doctored page
#     without the policy and with an image on 198.18.60.2 is caught; with the policy, the
#     image is not even requested.
#  5. CSV: RFC 4180 as Python's csv module reads it, one row per check, the verdicts the
#     report's.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$HERE/lib/servers.sh"
UCSCAN=${UCSCAN:?set UCSCAN to the ucscan binary}
ok() { printf 'ok - %s\n' "$*"; }
command -v chromium >/dev/null || fail "chromium is not installed (.ci/setup installs it)"

ns_init html
PY=$(ns_python)
ns_host dir 198.18.60.2/24 198.18.60.1
ns_host edge 198.18.61.2/24 198.18.61.1
mkcert "$NS_TMP/pki" dir01 --san dir01.html.test --days 365
srv_tls dir 198.18.60.2 443 "$MKCERT_CRT" "$MKCERT_KEY"
srv_tcp_listen dir 198.18.60.2 80 5060
ns_drop_tcp dir 444
mkcert "$NS_TMP/pki" edge01 --san edge01.html.test --days 365
srv_tls edge 198.18.61.2 5061 "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
cd "$NS_TMP"
cat >topo.json <<'EOF'
{"name": "html-test", "hosts": [
  {"name": "dir01.html.test", "address": "198.18.60.2", "roles": ["director"]},
  {"name": "edge01.html.test", "address": "198.18.61.2", "roles": ["edge"]}]}
EOF
scan() {
  "$UCSCAN" scan --topology topo.json --no-progress --timeout $((2000 * ${UC_E2E_SLOW:-1})) \
    --rate 0 "$@"
}
rc=0
scan --out report.json --format html >report.html 2>err.txt || rc=$?
assert_eq 1 "$rc" "scan: exit status ($(cat err.txt))"
fails=$(json_get report.json .summary.fail)
passes=$(json_get report.json .summary.pass)
((fails >= 2 && passes >= 1)) ||
  fail "test setup: $fails fails and $passes passes: $("$UCSCAN" scan --topology topo.json --no-progress --format table 2>&1)"

# ---- 1. self-contained --------------------------------------------------------------------------
grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';" report.html ||
  fail "no Content Security Policy forbidding fetches"
if grep -Eq "(src|href)=\"(https?:)?//" report.html; then
  fail "the page names the network: $(grep -Eo "(src|href)=\"(https?:)?//[^\"]*" report.html)"
fi
ok "one self-contained file ($(wc -c <report.html) bytes): a policy against every fetch"

# ---- 2. the DOM after the script ran ----------------------------------------------------------------
CHROME=(timeout $((60 * ${UC_E2E_SLOW:-1})) chromium --headless --no-sandbox --disable-gpu
  --disable-quic --no-first-run --disable-background-networking --disable-component-update
  --disable-sync --user-data-dir="$NS_TMP/chromium" "--host-resolver-rules=MAP * ~NOTFOUND")
# page FRAGMENT [CHROMIUM ARGS]: the DOM of report.html#FRAGMENT, checked against the report
page() {
  local frag=$1
  shift
  "${CHROME[@]}" "$@" --dump-dom "file://$NS_TMP/report.html${frag:+#$frag}" >dom.html \
    2>chromium.log || fail "chromium --dump-dom failed: $(tail -n 5 chromium.log)"
  "$PY" "$HERE/lib/page.py" dom report.json dom.html "$frag" ||
    fail "the page ${frag:+#$frag} disagrees with the report"
}
page "" --log-net-log="$NS_TMP/net.json" # the net log for 4., below
page "verdict=fail"
assert_json report.json '.hosts[name=dir01.html.test].checks[port=444].verdict' fail
page "check=dir01.html.test/444/tcp"
ok "the DOM: the report's counts, a cell per check coloured by verdict, the filter and the panel"

# ---- 3. what a person sees ------------------------------------------------------------------------
"${CHROME[@]}" --hide-scrollbars --force-device-scale-factor=1 --window-size=1600,1000 \
  --screenshot="$NS_TMP/shot.png" "file://$NS_TMP/report.html" 2>chromium.log ||
  fail "chromium --screenshot failed: $(tail -n 5 chromium.log)"
"$PY" "$HERE/lib/page.py" pixels shot.png report.json || fail "the screenshot disagrees with the report"
# the check fails when it should: failing cells painted another colour
sed 's/td.v-fail { background: #d32f2f;/td.v-fail { background: #2f2fd3;/' report.html >blue.html
cmp -s report.html blue.html && fail "test setup: the fail colour is not in the page"
"${CHROME[@]}" --hide-scrollbars --force-device-scale-factor=1 --window-size=1600,1000 \
  --screenshot="$NS_TMP/blue.png" "file://$NS_TMP/blue.html" 2>chromium.log ||
  fail "chromium --screenshot failed: $(tail -n 5 chromium.log)"
if "$PY" "$HERE/lib/page.py" pixels blue.png report.json >blue.txt; then
  fail "failing cells in blue passed the pixel check: $(cat blue.txt)"
fi
ok "the screenshot: $fails red cells for $fails failing checks (and blue ones are caught)"

# ---- 4. no request from the page ----------------------------------------------------------------------
"$PY" "$HERE/lib/page.py" netlog net.json || fail "the page made requests"
sed 's#<footer>#<img src="http://198.18.60.2:9/x.png"><footer>#; s#<meta http-equiv="Content-Security-Policy"[^>]*>##' \
  report.html >bad.html
"${CHROME[@]}" --log-net-log="$NS_TMP/bad.json" --dump-dom "file://$NS_TMP/bad.html" \
  >/dev/null 2>chromium.log || fail "chromium with a net log failed"
rc=0
"$PY" "$HERE/lib/page.py" netlog bad.json >bad.txt || rc=$?
assert_eq 1 "$rc" "a page that fetches an image: the check"
assert_contains "request: GET http://198.18.60.2:9/x.png" "$(cat bad.txt)"
sed 's#<footer>#<img src="http://198.18.60.2:9/x.png"><footer>#' report.html >csp.html
"${CHROME[@]}" --log-net-log="$NS_TMP/csp.json" --dump-dom "file://$NS_TMP/csp.html" \
  >/dev/null 2>chromium.log || fail "chromium with a net log failed"
"$PY" "$HERE/lib/page.py" netlog csp.json || fail "the policy let an image through"
ok "no request from the page; a doctored one is caught, and the policy stops it"

# ---- 5. CSV ---------------------------------------------------------------------------------------------
rc=0
scan --out report2.json --format csv >report.csv 2>err.txt || rc=$?
assert_eq 1 "$rc" "scan --format csv: exit status"
"$PY" - report.csv report2.json <<'PY' || fail "the CSV disagrees with the report"
import csv, json, sys
raw = open(sys.argv[1], "rb").read()
assert raw.endswith(b"\r\n") and b"\r\n" in raw[:400], "CRLF line ends"
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
rep = json.load(open(sys.argv[2]))
checks = [(h["name"], c) for h in rep["hosts"] for c in h["checks"]]
assert len(rows) == len(checks), "%d rows for %d checks" % (len(rows), len(checks))
for row, (host, c) in zip(rows, checks):
    port = str(c["port"]) if c["range"] is None else "%d-%d" % (c["range"]["first"], c["range"]["last"])
    assert (row["host"], row["port"], row["transport"], row["verdict"], row["state"]) == \
        (host, port, c["transport"], c["verdict"], c["state"] or ""), row
    assert row["reason"].lstrip("'") == c["reason"], row["reason"]
print("csv: %d rows, one per check, verdicts as in the report" % len(rows))
PY
ok "CSV: one row per check, RFC 4180, the report's verdicts"
