"""`fvma-bot doctor`, the sheet: credentials, access, the edit right and the header row.

On Google Sheets the edit right is proved by a write that changes nothing (deleting developer
metadata that does not exist): a sheet shared as Viewer passes every read and fails only there.
"""

import difflib
import json
import os

from bot.adapters.sheet import BOT_HEADERS
from bot.app import rows as sheetrows
from bot.app.doctor_report import Report, Trouble
from bot.app.wiring import make_sheet
from bot.config import Config
from bot.core import values
from bot.core.text import normalise
from bot.errors import ConfigError, SheetError

SHARE = "Share (Partager) button of the spreadsheet"


def check_sheet(config: Config, report: Report) -> str:
    backend = config.sheet.backend
    account = ""
    if backend == "google":
        account = _google_account(config, report)
        sheet = make_sheet(config)
        where = f"spreadsheet {config.sheet.google.spreadsheet_id}"
    elif backend == "local":
        sheet, where = make_sheet(config), str(config.path(config.sheet.local.path))
    else:
        try:
            sheet = make_sheet(config)
        except ImportError as exc:
            raise Trouble(f"the sheet backend {backend!r} cannot be loaded ({exc})",
                          "install fvma-bot again with its dependencies (deploy/README.md, « pip install »), or set "
                          "[sheet].backend = \"google\" to read the form's response sheet (docs/setup-google.md)"
                          ) from None
        forms = config.sheet.forms
        where = f"form {forms.form_id}, review worksheet « {forms.review_worksheet} »"
    try:
        snapshot = sheet.read()
    except SheetError as exc:
        raise Trouble(_without_advice(exc), _sheet_fix(exc, config, account)) from None
    detail = _headers(snapshot.header, config, report)
    if backend == "google":
        _prove_edit_right(sheet, config, account)
        where += f", worksheet « {sheet.title} »"
    rows = sum(1 for _, cells in snapshot.rows if not all(values.is_blank(c) for c in cells))
    return f"{rows} row{'' if rows == 1 else 's'}, {detail} ({where})"


def _without_advice(exc: SheetError) -> str:
    """The adapter's message without its generic advice after « — »: doctor prints a precise fix instead."""
    return str(exc).rsplit(" — ", 1)[0]


def _google_account(config: Config, report: Report) -> str:
    """The service account's address (or "" for an authorized-user file); raises Trouble for a bad key."""
    from bot.adapters.sheet_google import google_credentials

    g = config.sheet.google
    try:
        credentials = google_credentials(config)
    except ConfigError as exc:
        raise Trouble(str(exc), _credentials_fix(config)) from None
    path = config.path(g.credentials_file)
    if os.stat(path).st_mode & 0o077:
        report.warn("sheet", f"the key {path} can be read by other users of this machine",
                    f"chmod 600 {path} (or 640 with the group of the bot's user)")
    return getattr(credentials, "service_account_email", "") or ""


def _credentials_fix(config: Config) -> str:
    g = config.sheet.google
    path = config.path(g.credentials_file) if g.credentials_file else None
    if path is None or not path.is_file():
        return ("create a JSON key for the service account (docs/setup-google.md §4) and set "
                "[sheet.google].credentials_file to its path")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{path} is not JSON: download the service account's key again (Keys → Add key → JSON)"
    kind = data.get("type") if isinstance(data, dict) else None
    if isinstance(data, dict) and ("installed" in data or "web" in data):
        return (f"{path} is an OAuth client ID, not a key: create a service-account key (IAM → Service accounts "
                f"→ Keys → Add key → JSON), or turn the client ID into an authorized-user file "
                f"(docs/setup-google.md §5)")
    if kind in ("service_account", "authorized_user") and kind != g.credentials_type:
        return f"this file is a {kind} file: set [sheet.google].credentials_type = \"{kind}\""
    return f"download the key again: {path} is not a complete {g.credentials_type} file"


def _sheet_fix(exc: SheetError, config: Config, account: str) -> str:
    text, status, backend = str(exc), _http_status(exc), config.sheet.backend
    if "no worksheet named" in text:
        return (f"set [sheet.{backend}].worksheet to the name of the tab holding the responses (found names above), "
                f"or \"\" for the first")
    if backend == "local":
        return "set [sheet.local].path to the workbook (for the sample one, run `fvma-bot demo` first)"
    if backend != "google":
        return f"do what the message says, in [sheet.{backend}] (docs/setup-google.md)"
    who = account or "the Google account the authorized-user file was made with"
    sheet_id = config.sheet.google.spreadsheet_id
    if "has not been used" in text or "is disabled" in text or "SERVICE_DISABLED" in text:
        return ("enable the Google Sheets API in the service account's Google Cloud project: console.cloud.google."
                "com → APIs & Services → Library → Google Sheets API → Enable; wait a few minutes")
    if "insufficient authentication scopes" in text:
        return "make the credentials again with the scope https://www.googleapis.com/auth/spreadsheets"
    if status == 403:
        return f"open the spreadsheet, use the {SHARE} and add {who} as Editor (Éditeur)"
    if status == 404:
        return (f"[sheet.google].spreadsheet_id = \"{sheet_id}\" names no spreadsheet: copy the id from the sheet's "
                f"address, docs.google.com/spreadsheets/d/<id>/edit; it must also be shared with {who}")
    if "unreachable" in text or _network_failure(exc):
        return ("this machine must reach https://sheets.googleapis.com and https://oauth2.googleapis.com on port 443: "
                "check the proxy and the firewall")
    if (status == 401 or "authentication failed" in text) and config.sheet.google.credentials_type == "authorized_user":
        return ("the authorized-user file's refresh token expired or was revoked: make a new one (docs/setup-google.md "
                "§5, steps 3–4); if this comes back every week, the OAuth app is still in Testing: publish it")
    if status == 401 or "authentication failed" in text:
        return ("the key was deleted or disabled, or its service account was: create a new JSON key (IAM → Service "
                "accounts → Keys → Add key) and point [sheet.google].credentials_file at it")
    return "check the [sheet] section of the configuration; run doctor again in a few minutes if Google is down"


