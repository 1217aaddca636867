"""The command line as the README presents it: every command has its --help, and every command the README
lists runs as written (placeholders filled in) on the embedded default. Also the log format under systemd."""

import argparse
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import JournalFormatter, build_parser, is_journal, main
from tests.support.configs import write_config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SPEC_COMMANDS = {"run", "check", "preview", "doctor", "demo"}  # SPEC §6


def subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_parser_offers_exactly_the_commands_of_the_spec():
    assert set(subcommands()) == SPEC_COMMANDS


@pytest.mark.parametrize("command", sorted(SPEC_COMMANDS))
def test_every_command_has_a_help_that_describes_it(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])

    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert out.startswith(f"usage: fvma-bot {command}")
    assert "--config PATH" in out
    description = out.split("\n\n")[1]
    assert len(description.split()) >= 8, description  # a sentence, not a word


def test_the_installed_entry_point_answers_help():
    program = Path(sys.executable).with_name("fvma-bot")
    if not program.exists():
        pytest.skip("fvma-bot is not installed next to this Python (pip install -e .)")

    result = subprocess.run([str(program), "--help"], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0
    for command in SPEC_COMMANDS:
        assert re.search(rf"^\s+{command}\s+\S", result.stdout, flags=re.MULTILINE), command


# --- the README's commands ----------------------------------------------------------------------------


def readme_commands() -> list[str]:
    """The commands of the README's table, as written: `fvma-bot run --once`, `fvma-bot check FILE [--json]`…"""
    return re.findall(r"^\| `(fvma-bot [^`]*)` \|", README, flags=re.MULTILINE)


FILLED = {"FILE": str(ROOT / "samples" / "fvma-reponses.csv"), "EVENT": "ko", "N": "FVMA-2026-0006"}
EXPECTED_EXIT = {"check": 1}  # the sample responses have errors: that is what the exit code says


def variants(command: str) -> list[list[str]]:
    """The argument lists a README command stands for: placeholders filled, an optional flag with and without."""
    words = [FILLED.get(w, w) for w in command.split()[1:]]
    optional = [w for w in words if w.startswith("[")]
    plain = [w for w in words if not w.startswith("[")]
    return [plain] + [plain + [w.strip("[]")] for w in optional]


def test_the_readme_lists_every_command_of_the_spec():
    listed = {c.split()[1] for c in readme_commands()}

    assert listed == SPEC_COMMANDS
    assert "make demo" in README and "make test" in README


def test_the_readmes_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in set(re.findall(r"^make (\w+)", README, flags=re.MULTILINE)):
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target


@pytest.fixture
def demo_site(tmp_path, monkeypatch) -> Path:
    """A folder where the embedded default has run once: its workbook, outbox and state, and a config for them."""
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path / "config.toml",
                          sheet={"backend": "local", "local": {"path": "demo/fvma-demo.xlsx"}},
                          mail={"backend": "outbox", "outbox": {"path": "demo/outbox"}},
                          paths={"state": "demo/state/fvma-bot.sqlite3"})
    assert main(["--config", str(config), "demo", "--dir", str(tmp_path / "demo")]) == 0
    return tmp_path


def run_as_written(folder: Path, arguments: list[str], capsys) -> tuple[int, str]:
    if arguments[0] == "run":  # as a process: `run` prints to the sys.stdout of its import time
        result = subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(folder / "config.toml"),
                                 *arguments], cwd=folder, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        return result.returncode, result.stdout + result.stderr
    code = main(["--config", str(folder / "config.toml"), *arguments])
    return code, capsys.readouterr().out


def test_every_command_of_the_readme_runs_as_written(demo_site, capsys):
    ran = []
    for command in readme_commands():
        if command == "fvma-bot run":
            continue  # the daemon: the next test
        for arguments in variants(command):
            code, out = run_as_written(demo_site, arguments, capsys)
            assert code == EXPECTED_EXIT.get(arguments[0], 0), (arguments, out)
            assert out.strip(), arguments
            ran.append(" ".join(arguments))

    assert {r.split()[0] for r in ran} == SPEC_COMMANDS
    assert list((demo_site / "preview").glob("FVMA-2026-0006.ko*.eml"))


def test_the_daemon_of_the_readme_starts_and_stops_on_sigterm(demo_site):
    err = demo_site / "stderr.log"
    with err.open("w") as sink:
        daemon = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(demo_site / "config.toml"), "run"],
                                  cwd=demo_site, stdout=subprocess.DEVNULL, stderr=sink,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.monotonic() + 30
            while "fvma-bot running" not in err.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=30)
        finally:
            if daemon.poll() is None:
                daemon.kill()

    log = err.read_text()
    assert code == 0, log
    assert "fvma-bot running" in log and "fvma-bot stopped" in log
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", log)  # not under systemd: time stamps


# --- logs under systemd -------------------------------------------------------------------------------


def test_under_systemd_each_line_carries_its_priority_and_no_time_stamp(demo_site):
    err = demo_site / "journal.log"
    with err.open("w") as sink:
        status = os.fstat(sink.fileno())
        result = subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(demo_site / "config.toml"), "run",
                                 "--once"], cwd=demo_site, stdout=subprocess.DEVNULL, stderr=sink, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(ROOT),
                                     "JOURNAL_STREAM": f"{status.st_dev}:{status.st_ino}"})

    lines = err.read_text().splitlines()
    assert result.returncode == 0
    assert lines and all(re.match(r"^<[0-7]>", line) for line in lines), lines
    assert any(line.startswith("<6>INFO bot.app.daemon: cycle done") for line in lines), lines


def test_a_journal_stream_inherited_by_another_output_is_ignored(tmp_path):
    with (tmp_path / "a").open("w") as mine, (tmp_path / "b").open("w") as other:
        status = os.fstat(other.fileno())
        assert not is_journal(mine, f"{status.st_dev}:{status.st_ino}")
        assert is_journal(other, f"{status.st_dev}:{status.st_ino}")
        assert not is_journal(other, "garbage") and not is_journal(other, None)


def test_a_traceback_keeps_its_priority_on_every_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "cycle failed", None, sys.exc_info())

    lines = JournalFormatter().format(record).splitlines()

    assert lines[0] == "<3>ERROR bot: cycle failed"
    assert len(lines) > 2 and all(line.startswith("<3>") for line in lines)
