#!/usr/bin/env bash
# tests/e2e/test_outputs_table.sh: what an operator sees on a terminal (issue 16), with scans of
# listeners on 127.0.0.60-63 (loopback only; 127.0.0.64 is the name server: first one that never
# answers, then one that answers NXDOMAIN).
# Every run on a terminal goes through tests/e2e/lib/onterm.py, a pseudo-terminal of a set size.
#
#  1. A quick check of one port, as an admin types it (5061/tcp): on a terminal the table, not
#     JSON; the port written 5061/tcp; the ad hoc rule in the footer; a closed port passes, as a
#     range's closed ports do. Stdout that is not a terminal still gets the JSON report.
#  2. A range: its open ports as runs, a single port as "22", never "22-22".
#  3. Targets: an address range (127.0.0.61-63) while DNS fails (a name server that never
#     answers): the range is addresses, scanned, never asked of DNS; a --targets-file with a
#     block, a comment and a name; role ids in any case.
#  4. Widths: at 80 columns no line of the scan's table is wider; at 120 columns none of
#     `ucscan catalog --role mediation`; colours follow --color, NO_COLOR and TERM=dumb.
#  5. `ucscan merge` prints the same table (from the report document) on a terminal: the
#     reports it joined on top, each check's vantage, at 80 columns no line wider; JSON to a
#     pipe, as scan does; --fail-on warn makes a merged warning exit 1, as for scan.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/peers.sh
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:?set UCSCAN to the ucscan binary}
ok() { printf 'ok - %s\n' "$*"; }

ns_init table
PY=$(ns_python)
A=127.0.0.60
srv_tcp_listen - "$A" 22 80 81 5061
srv_tcp_listen - 127.0.0.62 5061
private_dns 127.0.0.64 # nothing listens there: every lookup fails, temporarily (EAI_AGAIN)
cd "$NS_TMP"

# onterm COLUMNS ARGS...: ucscan ARGS on a terminal of COLUMNS columns, with the private
# resolver; the output in term.out, without colours in term.txt; returns ucscan's status
onterm() {
  local cols=$1 rc=0
  shift
  "$PY" "$HERE/lib/onterm.py" "$cols" "${PRIVATE_DNS[@]}" "$UCSCAN" "$@" >term.out || rc=$?
  sed 's/\x1b\[[0-9;]*m//g' term.out >term.txt
  return "$rc"
}
# no_wider COLUMNS WHAT: no line of term.txt is wider than COLUMNS characters
no_wider() {
  local wide
  wide=$("$PY" -c 'import sys; n = int(sys.argv[1]); [print(len(l), l) for l in open("term.txt", encoding="utf-8").read().split("\n") if len(l) > n]' "$1")
  assert_eq "" "$wide" "$2: lines wider than $1 columns"
}

# ---- 1. a quick check ---------------------------------------------------------------------------
rc=0
onterm 100 scan --target "$A" --ports 5061/tcp,5062/tcp --no-progress || rc=$?
assert_eq 0 "$rc" "quick check: exit status ($(cat term.txt))"
[[ $(head -c 1 term.txt) != "{" ]] || fail "a quick check on a terminal printed JSON"
assert_match "pass +5061/tcp +tcp +open" "$(cat term.txt)" "the open port"
assert_match "pass +5062/tcp +tcp +closed +.*connection refused \(RST\)" \
  "$(cat term.txt)" "the closed port passes"
assert_contains "command-line: 1 host, 2 checks: 2 pass, 0 warn, 0 fail, 0 skip" "$(cat term.txt)"
assert_contains "Ad hoc --ports checks ask one question, of single ports and ranges alike" \
  "$(tr '\n' ' ' <term.txt)" "the rule in the footer"
