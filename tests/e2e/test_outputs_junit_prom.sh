#!/usr/bin/env bash
# tests/e2e/test_outputs_junit_prom.sh: a real scan of loopback listeners, written as JUnit XML
# and as Prometheus metrics, both read back by independent parsers (python3's XML parser; a
# small exposition-format parser here) and compared with the JSON report of the same scan.
# Needs root (the e2e library's namespace bookkeeping); uses 127.0.0.41 and 127.0.0.42 only.
#
#  edge01.contoso.test 127.0.0.41, role edge:
#    443/tcp   TLS, certificate expiring in 10 days      -> warn (--cert-warn-days 30)
#    5061/tcp  TLS asking for a client certificate       -> pass
#    3478/udp, 8057/tcp (internal interface) closed     -> fail
#    5269/tcp, 23456/tcp closed (XMPP: optional)         -> skip
#    outbound rows and the IPsec rows                    -> skip
#  owa01.contoso.test 127.0.0.42, role office-web-apps:
#    443/tcp   HTTPS, certificate valid 400 days         -> pass
#
#  1. --format junit: well-formed, the JUnit schema's structure element by element, names,
#     classnames, failure/skipped/system-out per verdict, counts equal to the report's summary;
#  2. --prom FILE: written atomically (a new inode, no temporary file left, mode 0644), parsed
#     back, verdict state sets and ucscan_check_success equal to the report's verdicts (no
#     per-check series for skipped checks), the certificate's notAfter equal to the
#     certificate openssl made; --format prometheus on stdout is the same text;
#  3. --cert-warn-days 0 turns the expiry warning off (443 passes);
#  4. --prom into a directory that cannot be written: exit 2 before anything is scanned.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$HERE/lib/servers.sh"

UCSCAN=${UCSCAN:?set UCSCAN to the ucscan binary}
ok() { printf 'ok - %s\n' "$*"; }

ns_init outputsjp
EDGE=127.0.0.41
OWA=127.0.0.42
PKI=$NS_TMP/pki
mkcert "$PKI" edge443 --san edge01.contoso.test --days 10
EDGE443_CRT=$MKCERT_CRT
srv_tls - "$EDGE" 443 "$MKCERT_CRT" "$MKCERT_KEY"
mkcert "$PKI" edge5061 --san sip.contoso.test --days 400
srv_tls - "$EDGE" 5061 "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
mkcert "$PKI" owa --san owa01.contoso.test --days 400
OWA_CRT=$MKCERT_CRT
srv_tls - "$OWA" 443 "$MKCERT_CRT" "$MKCERT_KEY"

TOPO=$NS_TMP/topology.json
cat >"$TOPO" <<EOF
{"name": "outputs-e2e", "product": "sfb2015", "hosts": [
  {"name": "edge01.contoso.test", "address": "$EDGE", "roles": ["edge"], "pool": "sip.contoso.test"},
  {"name": "owa01.contoso.test", "address": "$OWA", "roles": ["office-web-apps"]}
]}
EOF
# (the deadline scaled on slow runs, and one retry: under valgrind on a busy machine a TLS
# handshake took longer than 1.5 s, then, with three valgrind tests beside stress-ng, longer
# than 15 s; closed ports answer at once and are not retried, so the retry costs nothing else)
SCAN=(scan --topology "$TOPO" --timeout $((1500 * ${UC_E2E_SLOW:-1})) --retries 1 --no-progress)

# A metrics file already there: it must be replaced by rename, never rewritten in place.
PROMDIR=$NS_TMP/textfile
mkdir -p "$PROMDIR"
echo "# old" >"$PROMDIR/ucscan.prom"
OLD_INODE=$(stat -c %i "$PROMDIR/ucscan.prom")

assert_exit 1 "$UCSCAN" "${SCAN[@]}" --out "$NS_TMP/report.json" --prom "$PROMDIR/ucscan.prom" \
  --format junit >"$NS_TMP/junit.xml"
