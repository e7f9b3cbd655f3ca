#!/usr/bin/env python3
"""House rule: dependencies between modules run one way.

Reads every `#include "..."` line of every .c/.h file under daemon/,
protocol/ and db/, finds the file the header name stands for, and fails
when a module includes a header it has no business knowing. The build
cannot catch this by itself: includes are flat ("port.h") and a library
that links another sees all its public headers, so a wrong-way include
compiles as long as some link exists, and one such include is how a layer
that should stand alone starts depending on the one above it.

    include_directions.py [--root DIR] [--strict-size]   check the tree
    include_directions.py [--root DIR] --self-check      prove the check can fail

Both end with a line "N passed, N failed" and exit 1 when anything failed.
Python 3 standard library only (deploy/setup.sh installs python3).
"""

import argparse
import os
import re
import shutil
import sys
import tempfile

# ---- the rules ------------------------------------------------------------
#
# A module may always include its own headers, and anything may include
# protocol/ (the chip's language is everyone's). Besides that, a module may
# include the public headers (those under include/) of the modules in its
# row, and nothing else. daemon/README.md shows this same table: change
# both together.
ANY = "*"
RULES = {
    # module             may also include
    "protocol":          (),                    # no I/O, nothing above it
    "db":                (),                    # the system of record stands on protocol alone
    "db/plant":          ("db",),               # the plant link replicates db's outbox
    "daemon/config":     (),                    # each of these five stands alone on protocol/,
    "daemon/events":     (),                    # so a test or a fuzzer links it by itself
    "daemon/port":       (),
    "daemon/bundle":     (),
    "daemon/identity":   (),
    "daemon/label":      (),                    # the label stands alone too: station/ hands it values
    "daemon/metrics":    (),                    # the Prometheus text format, pure
    "daemon/flash":      ("daemon/port",),
    "daemon/api":        ("daemon/events",      # knows the station only as its api_backend.h
                          "daemon/metrics"),    # writes GET /metrics
    "daemon/station":    ("daemon/config", "daemon/events", "daemon/port", "daemon/flash",
                          "daemon/bundle", "daemon/identity", "daemon/label",
                          "daemon/metrics",     # its phase histograms
                          "db"),                # NOT daemon/api
    "daemon/jigctl":     ("daemon/api", "daemon/config", "daemon/bundle", "daemon/identity", "db"),
    "daemon/webhook":    ("daemon/config", "daemon/events", "db"),   # events: log_line.h only
    "daemon":            (ANY,),                # jigd.c and the wiring beside it
}

# Where a row allows only some of another module's headers.
ONLY = {
    # jigctl talks to jigd over HTTP: it shares the parsers (the jigd_api
    # library, no dependencies), never the server or the backend table.
    ("daemon/jigctl", "daemon/api"): ("api_route.h", "api_sse_parser.h"),
    # jigctl doctor judges the clock by jigd's own rule, a pure function;
    # the CA, keys and certificates stay jigd's.
    ("daemon/jigctl", "daemon/identity"): ("cert_clock.h",),
    # The webhook sender logs; it neither publishes nor reads events.
    ("daemon/webhook", "daemon/events"): ("log_line.h",),
}

# Known violations being removed now. Each is reported as a warning, not a
# failure, so the check can land before the fix; whoever fixes one deletes
# its entry (a stale entry is reported too). Entries are exact: a file and
# the header as it spells it. The self-check's cases run without this list.
KNOWN_UNTIL_FIXED = [
    # Empty: an include that breaks a rule fails. A violation being worked
    # away may be listed here as ("file", "header") with a comment saying who
    # removes it; it is then reported as a warning.
]

# No daemon/ source file over this many lines: one concept per file.
# --strict-size makes long files failures instead of warnings; it becomes
# the default once the splits of today's long files have landed.
LINE_LIMIT = 600

# ---- reading the tree ------------------------------------------------------

SCANNED = ("daemon", "protocol", "db")
SKIPPED_DIRS = ("build", "node_modules")
SOURCES = (".c", ".h")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def tree_files(root):
    """Every file under the scanned folders, as a '/'-separated path from root."""
    for top in SCANNED:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames
                                 if d not in SKIPPED_DIRS and not d.startswith("."))
            for name in sorted(filenames):
                yield os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")


def module_of(path):
    parts = path.split("/")
    if parts[0] == "daemon":
        return "daemon" if len(parts) == 2 else "daemon/" + parts[1]
    if parts[0] == "db" and len(parts) > 2 and parts[1] == "plant":
        return "db/plant"
    return parts[0]


