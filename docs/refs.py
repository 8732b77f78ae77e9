"""Keep the docs' code references current.

A reference is a markdown link whose text is a function name in backticks and whose
target is a source file with a line range:  [`dense_backward_loops`](../kernels/cpu/dense.py#L41-L55)
The range must span that function, decorator to last line. `python docs/refs.py` (and the
test suite) checks them and fails on any stale one; `python docs/refs.py --fix` rewrites
every range from the code as it is now.
"""

import argparse
import ast
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
LINK = re.compile(r"\[`(?P<name>[A-Za-z_][\w.]*)`\]\((?P<path>[^)#]+\.py)#L(?P<start>\d+)-L(?P<end>\d+)\)")


def function_span(path, name):
    """(first line incl. decorators, last line) of def `name` (or Class.method) in path."""
    tree = ast.parse(path.read_text())
    parts = name.split(".")
    nodes = tree.body
    node = None
    for part in parts:
        node = next((n for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part), None)
        if node is None:
            raise KeyError(f"{name} not found in {path}")
        nodes = node.body
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return first, node.end_lineno


def scan(fix=False):
    """-> list of stale references (file, name, written range, actual range)."""
    stale = []
    for md in sorted(DOCS.rglob("*.md")):
        text = md.read_text()

        def replace(m):
            target = (md.parent / m["path"]).resolve()
            start, end = function_span(target, m["name"])
            if (int(m["start"]), int(m["end"])) != (start, end):
                stale.append((md.name, m["name"], (int(m["start"]), int(m["end"])), (start, end)))
            return f"[`{m['name']}`]({m['path']}#L{start}-L{end})"

        new = LINK.sub(replace, text)
        if fix and new != text:
            md.write_text(new)
    return stale


def references():
    return [(md, m) for md in sorted(DOCS.rglob("*.md")) for m in LINK.finditer(md.read_text())]


def main(argv=None):
    p = argparse.ArgumentParser(description="Check (the default) or --fix the line ranges of the docs' code links.")
    p.add_argument("--fix", action="store_true", help="rewrite stale ranges in the docs, in place")
    args = p.parse_args(argv)
    stale = scan(fix=args.fix)
    for item in stale:
        print("updated:" if args.fix else "stale:", *item)
    if stale and not args.fix:
        print("run python docs/refs.py --fix to update them")
    return 1 if stale and not args.fix else 0


if __name__ == "__main__":
    sys.exit(main())
