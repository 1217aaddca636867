"""deploy/: the systemd unit, the production configuration template and the secrets file agree with each other
and with the command line."""

import configparser
import io
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from bot.app.doctor import run_doctor
from bot.cli import EXIT_USAGE, build_parser
from bot.config import load

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(DEPLOY / "fvma-bot.service", encoding="utf-8")
    return parser


def test_the_unit_runs_the_daemon_with_the_production_configuration():
    service = unit()["Service"]
    program, *arguments = shlex.split(service["ExecStart"])

    args = build_parser().parse_args(arguments)

    assert program == "/opt/fvma-bot/.venv/bin/fvma-bot"
    assert (args.command, args.config, args.once, args.dry_run) == ("run", "/etc/fvma-bot/config.toml", False, False)
    assert service["User"] == service["Group"] == "fvma-bot"
    assert service["EnvironmentFile"] == "/etc/fvma-bot/fvma-bot.env"


def test_the_unit_restarts_after_failures_but_not_after_a_configuration_error():
    service = unit()["Service"]

    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == str(EXIT_USAGE)
    assert service["KillSignal"] == "SIGTERM"


def test_the_state_of_the_production_configuration_lives_in_the_units_state_directory():
    service = unit()["Service"]
    config = load(DEPLOY / "config.toml")

    state = Path(config.paths.state)

    assert state.parent == Path("/var/lib") / service["StateDirectory"]
    assert service["WorkingDirectory"] == str(state.parent)
    assert config.sheet.backend == "google" and config.mail.backend == "smtp" and config.mail.imap.enabled


def test_the_secrets_file_names_exactly_the_variables_the_configuration_reads():
    config = load(DEPLOY / "config.toml")
    text = (DEPLOY / "fvma-bot.env.example").read_text(encoding="utf-8")

    names = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", text, flags=re.MULTILINE))

    assert names == {config.mail.smtp.password_env, config.mail.imap.password_env}
    assert "password" not in tomllib.loads((DEPLOY / "config.toml").read_text(encoding="utf-8"))["mail"]["smtp"]


def test_doctor_lists_every_value_the_template_leaves_to_fill_in():
    out = io.StringIO()

    assert run_doctor(str(DEPLOY / "config.toml"), out) == 1

    line = next(x for x in out.getvalue().splitlines() if x.startswith("✖ values"))
    for key in ("[sheet.google].spreadsheet_id", "[mail.smtp].user", "[people].lead_email", "[links].form_url",
                "[people.secretariats.Aix].email", "[links].cactus_url"):
        assert key in line


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed here")
def test_systemd_accepts_the_unit(tmp_path):
    # `verify` also checks that the program exists: point it at this checkout's
    text = (DEPLOY / "fvma-bot.service").read_text(encoding="utf-8")
    program = ROOT / ".venv" / "bin" / "fvma-bot"
    if not program.exists():
        program = Path(shutil.which("fvma-bot") or "/bin/true")
    copy = tmp_path / "fvma-bot.service"
    copy.write_text(text.replace("/opt/fvma-bot/.venv/bin/fvma-bot", str(program)), encoding="utf-8")

    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert "fvma-bot.service" not in result.stderr, result.stderr


def test_run_refuses_to_start_on_the_template_until_every_value_is_filled_in(capsys):
    from bot.cli import main

    assert main(["run", "--once", "--config", str(DEPLOY / "config.toml")]) == 2
    err = capsys.readouterr().err
    assert "still « … » in the configuration" in err and "[people].lead_email" in err and "doctor" in err
