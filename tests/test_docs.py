"""The documentation stays true: every link and picture it points to exists, every `#anchor` names a heading,
and the lead's guide explains every column, every status and every check the bot has."""

import re
import tomllib
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from bot.adapters.sheet import BOT_HEADERS
from bot.core import review
from bot.core.events import Event

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "deploy" / "README.md", ROOT / "docs" / "setup-google.md",
        ROOT / "docs" / "guide-responsable.md"]
GUIDE = (ROOT / "docs" / "guide-responsable.md").read_text(encoding="utf-8")


def links(text: str) -> list[str]:
    """Markdown links and images, and HTML <img src>, without the external ones."""
    found = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", text) + re.findall(r'<img src="([^"]+)"', text)
    return [f for f in found if not re.match(r"^[a-z]+:", f)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (letters with accents kept), spaces → -."""
    text = heading.strip().lower()
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_and_picture_of_the_docs_exists(doc):
    for target in links(doc.read_text(encoding="utf-8")):
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        assert path.exists(), f"{doc.name}: {target}"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{doc.name}: #{anchor} is no heading of {path.name}"


def test_the_slug_matches_githubs_for_french_headings():
    assert slug("Préparer l'année suivante") == "préparer-lannée-suivante"
    assert slug("Quand un statut signale un problème") == "quand-un-statut-signale-un-problème"


def test_the_guide_shows_every_picture_of_docs_images():
    shown = {Path(link).name for link in links(GUIDE)}
    pictures = {p.name for p in (ROOT / "docs" / "images").glob("*.png") if not p.name.startswith("bench-")}

    assert pictures - shown <= {"email-ok-pro-etudiant-desktop.png"}  # the phone version is shown


def test_the_guide_explains_every_column_of_the_bot():
    for header in BOT_HEADERS:
        assert f"| **{header}** |" in GUIDE, header


def test_the_guide_explains_every_status():
    statuses = [review.WAITING, review.KO_DONE, review.PRO_DONE, review.CACTUS_TODO, review.CACTUS_DONE,
                review.UNREADABLE, review.MODIFIED,
                review.status_text(review.DossierState("FVMA-2026-0001", "r", replaced_by="FVMA-…"), None, None),
                re.sub(r"\d\d:\d\d", "HH:MM", review.failed_status(datetime(2026, 10, 6, 10, 30))),
                review.bounced_status("…")]
    table = GUIDE.split("## Les statuts", 1)[1].split("\n## ", 1)[0]

    for status in statuses:
        assert f"| `{status}` |" in table, status


def test_the_guide_names_every_check_of_the_rules():
    latest = sorted((ROOT / "rules").glob("*.toml"))[-1]
    rule_ids = tomllib.loads(latest.read_text(encoding="utf-8"))["regles"]

    for rule_id in rule_ids:
        assert f"<sub>`{rule_id}`</sub>" in GUIDE, rule_id


def test_the_guide_says_who_receives_every_event():
    table = GUIDE.split("## Qui reçoit quoi", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]

    assert len(rows) == len(Event)


def test_the_calendar_keys_of_the_guide_are_those_of_the_rules_files():
    latest = sorted((ROOT / "rules").glob("*.toml"))[-1]
    keys = set(tomllib.loads(latest.read_text(encoding="utf-8"))["calendrier"])
    example = re.search(r"```toml\n(.*?)```", GUIDE, flags=re.DOTALL).group(1).split("[calendrier]", 1)[1]

    assert set(re.findall(r"^\s*(\w+) =", example, flags=re.MULTILINE)) == keys
    for key in keys:
        assert f"`{key}`" in GUIDE, key


def test_following_the_guide_gives_a_rules_file_the_bot_accepts(tmp_path):
    """Copy the latest year's file, put in the guide's `annee` and `[calendrier]`: the bot reads the new year."""
    from bot.adapters.rules_dir import load_years
    from bot.core.ruleset import select_year

    for path in (ROOT / "rules").glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    latest = sorted((ROOT / "rules").glob("*.toml"))[-1].read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", GUIDE, flags=re.DOTALL).group(1)
    head, rest = latest.split("\n[calendrier]\n", 1)
    after_calendar = rest[rest.index("\n[regles."):]
    head = re.sub(r'^annee = .*$', "", head, flags=re.MULTILINE)
    (tmp_path / "2027-2028.toml").write_text(head + "\n" + "\n".join(line.strip() for line in example.splitlines())
                                             + after_calendar, encoding="utf-8")

    years = load_years(tmp_path)

    assert "2027-2028" in [y.annee for y in years]
    assert select_year(years, datetime(2027, 9, 15).date()).annee == "2027-2028"
