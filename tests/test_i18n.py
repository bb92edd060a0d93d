"""The English catalogue: complete, and used when a user switches language to English."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

PO_PATH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"

_FIELD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$')


def _po_entries(path: Path) -> list[dict]:
    """Parse a .po file into entries: {"flags": [...], "msgid": ..., "msgstr": ..., ...}.

    Handles continuation lines and plural forms; values stay escaped, which is enough for
    checking emptiness and comparing placeholders.
    """
    entries, current, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current and key:
                entries.append(current)
            current, key = None, None
            continue
        current = current or {"flags": []}
        if line.startswith("#,"):
            current["flags"] += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += line[1:-1]
        else:
            match = _FIELD.match(line)
            assert match, f"Unparsable line in {path.name}: {line!r}"
            key = match.group(1)
            current[key] = match.group(2)
    return entries


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]|%[sd]", text))


def test_catalogue_has_no_empty_or_fuzzy_translations():
    entries = [e for e in _po_entries(PO_PATH) if e["msgid"] != ""]  # skip the header
    assert len(entries) > 700
    empty = [
        e["msgid"] for e in entries if any(v == "" for k, v in e.items() if k.startswith("msgstr"))
    ]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert empty == []
    assert fuzzy == []


def test_catalogue_keeps_placeholders():
    for entry in _po_entries(PO_PATH):
        if "msgid_plural" in entry:
            assert _placeholders(entry["msgstr[0]"]) == _placeholders(entry["msgid"])
            assert _placeholders(entry["msgstr[1]"]) == _placeholders(entry["msgid_plural"])
        elif entry["msgid"]:
            assert _placeholders(entry["msgstr"]) == _placeholders(entry["msgid"]), entry


def _unescape(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes[m.group(1)], text)


def test_compiled_catalogue_matches_po():
    """Django reads only the committed .mo: it must hold every translation of the .po."""
    with PO_PATH.with_suffix(".mo").open("rb") as mo_file:
        catalog = gettext.GNUTranslations(mo_file)._catalog
    for entry in _po_entries(PO_PATH):
        if not entry["msgid"]:
            continue
        msgid = _unescape(entry["msgid"])
        if "msgctxt" in entry:
            msgid = f"{_unescape(entry['msgctxt'])}\x04{msgid}"
        if "msgid_plural" in entry:
            assert catalog[(msgid, 0)] == _unescape(entry["msgstr[0]"])
            assert catalog[(msgid, 1)] == _unescape(entry["msgstr[1]"])
        else:
            assert catalog.get(msgid) == _unescape(entry["msgstr"]), msgid


@pytest.fixture
def english_client(client, caseworker):
    client.force_login(caseworker)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    ("url", "english", "danish"),
    [
        ("/", ["Needs attention", "Overview", "Properties", "Log out"], ["Kræver handling"]),
        (
            "/cpr/",
            ["Look up in CPR", "Costs this month", "Latest lookups", "Scans", "Lookup log"],
            ["Slå op i CPR", "Omkostninger denne måned", "Seneste opslag"],
        ),
        (
            "/huslejeregister/",
            ["Rent register and housing benefit", "Filings", "Open UDK tasks", "Contact persons"],
            ["Huslejeregister og boligstøtte", "Indberetninger", "Åbne UDK-opgaver"],
        ),
    ],
)
def test_pages_render_in_english(english_client, url, english, danish):
    response = english_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    for text in english:
        assert text in html, f"{text!r} missing on {url}"
    for text in danish:
        assert text not in html, f"Danish {text!r} still on {url}"


def test_pages_stay_danish_by_default(client, caseworker):
    client.force_login(caseworker)
    html = client.get("/cpr/").content.decode()
    assert "Slå op i CPR" in html
    assert "Look up in CPR" not in html