def _network_failure(exc: SheetError) -> bool:
    """Whether google-auth could not reach the token endpoint (its TransportError, which the adapter wraps)."""
    return any(c.__name__ == "TransportError" for c in type(exc.__context__).__mro__)


def _http_status(exc: SheetError) -> int | None:
    """The HTTP status behind a Sheets error: the adapter raises it while handling gspread's APIError."""
    response = getattr(exc.__context__, "response", None)
    return getattr(response, "status_code", None)


def _prove_edit_right(sheet, config: Config, account: str) -> None:
    """A write that changes nothing: a viewer's share passes the read but not this."""
    probe = {"requests": [{"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
        "metadataKey": "fvma-doctor", "locationType": "ROW"}}}}]}
    try:
        sheet.call("post", ":batchUpdate", json=probe)
    except SheetError as exc:
        if _http_status(exc) == 403:
            who = account or "the Google account of the credentials"
            raise Trouble(f"the sheet can be read but not edited ({_without_advice(exc)})",
                          f"in the {SHARE}, change {who} from Viewer/Commenter to Editor (Éditeur)") from None
        raise Trouble(_without_advice(exc), _sheet_fix(exc, config, account)) from None


def _headers(header: list[object], config: Config, report: Report) -> str:
    texts = [values.shown(h) for h in header]
    if not any(texts):
        raise Trouble("the worksheet's first row is empty: it is not a form's response sheet",
                      "point the configuration at the tab holding the responses (e.g. « Réponses au formulaire 1 »)")
    layout = sheetrows.layout_of(header, config.sheet.aliases)
    used = set(layout.fields.columns.values()) | set(layout.bot.values()) | \
        {i for later in layout.fields.later.values() for i in later}
    unmatched = [t for i, t in enumerate(texts) if t and i not in used]
    missing = [f for f in layout.fields.missing() if f.required]
    if missing and config.sheet.backend == "forms":
        raise Trouble(f"the form asks no question matching {', '.join(f.header for f in missing)} — rename the "
                      f"question or add its title as an alias in [sheet.aliases] (the address comes from the "
                      f"form's \"collect e-mail addresses\" setting or a question)",
                      "\n".join(["in Google Forms, give the question that title; or add its title to the "
                                 "configuration:", "  [sheet.aliases]",
                                 *(f"  {f.key} = [\"<the question's title>\"]" for f in missing)]))
    if missing:
        raise Trouble(f"no column for {', '.join('« ' + f.header + ' »' for f in missing)}",
                      _missing_fix(missing, unmatched))
    optional = [f.header for f in layout.fields.missing()]
    if optional:
        report.warn("sheet", f"optional question(s) not found: {', '.join('« ' + h + ' »' for h in optional)}",
                    "the e-mails leave them out; if the form has them under another title, add an alias in "
                    "[sheet.aliases]")
    for key in dict.fromkeys(layout.fields.duplicates):
        report.warn("sheet", f"two columns carry the question of « {key} »",
                    "normal after a question was deleted and re-created in the form; otherwise rename one")
    return _review_columns(layout, unmatched, report)


def _missing_fix(missing: list, unmatched: list[str]) -> str:
    lines, aliases = [], []
    for fld in missing:
        guess = _closest(fld.header, unmatched)
        if guess:
            aliases.append(f"{fld.key} = [\"{guess}\"]")
        else:
            lines.append(f"add the question « {fld.header} » to the form (its header must read so)")
    if aliases:
        lines.insert(0, "if these columns hold those questions, add to the configuration:")
        lines[1:1] = ["  [sheet.aliases]", *("  " + a for a in aliases)]
    return "\n".join(lines)


def _closest(wanted: str, candidates: list[str]) -> str:
    names = {normalise(c): c for c in candidates}
    found = difflib.get_close_matches(normalise(wanted), list(names), n=1, cutoff=0.5)
    return names[found[0]] if found else ""


def _review_columns(layout, unmatched: list[str], report: Report) -> str:
    absent = [h for h in BOT_HEADERS if h not in layout.bot]
    for name in absent:
        near = _closest(name, unmatched)
        if near:
            report.warn("sheet", f"the column « {near} » looks like the bot's « {name} » but is not named so",
                        f"rename it « {name} » exactly, or the bot adds a second column « {name} »")
    if not absent:
        return "every required question found, and every review column"
    names = ", ".join(f"« {h} »" for h in absent)
    return f"every required question found; the bot adds {names} on its first run"
