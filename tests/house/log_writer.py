#!/usr/bin/env python3
"""jigd's log has one writer: daemon/events/log_line.c, which begins every
line with its time. A module of jigd that prints to stderr itself writes a
line without one (a merge once brought such a line back). The usage text
of a bad command line (fputs) and the command-line programs (jigctl,
jigflash) talk to a person, not to the journal, and are left out.

usage: log_writer.py ROOT [--self-check]
"""
import pathlib
import re
import sys
import tempfile
import shutil

EXEMPT = ("daemon/jigctl/", "daemon/flash/jigflash.c", "daemon/events/log_line.c")
DIRECT = re.compile(r"\b(fprintf\s*\(\s*stderr|perror\s*\()")


def findings(root):
    out = []
    for path in sorted((root / "daemon").rglob("*.c")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(EXEMPT):
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if DIRECT.search(line):
                out.append(f"{rel}:{n}: writes to stderr itself; use log_line() (log_line.h)")
    return out


def self_check(root):
    """A planted fprintf(stderr, ...) must be found."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = pathlib.Path(tmp) / "tree"
        shutil.copytree(root / "daemon", copy / "daemon")
        target = copy / "daemon" / "station" / "slot.c"
        target.write_text(target.read_text() + '\nstatic void planted(void) { fprintf(stderr, "x\\n"); }\n')
        if not any("slot.c" in f for f in findings(copy)):
            print("self-check: a planted fprintf(stderr) in daemon/station/slot.c was not caught")
            return 1
    print("self-check: ok")
    return 0


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    if "--self-check" in sys.argv[2:]:
        return self_check(root)
    found = findings(root)
    for f in found:
        print(f)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
