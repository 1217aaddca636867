"""`make bench`: what a cycle costs as the season grows, against the straightforward way, and how
fast a running daemon answers. Writes docs/benchmarks.md and docs/images/bench-cycle-time.png.

    python benchmarks/run.py [--sizes 10,1000,10000] [--quick] [--out DIR] [--work DIR]

A report, not a test: it asserts nothing about time. `--quick` runs tiny sizes in
about half a minute (what `tests/test_bench_smoke.py` does).
"""

import argparse
import json
import os
import platform
import pstats
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402
from benchmarks.cycles import run_series, same_output  # noqa: E402
from benchmarks.lab import Lab, WorkerProcess  # noqa: E402
from benchmarks.reaction import measure_reaction  # noqa: E402
from tests.support.sheet_rows import many_rows  # noqa: E402

SERIES = (("bot", "google"), ("baseline", "google"), ("bot", "local"))
QUICK = {"sizes": [5, 25], "smtp_messages": 20, "reaction_samples": 1}
FULL = {"sizes": [10, 1000, 10000], "smtp_messages": 1000, "reaction_samples": 5}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",") if x.strip()],
                        help=f"responses in the sheet, comma-separated (default {','.join(map(str, FULL['sizes']))})")
    parser.add_argument("--quick", action="store_true",
                        help=f"tiny sizes ({','.join(map(str, QUICK['sizes']))}), few messages and samples")
    parser.add_argument("--smtp-messages", type=int, help="messages for the SMTP comparison (default 1000)")
    parser.add_argument("--reaction-samples", type=int, help="responses timed per size in the daemon (default 5)")
    parser.add_argument("--poll", type=int, default=2, help="the daemon's poll interval in seconds (default 2)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs",
                        help="where benchmarks.md and images/ go (default docs/)")
    parser.add_argument("--work", type=Path, help="keep the sheets, states, logs and results.json there")
    parser.add_argument("--render", type=Path, metavar="RESULTS.json",
                        help="measure nothing: write the page and the plot again from a results.json")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    args.sizes = sorted(set(args.sizes or preset["sizes"]))
    args.smtp_messages = args.smtp_messages or preset["smtp_messages"]
    args.reaction_samples = args.reaction_samples or preset["reaction_samples"]
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.render:
        write(json.loads(args.render.read_text(encoding="utf-8")), args.out)
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="fvma-bench-"))
    started = time.monotonic()
    results = {"sizes": args.sizes, "poll": args.poll, "series": {}, "reaction": {},
               "command": " ".join(["python benchmarks/run.py", *argv]).strip(),
               "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "machine": machine()}
    log = work / "processes.log"
    try:
        with Lab(work) as lab:
            for size in args.sizes:
                results["series"][str(size)] = measure_size(lab, size, log, work, size == args.sizes[-1])
            results["smtp"] = measure_smtp(lab, args.smtp_messages, log)
            for size in args.sizes:
                say(f"{size:,} rows: the daemon's reaction time ({args.reaction_samples} samples)")
                results["reaction"][str(size)] = measure_reaction(lab, many_rows(size), args.reaction_samples,
                                                                  args.poll, log)
        profile = work / "quiet-cycle.prof"
        results["profile"] = summarise_profile(profile, args.sizes[-1])
        results["duration_min"] = (time.monotonic() - started) / 60
        (work / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
        write(results, args.out)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def write(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    results["analysis"] = report.analysis(results)
    (out / "benchmarks.md").write_text(report.render(results), encoding="utf-8")
    report.plot(results, out / report.PLOT)
    say(f"wrote {out / 'benchmarks.md'} and {out / report.PLOT}")


def measure_size(lab: Lab, size: int, log: Path, work: Path, profile: bool) -> dict:
    rows = many_rows(size)
    out = {}
    for impl, backend in SERIES:
        say(f"{size:,} rows: {impl} on the {backend} sheet")
        wanted = work / "quiet-cycle.prof" if profile and (impl, backend) == ("bot", "google") else None
        out[f"{impl}-{backend}"] = run_series(lab, impl, backend, rows, log, wanted)
        lab.smtp.messages.clear()
    out["same"] = same_output(out["bot-google"], out["baseline-google"])
    for name in ("bot-google", "baseline-google", "bot-local"):
        out[name] = {"steps": out[name]["steps"]}
    return out


def measure_smtp(lab: Lab, count: int, log: Path) -> dict:
    config = lab.config_file("smtp", {"backend": "local", "local": {"path": str(lab.folder / "unused.xlsx")}})
    out = {}
    for impl in ("bot", "baseline"):
        say(f"SMTP: {count:,} messages, {impl}")
        with WorkerProcess(lab, config, impl, log) as worker:
            before, messages = lab.smtp.connections, len(lab.smtp.messages)
            figures = worker.ask(op="smtp", count=count)
            figures["connections"] = lab.smtp.connections - before
            figures["accepted"] = len(lab.smtp.messages) - messages
        out[impl] = figures
        lab.smtp.messages.clear()
    return out


def summarise_profile(path: Path, rows: int, keep: int = 14) -> dict | None:
    """The functions that matter in a cProfile dump, by cumulative time."""
    if not path.exists():
        return None
    stats = pstats.Stats(str(path)).stats
    entries, total = [], 0.0
    for (filename, line, function), (_, calls, _, cumulative, _) in stats.items():
        name = _function_name(filename, function)
        if name == "bot/app/cycle.py:run":
            total = max(total, cumulative)
        if name and "benchmarks/" not in filename:
            entries.append({"name": name, "calls": calls, "cumulative": cumulative})
    entries.sort(key=lambda e: -e["cumulative"])
    key = {e["name"]: e["cumulative"] for e in entries if e["name"] in report.KEY_FUNCTIONS}
    return {"rows": rows, "total": total or (entries[0]["cumulative"] if entries else 0.0),
            "functions": entries[:keep], "key": key}


def _function_name(filename: str, function: str) -> str | None:
    """`bot/core/intake.py:parse_response` for the project's code, a few library hot spots, else None."""
    path = filename.replace(os.sep, "/")
    if "/bot/" in path:
        return "bot/" + path.split("/bot/", 1)[1] + ":" + function
    if "email_validator/validate_email.py" in path and function == "validate_email":
        return "email_validator.validate_email"
    if function == "<method 'execute' of 'sqlite3.Connection' objects>":
        return "sqlite3 execute"
    if path.endswith("json/__init__.py") and function == "loads":
        return "json.loads"
    if path.endswith("requests/sessions.py") and function == "request":
        return "requests (the HTTP round trip)"
    return None


def machine() -> dict:
    import gspread
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": psutil.cpu_count(logical=True),
            "memory_gib": psutil.virtual_memory().total / 2**30,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "gspread": gspread.__version__}


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
