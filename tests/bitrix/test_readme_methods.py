"""The README's method table lists exactly what ``methods`` answers (and so what the facade serves)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def expand(pattern: str) -> list[str]:
    """Brace expansion as a shell does it: ``crm.{a,b}.{get,c.d}`` → four names."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end():]
    return [name for option in match[1].split(",") for name in expand(head + option + tail)]


def readme_methods() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Bitrix24-compatible REST API"):]
    table = section[section.index("**Methods**"):section.index("\n\n", section.index("| area |"))]
    names: set[str] = set()
    for row in table.splitlines():
        if not row.startswith("| ") or row.startswith(("| area", "| ---")):
            continue
        methods_cell = row.split("|")[2]
        for code in re.findall(r"`([^`]+)`", methods_cell):
            if re.fullmatch(r"[a-z][a-zA-Z.{},]*", code):  # directory codes are UPPER_CASE
                names.update(name.lower() for name in expand(code))
    return names


def test_expand():
    assert expand("crm.{a,b}.{get,c.d}") == ["crm.a.get", "crm.a.c.d", "crm.b.get", "crm.b.c.d"]


def test_readme_table_and_methods_agree(bx):
    served = set(bx.ok("methods"))
    listed = readme_methods()
    assert sorted(served - listed) == [], "served but not in the README's table"
    assert sorted(listed - served) == [], "in the README's table but not served"
