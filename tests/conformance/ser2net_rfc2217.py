#!/usr/bin/env python3
"""conformance/ser2net_rfc2217: jigd's RFC 2217 client (jigflash: the flash
job over daemon/port) through Debian's ser2net, a server we did not write.

espsim gives one ESP32 board a pseudo-terminal (--pty). ser2net, started in
the foreground from a config written here, serves that pty with a
telnet(rfc2217) accepter on a free loopback port, and nothing else. jigflash
then writes two random images through rfc2217://127.0.0.1:PORT: one staying
at 115200 baud with the ROM loader, one at 921600 with the flasher stub.
The board's flash file must equal, byte for byte, an erased flash with the
two images in place.

A pty has no modem lines, so the board is put into its loader through
espsim's control socket and jigflash runs with --reset none.

Usage: ser2net_rfc2217.py --espsim PATH --jigflash PATH --stub-dir DIR
                          [--ser2net PATH] [--tmp DIR]
A missing ser2net fails the test (apt-get install ser2net; deploy/setup.sh
lists it): a conformance check that quietly does not run proves nothing.
"""
import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

FLASH_SIZE = 4 * 1024 * 1024        # espsim's default
READY_TIMEOUT_S = 15
JIGFLASH_TIMEOUT_S = 120

# (offset, size, baud, loader): each run leaves the other's region alone.
RUNS = [
    (0x10000, 64 * 1024, 115200, "rom"),
    (0x20000, 512 * 1024, 921600, "stub"),
]


class Fail(Exception):
    """The test failed; the message says why and what to look at."""


def random_port():
    return random.randint(20000, 60000)


