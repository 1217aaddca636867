"""Configurations for the tests and the benchmark: config.example.toml with temp paths and overrides."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def merged(base: dict, extra: dict) -> dict:
    """`base` with `extra` laid over it, tables merged key by key."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


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
