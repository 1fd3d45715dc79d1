#!/usr/bin/env bash
# tests/e2e/test_outputs_diff.sh: `ucscan diff` on two real scans of loopback listeners, before
# and after the kind of change a scheduled scan must catch, and on bad input.
# Needs root (the e2e library's namespace bookkeeping); uses 127.0.0.43 only.
#
#  monday:  443/tcp TLS with certificate A (10 days left: warn), 5061/tcp MTLS up (pass),
#           5269/tcp closed (fail)
#  tuesday: 443/tcp certificate B (renewed, 400 days: pass), 5061/tcp down (fail),
#           5269/tcp closed (fail, no news)
#
#  1. diff monday tuesday: exit 1; 5061/tcp a regression; 443/tcp improved, with the
#     certificate replaced and its expiry moved by about 390 days; 5269 not listed;
#     the table puts the regression first; the JSON is stable (same bytes twice);
#  2. diff tuesday monday: exit 0 (a recovery and a degradation are no regression);
#  3. bad input, exit 2 with file:line:column: invalid JSON, another schema version, another
#     topology (and with --force: compared, exit 1), a missing file, bad usage.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$HERE/lib/servers.sh"

UCSCAN=${UCSCAN:?set UCSCAN to the ucscan binary}
ok() { printf 'ok - %s\n' "$*"; }

ns_init outputsdiff
EDGE=127.0.0.43
PKI=$NS_TMP/pki
TOPO=$NS_TMP/topology.json
cat >"$TOPO" <<EOF
{"name": "diff-e2e", "product": "sfb2015", "hosts": [
  {"name": "edge01.contoso.test", "address": "$EDGE", "roles": ["edge"], "pool": "sip.contoso.test"}
]}
EOF
# (scaled on slow runs, one retry: a TLS handshake under valgrind on a busy machine can
# outlast one deadline; closed ports answer at once, and a diff does not compare attempts)
SCAN=(scan --topology "$TOPO" --timeout $((1500 * ${UC_E2E_SLOW:-1})) --retries 1 --no-progress)
MON=$NS_TMP/monday.json
TUE=$NS_TMP/tuesday.json

mkcert "$PKI" certA --san edge01.contoso.test --days 10
srv_tls - "$EDGE" 443 "$MKCERT_CRT" "$MKCERT_KEY"
TLS443=$SRV_PID
mkcert "$PKI" mtls --san sip.contoso.test --days 400
srv_tls - "$EDGE" 5061 "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
MTLS=$SRV_PID
assert_exit 1 "$UCSCAN" "${SCAN[@]}" --out "$MON"
assert_json "$MON" '.hosts[0].checks[port=443].verdict' warn
assert_json "$MON" '.hosts[0].checks[port=5061].verdict' pass

srv_stop "$MTLS"
srv_stop "$TLS443"
mkcert "$PKI" certB --san edge01.contoso.test --days 400
srv_tls - "$EDGE" 443 "$MKCERT_CRT" "$MKCERT_KEY"
assert_exit 1 "$UCSCAN" "${SCAN[@]}" --out "$TUE"
assert_json "$TUE" '.hosts[0].checks[port=443].verdict' pass
assert_json "$TUE" '.hosts[0].checks[port=5061].verdict' fail
ok "two scans, before and after"

# ---- 1. what changed --------------------------------------------------------------------------
assert_exit 1 "$UCSCAN" diff --format json "$MON" "$TUE" >"$NS_TMP/diff.json"
D=$NS_TMP/diff.json
assert_json "$D" .schema ucscan-diff/1
assert_json "$D" .regressed true
assert_json "$D" .summary.regression 1
assert_json "$D" .summary.improved 1
assert_json "$D" '.changes[0].check' 5061/tcp
assert_json "$D" '.changes[0].category' regression
assert_json "$D" '.changes[0].old.verdict' pass
assert_json "$D" '.changes[0].new.verdict' fail
assert_json "$D" '.changes[check=443/tcp].category' improved
assert_json "$D" '.changes[check=443/tcp].changes[what=certificate_replaced].old.subject' CN=certA
assert_json "$D" '.changes[check=443/tcp].changes[what=certificate_replaced].new.subject' CN=certB
days=$(json_get "$D" '.changes[check=443/tcp].changes[what=certificate_expiry].days')
((days >= 389 && days <= 391)) || fail "expiry moved by $days days, expected about 390"
if json_get "$D" '.changes[check=5269/tcp]' >/dev/null 2>&1; then
  fail "5269/tcp failed both days and is listed"
fi
table=$("$UCSCAN" diff "$MON" "$TUE") && rc=0 || rc=$?
assert_eq 1 "$rc" "table diff exit status"
printf '%s\n' "$table"
assert_match $'\n  regression  5061/tcp +mtls +pass -> fail ' "$table" "regression line"
assert_contains "expiry moved: " "$table"
assert_contains "REGRESSED" "$table"
reg=${table%%regression  5061*}
imp=${table%%improved    443*}
((${#reg} < ${#imp})) || fail "the regression is not listed before the improvement"
"$UCSCAN" diff --format json "$MON" "$TUE" >"$NS_TMP/diff2.json" || true
cmp -s "$D" "$NS_TMP/diff2.json" || fail "two runs of the same diff differ"
ok "diff finds the regression and the certificate change, exit 1"

# ---- 2. the way back is no regression ---------------------------------------------------------
assert_exit 0 "$UCSCAN" diff --format json "$TUE" "$MON" >"$NS_TMP/back.json"
assert_json "$NS_TMP/back.json" '.changes[check=5061/tcp].category' recovered
assert_json "$NS_TMP/back.json" '.changes[check=443/tcp].category' degraded
assert_json "$NS_TMP/back.json" .regressed false
assert_exit 0 "$UCSCAN" diff "$MON" "$MON" >/dev/null
ok "a recovery and a degradation exit 0"

# ---- 3. bad input -----------------------------------------------------------------------------
# bad EXPECTED_STDERR_REGEX ARGS...: exit 2, the message matches
bad() {
  local want=$1 err rc
  shift
  err=$("$UCSCAN" diff "$@" 2>&1 >/dev/null) && rc=0 || rc=$?
  assert_eq 2 "$rc" "exit status of ucscan diff $*"
  assert_match "$want" "$err" "message of ucscan diff $*"
}
printf '{\n  "schema": "ucscan-report/1",\n  "hosts": [,]\n}\n' >"$NS_TMP/broken.json"
bad "broken\.json:3:13: invalid JSON" "$MON" "$NS_TMP/broken.json"
sed 's/"ucscan-report\/1"/"ucscan-report\/2"/' "$TUE" >"$NS_TMP/v2.json"
bad "v2\.json:2:13: report schema \"ucscan-report/2\" is not supported" "$MON" "$NS_TMP/v2.json"
sed 's/"topology": "diff-e2e"/"topology": "elsewhere"/' "$TUE" >"$NS_TMP/other.json"
bad "other\.json:[0-9]+:[0-9]+: topology \"elsewhere\" .*--force" "$MON" "$NS_TMP/other.json"
assert_exit 1 "$UCSCAN" diff --force "$MON" "$NS_TMP/other.json" >/dev/null
bad "no/such\.json: cannot open" "$MON" "$NS_TMP/no/such.json"
bad "give two reports" "$MON"
bad "exactly two reports" "$MON" "$TUE" "$TUE"
bad "unknown format \"xml\"" --format xml "$MON" "$TUE"
bad "unknown option --frobnicate" --frobnicate "$MON" "$TUE"
ok "bad input exits 2 with the place"
echo "all passed"
