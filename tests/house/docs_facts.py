#!/usr/bin/env python3
"""Facts the docs state that the tree can check, so they cannot drift:

- every `Documentation=file:PATH` of a systemd unit in deploy/ is a file
  the documented install (docs/deploy.md) puts there, from a file that
  exists in the tree (a unit must not point `systemctl help` at nothing);
- every range a doc states for `led_gpio` is 0 to CONFIG_MAX_LED_GPIO of
  daemon/config/include/config.h, the one the parser enforces.

usage: docs_facts.py ROOT
"""
import glob
import os
import re
import sys


def install_args(words):
    """(sources, destination, into a folder?) of one `install` command."""
    srcs, target_dir, i = [], None, 0
    while i < len(words):
        if words[i] in ("-m", "-o", "-g", "-t"):
            if words[i] == "-t":
                target_dir = words[i + 1]
            i += 2
            continue
        if not words[i].startswith("-"):
            srcs.append(words[i])
        i += 1
    if target_dir is not None:
        return srcs, target_dir, True
    if len(srcs) < 2:
        return [], None, False
    # `install a b DIR/` or several sources: into a folder; one source to a
    # name with a file extension (deploy/jigd.conf /etc/jigd/jigd.conf): a file.
    dest = srcs[-1]
    into = len(srcs) > 2 or dest.endswith("/") or not os.path.splitext(dest)[1]
    return srcs[:-1], dest, into


def installed_paths(deploy_md, root):
    """(destination path, source exists) for each file an `install` line puts."""
    out = []
    for line in open(deploy_md, encoding="utf-8"):
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "install":
            continue
        srcs, dest, into = install_args(words[1:])
        for pattern in srcs:
            for src in glob.glob(os.path.join(root, pattern)) or [os.path.join(root, pattern)]:
                path = os.path.join(dest, os.path.basename(src)) if into else dest
                out.append((os.path.normpath(path), os.path.exists(src)))
    return out


def check_unit_docs(root):
    errors = []
    installs = installed_paths(os.path.join(root, "docs/deploy.md"), root)
    for unit in glob.glob(os.path.join(root, "deploy/*.service")):
        for line in open(unit, encoding="utf-8"):
            m = re.match(r"Documentation=(.*)", line.strip())
            if not m:
                continue
            for ref in m.group(1).split():
                if not ref.startswith("file:"):
                    continue
                path = os.path.normpath(ref[len("file:"):])
                if not any(dest == path and ok for dest, ok in installs):
                    errors.append(f"{os.path.relpath(unit, root)}: Documentation={ref} is not "
                                  f"installed by docs/deploy.md from a file in the tree")
    return errors


def check_led_gpio(root):
    header = open(os.path.join(root, "daemon/config/include/config.h"), encoding="utf-8").read()
    top = int(re.search(r"#define CONFIG_MAX_LED_GPIO (\d+)", header).group(1))
    errors = []
    docs = glob.glob(os.path.join(root, "docs/*.md")) + [os.path.join(root, "deploy/jigd.conf")]
    for doc in docs:
        for n, line in enumerate(open(doc, encoding="utf-8"), 1):
            if "led_gpio" not in line:
                continue
            for lo, hi in re.findall(r"\b(\d+)\s*(?:–|-|\.\.)\s*(\d+)\b", line):
                if (int(lo), int(hi)) != (0, top) and int(hi) in range(15, 128):
                    errors.append(f"{os.path.relpath(doc, root)}:{n}: led_gpio range {lo}-{hi}, "
                                  f"but the parser takes 0-{top}")
    return errors


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    errors = check_unit_docs(root) + check_led_gpio(root)
    for e in errors:
        print(e)
    print(f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
