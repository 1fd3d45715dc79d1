#!/usr/bin/env python3
"""What a person sees of ucscan's HTML report, from what headless Chromium made of it.

    python3 tests/e2e/lib/page.py dom REPORT.json DOM.html [FRAGMENT]
        Checks the DOM after the page's script ran (chromium --dump-dom) against the JSON
        report: the script ran, the summary counts, one cell per check whose colour class is
        the check's verdict; with FRAGMENT "verdict=fail" only the failing cells are on; with
        "check=HOST/PORT/TRANSPORT" the evidence panel shows that check (title, reason,
        requirements, evidence). Prints one line per fact checked; exits 1 on a mismatch.
    python3 tests/e2e/lib/page.py pixels SHOT.png REPORT.json
        Counts, in a screenshot, the solid areas of the failing cells' red (#d32f2f, at
        least 150 pixels each) and of the passing cells' green (#66bb6a): there must be as
        many red areas as failing checks, and green ones when checks passed.
    python3 tests/e2e/lib/page.py netlog NETLOG.json
        Prints the requests the page started (Chromium's own background requests, with
        initiator "not an origin", aside); exits 1 when there is one.
"""
import html.parser
import json
import struct
import sys
import zlib


def die(msg):
    print("MISMATCH: " + msg)
    sys.exit(1)


class Dom(html.parser.HTMLParser):
    """Elements by id, and every cell of the matrix, with their attributes and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.cells, self.stack = {}, [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        el = {"tag": tag, "attrs": a, "text": ""}
        if tag not in ("br", "input", "meta", "img", "hr"):
            self.stack.append(el)
        if "id" in a:
            self.ids[a["id"]] = el
        if tag == "td" and "c" in a.get("class", "").split():
            self.cells.append(el)
        if tag == "body":
            self.ids["<body>"] = el

    def handle_endtag(self, tag):
        while self.stack:
            el = self.stack.pop()
            if el["tag"] == tag:
                break

    def handle_data(self, data):
        for el in self.stack:
            el["text"] += data


def dom(report_path, dom_path, fragment=""):
    rep = json.load(open(report_path, encoding="utf-8"))
    d = Dom()
    d.feed(open(dom_path, encoding="utf-8").read())
    body = d.ids.get("<body>")
    if not body or body["attrs"].get("data-ready") != "1":
        die("the page's script did not run (no data-ready on body)")
    if "hidden" in d.ids["filters"]["attrs"]:
        die("the filters are still hidden")
    summary = rep["summary"]
    for k in ("fail", "warn", "pass", "skip", "hosts", "checks"):
        got = d.ids["n-" + k]["text"].strip()
        if got != str(summary[k]):
            die("summary %s: the page says %s, the report %s" % (k, got, summary[k]))
    print("summary: %s" % ", ".join("%s %s" % (summary[k], k) for k in ("fail", "warn", "pass", "skip")))
    if len(d.cells) != summary["checks"]:
        die("%d cells for %d checks" % (len(d.cells), summary["checks"]))
    on = 0
    for td in d.cells:
        a = td["attrs"]
        check = rep["hosts"][int(a["data-h"])]["checks"][int(a["data-c"])]
        classes = a["class"].split()
        if "v-" + check["verdict"] not in classes or td["text"].strip() != check["verdict"]:
            die("cell %s/%s: class %s, text %r, the report says %s" % (
                a["data-h"], a["data-c"], a["class"], td["text"], check["verdict"]))
        if "off" not in classes:
            on += 1
            if fragment == "verdict=fail" and check["verdict"] != "fail":
                die("verdict=fail: a %s cell is on" % check["verdict"])
        elif fragment != "verdict=fail":
            die("a cell is off without a filter")
    print("cells: %d, each coloured by its check's verdict; %d on" % (len(d.cells), on))
    if fragment == "verdict=fail":
        if on != summary["fail"]:
            die("verdict=fail: %d cells on, %d failing checks" % (on, summary["fail"]))
        shown = d.ids["shown"]["text"]
        if not shown.startswith("showing %d check" % summary["fail"]):
            die("verdict=fail: the count says %r" % shown)
        print("filter verdict=fail: %s" % shown)
    if fragment.startswith("check="):
        host, port, transport = fragment[6:].split("/")[:3]
        h = next(x for x in rep["hosts"] if x["name"] == host)
        c = next(x for x in h["checks"] if str(x["port"]) == port and x["transport"] == transport)
        panel = d.ids["detail"]
        if "hidden" in panel["attrs"]:
            die("check=: the evidence panel is hidden")
        if d.ids["d-title"]["text"].strip() != "%s %s/%s" % (host, port, transport):
            die("check=: the panel's title is %r" % d.ids["d-title"]["text"])
        fields = d.ids["d-fields"]["text"]
        for want in (c["verdict"], c["reason"], c["protocol"]):
            if want not in fields:
                die("check=: %r is not in the panel (%r)" % (want, fields))
        reqs = d.ids["d-reqs"]["text"]
        for r in c["requirements"]:
            if r["id"] not in reqs:
                die("check=: requirement %s is not in the panel" % r["id"])
        ev = json.loads(d.ids["d-evidence"]["text"])
        for k, v in c["evidence"].items():
            if ev.get(k) != v:
                die("check=: evidence %s differs" % k)
        print("panel: %s %s/%s %s: %s" % (host, port, transport, c["verdict"], c["reason"]))


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        die("%s is not a PNG" % path)
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", chunk[:10])
            if depth != 8 or ctype not in (2, 6):
                die("PNG depth %d colour type %d" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def areas(w, h, rows, colour, least=150):
    seen, found = set(), 0
    for y in range(h):
        for x in range(w):
            if rows[y][x] != colour or (x, y) in seen:
                continue
            stack, size = [(x, y)], 0
            seen.add((x, y))
            while stack:
                px, py = stack.pop()
                size += 1
                for nx, ny in ((px + 1, py), (px - 1, py), (px, py + 1), (px, py - 1)):
                    if 0 <= nx < w and 0 <= ny < h and (nx, ny) not in seen and rows[ny][nx] == colour:
                        seen.add((nx, ny))
                        stack.append((nx, ny))
            found += size >= least
    return found


def pixels(shot, report_path):
    rep = json.load(open(report_path, encoding="utf-8"))
    w, h, rows = png_pixels(shot)
    red, green = areas(w, h, rows, (0xd3, 0x2f, 0x2f)), areas(w, h, rows, (0x66, 0xbb, 0x6a))
    print("screenshot %dx%d: %d red areas, %d green areas" % (w, h, red, green))
    if red != rep["summary"]["fail"]:
        die("%d red areas for %d failing checks" % (red, rep["summary"]["fail"]))
    if (green > 0) != (rep["summary"]["pass"] > 0):
        die("%d green areas for %d passing checks" % (green, rep["summary"]["pass"]))


def netlog(path):
    log = json.load(open(path, encoding="utf-8"))
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    page = set()
    for e in log["events"]:
        p = e.get("params", {})
        if names.get(e["type"]) != "URL_REQUEST_START_JOB" or "url" not in p:
            continue  # an end of a request, or another event
        if p.get("initiator") != "not an origin":
            if not p.get("url", "").startswith(("file:", "data:")):
                page.add("%s %s (initiator %s)" % (p.get("method"), p.get("url"), p.get("initiator")))
    for r in sorted(page):
        print("request: " + r)
    if page:
        die("the page started %d request(s)" % len(page))
    print("no request from the page")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "dom":
        dom(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
    elif len(sys.argv) == 4 and sys.argv[1] == "pixels":
        pixels(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "netlog":
        netlog(sys.argv[2])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