R=$NS_TMP/report.json
assert_json "$R" '.hosts[name=edge01.contoso.test].checks[port=443].verdict' warn
assert_json "$R" '.hosts[name=edge01.contoso.test].checks[port=5061].verdict' pass
assert_json "$R" '.hosts[name=edge01.contoso.test].checks[port=3478].verdict' fail
assert_json "$R" '.hosts[name=edge01.contoso.test].checks[port=8057].verdict' fail
assert_json "$R" '.hosts[name=edge01.contoso.test].checks[port=5269].verdict' skip
assert_json "$R" '.hosts[name=owa01.contoso.test].checks[port=443].verdict' pass
assert_match "certificate expires [0-9-]+ \((9|10) days left\)" \
  "$(json_get "$R" '.hosts[name=edge01.contoso.test].checks[port=443].reason')" "443 reason"
ok "the scan found the faults it was given"

PY=$(ns_python)

# ---- 1. JUnit -------------------------------------------------------------------------------
JUNIT_PY='
import json, re, sys, xml.etree.ElementTree as ET

xml_path, report_path = sys.argv[1], sys.argv[2]
rep = json.load(open(report_path))
raw = open(xml_path, "rb").read()
assert raw.startswith(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"), "XML declaration"
root = ET.fromstring(raw)   # expat: refuses anything not well-formed

# The structure of the JUnit schema (Jenkins xunit junit-10.xsd): element -> (required
# attributes, allowed attributes, allowed children, text allowed)
S = {
 "testsuites": (set(), {"name", "time", "tests", "failures", "errors"}, {"testsuite"}, False),
 "testsuite": ({"name", "tests", "failures", "errors"},
               {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp",
                "hostname", "id", "package", "file", "log", "url"},
               {"testsuite", "properties", "testcase", "system-out", "system-err"}, False),
 "properties": (set(), set(), {"property"}, False),
 "property": ({"name", "value"}, {"name", "value"}, set(), False),
 "testcase": ({"name"}, {"name", "time", "classname", "group"},
              {"skipped", "error", "failure", "system-out", "system-err"}, False),
 "failure": (set(), {"type", "message"}, set(), True),
 "error": (set(), {"type", "message"}, set(), True),
 "skipped": (set(), {"type", "message"}, set(), True),
 "system-out": (set(), set(), set(), True),
 "system-err": (set(), set(), set(), True),
}
TIME = re.compile(r"[0-9]+(\.[0-9]*)?")
def check(e):
    assert e.tag in S, "unknown element " + e.tag
    req, allowed, kids, text = S[e.tag]
    assert req <= set(e.attrib), "%s lacks %s" % (e.tag, req - set(e.attrib))
    assert set(e.attrib) <= allowed, "%s has %s" % (e.tag, set(e.attrib) - allowed)
    if "time" in e.attrib:
        assert TIME.fullmatch(e.attrib["time"]), "time " + e.attrib["time"]
    if not text:
        assert not (e.text or "").strip(), e.tag + " holds text"
    for k in e:
        assert k.tag in kids, "%s inside %s" % (k.tag, e.tag)
        assert not (k.tail or "").strip(), "text after " + k.tag
        check(k)
assert root.tag == "testsuites"
check(root)

# The names every summary shows (Jenkins, junitparser, xunit-viewer) count the warnings, which
# JUnit has no result for: "NAME (N warning[s])", on the testsuites and on each host suite.
def named(name, warnings):
    return name + ("" if not warnings else " (%d warning%s)" % (warnings, "" if warnings == 1 else "s"))
assert rep["summary"]["warn"] > 0
assert root.get("name") == named("ucscan outputs-e2e", rep["summary"]["warn"]), root.get("name")
suites = root.findall("testsuite")
assert [s.get("name") for s in suites] == [named(h["name"], h["summary"]["warn"]) for h in rep["hosts"]]
assert int(root.get("tests")) == rep["summary"]["checks"]
assert int(root.get("failures")) == rep["summary"]["fail"]
for s, h in zip(suites, rep["hosts"]):
    cases = s.findall("testcase")
    assert int(s.get("tests")) == len(cases) == len(h["checks"])
    assert int(s.get("failures")) == h["summary"]["fail"] == sum(len(c.findall("failure")) for c in cases)
    assert int(s.get("skipped")) == h["summary"]["skip"] == sum(len(c.findall("skipped")) for c in cases)
    assert s.get("errors") == "0"
    props = {p.get("name"): p.get("value") for p in s.find("properties")}
    assert props["address"] == h["address"] and props["topology"] == "outputs-e2e"
    for c, k in zip(cases, h["checks"]):
        roles = []
        for r in k["requirements"]:
            if r["role"] not in roles:
                roles.append(r["role"])
        port = str(k["port"]) if k["range"] is None else "%d-%d" % (k["range"]["first"], k["range"]["last"])
        want = "%s %s/%s %s" % (",".join(roles), port, k["transport"], k["protocol"])
        assert c.get("name") == want, (c.get("name"), want)
        assert c.get("classname") == "ucscan." + h["name"].replace(".", "_")
        kinds = [x.tag for x in c]
        v = k["verdict"]
        if v == "pass":
            assert kinds == [], kinds
        elif v == "fail":
            assert kinds == ["failure"], kinds
            f = c.find("failure")
            assert f.get("message") == k["reason"] and f.get("type") == k["state"]
        elif v == "skip":
            assert kinds == ["skipped"] and c.find("skipped").get("message") == k["reason"]
        else:
            assert kinds == ["system-out"], kinds
            out = c.find("system-out").text
            assert out.startswith("warn: " + k["reason"] + "\n"), out
print("junit ok: %d suites, %d cases" % (len(suites), sum(len(s.findall("testcase")) for s in suites)))
'
out=$("$PY" -c "$JUNIT_PY" "$NS_TMP/junit.xml" "$R") || fail "JUnit check: $out"
printf '%s\n' "$out"
warn_case=$("$PY" - "$NS_TMP/junit.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
c = [c for c in r.iter("testcase") if c.get("name") == "edge 443/tcp tls"][0]
print(c.find("system-out").text)
EOF
)
assert_match "certificate days left: (9|10)" "$warn_case" "warn case output"
assert_contains "certificate subject: CN=edge443" "$warn_case" "warn case output"
if command -v xmllint >/dev/null; then
  xmllint --noout "$NS_TMP/junit.xml" || fail "xmllint refuses the JUnit file"
fi
ok "JUnit XML: well-formed, the schema's structure, the report's verdicts"

# ---- 2. Prometheus ----------------------------------------------------------------------------
P=$PROMDIR/ucscan.prom
assert_ne "$OLD_INODE" "$(stat -c %i "$P")" "inode of the replaced metrics file"
assert_eq "ucscan.prom" "$(ls -A "$PROMDIR")" "files in the textfile directory"
assert_eq 644 "$(stat -c %a "$P")" "metrics file mode"
NOT_AFTER=$(date -u -d "$(openssl x509 -noout -enddate -in "$EDGE443_CRT" | cut -d= -f2)" +%s)
OWA_NOT_AFTER=$(date -u -d "$(openssl x509 -noout -enddate -in "$OWA_CRT" | cut -d= -f2)" +%s)
PROM_PY='
import json, re, sys

text, rep = open(sys.argv[1], encoding="utf-8").read(), json.load(open(sys.argv[2]))
edge_na, owa_na = int(sys.argv[3]), int(sys.argv[4])
assert text.endswith("\n")
fams, series, order = {}, {}, []
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LAB = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\n]|\\[\\\"n])*)\"(,|$)")
for n, line in enumerate(text.splitlines(), 1):
    m = re.fullmatch(r"# (HELP|TYPE) (" + NAME + r") (.+)", line)
    if m:
        f = fams.setdefault(m.group(2), {})
        assert m.group(1) not in f, "line %d: second %s" % (n, m.group(1))
        f[m.group(1)] = m.group(3)
        if not order or order[-1] != m.group(2):
            assert m.group(2) not in order, "line %d: family split" % n
            order.append(m.group(2))
        continue
    m = re.fullmatch(r"(" + NAME + r")(?:\{(.*)\})? (\S+)", line)
    assert m, "line %d: %r" % (n, line)
    name, labels, value = m.groups()
    assert order and order[-1] == name, "line %d: sample outside its family" % n
    assert fams[name].get("TYPE") == "gauge" and fams[name].get("HELP"), name
    pos, lab = 0, {}
    while labels and pos < len(labels):
        lm = LAB.match(labels, pos)
        assert lm, "line %d: labels %r" % (n, labels)
        assert lm.group(1) not in lab
        lab[lm.group(1)] = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), lm.group(2))
        pos = lm.end()
    key = (name, tuple(sorted(lab.items())))
    assert key not in series, "line %d: duplicate series" % n
    series[key] = float(value)

