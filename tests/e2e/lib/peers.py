#!/usr/bin/env python3
"""Protocol peers and misbehaving servers for ucscan's end-to-end tests.

One asyncio process runs every peer given on the command line:

    peers.py [--ready FILE] [--cert CRT --key KEY] SPEC...
    SPEC = [tls:|mtls:]NAME@ADDR:PORT[,OPT=VALUE...]

"tls:" wraps a TCP peer in a TLS server (python's ssl module, certificate from --cert/--key
or the cert=/key= options); "mtls:" does the same and sends a CertificateRequest (the
client certificate is requested, not required). The TLS handshake happens before the peer's
behaviour starts, so "tls:tarpit" completes a handshake and then never speaks. With
handshake=SECONDS the connection is accepted at once but the TLS server starts reading the
ClientHello only SECONDS later: a slow but working TLS service (its accept is logged once the
handshake is done).

TCP peers (every one reads and discards what the client sends, so the client never blocks):
  tarpit              accepts, never sends, holds the connection until the client closes
  drip                sends DATA one byte every EVERY seconds (default 1), forever
  flood               sends DATA as fast as the client reads it, forever
  huge                sends SIZE bytes of DATA (default 4 MiB), then closes
  garbage-on-tls      binary non-TLS bytes at once, then holds the connection
  non-tls             waits for the client's first bytes, answers like a plain HTTP server
                      (a web server on a port that should speak TLS), closes
  rst-mid-handshake   reads the TLS ClientHello record, then resets (SO_LINGER 0); with
                      after=half (and a certificate) it first sends half of a real server's
                      first flight (ServerHello...), so the reset lands inside the handshake
  tls-alert           reads the ClientHello record, sends a fatal handshake_failure alert
  tls-hang            reads the ClientHello record, then never answers
  sip                 answers each OPTIONS with 200 OK and a Server header (plain TCP; with
                      "tls:" this is a SIP OPTIONS responder over TLS); delay=SECONDS: each
                      answer comes SECONDS after its request (a slow but working server)
  sip-tls             the same as tls:sip
  sip-endless-header  answers OPTIONS with "SIP/2.0 200 OK" and header lines that never end
  xmpp                answers a stream header with its own stream header and features
  http                answers each request head with 200 OK and a Server header (IIS);
                      delay=SECONDS as for sip
  count               accepts and closes (logs every connection; for "nothing scanned")
UDP peers (DATA, EVERY and SIZE do not apply):
  msturn-401          answers only MS-TURN Allocate requests, with a 401 carrying REALM and
                      NONCE (an A/V Edge); ignores RFC 5389 Binding requests
  stun-lying-length   Binding success whose header length claims 40 bytes more than sent
  stun-unknown-attr   Binding success with an unknown comprehension-required attribute
  stun-wrong-txid     Binding success for another transaction id
  stun-other-source   a valid Binding success, sent from FROM (another address of the host)
  sqlb                SQL Browser SVR_RESP listing RTCLOCAL and LYNCLOCAL
  sqlb-truncated      SVR_RESP cut in the middle of its second record (RESP_SIZE matches)
  sqlb-lying-length   SVR_RESP whose RESP_SIZE claims more bytes than the datagram holds
  stun-decoy          a Binding success for another transaction id, one from FROM, then the
                      genuine one (the genuine reply must still win)
  stun-huge           a Binding success of 65,000 bytes (lengths consistent) whose last
                      attribute is an unknown comprehension-required one (0x7f33)
  sqlb-huge           an SVR_RESP of 65,000 bytes listing hundreds of instances
  udp-flood           answers every datagram with COUNT (default 2000) junk datagrams
  count-udp           answers nothing (logs every datagram)
  dns-nxdomain        a DNS server that answers every query NXDOMAIN (logs the name asked)
  dns-nodata          ... NOERROR with no answer (the name exists, without such an address)
  dns-servfail        ... SERVFAIL (the server cannot answer now)
  dns-refused         ... REFUSED
                      (dns-*: servfail=NAME answers SERVFAIL for that one name instead)

Options: data=raw|sip|tls|xmpp|http (what drip/flood/huge send: raw 'A' bytes, a SIP or
HTTP status line followed by endless header lines, a TLS handshake record that never
completes, an XMPP stream header that never closes), every=SECONDS, size=BYTES,
from=ADDR (stun-other-source), count=N (udp-flood), cert=FILE, key=FILE, server=TEXT
(the sip peers' Server header), delay=SECONDS (sip, http), handshake=SECONDS (tls:, mtls:).

Every event is logged on stdout, one line each, flushed, ending with "t=SECONDS" (monotonic,
from the first line):
  "<name> <addr>:<port> accept <peer>", "... sent <peer> <n>", "... datagram <peer> <n>",
  "... close <peer> received=<n> sent=<n>" (sent: bytes handed to the transport).
Once every socket is bound, the --ready file is written (atomically) with the PID.
"""

