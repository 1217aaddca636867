"""`fvma-bot check FILE [--json]`: the auto-check on an exported responses file, offline."""

import json
import unicodedata
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.adapters.export_file import read_rows
from bot.adapters.rules_dir import load_years
from bot.config import Config
from bot.core.fields import BY_KEY
from bot.core.review_check import CheckedRow, check_rows
from bot.errors import InputFileError


def run_check(config: Config, file: Path, today: date, as_json: bool, out: TextIO, err: TextIO) -> int:
    """Print the findings; returns 0 when no response has an error finding, 1 otherwise."""
    years = load_years(config.path(config.paths.rules))
    rows = read_rows(file)
    if not rows:
        raise InputFileError(f"{file}: the file is empty")
    headers, checked = check_rows(rows, years, today, config.sheet.aliases)
    if not headers.columns:
        raise InputFileError(f"{file}: no column of the form found in its first row (expected headers such as "
                             f"« Horodateur », « Adresse e-mail », « Nom ») — is it an export of the responses?")
    for key in dict.fromkeys(headers.duplicates):
        err.write(f"{file}: several columns are titled « {BY_KEY[key].header} » — each response is read from "
                  f"the first of them that is filled\n")
    for fld in headers.missing():
        if fld.required:
            err.write(f"{file}: no column for « {fld.header} » — every response will miss it "
                      f"(add an alias in [sheet.aliases] if the question was renamed)\n")
    if as_json:
        json.dump([as_record(row) for row in checked], out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(as_text(checked, file))
    return 1 if any(row.verdict.has_error for row in checked) else 0


def as_record(row: CheckedRow) -> dict:
    return {
        "ligne": row.line,
        "nom": row.response.nom or "",
        "prenom": row.response.prenom or "",
        "annee": row.verdict.year,
        "constats": [{"regle": f.rule, "gravite": f.severity.value, "message": f.message}
                     for f in row.verdict.findings],
    }


def printable(text: str) -> str:
    """One terminal line of `text`: line breaks and tabs become spaces, control and invisible formatting
    characters (ESC, BEL, bidi overrides…) are shown escaped, so an answer cannot drive the terminal."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf") else ch
                   for ch in " ".join(text.split()))


def as_text(checked: list[CheckedRow], file: Path) -> str:
    lines = []
    for row in checked:
        r = row.response
        who = printable(" ".join(x for x in (r.prenom, (r.nom or "").upper()) if x)) or "(nom non renseigné)"
        contract = r.type_contrat.key if r.type_contrat else "type de contrat ?"
        lines.append(f"Ligne {row.line} — {who} — {r.niveau.value if r.niveau else '?'} — {contract} — "
                     f"année {row.verdict.year or 'inconnue'}")
        if not row.verdict.findings:
            lines.append("  ✔ Conforme")
        for f in row.verdict.findings:
            lines.append(f"  {f.severity.mark} {f.severity.value:<6} {f.rule:<26} {printable(f.message)}")
        lines.append("")
    errors = sum(row.verdict.has_error for row in checked)
    lines.append(f"{len(checked)} réponse(s) dans {file.name} : {errors} avec au moins une erreur, "
                 f"{len(checked) - errors} sans erreur.")
    return "\n".join(lines) + "\n"

