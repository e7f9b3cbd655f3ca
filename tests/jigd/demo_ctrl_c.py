#!/usr/bin/env python3
"""make demo as an operator runs it: in a terminal, until Ctrl-C.

The demo script runs under a pseudo-terminal (stdin and stdout a terminal,
so it shows `jigctl watch` itself and runs until stopped). Once watch has
drawn the slots, a Ctrl-C is typed. The demo must then:
  - have shown watch's slot lines, never "cannot reach jigd" (watch used to
    start before jigd listened, and gave up);
  - end with status 0 and say it stopped (a requested stop is no error:
    make used to print "Error 130");
  - leave no process of its own and no work folder behind.

usage: demo_ctrl_c.py REPO BUILD_DIR
"""
import os
import pty
import re
import select
import sys
import time

repo, build = sys.argv[1], os.path.abspath(sys.argv[2])


def fail(why, out):
    sys.stderr.write(out[-4000:] + "\n")
    sys.exit(f"FAIL (demo_ctrl_c): {why}")


def read_until(fd, out, pattern, seconds):
    """Reads the terminal until pattern shows up in everything read so far."""
    end = time.time() + seconds
    while time.time() < end:
        if re.search(pattern, out):
            return out, True
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            out += data.decode(errors="replace")
    return out, bool(re.search(pattern, out))


pid, fd = pty.fork()
if pid == 0:
    os.chdir(repo)
    os.execvp("bash", ["bash", "deploy/demo_station.sh", build])

out, ok = read_until(fd, "", r"work folder: (\S+)", 120)
if not ok:
    fail("the demo never said where its work folder is", out)
work = re.search(r"work folder: (\S+)", out).group(1)
out, ok = read_until(fd, out, r"slot 8 ", 60)
if not ok:
    fail("jigctl watch never drew slot 8", out)
os.write(fd, b"\x03")
out, _ = read_until(fd, out, r"jigd demo: stopped", 30)
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)

if "cannot reach jigd" in out:
    fail("jigctl watch started before jigd listened", out)
if code != 0:
    fail(f"the demo ended with status {code} after Ctrl-C, not 0", out)
if "jigd demo: stopped" not in out:
    fail("the demo did not say it stopped", out)
time.sleep(1)
left = []
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if work.encode() in f.read():
                    left.append(p)
        except OSError:
            pass
if left:
    fail(f"processes of the demo outlived it: {left}", out)
if os.path.exists(work):
    fail(f"the work folder {work} is still there", out)
print("ok (demo_ctrl_c)")