# a script: stdout is no terminal, JSON as ever
rc=0
"${PRIVATE_DNS[@]}" "$UCSCAN" scan --target "$A" --ports 5061/tcp --no-progress >quick.json || rc=$?
assert_eq 0 "$rc" "quick check to a pipe: exit status"
assert_json quick.json .schema ucscan-report/1
assert_json quick.json '.hosts[0].checks[0].port' 5061
assert_json quick.json '.hosts[0].checks[0].transport' tcp
ok "a quick check of 5061/tcp: the table on a terminal (closed passes, the rule said), JSON elsewhere"

# ---- 2. a range: its open ports as runs, single ports as one number -------------------------------
rc=0
onterm 100 scan --target "$A" --ports tcp:20-90 --no-progress || rc=$?
assert_eq 0 "$rc" "range: exit status ($(cat term.txt))"
assert_match "open: 22 80-81" "$(cat term.txt)" "runs of open ports"
if grep -q "22-22" term.txt; then fail "a single port written as a run: $(grep 22-22 term.txt)"; fi
ok "a range's open ports: 22 80-81 (a run of one port is that port)"

# ---- 3. targets -------------------------------------------------------------------------------------
# an address range while DNS fails: addresses, never a name to look up
rc=0
"${PRIVATE_DNS[@]}" "$UCSCAN" scan --target 127.0.0.61-63 --ports 5061/tcp --no-progress \
  --out range.json 2>err.txt || rc=$?
assert_eq 0 "$rc" "--target 127.0.0.61-63 with DNS down: exit status ($(cat err.txt))"
assert_json range.json '.hosts|length' 3
assert_json range.json '.hosts[0].name' 127.0.0.61
assert_json range.json '.hosts[2].address' 127.0.0.63
assert_json range.json '.hosts[name=127.0.0.62].checks[0].state' open
assert_json range.json '.hosts[name=127.0.0.61].checks[0].state' closed
# a file: a block, a comment, a name (which DNS cannot resolve: said where it stands)
printf '# lab\n127.0.0.60/31  # two hosts\n127.0.0.62\n' >targets.txt
rc=0
"${PRIVATE_DNS[@]}" "$UCSCAN" scan --targets-file targets.txt --role EDGE --no-progress \
  --timeout 500 --out file.json 2>err.txt || rc=$?
assert_eq 1 "$rc" "--targets-file: exit status (edge ports mostly closed: $(cat err.txt))"
assert_json file.json '.hosts|length' 3
assert_json file.json '.hosts[1].name' 127.0.0.61
assert_json file.json '.hosts[0].roles' '["edge"]'
# a name that does not exist (a name server that says so, now on 127.0.0.64)
srv_peers - "dns-nxdomain@127.0.0.64:53"
printf '127.0.0.60\n  nosuch.ucscan.invalid\n' >names.txt
rc=0
"${PRIVATE_DNS[@]}" "$UCSCAN" scan --targets-file names.txt --ports 5061/tcp --no-progress \
  --out names.json 2>err.txt || rc=$?
assert_eq 2 "$rc" "a name that does not resolve: exit status"
assert_match '^ucscan: names\.txt:2:3: name "nosuch\.ucscan\.invalid" does not resolve' \
  "$(cat err.txt)" "where the name stands"
ok "targets: 127.0.0.61-63 scanned while DNS is down; a file with a block and a comment"

