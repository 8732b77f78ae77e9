"""Keep the docs' code references current.

A reference is a markdown link whose text is a function name in backticks and whose
target is a source file with a line range:  [`dense_backward_reference`](../kernels/cpu/dense.py#L41-L55)
The range must span that function, decorator to last line. `python docs/refs.py` rewrites
every range from the code as it is now; `python docs/refs.py --check` (and the test suite)
fails on any stale one.
"""

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


if __name__ == "__main__":
    check = "--check" in sys.argv
    stale = scan(fix=not check)
    for item in stale:
        print("stale:" if check else "updated:", *item)
    sys.exit(1 if check and stale else 0)
