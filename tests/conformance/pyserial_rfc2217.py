#!/usr/bin/env python3
"""espsim's RFC 2217 side judged by pySerial's RFC 2217 client (the one esptool
uses for rfc2217:// ports), independently of esptool-js and of our adapter.

1. Open a board with serial.serial_for_url("rfc2217://..."), change the baud
   rate, move DTR and RTS, and check through espsim's control socket that the
   board saw each setting.
2. Reset it into the ROM loader with esptool's classic DTR/RTS sequence
   (rom-protocol.md §4.2), then SYNC by hand: one SLIP SYNC frame (§5) must
   draw 8 ROM replies carrying 0x20120707.

Usage: pyserial_rfc2217.py --espsim PATH [--tmp DIR] [--chip esp32]
Needs Debian's python3-serial.
"""
import argparse
import json
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings

# pySerial 3.5 calls Thread.setDaemon(), which newer Pythons flag as deprecated.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"serial\.")
import serial

ARGS = None
READY_TIMEOUT_S = 15
SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD
SYNC_OPCODE = 0x08
SYNC_DATA = b"\x07\x07\x12\x20" + b"\x55" * 32
ROM_SYNC_VALUE = 0x20120707


def slip_encode(packet):
    body = packet.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")
    return b"\xc0" + body + b"\xc0"


def command_packet(opcode, data, checksum=0):
    return struct.pack("<BBHI", 0x00, opcode, len(data), checksum) + data