import argparse
import asyncio
import os
import signal
import socket
import ssl
import struct
import sys
import time

TCP_PEERS = {"tarpit", "drip", "flood", "huge", "garbage-on-tls", "non-tls", "rst-mid-handshake",
             "tls-alert", "tls-hang", "sip", "sip-tls", "sip-endless-header", "xmpp", "http", "count"}
UDP_PEERS = {"msturn-401", "stun-lying-length", "stun-unknown-attr", "stun-wrong-txid",
             "stun-other-source", "stun-decoy", "stun-huge", "sqlb", "sqlb-truncated",
             "sqlb-lying-length", "sqlb-huge", "udp-flood",
             "count-udp", "dns-nxdomain", "dns-nodata", "dns-servfail", "dns-refused"}
DNS_RCODES = {"dns-nxdomain": 3, "dns-nodata": 0, "dns-servfail": 2, "dns-refused": 5}

STUN_COOKIE = 0x2112A442
MSTURN_COOKIE = 0x72C64BC6


T0 = None


def log(*words):
    global T0
    now = time.monotonic()
    if T0 is None:
        T0 = now
    print(" ".join(str(w) for w in words), "t=%.3f" % (now - T0), flush=True)


# ---------------------------------------------------------------------------------------------
# specs

class Spec:
    def __init__(self, text, args):
        self.text = text
        wrap, rest = "", text
        if ":" in text.split("@")[0]:
            wrap, _, rest = text.partition(":")
        if wrap not in ("", "tls", "mtls"):
            raise ValueError("%s: unknown wrapper '%s' (tls or mtls)" % (text, wrap))
        head, _, opts = rest.partition(",")
        name, _, where = head.partition("@")
        addr, _, port = where.rpartition(":")
        if not name or not addr or not port.isdigit():
            raise ValueError("%s: expected [tls:|mtls:]NAME@ADDR:PORT[,opt=value...]" % text)
        self.tls = wrap
        self.name = "tls:sip" if name == "sip-tls" else name
        self.kind = "sip" if name == "sip-tls" else name
        if name == "sip-tls":
            self.tls = self.tls or "tls"
        if self.kind not in TCP_PEERS | UDP_PEERS:
            raise ValueError("%s: unknown peer '%s'" % (text, name))
        if self.tls and self.kind in UDP_PEERS:
            raise ValueError("%s: a UDP peer cannot be wrapped in TLS" % text)
        self.addr = addr
        self.port = int(port)
        self.opts = {}
        for kv in filter(None, opts.split(",")):
            k, _, v = kv.partition("=")
            self.opts[k] = v
        self.data = self.opts.get("data", "raw")
        if self.data not in ("raw", "sip", "tls", "xmpp", "http"):
            raise ValueError("%s: unknown data '%s'" % (text, self.data))
        self.every = float(self.opts.get("every", "1"))
        self.size = int(self.opts.get("size", str(4 << 20)))
        self.count = int(self.opts.get("count", "2000"))
        self.server = self.opts.get("server", "RTC/6.0")
        self.delay = float(self.opts.get("delay", "0"))
        self.handshake = float(self.opts.get("handshake", "0"))
        if self.handshake and not self.tls:
            raise ValueError("%s: handshake= needs a tls: or mtls: peer" % text)
        self.cert = self.opts.get("cert", args.cert)
        self.key = self.opts.get("key", args.key)
        self.tag = "%s %s:%d" % ((self.tls + ":" if self.tls else "") + self.kind, addr, self.port)

    @property
    def udp(self):
        return self.kind in UDP_PEERS


def stream_bytes(kind):
    """(prefix, generator of endless chunks) for drip/flood/huge."""
    if kind == "sip":
        prefix = b"SIP/2.0 200 OK\r\n"
        line = b"X-Pad: " + b"p" * 120 + b"\r\n"
    elif kind == "http":
        prefix = b"HTTP/1.1 200 OK\r\n"
        line = b"X-Pad: " + b"p" * 120 + b"\r\n"
    elif kind == "tls":
        # A handshake record that announces 16 KiB and never delivers a complete message.
        prefix = b"\x16\x03\x03\x40\x00\x02\x00\x3f\xfc"
        line = b"\x00" * 128
    elif kind == "xmpp":
        prefix = b"<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
        line = b"a='" + b"x" * 120 + b"' "
    else:
        prefix = b""
        line = b"A" * 128
    return prefix, line


