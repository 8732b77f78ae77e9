"""The docs point at code that exists, at the lines where it is now."""

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "docs"))
import refs  # noqa: E402


def test_every_code_reference_spans_its_function():
    found = refs.references()
    assert len(found) >= 25  # the guide links every kernel it explains
    stale = refs.scan(fix=False)
    assert not stale, f"stale line ranges (run python docs/refs.py --fix to update): {stale}"


def test_readme_links_resolve():
    import re

    text = (REPO / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if not target.startswith("http"):
            assert (REPO / target).exists(), target
