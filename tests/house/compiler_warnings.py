#!/usr/bin/env python3
"""The build is warning-free at -O2 with gcc and with clang, not only in
the test build (clang -O0 with sanitizers): every translation unit of the
build (its compile_commands.json) is compiled once more with CC -O2 and the
project's own warning flags, sanitizer and fuzzer flags left out, into
/dev/null. The optimiser finds what -O0 does not (gcc's
-Wmaybe-uninitialized, -Wformat-truncation): `make demo` printed 20 of them
once.

  compiler_warnings.py BUILD_DIR --cc gcc|clang [--jobs N] [--self-check]
"""
import concurrent.futures
import json
import shlex
import shutil
import subprocess
import sys

DROP_PREFIXES = ("-fsanitize", "-fno-sanitize", "-O")


def cc_command(entry, cc):
    args = entry.get("arguments") or shlex.split(entry["command"])
    out = [cc, "-O2"]
    skip = False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a == "-o":
            skip = True
            continue
        if a.startswith(DROP_PREFIXES):
            continue
        out.append(a)
    return out + ["-o", "/dev/null"]


def compile_one(entry, cc):
    cmd = cc_command(entry, cc)
    r = subprocess.run(cmd, cwd=entry["directory"], capture_output=True, text=True)
    text = r.stdout + r.stderr
    if r.returncode != 0 or "warning:" in text:
        return f"{entry['file']}:\n{text.strip() or 'the compiler failed without a message'}"
    return None


PLANTED = "int g(int); int planted(int c) { int x; if (c) x = g(1); return g(x); }\n"


def self_check(entries, cc):
    """A file with a maybe-uninitialized variable, compiled as the first
    entry is, must be reported."""
    import os
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "planted.c")
        with open(path, "w") as f:
            f.write(PLANTED)
        e = dict(entries[0])
        args = e.get("arguments") or shlex.split(e["command"])
        e["arguments"] = [a if a != e["file"] else path for a in args]
        e["file"] = path
        e.pop("command", None)
        if not compile_one(e, cc):
            print(f"self-check: {cc} -O2 did not report a maybe-uninitialized variable")
            return 1
    print("self-check: ok")
    return 0


def main():
    build = sys.argv[1]
    jobs = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else 2
    name = sys.argv[sys.argv.index("--cc") + 1] if "--cc" in sys.argv else "gcc"
    cc = shutil.which(name)
    if not cc:
        print(f"compiler_warnings: {name} is not installed (deploy/setup.sh installs it)")
        return 1
    entries = json.load(open(f"{build}/compile_commands.json"))
    if len(entries) < 50:
        print(f"compiler_warnings: only {len(entries)} files in {build}/compile_commands.json")
        return 1
    if "--self-check" in sys.argv:
        return self_check(entries, cc)
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        found = [f for f in pool.map(lambda e: compile_one(e, cc), entries) if f]
    for f in found:
        print(f)
    print(f"compiler_warnings: {len(entries)} files compiled with {name} -O2, "
          f"{len(found)} with warnings")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
