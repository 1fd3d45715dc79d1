"""Compare a Linux and a Windows (Wine) report of the same scan, field by field.

usage: python3 compare_reports.py LINUX.json WINDOWS.json

Left out of the comparison: what measures time (started_at, finished_at, duration_ms,
rtt_ms and rtt_source, which says whose clock measured it: the kernel's on Linux, the loop's
under Wine; "waited N ms" in a reason), the evidence capture (the Linux scan runs
--no-evidence or unprivileged; the Windows build has none: its object is checked by the
test), and the summaries (recounted from the checks here, so they are covered). Everything
else must be equal, keys and values, with two named exceptions, both the details of an ICMP
error, never the verdict:
- a UDP check that Linux settled from an ICMP port unreachable is closed on Windows too, from
  the receive's WSAECONNRESET (under Wine from the error the wineserver keeps for SO_ERROR:
  scanner/attempt_udp.c), with the same type and code, but Windows does not say who sent it:
  evidence.icmp.from is null and the reason says so;
- a check that Linux settled from another ICMP error (administratively prohibited) is, under
  Wine, the EHOSTUNREACH of the connect (TCP) or of the connected UDP socket: "unreachable"
  without evidence.icmp, with the same verdict (Windows 10 2004 and later give a TCP
  connect's error details with TCP_ICMP_ERROR_INFO; Wine does not; Windows itself reports no
  such error to a UDP socket, where the port reads as silent).
Each such check is printed as a known difference; any other difference fails (exit 1).
"""
import json
import re
import sys

TIMING = {"started_at", "finished_at", "duration_ms", "rtt_ms", "rtt_source"}
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


def windows_reset(lin, win):
    """Is win what Windows makes of lin, a UDP check closed by an ICMP port unreachable?"""
    if lin.get("transport") != "udp" or lin.get("state") != "closed":
        return False
    li, wi = (lin.get("evidence") or {}).get("icmp"), (win.get("evidence") or {}).get("icmp")
    if not li or not wi or wi.get("from") is not None:
        return False
    if {k: v for k, v in li.items() if k != "from"} != {k: v for k, v in wi.items() if k != "from"}:
        return False
    if "the system does not say who sent it" not in (win.get("reason") or ""):
        return False
    settled = ("reason", "evidence")  # state, verdict, attempts: the same
    same = {k: v for k, v in lin.items() if k not in settled}
    other = {k: v for k, v in win.items() if k not in settled}
    return same == other


def wine_icmp_unreachable(lin, win):
    """Is win what Wine makes of lin, a check settled by an ICMP error other than a port
    unreachable?"""
    if "icmp" not in (lin.get("evidence") or {}):
        return False
    if win.get("state") != "unreachable" or "icmp" in (win.get("evidence") or {}):
        return False
    if "EHOSTUNREACH" not in (win.get("reason") or ""):
        return False
    settled = ("state", "reason", "evidence")  # the verdict must be the same
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
            if windows_reset(a, b):
                known.append("%s: %s on both, %s: Windows does not say who sent the port "
                             "unreachable" % (what, a["state"], a["verdict"]))
                continue
            if wine_icmp_unreachable(a, b):
                known.append("%s: Linux %s (%s), Wine %s (%s), both %s: Wine gives no ICMP "
                             "error details" % (what, a["state"], a["reason"], b["state"],
                                                b["reason"], a["verdict"]))
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
    print("compared %d checks: %d equal, %d known differences (same verdict), %d different" %
          (equal + len(known) + different, equal, len(known), different))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
