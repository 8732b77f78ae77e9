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


def test_markdown_links_resolve():
    """Every relative link of the README, the changelog and the docs names a file that exists."""
    import re

    pages = [REPO / "README.md", REPO / "CHANGELOG.md", *sorted((REPO / "docs").rglob("*.md"))]
    broken = [(page.relative_to(REPO), target) for page in pages
              for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text())
              if not target.startswith("http") and not (page.parent / target).exists()]
    assert not broken, broken
