#!/usr/bin/env python3
"""docs/api.md's Slot table names every field jigd puts in a slot's JSON.

The fields are read from daemon/station/slot_json.c (every key added to the
slot's own object, `o`); the docs' from the backticked names in the first
column of the table after "**Slot**" in docs/api.md. A field the code sends
and the table leaves out fails: a dashboard or MES author should not have to
read the code for it (twelve were missing once).

  slot_fields.py REPO [--self-check]
"""
import re
import sys

KEY = re.compile(r'(?:cJSON_Add\w+ToObject|add_text_or_null)\(\s*o\s*,\s*"(\w+)"')


def code_fields(source):
    return sorted(set(KEY.findall(source)))


def doc_fields(api):
    start = api.find("**Slot**")
    if start < 0:
        return None
    names = set()
    for line in api[start:].splitlines()[1:]:
        if line.startswith("**") or line.startswith("#"):
            break
        m = re.match(r"\|([^|]*)\|", line)
        if m:
            names.update(re.findall(r"`(\w+)`", m.group(1)))
    return names


def problems(source, api):
    documented = doc_fields(api)
    if documented is None:
        return ["docs/api.md has no **Slot** table"]
    return [f"slot JSON field '{f}' (daemon/station/slot_json.c) is not in docs/api.md's Slot table"
            for f in code_fields(source) if f not in documented]


def main():
    repo = sys.argv[1]
    source = open(f"{repo}/daemon/station/slot_json.c").read()
    api = open(f"{repo}/docs/api.md").read()
    if sys.argv[2:] == ["--self-check"]:
        if len(code_fields(source)) < 10:
            print("self-check: fewer than 10 fields read from slot_json.c: the pattern is stale")
            return 1
        drifted = re.sub(r"\n\| `identifying` \|[^\n]*", "", api)
        if not any("identifying" in p for p in problems(source, drifted)):
            print("self-check: a Slot table without `identifying` was not caught")
            return 1
        print("self-check: ok")
        return 0
    found = problems(source, api)
    for p in found:
        print(p)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