class SlipReader:
    """Reads whole SLIP frames from a pySerial port, each within a deadline."""

    def __init__(self, port):
        self.port = port
        self.pending = bytearray()

    def frame(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while True:
            start = self.pending.find(b"\xc0")
            if start >= 0:
                end = self.pending.find(b"\xc0", start + 1)
                if end > start + 1:
                    raw = bytes(self.pending[start + 1:end])
                    del self.pending[:end + 1]
                    return raw.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb")
                if end == start + 1:  # an empty frame: keep the second C0 as a start
                    del self.pending[:start + 1]
                    continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.port.timeout = min(left, 0.05)
            self.pending += self.port.read(max(1, self.port.in_waiting))


class Espsim:
    """One espsim process with a few boards, stopped when the test ends."""

    def __init__(self, binary, chip, boards, flash_dir):
        self.boards = boards
        for _ in range(3):
            self.base_port = self._free_port_run(boards + 1)
            self.control_port = self.base_port + boards
            self.proc = subprocess.Popen(
                [binary, "--boards", str(boards), "--chip", chip, "--base-port", str(self.base_port),
                 "--flash-dir", flash_dir, "--control-port", str(self.control_port), "--latency-ms", "2"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.output = []
            self.ready = threading.Event()
            self.reader = threading.Thread(target=self._read_stdout, daemon=True)
            self.reader.start()
            if self.ready.wait(READY_TIMEOUT_S):
                return
            self.stop()
            if not re.search(r"in use|bind", "\n".join(self.output), re.I):
                break
        raise AssertionError("espsim did not print 'espsim: ready' within %d s:\n%s"
                             % (READY_TIMEOUT_S, "\n".join(self.output[-30:])))

    @staticmethod
    def _free_port_run(count):
        for _ in range(50):
            base = random.randint(20000, 60000 - count)
            try:
                socks = []
                for p in range(base, base + count):
                    s = socket.socket()
                    socks.append(s)
                    s.bind(("127.0.0.1", p))
                return base
            except OSError:
                continue
            finally:
                for s in socks:
                    s.close()
        raise AssertionError("no run of %d free TCP ports on 127.0.0.1" % count)

    def _read_stdout(self):
        for line in self.proc.stdout:
            self.output.append(line.rstrip("\n"))
            if line.startswith("espsim: ready"):
                self.ready.set()

    def status(self, board):
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=3) as s:
            s.sendall(b"status %d\n" % board)
            answer = b""
            while b"\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        line = answer.decode().split("\n")[0].strip()
        if not line.startswith("ok"):
            raise AssertionError("espsim control 'status %d' answered: %r" % (board, line))
        return json.loads(line[2:].strip() or "{}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdin.close()


def line_state(status, name):
    """DTR/RTS as espsim's status reports them: true = asserted."""
    if name not in status:
        raise AssertionError("espsim status has no '%s': %s" % (name, json.dumps(status)))
    return bool(status[name])


def host_baud(status):
    """The rate the host side set over RFC 2217 (status 'baud' is the chip UART's own)."""
    if "host_baud" not in status:
        raise AssertionError("espsim status has no host_baud: %s" % json.dumps(status))
    return status["host_baud"]


class PyserialAgainstEspsim(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pyserial-rfc2217-", dir=ARGS.tmp)
        cls.sim = Espsim(ARGS.espsim, ARGS.chip, 2, cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.sim.reader.join(3)
        cls.sim.proc.stdout.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        # The test build runs espsim under ASan/UBSan: a report fails the test.
        output = "\n".join(cls.sim.output)
        match = re.search(r"(ERROR: (Address|Leak)Sanitizer|runtime error:)", output)
        if match:
            raise AssertionError("espsim reported a sanitizer error:\n" + output[match.start():match.start() + 3000])

    def open_board(self, board):
        url = "rfc2217://127.0.0.1:%d?timeout=3" % (self.sim.base_port + board - 1)
        port = serial.serial_for_url(url, baudrate=115200, timeout=0.05)
        self.addCleanup(port.close)
        return port

    def wait_status(self, board, check, what, timeout_s=2.0):
        """The control socket and the RFC 2217 socket are separate: allow a moment."""
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.sim.status(board)
            if check(status):
                return status
            if time.monotonic() > deadline:
                self.fail("espsim board %d never showed %s; last status: %s" % (board, what, json.dumps(status)))
            time.sleep(0.02)

    def classic_reset(self, port, board):
        """esptool's ClassicReset (rom-protocol.md §4.2) through pySerial's RFC 2217 client.

        pySerial's dtr/rts setters wait for each answer by polling every 50 ms,
        so doing step "DTR on, then RTS off" with two setters would hold the
        "both asserted" state for >= 50 ms: EN is already released then, and
        once the EN RC delay (a few ms) has passed the chip samples IO0 high and
        boots the app - on a real board as on espsim (esptool issue #383; why
        esp_rfc2217_server sequences resets locally). So that one step sends
        its two SET-CONTROLs back to back with pySerial's own
        rfc2217_send_subnegotiation, as a USB adapter sets both lines at once.
        """
        rfc = serial.rfc2217
        port.dtr = False
        port.rts = True
        port.dtr = False  # esptool re-writes DTR after every RTS change
        time.sleep(0.1)
        port.rfc2217_send_subnegotiation(rfc.SET_CONTROL, rfc.SET_CONTROL_DTR_ON)
        port.rfc2217_send_subnegotiation(rfc.SET_CONTROL, rfc.SET_CONTROL_RTS_OFF)
        self.wait_status(board, lambda s: line_state(s, "dtr") and not line_state(s, "rts"),
                         "DTR asserted, RTS released (IO0 low, EN high)")
        time.sleep(0.05)
        port.dtr = False

    def test_settings_reach_the_board(self):
        port = self.open_board(1)
        for baud in (460800, 921600, 115200):
            port.baudrate = baud
            self.wait_status(1, lambda s, b=baud: host_baud(s) == b, "baud %d" % baud)
        for dtr, rts in ((True, False), (False, True), (True, True), (False, False)):
            port.dtr = dtr
            port.rts = rts
            self.wait_status(1, lambda s, d=dtr, r=rts: line_state(s, "dtr") == d and line_state(s, "rts") == r,
                             "DTR=%s RTS=%s" % (dtr, rts))

    def test_classic_reset_then_hand_made_sync(self):
        port = self.open_board(2)
        self.classic_reset(port, 2)
        banner = bytearray()
        deadline = time.monotonic() + 1.0
        while b"waiting for download" not in banner and time.monotonic() < deadline:
            banner += port.read(256)
        self.assertIn(b"waiting for download", bytes(banner),
                      "the ROM banner after a classic reset should announce download mode; got %r" % bytes(banner))

        reader = SlipReader(port)
        frame = slip_encode(command_packet(SYNC_OPCODE, SYNC_DATA))
        replies = []
        for attempt in range(5):  # esptool tries 5 times per reset (rom-protocol.md §5.1)
            port.reset_input_buffer()
            reader.pending.clear()
            port.write(frame)
            replies = []
            while len(replies) < 8:
                got = reader.frame(0.5)
                if got is None:
                    break
                if len(got) >= 8 and got[0] == 0x01 and got[1] == SYNC_OPCODE:
                    replies.append(got)
            if len(replies) == 8:
                break
        self.assertEqual(len(replies), 8, "a ROM answers one SYNC with 8 replies")
        for reply in replies:
            direction, opcode, size, value = struct.unpack_from("<BBHI", reply)
            data = reply[8:]
            self.assertEqual(value, ROM_SYNC_VALUE, "ROM SYNC reply value, reply %s" % reply.hex())
            self.assertEqual(len(data), 4, "ESP32-family ROM replies end in 4 status bytes: %s" % reply.hex())
            self.assertEqual(data[0], 0, "SYNC reply status says failure: %s" % reply.hex())
        # Nothing but replies may follow: esptool treats stray bytes as a broken packet head.
        extra = reader.frame(0.2)
        self.assertTrue(extra is None or (extra[1] == SYNC_OPCODE and extra[0] == 0x01),
                        "unexpected frame after the SYNC replies: %r" % extra)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--espsim", required=True, help="path to the espsim binary")
    parser.add_argument("--tmp", default=None, help="directory for flash files")
    parser.add_argument("--chip", default="esp32")
    ARGS, rest = parser.parse_known_args()
    if not os.access(ARGS.espsim, os.X_OK):
        sys.exit("espsim not found or not executable at %s: build it first" % ARGS.espsim)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
