"""Fixtures for the cycle tests: a configuration on temp paths, sample rows, the Google test server."""

import csv
import json
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from bot.adapters.templates import Renderer
from bot.config import Config
from bot.core import values
from bot.core.values import PARIS
from tests.support.configs import merged
from tests.support.google_server import GoogleServer

ROOT = Path(__file__).resolve().parents[2]


_RENDERERS: dict[str, Renderer] = {}


@pytest.fixture(autouse=True)
def compiled_templates_once(monkeypatch):
    """One Renderer per templates folder for the whole run: compiling the templates is most of a first
    cycle's time, and the scenarios run a cycle per intake. Rendering itself keeps no state."""
    def renderer(folder) -> Renderer:
        if str(folder) not in _RENDERERS:
            _RENDERERS[str(folder)] = Renderer(folder)
        return _RENDERERS[str(folder)]
    monkeypatch.setattr("bot.app.wiring.Renderer", renderer)


@pytest.fixture
def make_config(tmp_path):
    def make(**sections) -> Config:
        data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
        data = merged(data, {
            "mail": {"backend": "outbox", "outbox": {"path": str(tmp_path / "outbox")}},
            "paths": {"state": str(tmp_path / "state.sqlite3"), "rules": str(ROOT / "rules"),
                      "templates": str(ROOT / "templates")},
            "schedule": {"notify_since": "2026-01-01T00:00:00+01:00"},
        })
        return Config.model_validate(merged(data, sections))
    return make


@pytest.fixture
def sample_rows() -> list[list[object]]:
    """The bundled sample responses, typed as a Google response sheet holds them."""
    with (ROOT / "samples" / "fvma-reponses.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    typed = [rows[0]]
    for row in rows[1:]:
        out = list(row)
        out[0] = values.parse_datetime(row[0])
        out[20], out[21] = values.parse_date(row[20]) or row[20], values.parse_date(row[21]) or row[21]
        typed.append(out)
    return typed


@pytest.fixture
def google(tmp_path):
    with GoogleServer() as server:
        key = tmp_path / "service-account.json"
        key.write_text(json.dumps(server.service_account_info()))
        server.key_file = key
        yield server


def at(day: int, hour: int = 9, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=PARIS)


def outbox_keys(folder: Path) -> list[str]:
    return sorted(p.name.removeprefix("fvma.").split("_")[0].removesuffix(".eml") for p in folder.glob("*.eml"))
