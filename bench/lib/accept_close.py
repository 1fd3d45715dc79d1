"""bench/lib/accept_close.py READY PORT...: TCP listeners on 0.0.0.0 that accept each
connection and close it at once, from one thread; READY is written when all listen.

The wide benchmark's targets share the scanner's cores (one machine, namespaces): a target
that spends CPU per connection (an asyncio server with a task per connection) takes it from
whichever tool is measured, and one that stops accepting fills its queues until the kernel
drops SYNs. This one costs an accept() and a close() per connection."""
import os
import selectors
import socket
import sys


def main(ready, ports):
    sel = selectors.DefaultSelector()
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", p))
        s.listen(65535)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    print("accept_close: %d port(s) on 0.0.0.0" % len(ports), flush=True)
    while True:
        for key, _ in sel.select():
            try:
                while True:
                    c, _ = key.fileobj.accept()
                    c.close()
            except (BlockingIOError, ConnectionAbortedError):
                pass


if __name__ == "__main__":
    main(sys.argv[1], [int(p) for p in sys.argv[2:]])
