"""`fvma-bot doctor`: checks everything the bot needs (SPEC §6) and prints, for each problem, how to fix it.

One line per step: ✔ (ready), ⚠ (works, but worth a look) or ✖ (the bot cannot work), each ⚠ and ✖
followed by a `→` line saying what to do. The steps run in order and a failed step does not hide
the next ones, except a configuration that cannot be loaded. Nothing is sent or filed, and the sheet
is left as it was. Exit 0 when no step failed, 1 otherwise. The sheet's steps are in `doctor_sheet`, the mail's in
`doctor_mail`.
"""

import os
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from bot.adapters.rules_dir import load_years
from bot.adapters.templates import Renderer
from bot.app.doctor_mail import check_mail
from bot.app.doctor_report import Report, Trouble
from bot.app.doctor_sheet import check_sheet
from bot.config import Config, find_config, load, placeholders
from bot.core.values import PARIS


def run_doctor(config_arg: str | None, out: TextIO, today: date | None = None) -> int:
    today = today or datetime.now(PARIS).date()
    report = Report(out)
    holder: dict[str, Config] = {}

    def configuration() -> str:
        path = find_config(config_arg, Path.cwd())
        holder["config"] = load(path)
        return str(path)

    if not report.step("configuration", configuration,
                       "edit the file: config.example.toml documents every key and its expected values"):
        report.summary()
        return 1
    config = holder["config"]
    report.step("values", lambda: _placeholders(config), "")
    report.step("rules", lambda: _rules(config, today, report),
                "fix the file named above (docs/guide-responsable.md explains its keys), or set [paths].rules to "
                "the folder of the rules files (in production: a copy of /opt/fvma-bot/rules in /etc/fvma-bot/rules)")
    report.step("templates", lambda: _templates(config),
                "fix the template named above, or set [paths].templates to the templates folder of the code")
    report.step("state", lambda: _state(config), "set [paths].state to a file in a folder the bot's user owns")
    report.step("sheet", lambda: check_sheet(config, report), "check the [sheet] section of the configuration")
    check_mail(config, report)
    _people(config, report)
    report.summary()
    return 0 if not report.problems else 1


# --- rules, state -----------------------------------------------------------------------------------


def _rules(config: Config, today: date, report: Report) -> str:
    folder = config.path(config.paths.rules)
    years = load_years(folder)
    # Validations for the year starting in September open in May: from April, that year needs its file.
    start = today.year if today.month >= 4 else today.year - 1
    wanted = f"{start}-{start + 1}"
    if not any(y.calendrier.debut_formation.year == start for y in years):
        latest = max(years, key=lambda y: y.calendrier.debut_formation).annee
        report.warn("rules", f"no rules file for {wanted}: responses for contracts starting in September {start} "
                             f"will get « annee-inconnue »",
                    f"copy {folder / (latest + '.toml')} to {folder / (wanted + '.toml')}, change annee and the "
                    f"dates of [calendrier], then restart the bot")
    return f"{', '.join(y.annee for y in years)} (in {folder})"


def _templates(config: Config) -> str:
    folder = config.path(config.paths.templates)
    return f"{len(Renderer(folder).check())} templates render (in {folder})"


def _state(config: Config) -> str:
    path = config.path(config.paths.state)
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise Trouble(f"{path} exists but this user cannot read and write it",
                          f"run doctor as the bot's user, or give the file to it: chown fvma-bot {path}")
        from bot.app.wiring import open_store

        store = open_store(config)
        try:
            dossiers, mails = len(store.dossiers()), len(store.outbox())
        finally:
            store.close()
        return f"{path} ({dossiers} dossier(s), {mails} e-mail(s) recorded)"
    folder = next(p for p in (path.parent, *path.parent.parents) if p.exists())
    if not os.access(folder, os.W_OK | os.X_OK):
        raise Trouble(f"{path} cannot be created: {folder} is not writable by this user",
                      f"create {path.parent} for the bot's user (the systemd unit's StateDirectory= does it), "
                      f"or set [paths].state")
    return f"{path} (created on the first run)"


def _placeholders(config: Config) -> str:
    """deploy/config.toml marks what each site must fill in with « … »: none may be left."""
    left = placeholders(config)
    if left:
        raise Trouble(f"still « … » in the configuration: {', '.join(left)}",
                      "replace each « … » with the real value (the comment beside it says what it is)")
    return "no « … » left to fill in"


# --- people and links -----------------------------------------------------------------------------------


def _people(config: Config, report: Report) -> None:
    """Leftovers of the example configuration, which matter once e-mails really leave."""
    if config.mail.backend != "smtp":
        return
    p = config.people
    examples = [f"{key} = {value}" for key, value in
                (("lead_email", p.lead_email), ("sender_email", p.sender_email), ("feg_email", p.feg_email),
                 *((f"secretariats.{site}.email", s.email) for site, s in p.secretariats.items()))
                if value.rsplit("@", 1)[-1].endswith(("example.org", "example.com", "example.net"))]
    if examples:
        report.warn("people", f"example addresses still configured: {', '.join(examples)}",
                    "put the real addresses in [people] and [people.secretariats.*]")
    if not config.links.cactus_url:
        report.warn("links", "cactus_url is empty: the apprenticeship e-mails give no CACTUS address",
                    "set [links].cactus_url to the CFA's CACTUS address")
    report.step("people", lambda: f"lead {p.lead_name} <{p.lead_email}>, sender {p.sender_email}", "")