def loopback_listeners(port):
    """Addresses with a TCP socket listening on `port`, from /proc/net/tcp{,6}."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            addr, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:     # 0A = LISTEN
                found.append(addr)
    return found


LOOPBACK_V4 = "0100007F"        # 127.0.0.1 as /proc/net/tcp writes it


class Espsim:
    """One ESP32 board with a pty, and its control socket."""

    def __init__(self, binary, work):
        self.output = []
        for _ in range(5):
            self.base_port = random_port()
            self.control_port = self.base_port + 1
            # Python ignores SIGPIPE and restore_signals=False passes that on:
            # espsim writes to sockets a client may have closed.
            self.proc = subprocess.Popen(
                [binary, "--boards", "1", "--chip", "esp32", "--base-port", str(self.base_port),
                 "--control-port", str(self.control_port), "--flash-dir", work, "--pty"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, restore_signals=False)
            self.ready = threading.Event()
            self.pty = None
            threading.Thread(target=self._read_output, daemon=True).start()
            if self._started() and self.pty:
                return
            self.stop()
        raise Fail("espsim did not start with a pty:\n" + "\n".join(self.output[-20:]))

    def _started(self):
        """Ready, or gone (a port in use ends it at once: try others)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.ready.wait(0.05):
                return True
        return self.ready.is_set()

    def _read_output(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.output.append(line)
            m = re.match(r"espsim: board 1 pty (\S+)", line)
            if m:
                self.pty = m.group(1)
            if line.startswith("espsim: ready"):
                self.ready.set()

    def control(self, command):
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=3) as s:
            s.sendall(command.encode() + b"\n")
            answer = b""
            while b"\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        line = answer.decode().split("\n")[0]
        if not line.startswith("ok"):
            raise Fail("espsim control '%s' answered %r" % (command, line))
        return line[2:].strip()

    def status(self):
        return json.loads(self.control("status 1"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ser2net_config(tcp_port, pty):
    """One connection: telnet(rfc2217) on loopback only, to the board's pty.
    Buffers raised from their 64-byte defaults as docs/deploy.md advises."""
    return "\n".join([
        "%YAML 1.1",
        "---",
        "# Written by tests/conformance/ser2net_rfc2217.py for one test run.",
        "connection: &board1",
        "  accepter: telnet(rfc2217),tcp,127.0.0.1,%d" % tcp_port,
        "  connector: serialdev,%s,115200n81,local" % pty,
        "  options:",
        "    max-connections: 1",
        "    kickolduser: false",
        "    dev-to-net-bufsize: 4096",
        "    net-to-dev-bufsize: 4096",
        "",
    ])


class Ser2net:
    """ser2net in the foreground (-d: logs to stdout; -u: no UUCP lock
    files), never the system service, listening on 127.0.0.1 only."""

    def __init__(self, binary, pty, work):
        for _ in range(5):
            self.port = random_port()
            config = os.path.join(work, "ser2net.yaml")
            with open(config, "w") as f:
                f.write(ser2net_config(self.port, pty))
            self.log_path = os.path.join(work, "ser2net.log")
            self.log = open(self.log_path, "w")
            self.proc = subprocess.Popen([binary, "-d", "-u", "-c", config],
                                         stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=subprocess.STDOUT)
            if self._listening():
                self._check_loopback_only()
                return
            self.stop()
        raise Fail("ser2net did not listen on 127.0.0.1:%d:\n%s" % (self.port, self.log_text()))

    def _listening(self):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.proc.poll() is None:
            if loopback_listeners(self.port):
                return True
            time.sleep(0.05)
        return False

    def _check_loopback_only(self):
        where = loopback_listeners(self.port)
        if where != [LOOPBACK_V4]:
            self.stop()
            raise Fail("ser2net listens on %s, not on 127.0.0.1 alone" % where)

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def find_ser2net(given):
    if given and os.access(given, os.X_OK):
        return given
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    return shutil.which("ser2net", path=path)


def flash_once(args, sim, s2n, offset, image, baud, loader):
    """Board into its loader, then one jigflash write through ser2net."""
    sim.control("reset 1 download")
    cmd = [args.jigflash, "--port", "rfc2217://127.0.0.1:%d" % s2n.port, "--baud", str(baud),
           "--reset", "none"]
    cmd += ["--no-stub"] if loader == "rom" else ["--stub-dir", args.stub_dir]
    cmd += ["write", "0x%x" % offset, image]
    started = time.monotonic()
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=JIGFLASH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise Fail("jigflash at %d baud did not end within %d s; ser2net log:\n%s"
                   % (baud, JIGFLASH_TIMEOUT_S, s2n.log_text()))
    took = time.monotonic() - started
    if run.returncode != 0 or "verify 0x%08x" % offset not in run.stderr:
        raise Fail("jigflash at %d baud (%s) failed, exit %d:\n%s\nser2net log:\n%s"
                   % (baud, loader, run.returncode, run.stderr[-3000:], s2n.log_text()))
    if re.search(r"Sanitizer|runtime error:", run.stderr):
        raise Fail("jigflash reported a sanitizer error:\n" + run.stderr[-3000:])
    status = sim.status()
    if status["baud"] != baud or status["mode"] != loader:
        raise Fail("after the %d-baud run the board is at %s baud in %s mode, not %d in %s"
                   % (baud, status["baud"], status["mode"], baud, loader))
    if status["connected"]:
        raise Fail("something used espsim's own RFC 2217 port, not ser2net's")
    print("ok: %d KiB at 0x%x, %d baud, %s loader, through ser2net in %.1f s"
          % (os.path.getsize(image) // 1024, offset, baud, loader, took))


def check_flash(flash_file, images):
    expected = bytearray(b"\xff" * FLASH_SIZE)
    for offset, data in images:
        expected[offset:offset + len(data)] = data
    with open(flash_file, "rb") as f:
        actual = f.read()
    if actual == bytes(expected):
        return
    if len(actual) != len(expected):
        raise Fail("the board's flash is %d bytes, not %d" % (len(actual), len(expected)))
    first = next(i for i in range(len(actual)) if actual[i] != expected[i])
    raise Fail("the board's flash differs first at 0x%x (0x%02x, expected 0x%02x)"
               % (first, actual[first], expected[first]))


def flash_both(args, sim, s2n, work):
    images = []
    for offset, size, baud, loader in RUNS:
        data = os.urandom(size)
        image = os.path.join(work, "image-%x.bin" % offset)
        with open(image, "wb") as f:
            f.write(data)
        flash_once(args, sim, s2n, offset, image, baud, loader)
        images.append((offset, data))
    check_flash(os.path.join(work, "board1.bin"), images)
    print("ok: the board's flash holds both images byte for byte, erased elsewhere")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--espsim", required=True)
    ap.add_argument("--jigflash", required=True)
    ap.add_argument("--stub-dir", required=True)
    ap.add_argument("--ser2net", default="")
    ap.add_argument("--tmp", default=None)
    args = ap.parse_args()

    binary = find_ser2net(args.ser2net)
    if not binary:
        print("FAIL: ser2net is not installed, so jigd's RFC 2217 client was not checked "
              "against it: apt-get install ser2net (deploy/setup.sh installs it)",
              file=sys.stderr)
        return 1

    work = tempfile.mkdtemp(prefix="ser2net-rfc2217-", dir=args.tmp)
    sim = s2n = None
    try:
        sim = Espsim(args.espsim, work)
        s2n = Ser2net(binary, sim.pty, work)
        flash_both(args, sim, s2n, work)
        result = 0
    except Fail as e:
        print("FAIL: %s" % e, file=sys.stderr)
        result = 1
    finally:
        if s2n:
            s2n.stop()
        if sim:
            sim.stop()
        shutil.rmtree(work, ignore_errors=True)
    # The sanitizer build runs espsim under ASan/UBSan: a report fails the test.
    output = "\n".join(sim.output) if sim else ""
    if re.search(r"ERROR: \w+Sanitizer|runtime error:", output):
        print("FAIL: espsim reported a sanitizer error:\n" + output[-3000:], file=sys.stderr)
        result = 1
    return result


if __name__ == "__main__":
    sys.exit(main())
