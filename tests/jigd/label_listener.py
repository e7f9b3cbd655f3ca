#!/usr/bin/env python3
"""A label printer's raw TCP port on loopback, for tests/jigd/label_print.sh.

  label_listener.py PORT OUTDIR           keep each connection's bytes as
                                          OUTDIR/label-N.zpl (N from 1), written
                                          whole once the sender closes
  label_listener.py PORT OUTDIR --silent  a printer that does not answer: its
                                          accept queue is full, so the kernel
                                          drops a new connection's SYN

Loopback only; it stops by itself after 300 s. Standard library only.
"""
import os
import socket
import sys
import time

LIFETIME_S = 300


def serve(port, outdir):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)
    srv.settimeout(1.0)
    open(os.path.join(outdir, "listening"), "w").close()
    n = 0
    end = time.monotonic() + LIFETIME_S
    while time.monotonic() < end:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        conn.settimeout(10.0)
        data = b""
        with conn:
            try:
                while chunk := conn.recv(4096):
                    data += chunk
            except socket.timeout:
                pass
        n += 1
        path = os.path.join(outdir, f"label-{n}.zpl")
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.rename(path + ".tmp", path)


def silent(port, outdir):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(0)
    # One connection fills a backlog of 0; it is never accepted.
    filler = socket.create_connection(("127.0.0.1", port))
    open(os.path.join(outdir, "listening"), "w").close()
    time.sleep(LIFETIME_S)
    filler.close()


if __name__ == "__main__":
    port, outdir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    (silent if "--silent" in sys.argv[3:] else serve)(port, outdir)
