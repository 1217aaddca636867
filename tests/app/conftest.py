"""Fixtures for the cycle tests: a configuration on temp paths, sample rows (the Google test server: tests/conftest.py)."""

from datetime import datetime
from pathlib import Path

import pytest

from bot.adapters.templates import Renderer
from bot.config import Config
from bot.core.values import PARIS
from tests.support import sheet_rows
from tests.support.config_data import config_data

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
        return Config.model_validate(config_data(tmp_path, **sections))
    return make


@pytest.fixture
def sample_rows() -> list[list[object]]:
    """The bundled sample responses, typed as a Google response sheet holds them."""
    return sheet_rows.sample_rows()


def at(day: int, hour: int = 9, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=PARIS)


def outbox_keys(folder: Path) -> list[str]:
    return sorted(p.name.removeprefix("fvma.").split("_")[0].removesuffix(".eml") for p in folder.glob("*.eml"))