def get(name, **want):
    hits = [v for (nm, lab), v in series.items()
            if nm == name and all(dict(lab).get(k) == w for k, w in want.items())]
    assert len(hits) == 1, (name, want, len(hits))
    return hits[0]

for f in fams:
    assert re.fullmatch(r"ucscan_[a-z0-9_]+", f), f
assert get("ucscan_scan_complete", topology="outputs-e2e") == 1
assert abs(get("ucscan_scan_duration_seconds") * 1000 - rep["duration_ms"]) < 1
for v in ("pass", "warn", "fail", "skip"):
    assert get("ucscan_checks", verdict=v) == rep["summary"][v], v
n = 0
for h in rep["hosts"]:
    for c in h["checks"]:
        if c["verdict"] == "skip":   # counted in ucscan_checks only
            continue
        port = str(c["port"]) if c["range"] is None else "%d-%d" % (c["range"]["first"], c["range"]["last"])
        for v in ("pass", "warn", "fail"):
            assert get("ucscan_check_verdict", host=h["name"], port=port, transport=c["transport"],
                       protocol=c["protocol"], state=c["state"], vantage="any",
                       verdict=v) == (1 if v == c["verdict"] else 0)
        assert get("ucscan_check_success", host=h["name"], port=port, transport=c["transport"],
                   state=c["state"]) == (0 if c["verdict"] == "fail" else 1)
        n += 1
