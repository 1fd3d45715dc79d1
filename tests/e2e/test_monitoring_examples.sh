#!/usr/bin/env bash
# tests/e2e/test_monitoring_examples.sh: the monitoring files shipped in examples/ are valid
# and agree with what ucscan writes. No network, no root needed.
#
#  1. examples/prometheus/ucscan.rules.yml: `promtool check rules` is clean, and the rules'
#     unit tests (`promtool test rules examples/prometheus/tests/*.yml`) pass;
#  2. the unit tests can fail: copies of the rules with UcscanCheckFailed's expression
#     inverted, or with the alert renamed, are refused by the same tests;
#  3. examples/prometheus/prometheus.yml: `promtool check config` (it loads the rules too);
#  4. every ucscan_* series the rules, their tests, the scrape configuration and the Grafana
#     dashboard name is one ucscan writes (reports/prom.c) and docs/report.md documents;
#     every family ucscan writes is documented;
#  5. examples/prometheus/grafana-dashboard.json: valid JSON, a dashboard (uid, title, unique
#     panel ids, every panel on the ${datasource} variable, every query non-empty, every
#     $variable defined);
#  6. examples/systemd/: `systemd-analyze verify` of ucscan-scan@.service and .timer as an
#     instance (ExecStart pointed at the ucscan under test, the man page on MANPATH) prints
#     nothing; a copy with an unknown key is refused, so the check can fail; every option
#     ExecStart, its Environment= defaults and the header's .env examples give is one
#     `ucscan scan --help` lists; ExecStart passes no --from (the topology's vantage wins)
#     and the textfile directory is optional (ReadWritePaths=-, a push-only scanner);
#  7. --push with a malformed URL: exit 2 and the reason, nothing scanned (127.0.0.55 is
#     never probed: the usage error comes first).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"