# ---------------------------------------------------------------------------------------------
# TCP peers

class Conn:
    """Bookkeeping around one accepted connection."""

    def __init__(self, spec, reader, writer):
        self.spec = spec
        self.reader = reader
        self.writer = writer
        pn = writer.get_extra_info("peername") or ("?", 0)
        self.peer = "%s:%s" % (pn[0], pn[1])
        self.received = 0
        self.sent = 0
        self.buf = bytearray()
        self.closed = asyncio.Event()
        self.data_event = asyncio.Event()

    async def drain_reads(self, keep=65536):
        """Reads until EOF; keeps the first `keep` bytes in self.buf for request parsing."""
        try:
            while True:
                chunk = await self.reader.read(65536)
                if not chunk:
                    break
                self.received += len(chunk)
                if len(self.buf) < keep:
                    self.buf += chunk[: keep - len(self.buf)]
                self.data_event.set()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        self.closed.set()
        self.data_event.set()

    async def wait_for(self, pred, timeout=30):
        """Waits until pred(self.buf) is true; False when the client closed first."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not pred(self.buf):
            if self.closed.is_set():
                return False
            self.data_event.clear()
            left = end - loop.time()
            if left <= 0:
                return False
            try:
                await asyncio.wait_for(self.data_event.wait(), left)
            except asyncio.TimeoutError:
                return False
        return True

    async def send(self, data):
        if self.closed.is_set() or self.writer.is_closing():
            raise ConnectionResetError("client gone")
        self.writer.write(data)
        await self.writer.drain()
        self.sent += len(data)
        # drain() does not yield below the high-water mark, and a TLS transport whose
        # connection is gone swallows writes: yield, so the reader sees EOF or the reset.
        await asyncio.sleep(0)

    def reset(self):
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


def tls_record_complete(buf):
    """A whole TLS record (the ClientHello) has arrived."""
    return len(buf) >= 5 and len(buf) >= 5 + ((buf[3] << 8) | buf[4])


def sip_head_complete(buf):
    return b"\r\n\r\n" in buf or b"\n\n" in buf


def sip_reply(spec, request, status=b"200 OK", server=True):
    head = bytes(request).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    want = {}
    vias = []
    for line in head.split(b"\n")[1:]:
        line = line.rstrip(b"\r")
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        key = name.strip().lower()
        if key in (b"via", b"v"):
            vias.append(value.strip())
        elif key in (b"from", b"f", b"to", b"t", b"call-id", b"i", b"cseq"):
            want.setdefault({b"f": b"from", b"t": b"to", b"i": b"call-id"}.get(key, key),
                            value.strip())
    out = [b"SIP/2.0 " + status]
    out += [b"Via: " + v for v in vias]
    out.append(b"From: " + want.get(b"from", b"<sip:unknown@invalid>"))
    to = want.get(b"to", b"<sip:unknown@invalid>")
    if b";tag=" not in to:
        to += b";tag=e2e0peer"
    out.append(b"To: " + to)
    out.append(b"Call-ID: " + want.get(b"call-id", b"unknown"))
    out.append(b"CSeq: " + want.get(b"cseq", b"1 OPTIONS"))
    if server:
        out.append(b"Server: " + spec.server.encode())
    return b"\r\n".join(out) + b"\r\n"


async def tcp_behaviour(spec, c):
    kind = spec.kind
    if kind == "tarpit":
        await c.closed.wait()
    elif kind in ("drip", "flood", "huge"):
        prefix, line = stream_bytes(spec.data)
        if kind == "drip":
            data = prefix
            while True:
                if not data:
                    data = line
                await c.send(data[:1])
                data = data[1:]
                await asyncio.sleep(spec.every)
        elif kind == "flood":
            await c.send(prefix)
            chunk = line * (65536 // len(line))
            while True:
                await c.send(chunk)
        else:
            await c.send(prefix)
            left = spec.size - len(prefix)
            chunk = line * (65536 // len(line))
            while left > 0:
                await c.send(chunk[:left])
                left -= min(left, len(chunk))
            c.writer.close()
    elif kind == "garbage-on-tls":
        await c.send(b"\x8f\x00\x13\x37garbage\xff\xfe\x00\x01 not a TLS record \x7f\r\n")
        await c.closed.wait()
    elif kind == "non-tls":
        await c.wait_for(lambda b: len(b) > 0)
        await c.send(b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\n"
                     b"Connection: close\r\n\r\n")
        c.writer.close()
    elif kind == "rst-mid-handshake":
        if await c.wait_for(tls_record_complete):
            if spec.opts.get("after") == "half":
                flight = server_first_flight(spec, bytes(c.buf))
                await c.send(flight[: len(flight) // 2])
                await asyncio.sleep(0.05)
            log(spec.tag, "reset", c.peer, "after", c.received, "bytes, sent", c.sent)
            c.reset()
    elif kind == "tls-alert":
        if await c.wait_for(tls_record_complete):
            # alert record: level fatal (2), description handshake_failure (40)
            await c.send(b"\x15\x03\x03\x00\x02\x02\x28")
            await asyncio.sleep(0.05)
            c.writer.close()
    elif kind == "tls-hang":
        await c.wait_for(tls_record_complete)
        await c.closed.wait()
    elif kind == "sip":
        done = 0
        while await c.wait_for(lambda b: sip_head_complete(b[done:])):
            req = bytes(c.buf[done:])
            end = req.find(b"\r\n\r\n")
            end = end + 4 if end >= 0 else req.find(b"\n\n") + 2
            if spec.delay:
                await asyncio.sleep(spec.delay)
            await c.send(sip_reply(spec, req[:end]) +
                         b"Allow: OPTIONS\r\nContent-Length: 0\r\n\r\n")
            done += end
        await c.closed.wait()
    elif kind == "sip-endless-header":
        if await c.wait_for(sip_head_complete):
            await c.send(sip_reply(spec, c.buf))
            n = 0
            while True:
                n += 1
                await c.send(b"X-Endless-%d: %s\r\n" % (n, b"e" * 100))
    elif kind == "xmpp":
        if await c.wait_for(lambda b: b"<stream:stream" in b and b">" in b[b.find(b"<stream:stream"):]):
            await c.send(b"<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                         b"xmlns:stream='http://etherx.jabber.org/streams' from='peer.ucscan.test' "
                         b"id='e2e-stream-1' version='1.0'><stream:features/>")
        await c.closed.wait()
    elif kind == "http":
        done = 0
        while await c.wait_for(lambda b: sip_head_complete(b[done:])):
            req = bytes(c.buf[done:])
            end = req.find(b"\r\n\r\n")
            end = end + 4 if end >= 0 else req.find(b"\n\n") + 2
            done += end
            if spec.delay:
                await asyncio.sleep(spec.delay)
            await c.send(b"HTTP/1.1 200 OK\r\nServer: " + spec.opts.get("server", "Microsoft-IIS/8.5").encode() +
                         b"\r\nContent-Length: 0\r\n\r\n")
        await c.closed.wait()
    elif kind == "count":
        c.writer.close()


async def tcp_handler(spec, reader, writer):
    c = Conn(spec, reader, writer)
    log(spec.tag, "accept", c.peer)
    reading = asyncio.ensure_future(c.drain_reads())
    try:
        await tcp_behaviour(spec, c)
    except (OSError, ssl.SSLError, ConnectionError):
        pass
    finally:
        if not writer.is_closing():
            writer.close()
        reading.cancel()
        log(spec.tag, "close", c.peer, "received=%d" % c.received, "sent=%d" % c.sent)


async def slow_tls_server(spec, sock, ctx):
    """Accepts at once; starts the TLS handshake spec.handshake seconds later (the ClientHello
    waits in the kernel meanwhile), then runs the peer's behaviour."""
    loop = asyncio.get_running_loop()
    while True:
        conn, _ = await loop.sock_accept(sock)
        asyncio.ensure_future(slow_tls_conn(spec, conn, ctx))


