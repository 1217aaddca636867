"""`fvma-bot doctor`: checks everything the bot needs and says, in plain words, what to fix."""

from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.adapters.rules_dir import load_years
from bot.adapters.templates import Renderer
from bot.app import rows as sheetrows
from bot.app.wiring import imap_settings, make_sheet, smtp_settings
from bot.config import Config, find_config, load
from bot.errors import BotError


def run_doctor(config_arg: str | None, out: TextIO) -> int:
    problems = 0

    def step(name: str, check: Callable[[], str]) -> bool:
        nonlocal problems
        try:
            detail = check()
        except BotError as exc:
            problems += 1
            out.write(f"✖ {name}: {exc}\n")
            return False
        out.write(f"✔ {name}{': ' + detail if detail else ''}\n")
        return True

    holder: dict[str, Config] = {}

    def configuration() -> str:
        path = find_config(config_arg, Path.cwd())
        holder["config"] = load(path)
        return str(path)

    if not step("configuration", configuration):
        return 1
    config = holder["config"]
    step("rules", lambda: ", ".join(y.annee for y in load_years(config.path(config.paths.rules))))
    step("templates", lambda: f"{len(Renderer(config.path(config.paths.templates)).check())} templates render")
    step("sheet", lambda: _sheet(config))
    if config.mail.backend == "smtp":
        step("SMTP", lambda: _smtp(config))
        if not config.mail.smtp.verify_tls:
            out.write("⚠ SMTP: verify_tls = false — certificates are not checked; set it to true in production\n")
    else:
        step("mail", lambda: f"outbox folder {config.path(config.mail.outbox.path)} (no e-mail leaves)")
    if config.mail.imap.enabled:
        step("IMAP", lambda: _imap(config))
        if not config.mail.imap.verify_tls:
            out.write("⚠ IMAP: verify_tls = false — certificates are not checked; set it to true in production\n")
    out.write("Everything is ready.\n" if not problems else f"{problems} problem(s) to fix.\n")
    return 0 if not problems else 1


def _sheet(config: Config) -> str:
    snapshot = make_sheet(config).read()
    layout = sheetrows.layout_of(snapshot.header, config.sheet.aliases)
    missing = [f.header for f in layout.fields.missing() if f.required]
    if missing and config.sheet.backend == "forms":
        raise BotError(f"the form asks no question matching {', '.join(missing)} — rename the question or add "
                       f"its title as an alias in [sheet.aliases] (the address comes from the form's "
                       f"\"collect e-mail addresses\" setting or a question)")
    if missing:
        raise BotError(f"no column for {', '.join(missing)} — rename the header or add an alias in "
                       f"[sheet.aliases]")
    note = "" if layout.complete() else " (the bot adds its review columns on its first run)"
    return f"{len(snapshot.rows)} rows, every required question found{note}"


def _smtp(config: Config) -> str:
    from bot.adapters.smtp import check_login

    check_login(smtp_settings(config))
    return f"logged in to {config.mail.smtp.host}:{config.mail.smtp.port}"


def _imap(config: Config) -> str:
    from bot.adapters.imap import check_login

    notes = check_login(imap_settings(config))
    return "; ".join(notes) or f"logged in to {config.mail.imap.host}"