UCSCAN=${UCSCAN:?set UCSCAN to the ucscan binary}
SRC=${UC_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
EX=$SRC/examples
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ucscan-monex.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ok() { printf 'ok - %s\n' "$*"; }
PY=$(if [[ -x /usr/bin/python3 ]]; then echo /usr/bin/python3; else command -v python3; fi)

command -v promtool >/dev/null || fail "promtool is not installed (Debian package prometheus: .ci/setup)"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (Debian package systemd: .ci/setup)"

# ---- 1. rules --------------------------------------------------------------------------------
out=$(promtool check rules "$EX/prometheus/ucscan.rules.yml" 2>&1) || fail "promtool check rules: $out"
assert_match "SUCCESS: [0-9]+ rules found" "$out" "promtool check rules"
if grep -qi warn <<<"$out"; then fail "promtool check rules warns: $out"; fi
tests=("$EX"/prometheus/tests/*.yml)
[[ -f ${tests[0]} ]] || fail "no rule tests in $EX/prometheus/tests"
out=$(cd "$EX/prometheus" && promtool test rules "${tests[@]}" 2>&1) || fail "promtool test rules: $out"
ok "promtool: the rules load and their ${#tests[@]} test file(s) pass"

# ---- 2. the rule tests can fail ---------------------------------------------------------------
mutant() { # NAME SED-EXPRESSION: the tests must refuse the rules edited so
  mkdir -p "$TMP/$1/tests"
  sed -e "$2" "$EX/prometheus/ucscan.rules.yml" >"$TMP/$1/ucscan.rules.yml"
  cmp -s "$TMP/$1/ucscan.rules.yml" "$EX/prometheus/ucscan.rules.yml" && fail "mutant $1 changed nothing"
  cp "${tests[@]}" "$TMP/$1/tests/"
  if (cd "$TMP/$1" && promtool test rules tests/*.yml >"$TMP/$1.out" 2>&1); then
    fail "the rule tests pass on rules with $1"
  fi
}
mutant inverted 's/^          ucscan_check_success == 0$/          ucscan_check_success == 1/'
mutant renamed 's/alert: UcscanCheckFailed/alert: UcscanPortFailed/'
mutant no-hold 's/ucscan:check_success:held == 0/ucscan:check_success:held == 1/'
mutant no-warn-hold 's/ucscan:check_warns:held == 1/ucscan:check_warns:held == 0/'
mutant no-interface "s/{{ with \$labels.interface }}on the Edge's {{ . }} interface {{ end }}//"
ok "the rule tests refuse broken rules"

# ---- 3. scrape configuration -----------------------------------------------------------------
out=$(promtool check config "$EX/prometheus/prometheus.yml" 2>&1) || fail "promtool check config: $out"
assert_contains "SUCCESS" "$out"
ok "promtool check config: the scrape configuration and its rule file"

# ---- 4. names: used = written = documented ---------------------------------------------------
NAMES_PY='
import json, re, sys
src, ex = sys.argv[1], sys.argv[2]
written = set(re.findall(r"\"(ucscan_[a-z0-9_]+)\"", open(src + "/reports/prom.c").read()))
assert len(written) >= 10, written
doc = open(src + "/docs/report.md").read()
undocumented = sorted(n for n in written if n not in doc)
assert not undocumented, "written, not in docs/report.md: %s" % undocumented
files = [ex + "/prometheus/ucscan.rules.yml", ex + "/prometheus/prometheus.yml",
         ex + "/prometheus/grafana-dashboard.json"] + sys.argv[3:]
used = {}
for f in files:
    for n in re.findall(r"(?<![a-z_:])(ucscan_[a-z0-9_]+)", open(f).read()):
        used.setdefault(n, f)
unknown = {n: f for n, f in used.items() if n not in written}
assert not unknown, "not written by ucscan: %s" % unknown
for must in ("ucscan_check_success", "ucscan_check_verdict", "ucscan_scan_complete",
             "ucscan_scan_completed_timestamp_seconds",
             "ucscan_tls_certificate_not_after_timestamp_seconds"):
    assert must in used, "the examples do not use " + must
print("%d families written, %d used by the examples" % (len(written), len(used)))
'
out=$("$PY" -c "$NAMES_PY" "$SRC" "$EX" "${tests[@]}" 2>&1) || fail "series names: $out"
printf '%s\n' "$out"
ok "every series the examples use is one ucscan writes, and all are documented"

# ---- 5. the Grafana dashboard ----------------------------------------------------------------
DASH_PY='
import json, re, sys
d = json.load(open(sys.argv[1]))
assert d.get("uid") and d.get("title") and isinstance(d.get("panels"), list) and d["panels"]
assert isinstance(d.get("schemaVersion"), int)
names = {v["name"] for v in d["templating"]["list"]}
assert {"datasource", "topology", "vantage"} <= names, names
ids, queries = set(), 0
for p in d["panels"]:
    assert p["id"] not in ids, "panel id %s twice" % p["id"]
    ids.add(p["id"])
    assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
    g = p["gridPos"]
    assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, p["title"]
    for t in p["targets"]:
        assert t["expr"].strip(), p["title"]
        for var in re.findall(r"\$([a-z_]+)", t["expr"]):
            assert var in names, "undefined $%s in %r" % (var, p["title"])
        queries += 1
for v in d["templating"]["list"]:
    for var in re.findall(r"\$([a-z_]+)", json.dumps(v.get("query", ""))):
        assert var in names, "undefined $%s in variable %s" % (var, v["name"])
print("dashboard: %d panels, %d queries" % (len(ids), queries))
'
out=$("$PY" -c "$DASH_PY" "$EX/prometheus/grafana-dashboard.json" 2>&1) || fail "Grafana dashboard: $out"
printf '%s\n' "$out"
ok "the Grafana dashboard is valid JSON and a consistent dashboard"

# ---- 6. systemd units ------------------------------------------------------------------------
UNITS=$TMP/units
mkdir -p "$UNITS" "$TMP/man/man1"
cp "$SRC/docs/ucscan.1" "$TMP/man/man1/"
grep -q '^ExecStart=/usr/local/bin/ucscan scan ' "$EX/systemd/ucscan-scan@.service" ||
  fail "ucscan-scan@.service: ExecStart is not /usr/local/bin/ucscan scan ... (this test points it at the build)"
sed "s#/usr/local/bin/ucscan#$UCSCAN#" "$EX/systemd/ucscan-scan@.service" >"$UNITS/ucscan-scan@.service"
cp "$EX/systemd/ucscan-scan@.timer" "$UNITS/"
ln -s ucscan-scan@.service "$UNITS/ucscan-scan@contoso.service"
ln -s ucscan-scan@.timer "$UNITS/ucscan-scan@contoso.timer"
verify() { # prints what systemd-analyze says; status as its
  (cd "$1" && MANPATH=$TMP/man SYSTEMD_LOG_COLOR=0 systemd-analyze verify \
    ucscan-scan@contoso.service ucscan-scan@contoso.timer 2>&1)
}
out=$(verify "$UNITS") || fail "systemd-analyze verify: $out"
assert_eq "" "$out" "systemd-analyze verify output"
cp -r "$UNITS" "$TMP/bad"
sed -i 's/^SuccessExitStatus=1$/SuccessExitStatus=1\nAmbientCapability=CAP_NET_RAW/' "$TMP/bad/ucscan-scan@.service"
out=$(verify "$TMP/bad") || true
assert_contains "Unknown key" "$out" "systemd-analyze verify of a unit with a misspelt key"
ok "systemd-analyze verify: the service and timer as instance contoso"

# ---- 7. --push: a bad URL is bad usage, before anything is scanned -----------------------------
for url in "pg:9091" "ftp://pg" "http://user:pw@pg:9091" "http://pg:9091/metrics" "http://pg:70000" \
  "http://pg:9091/?x=1"; do
  err=$("$UCSCAN" scan --target 127.0.0.55 --ports tcp:9 --no-progress --push "$url" 2>&1 >/dev/null) &&
    rc=0 || rc=$?
  assert_eq 2 "$rc" "exit status of --push $url"
  assert_contains "ucscan scan: --push $url: " "$err"
done
ok "--push refuses malformed URLs with exit status 2"

# The options the unit passes (ExecStart, its Environment= defaults) and the ones its header
# tells to put in TOPOLOGY.env are options of `ucscan scan`
help=$("$UCSCAN" scan --help)
SVC=$EX/systemd/ucscan-scan@.service
exec_line=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$SVC")
opts_text=$exec_line$'\n'$(grep -E '^(Environment=|#   UCSCAN_)' "$SVC")
mapfile -t given < <(grep -oE -- '--[a-z][a-z-]*' <<<"$opts_text" | sort -u)
((${#given[@]} >= 6)) || fail "the unit gives too few options: $opts_text"
for o in "${given[@]}"; do
  grep -qE -- "^  $o( |$)" <<<"$help" ||
    fail "ucscan-scan@.service gives $o, which \`ucscan scan --help\` does not list"
done
ok "the unit's options (${given[*]}) are ucscan scan's"
# the topology's "vantage" is not overridden; a scanner without node_exporter still starts
if grep -qE -- '--from' <<<"$exec_line"; then fail "ExecStart passes --from: it overrides the topology's vantage"; fi
grep -qE -- '^ReadWritePaths=-/var/lib/prometheus/node-exporter$' "$SVC" ||
  fail "ReadWritePaths of the textfile directory must be optional (-): a push-only scanner has none"
grep -qE -- '\$UCSCAN_PROM( |$)' <<<"$exec_line" || fail "ExecStart does not take --prom from \$UCSCAN_PROM"
ok "ExecStart leaves the vantage to the topology, and --prom to UCSCAN_PROM (empty on a push-only scanner)"
echo "all passed"
