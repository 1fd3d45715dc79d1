#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal of a given size and prints what it wrote there.

    python3 tests/e2e/lib/onterm.py COLUMNS COMMAND [ARG...]

The command's stdout and stderr are the terminal (isatty() is true, TIOCGWINSZ gives COLUMNS
columns and 50 rows); its stdin is /dev/null. The output is copied to our stdout with the
terminal's CR LF line ends made LF; the exit status is the command's (128 + N for signal N).
A command still running after UC_PTY_TIMEOUT seconds (default 120) is killed: status 124.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cols = int(sys.argv[1])
    argv = sys.argv[2:]
    deadline = time.monotonic() + float(os.environ.get("UC_PTY_TIMEOUT", "120"))
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    out = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(bytes(out).replace(b"\r\n", b"\n"))
            return 124
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(bytes(out).replace(b"\r\n", b"\n"))
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
