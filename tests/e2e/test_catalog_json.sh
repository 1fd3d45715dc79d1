#!/usr/bin/env bash
# tests/e2e/test_catalog_json.sh: `ucscan catalog` as a user runs it. No network: the one scan
# plans only client rows, which are outbound or not probeable, so nothing is sent.
#
#  1. `catalog --json` is a catalog file: the whole built-in catalog written out and given back
#     with --catalog ("mode": "replace") prints the same JSON byte for byte and the same table;
#  2. a selection (--product, --role) loads back alone, with the rows it selected;
#  3. `scan --catalog` takes it too: a scan with the written catalog reports what a scan with
#     the built-in one reports;
#  4. the table shows each row's vantages (FROM) and Edge interface (IFACE), and marks the
#     outbound rows as not probed from here.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"

UCSCAN=${UCSCAN:?set UCSCAN to the ucscan binary}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ucscan-catjson.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ok() { printf 'ok - %s\n' "$*"; }

# ---- 1. the whole catalog, out and back in ---------------------------------------------------
"$UCSCAN" catalog --json >"$TMP/all.json"
assert_json "$TMP/all.json" .schema ucscan-catalog/1
assert_json "$TMP/all.json" .mode replace
"$UCSCAN" catalog --catalog "$TMP/all.json" --json >"$TMP/again.json"
cmp -s "$TMP/all.json" "$TMP/again.json" ||
  fail "catalog --json differs after --catalog: $(diff "$TMP/all.json" "$TMP/again.json" | head -5)"
"$UCSCAN" catalog >"$TMP/builtin.txt"
"$UCSCAN" catalog --catalog "$TMP/all.json" >"$TMP/loaded.txt"
cmp -s "$TMP/builtin.txt" "$TMP/loaded.txt" ||
  fail "the table differs after --catalog: $(diff "$TMP/builtin.txt" "$TMP/loaded.txt" | head -5)"
# ranges are written as the loader reads them
assert_contains '"ports": "57501-65535"' "$(cat "$TMP/all.json")"
n_all=$(tail -n 1 "$TMP/builtin.txt")
assert_match '^[0-9]+ rows$' "$n_all"
ok "catalog --json loads back with --catalog: the same JSON and the same table ($n_all)"

# ---- 2. a selection --------------------------------------------------------------------------
"$UCSCAN" catalog --json --product sfb2015 --role edge >"$TMP/edge.json"
n_edge=$("$UCSCAN" catalog --product sfb2015 --role edge | tail -n 1)
assert_eq "$n_edge" "$("$UCSCAN" catalog --catalog "$TMP/edge.json" | tail -n 1)" \
  "the sfb2015 Edge rows alone"
assert_ne "$n_all" "$n_edge" "a selection is not the whole catalog"
ok "a selection loads back alone ($n_edge)"

# ---- 3. scan --catalog -----------------------------------------------------------------------
scan_checks() { # the report's checks without times
  "$UCSCAN" scan --target 127.0.0.50 --role client --no-progress --out "$TMP/r.json" "$@" ||
    fail "scan $* exited $?"
  "$(_as_python)" - "$TMP/r.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
for h in rep["hosts"]:
    for c in h["checks"]:
        print(c["port"], c["range"] and (c["range"]["first"], c["range"]["last"]), c["transport"],
              c["verdict"], c["reason"], [r["id"] for r in c["requirements"]])
PY
}
want=$(scan_checks)
got=$(scan_checks --catalog "$TMP/all.json")
assert_eq "$want" "$got" "client checks with the written catalog"
assert_contains "sfb2015-client-web-conferencing-443-tcp" "$got"
ok "scan --catalog takes the written catalog: the same checks"

# ---- 4. the table: vantages, interfaces, outbound rows ---------------------------------------
"$UCSCAN" catalog --product sfb2015 --role edge >"$TMP/edge.txt"
head -n 2 "$TMP/edge.txt" | tail -n 1 | grep -q ' FROM  *IFACE ' || fail "no FROM/IFACE columns"
assert_match 'sfb2015-edge-external-webconf-psom-443-tcp-in .* internet +webconf +Web Conferencing Edge' \
  "$(cat "$TMP/edge.txt")"
assert_match 'sfb2015-edge-internal-web-conferencing-8057-tcp-in .* servers +internal ' \
  "$(cat "$TMP/edge.txt")"
assert_match 'sfb2015-edge-external-access-dns-53-udp-out .*\[outbound: not probed from here\]' \
  "$(cat "$TMP/edge.txt")"
if grep '^sfb2015-edge-.*-in ' "$TMP/edge.txt" | grep -q 'not probed from here'; then
  fail "an inbound row is marked not probed"
fi
assert_match 'lync2013-front-end-5061-tcp .* servers,clients +- ' \
  "$("$UCSCAN" catalog --product lync2013 --role front-end)"
ok "the table shows FROM and IFACE, and marks outbound rows"