assert sum(1 for (nm, _) in series if nm == "ucscan_check_verdict") == 3 * n
assert sum(1 for (nm, _) in series if nm == "ucscan_check_success") == n
assert get("ucscan_tls_certificate_not_after_timestamp_seconds", host="edge01.contoso.test",
           port="443") == edge_na
assert get("ucscan_tls_certificate_not_after_timestamp_seconds", host="owa01.contoso.test",
           port="443") == owa_na
import calendar, time
fin = calendar.timegm(time.strptime(rep["finished_at"], "%Y-%m-%dT%H:%M:%SZ"))
assert get("ucscan_scan_completed_timestamp_seconds") == fin
print("prometheus ok: %d families, %d series" % (len(fams), len(series)))
'
out=$("$PY" -c "$PROM_PY" "$P" "$R" "$NOT_AFTER" "$OWA_NOT_AFTER") || fail "Prometheus check: $out"
printf '%s\n' "$out"
# stdout and the file are the same text for the same scan
assert_exit 1 "$UCSCAN" "${SCAN[@]}" --format prometheus --prom "$NS_TMP/again.prom" \
  >"$NS_TMP/stdout.prom"
cmp -s "$NS_TMP/stdout.prom" "$NS_TMP/again.prom" || fail "--format prometheus and --prom differ"
ok "Prometheus metrics: atomic file, parsed back, equal to the report"

# ---- 3. the expiry horizon can be turned off --------------------------------------------------
assert_exit 1 "$UCSCAN" "${SCAN[@]}" --cert-warn-days 0 >"$NS_TMP/nowarn.json"
assert_json "$NS_TMP/nowarn.json" '.hosts[name=edge01.contoso.test].checks[port=443].verdict' pass
assert_exit 1 "$UCSCAN" "${SCAN[@]}" --cert-warn-days 5 >"$NS_TMP/warn5.json"
assert_json "$NS_TMP/warn5.json" '.hosts[name=edge01.contoso.test].checks[port=443].verdict' pass
ok "--cert-warn-days moves the horizon"

# ---- 4. an unwritable --prom is bad input, found before scanning ------------------------------
err=$("$UCSCAN" "${SCAN[@]}" --prom "$NS_TMP/no/such/dir/x.prom" 2>&1 >/dev/null) && rc=0 || rc=$?
assert_eq 2 "$rc" "exit status with an unwritable --prom"
assert_contains "cannot write in $NS_TMP/no/such/dir" "$err"
assert_exit 2 "$UCSCAN" "${SCAN[@]}" --format xml
assert_exit 2 "$UCSCAN" "${SCAN[@]}" --out "$NS_TMP/same" --prom "$NS_TMP/same"
ok "bad output options are refused before scanning"
echo "all passed"
