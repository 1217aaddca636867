"""Configuration files for processes started by the tests: config.example.toml with some keys changed."""

import tomllib
from pathlib import Path

import tomli_w

ROOT = Path(__file__).resolve().parents[2]


def merged(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def example_with(**sections) -> dict:
    """config.example.toml as a dict, with `sections` merged in (nested dicts merge, values replace)."""
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data = merged(data, {"paths": {"rules": str(ROOT / "rules"), "templates": str(ROOT / "templates")}})
    return merged(data, sections)


def write_config(path: Path, **sections) -> Path:
    path.write_text(tomli_w.dumps(example_with(**sections)), encoding="utf-8")
    return path
