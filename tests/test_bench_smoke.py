"""`make bench` at tiny sizes: it still runs, writes its page and plot, and the request budget holds.

Times are reported by the benchmark, never asserted: this only keeps it working.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs_at_tiny_sizes_and_the_request_budget_holds(tmp_path):
    out, work = tmp_path / "docs", tmp_path / "work"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out),
                           "--work", str(work)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((work / "results.json").read_text(encoding="utf-8"))

    for size in results["sizes"]:
        series = results["series"][str(size)]
        bot = {step: (f["reads"], f["writes"]) for step, f in series["bot-google"]["steps"].items()}
        assert bot["quiet"] == bot["quiet-after"] == (1, 0)
        assert bot["change"] == (1, 1)
        baseline = series["baseline-google"]["steps"]["change"]
        assert (baseline["reads"], baseline["writes"]) == (1, 2 * size)   # Statut and Dernière action per row
        assert series["bot-google"]["steps"]["change"]["smtp_connections"] == 1
        assert baseline["smtp_connections"] == baseline["smtp_messages"] == size
        assert series["same"] == {"cells": True, "emails": True, "email_count": size}
    smtp = results["smtp"]
    assert smtp["bot"]["connections"] == 1 and smtp["bot"]["accepted"] == smtp["bot"]["messages"]
    assert smtp["baseline"]["connections"] == smtp["baseline"]["accepted"] == smtp["baseline"]["messages"]
    assert all(r["samples"] and r["exit_code"] == 0 for r in results["reaction"].values())

    page = (out / "benchmarks.md").read_text(encoding="utf-8")
    assert "## Goals" in page and "python benchmarks/run.py --quick" in page
    assert "| Sheets API: ≤ 1 read and ≤ 1 write per cycle" in page and "| yes |" in page
    assert (out / "images" / "bench-cycle-time.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
