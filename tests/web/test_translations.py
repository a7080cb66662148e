"""German and English are complete: every message of the .po files is translated, none is fuzzy, and
the committed .mo files hold exactly what the .po files say."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "src" / "kontor" / "locale"


def _unquote(line: str) -> str:
    return bytes(line[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def po_entries(path: Path) -> list[dict]:
    """``[{"msgid", "context", "plural", "msgstr": {index: text}, "fuzzy"}]`` of a .po file (header left
    out)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"msgid": None, "context": None, "plural": None, "msgstr": {}, "fuzzy": False}
        current = None
        for line in block.strip().splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                entry["fuzzy"] = True
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[(\d)\])?) (".*")$', line)
            if match:
                current = (match.group(1), int(match.group(2) or 0))
                text = _unquote(match.group(3))
            elif line.startswith('"') and current:
                text = _unquote(line)
            else:
                continue
            kind, index = current
            if kind == "msgctxt":
                entry["context"] = (entry["context"] or "") + text
            elif kind == "msgid":
                entry["msgid"] = (entry["msgid"] or "") + text
            elif kind == "msgid_plural":
                entry["plural"] = (entry["plural"] or "") + text
            else:
                entry["msgstr"][index] = entry["msgstr"].get(index, "") + text
        if entry["msgid"]:
            entries.append(entry)
    return entries


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_message_is_translated(language):
    entries = po_entries(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 200
    untranslated = [e["msgid"] for e in entries if e["fuzzy"] or not all(e["msgstr"].values()) or not e["msgstr"]]
    assert untranslated == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_mo_matches_po(language):
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    for entry in po_entries(folder / "django.po"):
        if entry["context"] is not None:
            assert catalog.pgettext(entry["context"], entry["msgid"]) == entry["msgstr"][0], entry["msgid"]
        elif entry["plural"] is None:
            assert catalog.gettext(entry["msgid"]) == entry["msgstr"][0], entry["msgid"]
        else:
            assert catalog.ngettext(entry["msgid"], entry["plural"], 1) == entry["msgstr"][0], entry["msgid"]


def test_bitrix24_german_terms():
    de = {e["msgid"]: e["msgstr"].get(0) for e in po_entries(LOCALE / "de" / "LC_MESSAGES" / "django.po")}
    assert de["Deals"] == "Aufträge"
    assert de["Contacts"] == "Kontakte"
    assert de["Companies"] == "Unternehmen"
    assert de["Activities"] == "Aktivitäten"
    assert de["CRM mode"] == "CRM-Modus"
    assert de["Continue"] == "Fortfahren"
    assert de["Classic CRM"] == "Klassisches CRM"
    assert de["Simple CRM"] == "Basis-CRM"
    assert de["Do not close activities after conversion"] == "Aktivitäten nach Konvertierung nicht schließen"