def is_private(path):
    """A daemon/ header that is not under an include/ folder: its module's own."""
    parts = path.split("/")
    return parts[0] == "daemon" and "include" not in parts[1:-1]


def folder_of(path):
    return path.rsplit("/", 1)[0]


def resolve(name, includer, by_name):
    """(path, note, problem): the file `name` stands for, from `includer`.

    A name should be unique in the tree. When it is not, the copy in the
    including file's own folder wins (the compiler looks there first for a
    quoted include), then one in the including module; `note` says so.
    Neither: `problem` says why, since which file the build picks would then
    depend on the order of include folders."""
    # A path relative to the including file ("../station/slot_internal.h")
    # names one file whatever else is called the same: the way round the
    # flat includes that this check most needs to see.
    beside = os.path.normpath(os.path.join(folder_of(includer), name)).replace(os.sep, "/")
    if "/" in name and beside in by_name.get(name.rsplit("/", 1)[-1], ()):
        return beside, None, None
    candidates = [p for p in by_name.get(name.rsplit("/", 1)[-1], ())
                  if p == name or p.endswith("/" + name)]
    if not candidates:
        return None, None, None
    if len(candidates) == 1:
        return candidates[0], None, None
    listed = ", ".join(candidates)
    for where, picked in (("folder", [c for c in candidates
                                      if folder_of(c) == folder_of(includer)]),
                          ("module", [c for c in candidates
                                      if module_of(c) == module_of(includer)])):
        if len(picked) == 1:
            return picked[0], (f'"{name}" names {len(candidates)} files ({listed}); '
                               f"took {picked[0]}, in the including file's own {where}: "
                               f"rename one"), None
    return None, None, (f'"{name}" names {len(candidates)} files ({listed}) and none is '
                        f"the including file's own: rename one so a flat include means "
                        f"one file")


def allowed_text(module):
    row = RULES[module]
    names = ["its own headers"] + ([] if module == "protocol" else ["protocol/"])
    for other in row:
        only = ONLY.get((module, other))
        names.append(f"{other} ({', '.join(only)})" if only else other)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def broken_rule(module, header_path):
    """None when `module` may include the file at `header_path`, else the rule."""
    target = module_of(header_path)
    if target == module:
        return None
    if is_private(header_path):
        return f"private to {target} (not under include/), which alone may include it"
    if target == "protocol" or ANY in RULES[module]:
        return None
    if target not in RULES[module]:
        return f"{module} may not include {target} (it may include {allowed_text(module)})"
    only = ONLY.get((module, target))
    if only and header_path.rsplit("/", 1)[-1] not in only:
        return f"{module} may include only {', '.join(only)} of {target}"
    return None


class Report:
    def __init__(self):
        self.failures = []      # (path, line, header, why): compared by the self-check
        self.warnings = []      # lines to print
        self.passed = 0

    def fail(self, path, line, header, why):
        self.failures.append((path, line, header, why))


def check(root, known=(), strict_size=False):
    files = list(tree_files(root))
    by_name = {}
    for path in files:
        by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
    report = Report()
    known_left = set(known)
    unknown_modules = set()

    for path in files:
        if not path.endswith(SOURCES):
            continue
        module = module_of(path)
        if module not in RULES:
            if module not in unknown_modules:
                unknown_modules.add(module)
                report.fail(path, 0, "-", f"{module} has no row in the rules table: add "
                            f"one to {os.path.basename(__file__)} and daemon/README.md")
            continue
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
        for number, text in enumerate(lines, 1):
            m = INCLUDE.match(text)
            if not m:
                continue
            name = m.group(1)
            header_path, note, problem = resolve(name, path, by_name)
            where = f"{path}:{number}"
            if note:
                report.warnings.append(f"{where}: {note}")
            if problem:
                report.fail(path, number, name, problem)
                continue
            if header_path is None:
                report.warnings.append(f'{where}: "{name}" is not in daemon/, protocol/ '
                                       f"or db/; not judged (a system header wants <...>)")
                continue
            why = broken_rule(module, header_path)
            if why is None:
                report.passed += 1
            elif (path, name) in known:
                known_left.discard((path, name))
                report.passed += 1
                report.warnings.append(f'{where}: #include "{name}": {why} (known: '
                                       f"delete its KNOWN_UNTIL_FIXED entry with the fix)")
            else:
                report.fail(path, number, name, f"{header_path}: {why}")
        if path.startswith("daemon/"):
            n = len(lines)
            if n <= LINE_LIMIT:
                report.passed += 1
            elif strict_size:
                report.fail(path, 0, "-", f"{n} lines, over the limit of {LINE_LIMIT}: split "
                            f"it, one concept per file")
            else:
                report.passed += 1
                report.warnings.append(f"{path}: {n} lines, over the limit of {LINE_LIMIT} "
                                       f"(a failure with --strict-size): split it")

    for path, name in sorted(known_left):
        report.warnings.append(f'{path}: no longer includes "{name}" against a rule: '
                               f"delete its KNOWN_UNTIL_FIXED entry")
    return report


