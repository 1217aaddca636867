"""Configurations for the tests and the benchmark: config.example.toml with temp paths and overrides."""

import tomllib
from pathlib import Path

from tests.support.configs import merged

ROOT = Path(__file__).resolve().parents[2]


def config_data(folder: Path, **sections) -> dict:
    """The example configuration's data with state and outbox under `folder`, the repository's rules and
    templates, `notify_since` on 2026-01-01, then `sections` laid over it (plain data, JSON-serialisable)."""
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data = merged(data, {
        "mail": {"backend": "outbox", "outbox": {"path": str(folder / "outbox")}},
        "paths": {"state": str(folder / "state.sqlite3"), "rules": str(ROOT / "rules"),
                  "templates": str(ROOT / "templates")},
        "schedule": {"notify_since": "2026-01-01T00:00:00+01:00"},
    })
    return merged(data, sections)
