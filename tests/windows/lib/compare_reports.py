"""Compare a Linux and a Windows (Wine) report of the same scan, field by field.

usage: python3 compare_reports.py LINUX.json WINDOWS.json

Left out of the comparison: what measures time (started_at, finished_at, duration_ms,
rtt_ms, "waited N ms" in a reason), the evidence capture (the Linux scan runs --no-evidence or unprivileged; the
Windows build has none: its object is checked by the test), and the summaries (recounted
from the checks here, so they are covered). Everything else must be equal, keys and values,
with one named exception: Wine passes no ICMP error to a UDP socket (Windows reports a port
unreachable as WSAECONNRESET; Wine 8 does not), so a UDP check that Linux settled from an
ICMP error (evidence.icmp) is, under Wine, the silence of a port that did not answer:
state "open|filtered", no evidence, the reason of silence, every retry sent. Each such check is printed as a
known difference; any other difference fails (exit 1).
"""
import json
import re
import sys

TIMING = {"started_at", "finished_at", "duration_ms", "rtt_ms"}
SKIP_TOP = TIMING | {"evidence_capture", "summary"}


# Reasons that quote a measured wait: "no answer to 2 connection attempts (last waited 202 ms)"
WAITED = re.compile(r"waited \d+ ms")


def strip(obj, skip):
    if isinstance(obj, dict):
        return {k: strip(v, TIMING) for k, v in obj.items() if k not in skip}
    if isinstance(obj, list):
        return [strip(v, TIMING) for v in obj]
    if isinstance(obj, str):
        return WAITED.sub("waited N ms", obj)
    return obj


def key(check):
    rng = check.get("range") or {}
    return (check.get("port"), rng.get("first"), rng.get("last"), check.get("transport"),
            check.get("interface"))


def wine_udp_silence(lin, win):
    """Is win what Wine makes of lin, a UDP check settled by an ICMP error?"""
    if lin.get("transport") != "udp" or lin.get("port") is None:
        return False
    if "icmp" not in (lin.get("evidence") or {}):
        return False
    if win.get("state") != "open|filtered" or win.get("evidence") not in ({}, None):
        return False
    if "no answer" not in (win.get("reason") or ""):
        return False
    settled = ("state", "verdict", "reason", "evidence", "attempts")  # silence retries
    same = {k: v for k, v in lin.items() if k not in settled}
    other = {k: v for k, v in win.items() if k not in settled}
    return same == other


def diff(path, a, b, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append("%s.%s: only in the Windows report: %r" % (path, k, b[k]))
            elif k not in b:
                out.append("%s.%s: only in the Linux report: %r" % (path, k, a[k]))
            else:
                diff("%s.%s" % (path, k), a[k], b[k], out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff("%s[%d]" % (path, i), x, y, out)
    elif a != b:
        out.append("%s: Linux %r, Windows %r" % (path, a, b))


def recount(checks):
    n = {"pass": 0, "warn": 0, "fail": 0, "skip": 0}
    for c in checks:
        n[c["verdict"]] = n.get(c["verdict"], 0) + 1
    return n


def main():
    lin_doc = json.load(open(sys.argv[1], encoding="utf-8"))
    win_doc = json.load(open(sys.argv[2], encoding="utf-8"))
    problems, known = [], []
    equal = different = 0
    diff("", strip(lin_doc, SKIP_TOP | {"hosts"}), strip(win_doc, SKIP_TOP | {"hosts"}), problems)
    lh, wh = lin_doc.get("hosts", []), win_doc.get("hosts", [])
    if len(lh) != len(wh):
        problems.append(".hosts: %d on Linux, %d on Windows" % (len(lh), len(wh)))
    for hi, (lhost, whost) in enumerate(zip(lh, wh)):
        where = ".hosts[%d]" % hi
        diff(where, strip(lhost, SKIP_TOP | {"checks"}), strip(whost, SKIP_TOP | {"checks"}),
             problems)
        wins = {key(c): c for c in whost.get("checks", [])}
        if len(wins) != len(whost.get("checks", [])) or \
                len(lhost.get("checks", [])) != len(whost.get("checks", [])):
            problems.append("%s.checks: %d on Linux, %d on Windows" %
                            (where, len(lhost.get("checks", [])), len(whost.get("checks", []))))
        for lc in lhost.get("checks", []):
            wc = wins.get(key(lc))
            what = "%s %s/%s" % (where, lc.get("port") or "range", lc.get("transport"))
            if wc is None:
                problems.append("%s: no such check on Windows" % what)
                continue
            a, b = strip(lc, TIMING), strip(wc, TIMING)
            if a == b:
                equal += 1
                continue
            if wine_udp_silence(a, b):
                known.append("%s: Linux %s (%s), Wine %s: Wine passes no ICMP error to UDP "
                             "sockets" % (what, a["state"], a["reason"], b["state"]))
                continue
            diff(what, a, b, problems)
            different += 1
        for name, doc in (("Windows", whost), ("Linux", lhost)):
            if doc.get("summary", {}) != recount(doc.get("checks", [])):
                problems.append("%s %s.summary %r does not count its checks %r" %
                                (name, where, doc.get("summary"), recount(doc.get("checks", []))))
    for k in known:
        print("known difference: " + k)
    for p in problems:
        print("DIFFERENT: " + p)
    print("compared %d checks: %d equal, %d known Wine differences, %d different" %
          (equal + len(known) + different, equal, len(known), different))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
