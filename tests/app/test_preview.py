"""`fvma-bot preview`: every recipient's message written to its own files, nothing sent."""

import io

from bot.app.demo import build_workbook
from bot.app.preview import run_preview
from bot.app.wiring import make_cycle
from tests.app.conftest import ROOT, at, outbox_keys


def test_preview_writes_one_eml_and_one_html_per_recipient_and_sends_nothing(make_config, tmp_path):
    book = tmp_path / "book.xlsx"
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", book)
    config = make_config(sheet={"backend": "local", "local": {"path": str(book)}})
    make_cycle(config).run(at(6))
    sent = outbox_keys(tmp_path / "outbox")
    out = io.StringIO()
    assert run_preview(config, "ok-pro", "FVMA-2026-0002", tmp_path / "preview", out) == 0
    names = sorted(p.name for p in (tmp_path / "preview").iterdir())
    assert names == [f"FVMA-2026-0002.ok-pro.{role}.{ext}" for role in ("etudiant", "feg", "rh")
                     for ext in ("eml", "html")]
    assert all((tmp_path / "preview" / line.split()[0]).exists() for line in out.getvalue().splitlines()
               if ".eml" in line)
    assert outbox_keys(tmp_path / "outbox") == sent
