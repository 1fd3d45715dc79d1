#!/usr/bin/env bash
# e2e (issue 6, bad input): malformed, truncated, huge (100 MB), binary and deeply nested
# topology and catalog files; unknown keys and roles; duplicate hosts; bad --ports specs (whose
# suggestions must themselves be accepted); misspelt options, roles, products and choices
# ("did you mean"); target blocks, ranges and files that are wrong or too big; names that do
# not resolve; --out paths that cannot be written. Every case must print one clear
# message (file:line:column where the input has a position), exit with status 2, never crash,
# and scan nothing: the target is a set of listeners on 127.0.0.35 that log every connection
# and datagram, and they must stay silent until the final, valid scan (which they do see).
#
# Name resolution never leaves the machine: the scanner runs in a private mount namespace
# (unshare -m) whose /etc/resolv.conf names a DNS peer on 127.0.0.35 that answers NXDOMAIN.
# Loopback 127.0.0.35 only (no namespaces needed).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
T=127.0.0.35

ns_init
# the Director role's ports, counted
srv_peers - "count@$T:445" "count@$T:444" "count@$T:5060" "count@$T:5061" \
  "count-udp@$T:1434" "dns-nxdomain@$T:53"
plog=$SRV_LOG
private_dns "$T"

D=$NS_TMP/in
mkdir -p "$D"
cd "$D"
good="{\"name\": \"bad-input\", \"hosts\": [
  {\"name\": \"dir01.contoso.test\", \"address\": \"$T\", \"roles\": [\"director\"]}]}"
printf '%s\n' "$good" >good.json

# run ucscan with the private resolver; prints stderr, returns the exit status
scan() {
  "${PRIVATE_DNS[@]}" "$UCSCAN" scan --no-progress --timeout 300 "$@" >"$NS_TMP/stdout" 2>"$NS_TMP/stderr"
}
# expect WHAT REGEX ARGS...: exit 2, one line on stderr matching REGEX, nothing on stdout
n_cases=0
expect() {
  local what=$1 re=$2 rc=0 msg
  shift 2
  scan "$@" || rc=$?
  msg=$(cat "$NS_TMP/stderr")
  assert_eq 2 "$rc" "$what: exit status (stderr: $msg)"
  assert_match "$re" "$msg" "$what: message"
  assert_eq "" "$(cat "$NS_TMP/stdout")" "$what: stdout"
  [[ ! -e $D/out.json ]] || fail "$what: a report was written"
  n_cases=$((n_cases + 1))
}

# --- topology files --------------------------------------------------------------------------
printf '%s' "$good" | head -c 60 >truncated.json
printf '{"name": "x", "hosts": [\n  {"name": "a.test", "address": "%s", "roles": ["director"],}\n]}\n' $T >malformed.json
head -c 3000 /dev/urandom >binary.json
printf '{"name": "x",\0 "hosts": []}' >nul.json
truncate -s 100M huge.json
printf '{"name": "\xff\xfe\xc3\x28"}' >utf8.json
printf '\xff\xfe{\x00"\x00h\x00' >utf16.json # what PowerShell 5.1's > writes
"$(ns_python)" -c "print('[' * 100000)" >deep.json
: >empty.json
printf '[1, 2, 3]\n' >array.json
printf '{"name": "x", "hosts": [\n  {"name": "a.test", "address": "%s", "roles": ["frontend"]}\n]}\n' $T >role.json
printf '{"name": "x", "hosts": [\n  {"name": "a.test", "address": "%s", "roles": ["director"]},\n  {"name": "a.test", "address": "127.0.0.36", "roles": ["edge"]}\n]}\n' $T >dup.json
printf '{"name": "x", "hosts": [\n  {"name": "a.test", "address": "%s", "roles": ["director"]},\n  {"name": "b.test", "address": "%s", "roles": ["edge"]}\n]}\n' $T $T >dupaddr.json
printf '{"name": "x", "hosts": [\n  {"name": "a.test", "adress": "%s", "roles": ["director"]}\n]}\n' $T >key.json
printf '{"name": "x", "hosts": [\n  {"name": "a.test", "address": "127.0.0.350", "roles": ["director"]}\n]}\n' >addr.json
printf '{"name": "x", "hosts": [\n  {"name": "a.test", "address": "%s", "roles": "director"}\n]}\n' $T >roles-type.json
printf '{"name": "x", "hosts": []}\n' >nohosts.json

expect "truncated topology" '^ucscan: truncated\.json:2:[0-9]+: invalid JSON: premature end of input' --topology truncated.json --out out.json
expect "malformed topology" '^ucscan: malformed\.json:2:[0-9]+: invalid JSON: ' --topology malformed.json --out out.json
expect "binary topology" '^ucscan: binary\.json:[0-9]+:[0-9]+: (binary data|invalid JSON)' --topology binary.json --out out.json
expect "NUL in a topology" '^ucscan: nul\.json:1:14: binary data \(NUL byte\) in a JSON file$' --topology nul.json --out out.json
expect "100 MB topology" '^ucscan: huge\.json: file too large \(104857600 bytes; the limit is 16777216\)$' --topology huge.json --out out.json
expect "100 MB topology on a pipe" '^ucscan: /dev/fd/[0-9]+: file too large \(more than 16777216 bytes\)$' --topology <(head -c 100M /dev/zero) --out out.json
expect "invalid UTF-8" '^ucscan: utf8\.json:1(:[0-9]+)?: invalid JSON: unable to decode byte 0xff' --topology utf8.json --out out.json
expect "UTF-16" '^ucscan: utf16\.json:1:1: UTF-16 text .*save it as UTF-8' --topology utf16.json --out out.json
expect "100000 nested arrays" '^ucscan: deep\.json:1:[0-9]+: invalid JSON: maximum parsing depth reached' --topology deep.json --out out.json
expect "empty topology" '^ucscan: empty\.json:1:1: ' --topology empty.json --out out.json
expect "topology not an object" '^ucscan: array\.json:1:1: ' --topology array.json --out out.json
expect "unknown role" '^ucscan: role\.json:2:[0-9]+: unknown role "frontend"' --topology role.json --out out.json
expect "duplicate host" '^ucscan: dup\.json:3:[0-9]+: duplicate host "a\.test"' --topology dup.json --out out.json
expect "duplicate address" '^ucscan: dupaddr\.json:3:[0-9]+: address 127\.0\.0\.35 is also host "a\.test"' --topology dupaddr.json --out out.json
expect "unknown key" '^ucscan: key\.json:2:[0-9]+: unknown key "adress"' --topology key.json --out out.json
expect "bad address" '^ucscan: addr\.json:2:[0-9]+: "127\.0\.0\.350" is not an IPv4 or IPv6 address$' --topology addr.json --out out.json
expect "roles not an array" '^ucscan: roles-type\.json:2:[0-9]+: ' --topology roles-type.json --out out.json
expect "no hosts" '^ucscan: nohosts\.json:1:[0-9]+: "hosts" is empty' --topology nohosts.json --out out.json
expect "missing topology" '^ucscan: missing\.json: cannot open: No such file or directory$' --topology missing.json --out out.json
expect "topology is a directory" "^ucscan: $D: is a directory, not a file\$" --topology "$D" --out out.json

# --- catalog files ---------------------------------------------------------------------------
row='"products": ["sfb2015"], "roles": ["director"], "seed_role": "x", "service": "x", "transport": ["tcp"], "protocol": "tcp", "seed_protocol": "tcp", "direction": "inbound", "peer": "Any", "optional": false, "probe": true, "note": "", "source": {"file": "x", "table": "t", "row": 1}'
printf '{"schema": "ucscan-catalog/1", "tables": [{"id": "t", "title": "t", "title_en": "t", "rows": [\n {"id": "x-0-tcp", "port": 0, %s}]}]}\n' "$row" >cat-port.json
printf '{"schema": "ucscan-catalog/1", "tables": [{"id": "t", "title": "t", "title_en": "t", "rows": [\n {"id": "sfb2015-director-5061-tcp", "port": 5061, %s}]}]}\n' "$row" >cat-dupid.json
printf '{"schema": "ucscan-catalog/1", "tables": [{"id": "t", "title": "t", "title_en": "t", "rows": [\n {"id": "x-1-tcp", "port": 1, %s}]}]}\n' "${row/\"director\"/\"nosuchrole\"}" >cat-role.json
printf '{"schema": "ucscan-catalog/1", "colour": "blue"}\n' >cat-key.json
printf '{"schema": "ucscan-catalog/2"}\n' >cat-schema.json
expect "truncated catalog" '^ucscan: truncated\.json:2:[0-9]+: invalid JSON: premature end of input' --topology good.json --catalog truncated.json --out out.json
expect "binary catalog" '^ucscan: binary\.json:[0-9]+:[0-9]+: ' --topology good.json --catalog binary.json --out out.json
expect "100 MB catalog" '^ucscan: huge\.json: file too large' --topology good.json --catalog huge.json --out out.json
expect "deep catalog" '^ucscan: deep\.json:1:[0-9]+: invalid JSON: maximum parsing depth reached' --topology good.json --catalog deep.json --out out.json
expect "catalog row port 0" '^ucscan: cat-port\.json:2:[0-9]+: "port" must be a number from 1 to 65535$' --topology good.json --catalog cat-port.json --out out.json
expect "catalog duplicate row id" '^ucscan: cat-dupid\.json:2:[0-9]+: duplicate row id "sfb2015-director-5061-tcp"$' --topology good.json --catalog cat-dupid.json --out out.json
expect "catalog unknown role" '^ucscan: cat-role\.json:2:[0-9]+: unknown role "nosuchrole"$' --topology good.json --catalog cat-role.json --out out.json
expect "catalog unknown key" '^ucscan: cat-key\.json:1:[0-9]+: unknown key "colour"' --topology good.json --catalog cat-key.json --out out.json
expect "catalog schema" '^ucscan: cat-schema\.json:1:[0-9]+: unsupported schema' --topology good.json --catalog cat-schema.json --out out.json

# --- command line ----------------------------------------------------------------------------
expect "tcp:0" '^ucscan: --ports: column 5: port 0 is out of range \(1-65535\)$' --target $T --ports tcp:0 --out out.json
expect "tcp:70000" '^ucscan: --ports: column 5: port 70000 is out of range \(1-65535\)$' --target $T --ports tcp:70000 --out out.json
expect "tcp:5-1" '^ucscan: --ports: column 5: range 5-1 runs backwards \(write 1-5\); did you mean --ports tcp:1-5\?$' --target $T --ports tcp:5-1 --out out.json
expect "udp:" '^ucscan: --ports: column 5: expected a port number after "udp:"$' --target $T --ports udp: --out out.json
expect "tcp:80,,81" '^ucscan: --ports: column 8: empty item in the port list; did you mean --ports tcp:80,81\?$' --target $T --ports tcp:80,,81 --out out.json
expect "sctp:1" '^ucscan: --ports: column 1: unknown transport "sctp" \(tcp or udp\)$' --target $T --ports sctp:1 --out out.json
expect "unknown --role" '^ucscan: --role: column 1: unknown role "frontend" \(did you mean front-end\?\)$' --target $T --role frontend --out out.json
expect "misspelt --role" '^ucscan: --role: column 6: unknown role "directr" \(did you mean director\?\)$' --target $T --role edge,directr --out out.json
expect "no role near" '^ucscan: --role: column 1: unknown role "x" \(roles: front-end, .*client\)$' --target $T --role x --out out.json
expect "misspelt --product" '^ucscan: --product: unknown product "sfb2016" \(did you mean sfb2015\?\)$' --target $T --role director --product sfb2016 --out out.json
expect "misspelt option" '^ucscan scan: unknown option --topolgy \(did you mean --topology\?\)' --topolgy good.json --out out.json
expect "misspelt --format" '^ucscan scan: unknown format "jsn" \(json, table, junit, prometheus, csv or html\); did you mean json\?' --topology good.json --format jsn --out out.json
expect "a --format choice" '^ucscan scan: unknown format "xml" \(json, table, junit, prometheus, csv or html\)' --topology good.json --format xml --out out.json
expect "a --from choice" '^ucscan scan: unknown vantage "intranet" for --from \(servers, clients, internet, reverse-proxy, pstn or any\); did you mean internet\?' --topology good.json --from intranet --out out.json
expect "--timeout not a number" '^ucscan scan: --timeout: "2s" is not a number from 1 to 600000' --topology good.json --timeout 2s --out out.json
expect "an abbreviated option" '^ucscan scan: unknown option --tim \(options are not abbreviated: --timeout\)' --target $T --role director --tim 300 --out out.json
expect "an abbreviated option" '^ucscan scan: unknown option --no-prog \(options are not abbreviated: --no-progress\)' --target $T --role director --no-prog --out out.json
expect "an abbreviated option=value" '^ucscan scan: unknown option --tim \(options are not abbreviated: --timeout\)' --target $T --role director --tim=300 --out out.json
expect "--target twice (the last one would win)" '^ucscan scan: --target given twice \(give one list, with commas\)' --target $T --target 127.0.0.1 --role director --out out.json
expect "--role twice" '^ucscan scan: --role given twice' --target $T --role director --role edge --out out.json
expect "target twice" '^ucscan: --target: column 12: target "127\.0\.0\.35" given twice$' --target $T,$T --role director --out out.json

# HOST:PORT alone: the port it names is said before "needs --role or --ports"
expect "--target host:port alone" '^ucscan: --target: column 1: "127\.0\.0\.35:5061" names a port: give the host here and the port with --ports \(did you mean --target 127\.0\.0\.35 --ports 5061/tcp\?\)$' --target $T:5061 --out out.json
expect "--target [v6]:port alone" '^ucscan: --target: column 1: "\[::1\]:5061" names a port: .*did you mean --target ::1 --ports 5061/tcp\?\)$' --target '[::1]:5061' --out out.json

# --- port specs: the suggestion must itself be accepted -------------------------------------
# expect_fix WHAT SPEC REGEX: refused with REGEX, ending "did you mean --ports FIX?"; then FIX
# must pass the parser (the scan then stops at the --out check, before anything is sent).
expect_fix() {
  local what=$1 spec=$2 re=$3 fix rc=0
  expect "$what" "$re; did you mean --ports [^ ]+\\?\$" --target $T --ports "$spec" --out out.json
  fix=$(sed -n 's/.*; did you mean --ports \([^ ]*\)?$/\1/p' "$NS_TMP/stderr")
  scan --target $T --ports "$fix" --out /nonexistent-dir/out.json || rc=$?
  assert_eq 2 "$rc" "$what: the suggestion $fix"
  assert_match '^ucscan: /nonexistent-dir/out\.json' "$(cat "$NS_TMP/stderr")" "$what: the suggestion $fix is accepted"
}
expect_fix "tcp5061" tcp5061 '^ucscan: --ports: column 1: "tcp5061": write the transport, a colon, then the port'
expect_fix "5061:tcp" 5061:tcp '^ucscan: --ports: column 1: "5061:tcp": the transport goes before the port with a colon \(tcp:5061\) or after it with a slash \(5061/tcp\)'
expect_fix "5061tcp" 5061tcp '^ucscan: --ports: column 5: "5061tcp": a slash goes between the port and the transport'
expect_fix "no transport" 5061,5062 '^ucscan: --ports: column 1: say which transport first: tcp:5061 or 5061/tcp \(udp:5061, 5061/udp\)'
expect_fix "80/tcp,443" 80/tcp,443 '^ucscan: --ports: column 8: say which transport "443" is: a /tcp after a port is for that port only \(write 443/tcp, or tcp: before a list\)'
expect_fix "tpc:80" tpc:80 '^ucscan: --ports: column 1: unknown transport "tpc" \(tcp or udp\)'
expect_fix "5061/tpc" 5061/tpc '^ucscan: --ports: column 6: unknown transport "tpc" \(tcp or udp\)'
expect_fix "tcp:5-1,udp:9" tcp:5-1,udp:9 '^ucscan: --ports: column 5: range 5-1 runs backwards \(write 1-5\)'
expect_fix "tcp:5061/tcp" tcp:5061/tcp '^ucscan: --ports: column 1: "tcp:5061/tcp" gives its transport twice: write tcp:5061 or 5061/tcp'
expect_fix "5061/tc" 5061/tc '^ucscan: --ports: column 6: unknown transport "tc" \(tcp or udp\)'
expect_fix "5061/t" 5061/t '^ucscan: --ports: column 6: unknown transport "t" \(tcp or udp\)'
expect_fix "5061/tcp,udp" 5061/tcp,udp '^ucscan: --ports: column 10: "udp" is a transport with no port: each item after a comma names its own port \(write 5061/udp, or 5061/tcp\+udp for both\)'
expect_fix "tcp:*" 'tcp:*' '^ucscan: --ports: column 5: "\*" is no port number: every port is the range 1-65535'
expect_fix "tcp:all" tcp:all '^ucscan: --ports: column 5: "all" is no port number: every port is the range 1-65535'
# accepted: both transports as `ucscan catalog` prints them, nmap's T: and U:
for spec in 49152-57500/tcp+udp T:5061,U:3478; do
  rc=0
  scan --target $T --ports "$spec" --out /nonexistent-dir/out.json || rc=$?
  assert_eq 2 "$rc" "--ports $spec"
  assert_match '^ucscan: /nonexistent-dir/out\.json' "$(cat "$NS_TMP/stderr")" "--ports $spec is accepted"
done
# nmap's -p: the --ports it stands for, itself accepted
expect "-p 5061" '^ucscan scan: unknown option -p \(ucscan.s options are long: did you mean --ports 5061/tcp\?\)' -p 5061 --target $T --out out.json

# --- targets: blocks, ranges and files, refused before anything is resolved or sent --------
expect "a block too big" '^ucscan: --target: column 1: "10\.0\.0\.0/8" expands to 16777214 hosts; a scan takes at most 4096 in all: give a longer prefix' --target 10.0.0.0/8 --role director --out out.json
expect "blocks too big together" '^ucscan: --target: column 16: "198\.18\.64\.0/20" expands to 4094 hosts; a scan takes at most 4096 in all \(with the targets before it\)' --target 198.18.60.0/29,198.18.64.0/20 --ports tcp:1 --out out.json
expect "a range backwards" '^ucscan: --target: column 1: "127\.0\.0\.20-10" runs backwards \(write 127\.0\.0\.10-20\)$' --target 127.0.0.20-10 --role director --out out.json
expect "a range past 255" '^ucscan: --target: column 1: "127\.0\.0\.20-300": the range.s last byte must be a number from 0 to 255$' --target 127.0.0.20-300 --role director --out out.json
expect "a prefix too long" '^ucscan: --target: column 12: "127\.0\.0\.0/33": the prefix length must be a number from 0 to 32$' --target $T,127.0.0.0/33 --role director --out out.json
expect "a multicast block" '^ucscan: --target: column 1: "224\.0\.0\.0/30": "224\.0\.0\.1" is a multicast address' --target 224.0.0.0/30 --role director --out out.json
printf '# lab hosts\n%s\n\n  127.0.0.36  # the second\nnot a host!\n' $T >targets.txt
expect "a bad line in --targets-file" '^ucscan: targets\.txt:5:1: "not a host!" is not a host name, an address, a block' --targets-file targets.txt --role director --out out.json
printf '# nothing\n\n' >empty.txt
expect "an empty --targets-file" '^ucscan: empty\.txt: no target in the file' --targets-file empty.txt --role director --out out.json
expect "a missing --targets-file" '^ucscan: nosuch\.txt: cannot read the targets file: No such file' --targets-file nosuch.txt --role director --out out.json
printf '%s\n%s\n' $T $T >twice.txt
expect "a target twice in a file" '^ucscan: twice\.txt:2:1: target "127\.0\.0\.35" given twice$' --targets-file twice.txt --role director --out out.json
# files as Windows tools save them are read; two hosts on a line say how to write them
printf '\xef\xbb\xbf%s\r\n' "$T" >bom.txt
printf '%s\r\n' "$T" | iconv -f UTF-8 -t UTF-16 >utf16.txt
printf '%s\n' "$T" >stdin.txt
for f in bom.txt utf16.txt -; do
  rc=0
  if [[ $f == - ]]; then
    scan --targets-file - --ports tcp:1 --out /nonexistent-dir/out.json <stdin.txt || rc=$?
  else
    scan --targets-file "$f" --ports tcp:1 --out /nonexistent-dir/out.json || rc=$?
  fi
  assert_eq 2 "$rc" "--targets-file $f"
  assert_match '^ucscan: /nonexistent-dir/out\.json' "$(cat "$NS_TMP/stderr")" "--targets-file $f is read"
done
printf '%s 127.0.0.36\n' "$T" >two.txt
expect "two hosts on a line" '^ucscan: two\.txt:1:1: "127\.0\.0\.35 127\.0\.0\.36": one host per line \(or separate them with commas\)$' --targets-file two.txt --role director --out out.json

# --- names that do not resolve (asked of the NXDOMAIN peer only) -----------------------------
printf '{"name": "x", "hosts": [\n  {"name": "dir01.contoso.test", "address": "%s", "roles": ["director"]},\n  {"name": "nosuch.ucscan.invalid", "roles": ["director"]}\n]}\n' $T >noname.json
expect "unresolvable name in a topology" \
  '^ucscan: noname\.json:3:[0-9]+: name "nosuch\.ucscan\.invalid" does not resolve: .*nothing scanned' \
  --topology noname.json --out out.json
expect "unresolvable --target" \
  '^ucscan: --target: column 12: name "nosuch\.ucscan\.invalid" does not resolve: .*nothing scanned' \
  --target $T,nosuch.ucscan.invalid --ports tcp:80,udp:1434 --out out.json
# (exactly this name: glibc may go on to try it under the machine's own domain; AAAA only
# when the machine has a global IPv6 address, AI_ADDRCONFIG)
assert_eq 2 "$(peers_count "$plog" query " nosuch.ucscan.invalid type=1")" "DNS A queries for the name (one per run)"
assert_match '^(0|2)$' "$(peers_count "$plog" query " nosuch.ucscan.invalid type=28")" "DNS AAAA queries for the name"

# --- --out that cannot be written (checked before the scan) ---------------------------------
mkdir -p ro devs
mknod devs/null c 1 3
mkfifo devs/fifo
: >afile
expect "--out in a missing directory" "^ucscan: $D/missing/out\\.json: cannot write in $D/missing: No such file or directory\$" --topology good.json --out "$D/missing/out.json"
expect "--out is a directory" '^ucscan: ro: is a directory$' --topology good.json --out ro
expect "--out under a file" '^ucscan: afile/out\.json: cannot write in afile: Not a directory$' --topology good.json --out afile/out.json
expect "--out ends with /" "^ucscan: newdir/: ends with '/'" --topology good.json --out newdir/
expect "--out empty" '^ucscan scan: --out needs a file name' --topology good.json --out ""
expect "--out is a device" '^ucscan: devs/null: is not a regular file' --topology good.json --out devs/null
expect "--out is a FIFO" '^ucscan: devs/fifo: is not a regular file' --topology good.json --out devs/fifo
[[ -c devs/null && -p devs/fifo ]] || fail "the device or the FIFO was replaced"
expect "--out and --prom, one file" '^ucscan scan: --out and --prom name the same file' --topology good.json --out out.json --prom ./out.json
ln -s today.json latest-link.json # dangling: --out would create today.json
expect "--out through a dangling link and --prom, one file" '^ucscan scan: --out and --prom name the same file' --topology good.json --out latest-link.json --prom today.json
expect "--out and --capture, one file" '^ucscan scan: --out and --capture name the same file' --topology good.json --out out.json --capture "$D/out.json"
ln -s missing/out.json dangling.json
expect "--out is a link into a missing directory" '^ucscan: \./missing/out\.json: cannot write in \./missing: No such file or directory' --topology good.json --out dangling.json
ln -s loop-b loop-a && ln -s loop-a loop-b
expect "--out is a loop of links" '^ucscan: loop-a: too many levels of symbolic links' --topology good.json --out loop-a
[[ -L dangling.json ]] || fail "the dangling link was replaced"
# a read-only file system (root ignores permission bits: use a read-only bind mount)
rc=0
unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' \
  sh "$D/ro" "$UCSCAN" scan --no-progress --topology good.json --out "$D/ro/out.json" \
  >"$NS_TMP/stdout" 2>"$NS_TMP/stderr" || rc=$?
assert_eq 2 "$rc" "read-only --out: exit status"
assert_match "^ucscan: $D/ro/out\\.json: cannot write in $D/ro: Read-only file system\$" "$(cat "$NS_TMP/stderr")"
n_cases=$((n_cases + 1))

# --- nothing was scanned; then a valid scan is seen by the same listeners --------------------
sleep 0.3
assert_eq 0 "$(peers_count "$plog" accept)" "TCP connections during the bad-input cases"
assert_eq 0 "$(peers_count "$plog" datagram "$T:1434")" "UDP datagrams during the bad-input cases"
rc=0
scan --topology good.json --out out.json --timeout $((1000 * UC_E2E_SLOW)) || rc=$?
# the counters accept and close at once: plain TCP passes, TLS and SQL Browser fail
assert_eq 1 "$rc" "the valid scan: exit status ($(cat "$NS_TMP/stderr"))"
assert_json out.json .summary '{"checks":7,"fail":3,"hosts":1,"pass":2,"skip":2,"warn":0}' # skips: the Director's outbound 80/443 to the web farm
sleep 0.3
# (at least: a scanner slowed down, e.g. by valgrind, may retry a connect)
assert_eq 4 "$(awk '$3 == "accept" {print $2}' "$plog" | sort -u | wc -l)" \
  "ports that saw connections of the valid scan (444, 445, 5060, 5061)"
assert_match '^[3-9]$' "$(peers_count "$plog" datagram "$T:1434")" "SQL Browser requests of the valid scan"

# --- where the report lands: through a symbolic link, with the umask's or the old file's mode
# (an ad hoc --ports check of a closed port passes: the path is open, nothing listens)
ln -s out.json link.json
before=$(json_get out.json .started_at)
sleep 1.1 # a new started_at
rc=0
scan --target $T --out link.json --ports tcp:9 || rc=$?
assert_eq 0 "$rc" "--out through a symbolic link: exit status ($(cat "$NS_TMP/stderr"))"
[[ -L link.json && $(readlink link.json) == out.json ]] || fail "--out replaced the symbolic link itself"
assert_ne "$before" "$(json_get out.json .started_at)" "the link's target holds the new report"
# a dangling link names the file to create (latest.json -> reports/<date>.json)
mkdir -p reports && ln -s reports/today.json latest.json
rc=0
scan --target $T --out latest.json --ports tcp:9 || rc=$?
assert_eq 0 "$rc" "--out through a dangling link: exit status ($(cat "$NS_TMP/stderr"))"
[[ -L latest.json && -f reports/today.json ]] || fail "--out through a dangling link: the link's target was not created"
rc=0
(umask 077 && scan --target $T --out private.json --ports tcp:9) || rc=$?
assert_eq 0 "$rc" "--out under umask 077: exit status"
assert_eq 600 "$(stat -c %a private.json)" "mode of a new report under umask 077"
chmod 640 out.json
rc=0
scan --target $T --out out.json --ports tcp:9 || rc=$?
assert_eq 0 "$rc" "--out over a 0640 report: exit status"
assert_eq 640 "$(stat -c %a out.json)" "mode of a replaced report (kept)"

echo "bad input: $n_cases cases, each exit 2 with a message, nothing scanned" >&2
echo "ok"
