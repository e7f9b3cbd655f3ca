#!/usr/bin/env python3
"""docs/api.md lists exactly the slot states and phases the code names.

The code's names come from its one name table each (printed by
vocabulary_names); the docs' from the first column of the tables under
"### Slot states" and "### Phases" in docs/api.md, and from the enums of
SlotState and Phase in daemon/api/openapi.json (what clients generate
their types from). Every phase docs/jigd.md
describes must exist too, and docs/operator.md's "## Slot states" table (its
colours and words for the dashboard) lists exactly the code's states. A state or phase in the docs that the code does
not have, or one the code has and the docs leave out, fails.

  docs_vocabulary.py NAMES_PROGRAM REPO          the check
  docs_vocabulary.py NAMES_PROGRAM REPO --self-check
                                                 shows it fails on a drifted doc
"""
import json
import os
import re
import subprocess
import sys
import tempfile


def table_names(text, heading):
    """Backticked first cells of the table under `heading` (up to the next heading)."""
    start = text.find("\n" + heading + "\n")
    if start < 0:
        return None
    names = []
    for line in text[start + len(heading) + 2:].splitlines():
        if line.startswith("#"):
            break
        m = re.match(r"\|\s*`([^`]+)`\s*\|", line)
        if m:
            names.append(m.group(1))
    return names


def code_names(program):
    out = subprocess.run([program], check=True, capture_output=True, text=True).stdout
    names = {"state": [], "phase": []}
    for line in out.splitlines():
        kind, name = line.split(" ", 1)
        names[kind].append(name)
    return names


def check_operator(code, operator_text):
    """The operator's page names every state once and none the code lacks."""
    documented = table_names(operator_text, "## Slot states")
    if documented is None:
        return ["docs/operator.md has no '## Slot states' table"]
    problems = [f"docs/operator.md names state '{n}', which the code does not have"
                for n in documented if n not in code["state"]]
    problems += [f"the code has state '{n}', which docs/operator.md does not list"
                 for n in code["state"] if n not in documented]
    return problems


def check_openapi(code, openapi):
    """The document's SlotState and Phase enums are the code's names."""
    problems = []
    schemas = openapi.get("components", {}).get("schemas", {})
    for kind, schema in (("state", "SlotState"), ("phase", "Phase")):
        documented = schemas.get(schema, {}).get("enum")
        if documented is None:
            problems.append(f"daemon/api/openapi.json has no enum in components/schemas/{schema}")
            continue
        problems += [f"daemon/api/openapi.json names {kind} '{n}', which the code does not have"
                     for n in documented if n not in code[kind]]
        problems += [f"the code has {kind} '{n}', which daemon/api/openapi.json's {schema} lacks"
                     for n in code[kind] if n not in documented]
    return problems


def check(code, api_text, jigd_text, operator_text, openapi):
    """The list of problems, empty when docs and code agree."""
    problems = check_operator(code, operator_text) + check_openapi(code, openapi)
    for kind, heading in (("state", "### Slot states"), ("phase", "### Phases")):
        documented = table_names(api_text, heading)
        if documented is None:
            problems.append(f"docs/api.md has no '{heading}' table")
            continue
        for name in documented:
            if name not in code[kind]:
                problems.append(f"docs/api.md names {kind} '{name}', which the code does not have")
        for name in code[kind]:
            if name not in documented:
                problems.append(f"the code has {kind} '{name}', which docs/api.md does not list")
    phases_section = jigd_text.split("| phase | what happens |", 1)
    if len(phases_section) == 2:
        for name in re.findall(r"^\|\s*`([a-z-]+)`\s*\|", phases_section[1].split("\n\n", 1)[0], re.M):
            if name not in code["phase"]:
                problems.append(f"docs/jigd.md describes phase '{name}', which the code does not have")
    return problems


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def self_check(code, api_text, jigd_text, op_text, openapi):
    def without_phase(name):
        doc = json.loads(json.dumps(openapi))
        doc["components"]["schemas"]["Phase"]["enum"].remove(name)
        return doc

    cases = [
        ("the docs as they are", api_text, jigd_text, op_text, False),
        ("a state the code lacks", api_text.replace("| `armed` |", "| `waiting` |", 1), jigd_text,
         op_text, True),
        ("a phase left out", re.sub(r"\| `retry` \|[^\n]*\n", "", api_text, count=1), jigd_text,
         op_text, True),
        ("jigd.md with an old phase", api_text, jigd_text.replace("| `connect` |", "| `sync` |", 1),
         op_text, True),
        ("operator.md without a state", api_text, jigd_text,
         re.sub(r"\| `unrecorded` \|[^\n]*\n", "", op_text, count=1), True),
        ("operator.md with a made-up state", api_text, jigd_text,
         op_text.replace("| `idle` |", "| `ready` |", 1), True),
    ]
    cases = [case[:4] + (openapi,) + case[4:] for case in cases]
    cases.append(("openapi.json without a phase", api_text, jigd_text, op_text,
                  without_phase("retry"), True))
    passed = failed = 0
    for what, api, jigd, op, doc, should_fail in cases:
        got = bool(check(code, api, jigd, op, doc))
        ok = got == should_fail
        print(f"{'ok  ' if ok else 'FAIL'} {what}: {'reported' if got else 'clean'}")
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    return failed == 0


def main():
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(sys.argv) > 1 else 2
    code = code_names(sys.argv[1])
    api_text = read(os.path.join(sys.argv[2], "docs", "api.md"))
    jigd_text = read(os.path.join(sys.argv[2], "docs", "jigd.md"))
    op_text = read(os.path.join(sys.argv[2], "docs", "operator.md"))
    openapi = json.loads(read(os.path.join(sys.argv[2], "daemon", "api", "openapi.json")))
    if sys.argv[3:] == ["--self-check"]:
        return 0 if self_check(code, api_text, jigd_text, op_text, openapi) else 1
    problems = check(code, api_text, jigd_text, op_text, openapi)
    for p in problems:
        print("FAIL " + p)
    n = len(code["state"]) + len(code["phase"])
    print(f"{n - len(problems) if len(problems) < n else 0} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
