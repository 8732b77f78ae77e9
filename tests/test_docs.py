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


def test_the_readme_is_a_guide_not_a_notebook():
    """At most 160 lines and 12,000 characters, no commit hashes and at most two dates: the
    history is CHANGELOG.md's, the figures and their commits are docs/speed.md's."""
    import re

    text = (REPO / "README.md").read_text()
    assert len(text.splitlines()) <= 160 and len(text) <= 12_000
    assert re.findall(r"`[0-9a-f]{7,40}`|\bat [0-9a-f]{7,40}\b", text) == []
    assert len(re.findall(r"\b20\d\d-\d\d-\d\d\b", text)) <= 2
    for page in ("docs/contract.md", "docs/commands.md", "docs/lab.md", "docs/troubleshooting.md"):
        assert f"]({page})" in text, page