def print_report(report):
    for text in report.warnings:
        print("warning: " + text)
    for path, line, header, why in report.failures:
        where = f"{path}:{line}" if line else path
        print(f'FAIL {where}: #include "{header}" -> {why}' if header != "-"
              else f"FAIL {where}: {why}")
    print(f"{len(report.warnings)} warnings")
    print(f"{report.passed} passed, {len(report.failures)} failed")


# ---- the self-check --------------------------------------------------------
#
# Each case copies the tree, makes sure the header it needs exists (so the
# case keeps working when files move), checks the copy, adds one line, and
# checks again. A FAIL case must bring exactly one new failure, at the line
# added, naming the header; a PASS case none. The cases compare a copy with
# itself and never consult KNOWN_UNTIL_FIXED, so emptying that list cannot
# change what they prove; only "the untouched copy passes" applies it, the
# way the check itself does, since today's tree passes only with it.

FAIL, PASS = "fail", "pass"
CASES = [
    # what it shows, file that gets the line, header included (created if absent), outcome
    ("a stand-alone module reaching up", "daemon/port/port.c",
     "daemon/station/include/station.h", FAIL),
    ("the station including the API", "daemon/station/station.c",
     "daemon/api/include/api.h", FAIL),
    ("a private header used outside its module", "daemon/api/api.c",
     "daemon/station/slot_internal.h", FAIL),
    ("protocol/ reaching into the daemon", "protocol/loader.c",
     "daemon/bundle/include/bundle.h", FAIL),
    ("db reaching into the daemon", "db/units.c",
     "daemon/config/include/config.h", FAIL),
    ("jigctl using the API beyond its parsers", "daemon/jigctl/jigctl.c",
     "daemon/api/include/api_backend.h", FAIL),
    ("a public header breaking a rule", "daemon/port/include/port.h",
     "daemon/flash/include/flash_job.h", FAIL),
    ("the top level including a private header", "daemon/jigd.c",
     "daemon/bundle/bundle_internal.h", FAIL),
    ("flash using port", "daemon/flash/jigflash.c",
     "daemon/port/include/port.h", PASS),
    ("jigctl using the SSE parser", "daemon/jigctl/jigctl_watch.c",
     "daemon/api/include/api_sse_parser.h", PASS),
    ("a stand-alone module using protocol/", "daemon/events/event_bus.c",
     "protocol/loader.h", PASS),
]

TWIN = "selfcheck_twin.h"   # a name made twice, in daemon/port and daemon/api
LONG = "daemon/port/selfcheck_long.c"


def copy_sources(root, dest):
    for path in tree_files(root):
        if path.endswith(SOURCES):
            os.makedirs(os.path.join(dest, folder_of(path)), exist_ok=True)
            shutil.copyfile(os.path.join(root, path), os.path.join(dest, path))


def touch(tree, path, text=""):
    os.makedirs(os.path.join(tree, folder_of(path)), exist_ok=True)
    with open(os.path.join(tree, path), "w") as f:
        f.write(text)


def ensure_header(tree, header_path):
    """The header, unless a file of that name is already somewhere in the copy."""
    name = header_path.rsplit("/", 1)[-1]
    if not any(p.rsplit("/", 1)[-1] == name for p in tree_files(tree)):
        touch(tree, header_path, f"/* {name}: made by the self-check */\n")