async def slow_tls_conn(spec, conn, ctx):
    loop = asyncio.get_running_loop()
    await asyncio.sleep(spec.handshake)
    reader = asyncio.StreamReader(loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    try:
        transport, _ = await loop.connect_accepted_socket(lambda: protocol, sock=conn, ssl=ctx,
                                                          ssl_handshake_timeout=30)
    except (OSError, ssl.SSLError, asyncio.TimeoutError):
        conn.close()
        return
    await tcp_handler(spec, reader, asyncio.StreamWriter(transport, protocol, reader, loop))


def server_first_flight(spec, client_hello):
    """What a real TLS server answers to this ClientHello (ServerHello and what follows)."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = tls_context(spec, force=True).wrap_bio(inc, out, server_side=True)
    inc.write(client_hello)
    try:
        conn.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def tls_context(spec, force=False):
    if not spec.cert or not spec.key:
        raise ValueError("%s: a TLS peer needs --cert/--key (or cert=/key=)" % spec.text)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(spec.cert, spec.key)
    if spec.tls == "mtls" and not force:
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(spec.cert)
    return ctx


# ---------------------------------------------------------------------------------------------
# UDP peers

def be16(v):
    return struct.pack("!H", v)


def stun_attr(t, value, pad=True):
    out = be16(t) + be16(len(value)) + value
    if pad and len(value) % 4:
        out += b"\x00" * (4 - len(value) % 4)
    return out


def xor_mapped(addr):
    ip, port = addr[0], addr[1]
    a = struct.unpack("!I", socket.inet_aton(ip))[0] ^ STUN_COOKIE
    return stun_attr(0x0020, b"\x00\x01" + be16(port ^ (STUN_COOKIE >> 16)) + struct.pack("!I", a))


def binding_success(tid, addr, extra=b"", lie=0):
    body = xor_mapped(addr) + stun_attr(0x8022, b"e2e-peers") + extra
    return be16(0x0101) + be16(len(body) + lie) + struct.pack("!I", STUN_COOKIE) + tid + body


def parse_stun(data):
    """('rfc', type, tid) or ('ms', type, tid) or None."""
    if len(data) < 20:
        return None
    mtype = struct.unpack("!H", data[:2])[0]
    if struct.unpack("!I", data[4:8])[0] == STUN_COOKIE:
        return ("rfc", mtype, data[8:20])
    if len(data) >= 28 and data[20:24] == b"\x00\x0f\x00\x04" and \
            struct.unpack("!I", data[24:28])[0] == MSTURN_COOKIE:
        return ("ms", mtype, data[4:20])
    return None


def msturn_401(tid):
    reason = b"Unauthorized"
    body = (stun_attr(0x000F, struct.pack("!I", MSTURN_COOKIE), pad=False) +
            stun_attr(0x0009, b"\x00\x00\x04\x01" + reason, pad=False) +
            stun_attr(0x0015, b"SIP Communications Service", pad=False) +     # REALM (MS-TURN)
            stun_attr(0x0014, b"0123456789abcdef0123456789abcdef", pad=False) +  # NONCE
            stun_attr(0x8008, struct.pack("!I", 2), pad=False))               # MS-VERSION
    return be16(0x0113) + be16(len(body)) + tid + body


def sqlb_records(names):
    return b"".join(b"ServerName;FE01;InstanceName;%s;IsClustered;No;Version;12.0.2000.8;tcp;5%04d;;"
                    % (n, i) for i, n in enumerate(names))


def svr_resp(data, claim=None):
    size = len(data) if claim is None else claim
    return b"\x05" + struct.pack("<H", size) + data


class UdpPeer(asyncio.DatagramProtocol):
    def __init__(self, spec, other=None):
        self.spec = spec
        self.other = other  # stun-other-source: the socket replies leave from

    def connection_made(self, transport):
        self.transport = transport

    def reply(self, data, addr):
        (self.other or self.transport).sendto(data, addr)
        log(self.spec.tag, "sent", "%s:%d" % addr, len(data))

    def datagram_received(self, data, addr):
        spec = self.spec
        log(spec.tag, "datagram", "%s:%d" % addr, len(data))
        kind = spec.kind
        st = parse_stun(data)
        if kind == "msturn-401":
            if st and st[0] == "ms" and st[1] == 0x0003:
                self.reply(msturn_401(st[2]), addr)
        elif kind.startswith("stun-"):
            if not st or st[0] != "rfc" or st[1] != 0x0001:
                return
            tid = st[2]
            if kind == "stun-lying-length":
                self.reply(binding_success(tid, addr, lie=40), addr)
            elif kind == "stun-unknown-attr":
                self.reply(binding_success(tid, addr, extra=stun_attr(0x7F31, b"surprise")), addr)
            elif kind == "stun-wrong-txid":
                self.reply(binding_success(bytes(b ^ 0xFF for b in tid), addr), addr)
            elif kind == "stun-other-source":
                self.reply(binding_success(tid, addr), addr)
            elif kind == "stun-decoy":
                self.transport.sendto(binding_success(bytes(b ^ 0x5A for b in tid), addr), addr)
                self.other.sendto(binding_success(tid, addr), addr)
                self.transport.sendto(binding_success(tid, addr), addr)
                log(spec.tag, "sent", "%s:%d" % addr, "decoys+1")
            elif kind == "stun-huge":
                pad = 65000 - 20 - 12 - 16 - 4 - 8
                self.reply(binding_success(tid, addr, extra=stun_attr(0x8030, b"h" * pad) +
                                           stun_attr(0x7F33, b"last")), addr)
        elif kind.startswith("sqlb"):
            if data[:1] not in (b"\x02", b"\x03"):
                return
            full = sqlb_records([b"RTCLOCAL", b"LYNCLOCAL"])
            if kind == "sqlb":
                self.reply(svr_resp(full), addr)
            elif kind == "sqlb-truncated":
                cut = full[: full.index(b"LYNCLOCAL") + 4]
                self.reply(svr_resp(cut), addr)
            elif kind == "sqlb-huge":
                recs, i = b"", 0
                while len(recs) < 64900:
                    recs += sqlb_records([b"INST%04d" % i])
                    i += 1
                self.reply(svr_resp(recs[: recs.rfind(b";;", 0, 65000 - 3) + 2]), addr)
            else:
                self.reply(svr_resp(full, claim=len(full) + 1000), addr)
        elif kind in DNS_RCODES:
            if len(data) < 12 or data[2] & 0x80:
                return
            qd = struct.unpack("!H", data[4:6])[0]
            p, labels = 12, []
            while p < len(data) and data[p] and len(labels) < 64:
                labels.append(data[p + 1:p + 1 + data[p]].decode("ascii", "replace"))
                p += 1 + data[p]
            qend = p + 5  # the root label, QTYPE, QCLASS
            if qd != 1 or qend > len(data):
                return
            qtype = struct.unpack("!H", data[p + 1:p + 3])[0]
            name = ".".join(labels)
            log(spec.tag, "query", "%s:%d" % addr, name, "type=%d" % qtype)
            rcode = 2 if name.lower() == spec.opts.get("servfail") else DNS_RCODES[kind]
            # QR, opcode+RD kept, RA, the RCODE; no answer in any case
            flags = 0x8000 | (data[2] & 0x79) << 8 | 0x0080 | rcode
            self.transport.sendto(data[:2] + struct.pack("!HHHHH", flags, 1, 0, 0, 0) +
                                  data[12:qend], addr)
        elif kind == "udp-flood":
            for i in range(spec.count):
                (self.other or self.transport).sendto(b"junk %06d " % i + b"j" * 200, addr)
            log(spec.tag, "flooded", "%s:%d" % addr, spec.count)


# ---------------------------------------------------------------------------------------------

async def main(args):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    specs = [Spec(t, args) for t in args.specs]
    servers = []
    for spec in specs:
        if spec.udp:
            other = None
            if spec.kind in ("stun-other-source", "stun-decoy"):
                src = spec.opts.get("from")
                if not src:
                    raise ValueError("%s: %s needs from=ADDR" % (spec.text, spec.kind))
                other, _ = await loop.create_datagram_endpoint(
                    asyncio.DatagramProtocol, local_addr=(src, spec.port))
            t, _ = await loop.create_datagram_endpoint(
                lambda s=spec, o=other: UdpPeer(s, o), local_addr=(spec.addr, spec.port),
                reuse_port=False)
            servers.append(t)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((spec.addr, spec.port))
            sock.listen(1024)
            sock.setblocking(False)
            ctx = tls_context(spec) if spec.tls else None
            if spec.handshake:
                servers.append(asyncio.ensure_future(slow_tls_server(spec, sock, ctx)))
            else:
                srv = await asyncio.start_server(
                    lambda r, w, s=spec: tcp_handler(s, r, w), sock=sock, ssl=ctx,
                    ssl_handshake_timeout=30 if ctx else None)
                servers.append(srv)
        log(spec.tag, "listening")
    if args.ready:
        with open(args.ready + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.ready + ".tmp", args.ready)
    await stop.wait()


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ready", help="file written once every socket is bound")
    ap.add_argument("--cert", help="PEM certificate for tls:/mtls: peers")
    ap.add_argument("--key", help="PEM key for tls:/mtls: peers")
    ap.add_argument("specs", nargs="+", metavar="SPEC")
    return ap.parse_args(argv)


if __name__ == "__main__":
    a = parse_args(sys.argv[1:])
    try:
        asyncio.run(main(a))
    except ValueError as e:
        print("peers.py: %s" % e, file=sys.stderr)
        sys.exit(2)
