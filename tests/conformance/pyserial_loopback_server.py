#!/usr/bin/env python3
"""A reference RFC 2217 server for testing our own RFC 2217 client adapter.

pySerial's PortManager (Debian python3-serial) is an RFC 2217 server written
independently of espsim; here it serves pySerial's `loop://` port, which echoes
every byte written to it. So when webserial_rfc2217.mjs works against this,
its telnet/COM-PORT-OPTION handling is right by a second opinion, and any
disagreement with espsim is espsim's to explain.

Usage: pyserial_loopback_server.py  (listens on 127.0.0.1, an ephemeral port)
Prints `listening PORT`, then one line per setting the client changed:
`baudrate 921600`, `dtr True`, `rts False`, ... Serves one connection at a time
until stdin closes or it is killed.
"""
import socket
import sys
import threading

import serial
import serial.rfc2217


class SocketWriter:
    """PortManager writes telnet replies through this; it needs a thread-safe write()."""

    def __init__(self, sock):
        self.sock = sock
        self.lock = threading.Lock()

    def write(self, data):
        with self.lock:
            self.sock.sendall(data)


class ReportingLoop(serial.serial_for_url("loop://", do_not_open=True).__class__):
    """The loop:// port, announcing each line or rate change on stdout."""

    def _report(self, name, value):
        print(f"{name} {value}", flush=True)

    def _reconfigure_port(self):
        super()._reconfigure_port()
        self._report("baudrate", self.baudrate)

    def _update_dtr_state(self):
        super()._update_dtr_state()
        self._report("dtr", self._dtr_state)

    def _update_rts_state(self):
        super()._update_rts_state()
        self._report("rts", self._rts_state)


def pump_serial_to_network(port, writer, manager, stop):
    while not stop.is_set():
        data = port.read(port.in_waiting or 1)
        if data:
            writer.write(b"".join(manager.escape(data)))


def serve(conn):
    port = ReportingLoop()
    port.port = "loop://"
    port.timeout = 0.05
    port.open()
    writer = SocketWriter(conn)
    manager = serial.rfc2217.PortManager(port, writer)
    stop = threading.Event()
    pump = threading.Thread(target=pump_serial_to_network, args=(port, writer, manager, stop), daemon=True)
    pump.start()
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            for byte in manager.filter(data):
                port.write(byte)
    finally:
        stop.set()
        pump.join(1)
        port.close()
        conn.close()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print(f"listening {listener.getsockname()[1]}", flush=True)
    # Stop when the parent closes our stdin: no orphan server after a test dies.
    threading.Thread(target=lambda: (sys.stdin.read(), listener.close()), daemon=True).start()
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        serve(conn)
        print("disconnected", flush=True)


if __name__ == "__main__":
    main()