def append_include(tree, path, name):
    """Adds `#include "name"` at the end of `path`; returns its line number."""
    full = os.path.join(tree, path)
    if not os.path.exists(full):
        touch(tree, path)
    with open(full, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if text and not text.endswith("\n"):
        text += "\n"
    text += f'#include "{name}"\n'
    with open(full, "w", encoding="utf-8") as f:
        f.write(text)
    return text.count("\n")


def new_failures(before, after):
    return [f for f in after.failures if f not in before.failures]


class SelfCheck:
    def __init__(self, root, scratch):
        self.root, self.scratch = root, scratch
        self.passed = self.failed = 0
        self.n = 0

    def fresh_copy(self):
        self.n += 1
        tree = os.path.join(self.scratch, f"case{self.n}")
        copy_sources(self.root, tree)
        return tree

    def result(self, ok, what, detail):
        print(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}")
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def include_case(self, what, path, header_path, outcome, setup=None, spelled=None):
        tree = self.fresh_copy()
        ensure_header(tree, header_path)
        if setup:
            setup(tree)
        before = check(tree)
        name = spelled or header_path.rsplit("/", 1)[-1]
        line = append_include(tree, path, name)
        after = check(tree)
        added = new_failures(before, after)
        if outcome == PASS:
            self.result(not added, what, "allowed" if not added else
                        f"wrongly reported: {added}")
            return after
        hit = [f for f in added if f[:3] == (path, line, name)]
        if len(added) == 1 and hit:
            self.result(True, what, f"reported at {path}:{line}: {hit[0][3]}")
        else:
            self.result(False, what, f'#include "{name}" at {path}:{line} gave '
                        f"{len(added)} new failures: {added}")
        return after

    def run(self):
        tree = self.fresh_copy()
        report = check(tree, KNOWN_UNTIL_FIXED)
        self.result(not report.failures, "the untouched copy passes",
                    "no failures" if not report.failures else f"{report.failures}")

        for what, path, header_path, outcome in CASES:
            self.include_case(what, path, header_path, outcome)

        self.include_case("a private header reached by a relative path", "daemon/api/api.c",
                          "daemon/station/slot_internal.h", FAIL,
                          spelled="../station/slot_internal.h")

        def twins(tree):
            touch(tree, f"daemon/port/{TWIN}")
            touch(tree, f"daemon/api/{TWIN}")
        after = self.include_case("an ambiguous name, resolved to the own folder",
                                  "daemon/api/api.c", f"daemon/api/{TWIN}", PASS, twins)
        noted = [w for w in after.warnings if "daemon/api/api.c:" in w and TWIN in w]
        self.result(bool(noted), "the ambiguity is said", noted[0] if noted else
                    "no warning names it")
        self.include_case("an ambiguous name from a third module",
                          "daemon/station/station.c", f"daemon/api/{TWIN}", FAIL, twins)

        # A folder the table does not know fails as a whole: its includes
        # cannot be judged until someone says what it may use.
        tree = self.fresh_copy()
        before = check(tree)
        touch(tree, "daemon/newpart/newpart.c", '#include "port.h"\n')
        added = new_failures(before, check(tree))
        self.result(len(added) == 1 and "no row" in added[0][3], "a module with no row",
                    added[0][3] if added else "not reported")

        for n, strict, fails, warns in ((LINE_LIMIT, True, False, False),
                                        (LINE_LIMIT + 1, False, False, True),
                                        (LINE_LIMIT + 1, True, True, False)):
            tree = self.fresh_copy()
            before = check(tree, strict_size=strict)
            touch(tree, LONG, "/* long */\n" * n)
            after = check(tree, strict_size=strict)
            added = new_failures(before, after)
            warned = any(w.startswith(LONG + ":") for w in after.warnings)
            ok = (bool(added) == fails and warned == warns and
                  all(f[0] == LONG for f in added))
            mode = "--strict-size" if strict else "default"
            self.result(ok, f"a {n}-line daemon/ file ({mode})",
                        "failure" if added else "warning" if warned else "accepted")

        print(f"{self.passed} passed, {self.failed} failed")
        return self.failed == 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(here)),
                        help="the repository (default: two folders up from this script)")
    parser.add_argument("--strict-size", action="store_true",
                        help=f"a daemon/ file over {LINE_LIMIT} lines fails (default: warns)")
    parser.add_argument("--self-check", action="store_true",
                        help="prove on copies of the tree that each rule reports a break")
    args = parser.parse_args()
    if not all(os.path.isdir(os.path.join(args.root, top)) for top in SCANNED):
        parser.error(f"{args.root} has no {', '.join(SCANNED)} folders: give --root")

    if args.self_check:
        with tempfile.TemporaryDirectory(prefix="include_directions.") as scratch:
            return 0 if SelfCheck(args.root, scratch).run() else 1
    report = check(args.root, KNOWN_UNTIL_FIXED, args.strict_size)
    print_report(report)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
