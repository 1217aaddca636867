"""Figures the reliability suites publish in docs/reliability.md.

Each suite calls `record(...)` once with what it tried and what survived; the
figures land as JSON in `FVMA_FIGURES` (default `.reliability/` at the repo
root) and `python -m tests.reliability.report` turns them into the document.
`make test` runs every suite at a quick size (`scale(quick, full)` returns
`quick`); `make reliability` sets FVMA_RELIABILITY=full and runs the full counts.
"""

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def full() -> bool:
    return os.environ.get("FVMA_RELIABILITY") == "full"


def scale(quick: int, full_count: int) -> int:
    """How many times to try: `full_count` under `make reliability`, `quick` otherwise."""
    return full_count if full() else quick


def figures_dir() -> Path:
    return Path(os.environ.get("FVMA_FIGURES") or ROOT / ".reliability")


def record(suite: str, title: str, figures: dict[str, object], notes: str = "", order: int = 50) -> Path:
    """Store one suite's figures (name → number or short text); `order` sorts the document's sections."""
    folder = figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{suite}.json"
    path.write_text(json.dumps({
        "suite": suite, "title": title, "figures": figures, "notes": notes, "order": order,
        "mode": "full" if full() else "quick", "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
                   f"{os.cpu_count()} CPUs",
    }, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