# ---- 4. widths and colours ---------------------------------------------------------------------------
rc=0
onterm 80 scan --target 127.0.0.60-63 --role director,edge --no-progress --timeout 500 --retries 0 || rc=$?
assert_eq 1 "$rc" "director and edge roles on four hosts: exit status"
no_wider 80 "scan --role director,edge at 80 columns"
grep -q $'\x1b\\[1;31mfail' term.out || fail "no red fail on a terminal"
assert_match "fail +444/tcp +https +closed" "$(cat term.txt)" "a failing row"
onterm 120 catalog --role mediation || fail "catalog at 120 columns: exit status"
no_wider 120 "catalog --role mediation"
assert_match "  id sfb2015-front-end-collocated-mediation-5070-tcp" "$(cat term.txt)" "ids kept whole"
assert_match "persistent-chat" "$(cat term.txt)" "roles not cut"
if grep -q 'persiste\.\.\.' term.txt; then fail "a role cut: $(grep 'persiste\.\.\.' term.txt)"; fi
onterm 80 catalog --role mediation || fail "catalog at 80 columns: exit status"
no_wider 80 "catalog --role mediation"
NO_COLOR=1 onterm 80 scan --target "$A" --ports tcp:9 --no-progress || true
if grep -q $'\x1b\\[' term.out; then fail "NO_COLOR: colours"; fi
TERM=dumb onterm 80 scan --target "$A" --ports tcp:9 --no-progress || true
if grep -q $'\x1b\\[' term.out; then fail "TERM=dumb: colours"; fi
onterm 80 scan --target "$A" --ports tcp:9 --no-progress --color never || true
if grep -q $'\x1b\\[' term.out; then fail "--color never: colours"; fi
NO_COLOR=1 "${PRIVATE_DNS[@]}" "$UCSCAN" scan --target "$A" --ports tcp:9 --no-progress \
  --format table --color always >always.txt || true
grep -q $'\x1b\\[32mpass' always.txt || fail "--color always: no colours in a file"
COLUMNS=80 "${PRIVATE_DNS[@]}" "$UCSCAN" scan --target 127.0.0.60-63 --role director,edge \
  --no-progress --timeout 500 --retries 0 --format table >term.txt || true
no_wider 80 "COLUMNS=80, to a file"
"${PRIVATE_DNS[@]}" "$UCSCAN" scan --target 127.0.0.60-63 --role director,edge --no-progress \
  --timeout 500 --retries 0 --format table >term.txt || true
"$PY" -c 'import sys; sys.exit(0 if max(map(len, open("term.txt").read().split("\n"))) > 100 else 1)' ||
  fail "to a file without COLUMNS: whole lines expected"
ok "widths: scan at 80 and catalog at 120 and 80 fit; colours follow --color, NO_COLOR, TERM"

# ---- 5. merge: the same table ------------------------------------------------------------------
for v in servers internet; do
  "${PRIVATE_DNS[@]}" "$UCSCAN" scan --target 127.0.0.60-61 --role director,edge --from "$v" \
    --no-progress --timeout 500 --retries 0 --out "$v.json" >/dev/null 2>&1 || true
  [[ -s $v.json ]] || fail "scan --from $v wrote no report"
done
rc=0
onterm 80 merge servers.json internet.json || rc=$?
assert_eq 1 "$rc" "merge of two vantages with failures: exit status ($(cat term.txt))"
[[ $(head -c 1 term.txt) != "{" ]] || fail "merge on a terminal printed JSON"
no_wider 80 "merge at 80 columns"
assert_match "merged from 2 reports: servers \(servers\.json\), +internet +\(internet\.json\)" \
  "$(tr '\n' ' ' <term.txt)" "the inputs on top"
assert_match "fail +444/tcp +https +closed" "$(cat term.txt)" "a failing row, as scan prints it"
assert_match "FROM" "$(cat term.txt)" "the vantage column"
"$UCSCAN" merge servers.json internet.json >merged.json 2>/dev/null || true
assert_json merged.json .schema ucscan-report/1
# --fail-on warn, as scan has it: a merged warning exits 1 and is a JUnit failure
"$PY" - "$HERE/../data/merge/servers.json" warn.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["hosts"][0]["checks"][0]
c["verdict"], c["reason"] = "warn", "certificate expires 2026-12-20 (10 days left)"
json.dump(r, open(sys.argv[2], "w"))
PY
rc=0
"$UCSCAN" merge warn.json >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "merge of a report with a warning: exit status"
rc=0
"$UCSCAN" merge warn.json --fail-on warn --format junit >junit.xml 2>/dev/null || rc=$?
assert_eq 1 "$rc" "merge --fail-on warn of a report with a warning: exit status"
grep -q 'type="warn"' junit.xml || fail "merge --fail-on warn: no JUnit failure for the warning"
ok "merge: the table on a terminal at 80 columns, JSON to a pipe; --fail-on warn"
