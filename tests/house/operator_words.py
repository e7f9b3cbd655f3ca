#!/usr/bin/env python3
"""The dashboard says each slot state in the word docs/operator.md tells
the operator to look for: the table under "## Slot states" (state, colour,
word) against STATE_WORDS in web-ui/tile.js, and every state of docs/api.md's
table in both. They drifted once (the page said NO PORT where the guide
says NO ADAPTER).

  operator_words.py REPO [--self-check]
"""
import re
import sys


def guide_words(guide):
    start = guide.find("## Slot states")
    words = {}
    for line in guide[start:].splitlines()[1:] if start >= 0 else []:
        if line.startswith("#"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"`[\w-]+`", cells[0]):
            words[cells[0].strip("`")] = cells[2]
    return words


def page_words(tile_js):
    m = re.search(r"const STATE_WORDS = \{(.*?)\};", tile_js, re.S)
    if not m:
        return {}
    return dict(re.findall(r'"?([\w-]+)"?\s*:\s*"([^"]*)"', m.group(1)))


def api_states(api):
    start = api.find("### Slot states")
    return set(re.findall(r"^\| `([\w-]+)` \|", api[start:api.find("### Phases")], re.M))


def problems(guide, tile_js, api):
    g, p, states = guide_words(guide), page_words(tile_js), api_states(api)
    out = [f"state '{s}' (docs/api.md) is not in docs/operator.md's table" for s in sorted(states - g.keys())]
    out += [f"state '{s}' (docs/api.md) has no word in web-ui/tile.js" for s in sorted(states - p.keys())]
    out += [f"state '{s}': docs/operator.md says {g[s]}, the dashboard {p[s]}"
            for s in sorted(g.keys() & p.keys()) if g[s] != p[s]]
    if not states:
        out.append("docs/api.md lists no slot states")
    return out


def main():
    repo = sys.argv[1]
    read = lambda f: open(f"{repo}/{f}", encoding="utf-8").read()
    guide, tile_js, api = read("docs/operator.md"), read("web-ui/tile.js"), read("docs/api.md")
    if "--self-check" in sys.argv:
        drifted = tile_js.replace('"no-port": "NO ADAPTER"', '"no-port": "NO PORT"')
        if drifted == tile_js or not problems(guide, drifted, api):
            print("self-check: a changed word on the page was not caught")
            return 1
        print("self-check: ok")
        return 0
    found = problems(guide, tile_js, api)
    for f in found:
        print(f)
    print(f"operator_words: {len(api_states(api))} states, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
