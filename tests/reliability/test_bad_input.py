"""The bad-input corpus (issue #6, part 4) through the three ways a response reaches the bot.

1. `fvma-bot check --json` on CSV (UTF-8, with a BOM, Latin-1) and XLSX exports of the corpus, and on
   files whose headers are duplicated, missing or extra, whose rows are empty or ragged, whose bytes are
   not text at all;
2. a full cycle on the local XLSX backend, then an OK on every row: every hostile row gets a dossier, a
   `Contrôle automatique` cell and a status, and the `reception` and `ok-pro` e-mails show the hostile
   text literally in their text part, escaped in their HTML part, with no injected header;
3. the same cycle on the Google backend through the real gspread: cells written RAW, no formula.

Each hostile row sits among control rows (the clean response, other students) that must come out
`Conforme` with the same e-mails as ever: one bad row never spills onto another. The corpus is the
table in tests/reliability/hostile.py; `make reliability` adds random combinations of its values.
"""

import json
import random
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.adapters.compose import build_message
from bot.adapters.rules_dir import load_years
from bot.adapters.sheet import BOT_HEADERS
from bot.adapters.templates import Renderer
from bot.app.context import dossier_context
from bot.app.wiring import make_cycle
from bot.cli import main
from bot.core import intake
from bot.core.events import Event, Outgoing, Recipient, Role
from bot.core.fields import BY_KEY
from bot.core.recipients import Office, recipients
from bot.core.review_check import check_rows
from bot.core.rules import evaluate, summary_cell
from bot.core.values import PARIS
from tests.reliability.corpus_support import (ROOT, config_file, csv_bytes, flat, header_problems, make_config,
                                              parse, parts, shows_literally, write_xlsx)
from tests.reliability.figures import record, scale
from tests.reliability.hostile import CASES, HEADER, Case, Line, corpus_lines, row_of, student

TODAY = date(2025, 6, 20)
NOW = datetime(2025, 6, 20, 10, 0, tzinfo=PARIS)
EXTRA_HEADERS = ['=IMPORTDATA("https://evil.example")', "<script>alert(1)</script>", "{{ 7*7 }}",
                 "Question ajoutée en cours d'année ?"]
EXTRA_VALUES = ["=1+1", "<b>x</b>", "{{ 7*7 }}", "x" * 5000]


def with_extras(response: dict) -> list[object]:
    """A row of the form's columns then the extra, unknown columns (EXTRA_HEADERS)."""
    return row_of(response) + EXTRA_VALUES
TALLY: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def figures():
    yield
    if not TALLY:
        return
    record("bad-input", "Bad input: hostile and broken responses", {
        "hostile cases in the corpus (one field each)": len(CASES),
        "header, encoding and file cases": TALLY["file cases"],
        "responses checked by `check --json` (CSV, BOM, Latin-1, XLSX)": TALLY["check rows"],
        "responses through a local cycle (reception, then OK)": TALLY["local rows"],
        "responses through a Google-backend cycle": TALLY["google rows"],
        "random combinations of hostile values": TALLY["fuzz rows"],
        "e-mails inspected": TALLY["emails"],
        "crashes": TALLY["crashes"],
        "template expressions evaluated": TALLY["evaluated"],
        "formulas written": TALLY["formulas"],
        "wrong or missing findings": TALLY["wrong findings"],
        "unsafe e-mails (injected header, raw markup, text not shown as typed)": TALLY["unsafe emails"],
        "control rows affected": TALLY["controls affected"],
    }, notes="Cases: tests/reliability/hostile.py (each names the field, the hostile value and the finding "
             "expected, or a safe rendering). Control rows sit between the hostile ones and must stay "
             "`Conforme` with their usual e-mails.", order=40)


@pytest.fixture(scope="module")
def years():
    return load_years(ROOT / "rules")


def expected(line: Line) -> set[str]:
    return set(line.case.expect) if line.case else set()


def label(line: Line) -> str:
    return line.case.id if line.case else f"control row {line.number}"


def findings_mismatches(lines: list[Line], got: dict[int, set[str]]) -> list[str]:
    """Rows whose rule ids differ from the table's; counts wrong findings and affected controls."""
    wrong = []
    for line in lines:
        found = got.get(line.number)
        if found != expected(line):
            wrong.append(f"{label(line)} (row {line.number}): expected {sorted(expected(line))}, got "
                         f"{sorted(found) if found is not None else 'no record'}")
            TALLY["controls affected" if line.case is None else "wrong findings"] += 1
    return wrong


# --- 1. `fvma-bot check --json` ---------------------------------------------------------------------------

@pytest.fixture
def check(tmp_path, capsys):
    config = config_file(tmp_path)

    def run(path: Path) -> tuple[int, list[dict] | None, str]:
        try:
            code = main(["--config", str(config), "check", str(path), "--json"])
        except BaseException:
            TALLY["crashes"] += 1
            raise
        out, err = capsys.readouterr()
        if code == 2 or "Traceback" in err:
            TALLY["crashes"] += 1
        return code, json.loads(out) if out.strip() else None, err
    return run


def corpus_file(tmp_path: Path, kind: str) -> tuple[Path, list[Line]]:
    medium = "xlsx" if kind == "xlsx" else "csv"
    lines = corpus_lines(medium)
    if kind == "latin-1":
        lines = corpus_lines("csv", [c for c in CASES if "csv" in c.media and _encodable(c, "cp1252")])
    rows = [HEADER] + [row_of(line.response) for line in lines]
    path = tmp_path / f"corpus-{kind}.{'xlsx' if kind == 'xlsx' else 'csv'}"
    if kind == "xlsx":
        write_xlsx(path, rows)
    else:
        encoding = {"utf-8": "utf-8", "bom": "utf-8-sig", "latin-1": "cp1252"}[kind]
        path.write_bytes(csv_bytes(rows, encoding=encoding))
    return path, lines


def _encodable(c: Case, encoding: str) -> bool:
    try:
        str(c.value).encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


@pytest.mark.parametrize("kind", ["utf-8", "bom", "latin-1", "xlsx"])
def test_check_gives_each_hostile_row_its_finding_and_leaves_the_others_conforme(check, tmp_path, kind):
    path, lines = corpus_file(tmp_path, kind)
    code, records, err = check(path)
    TALLY["check rows"] += len(lines)
    TALLY["file cases"] += 1

    assert code == 1, err
    by_line = {r["ligne"]: r for r in records}
    assert list(by_line) == [line.number for line in lines]
    assert findings_mismatches(lines, {n: {c["regle"] for c in r["constats"]} for n, r in by_line.items()}) == []
    for line in lines:  # names as typed (an XLSX cell keeps LF of a CR LF: compared across whitespace)
        shown, typed = by_line[line.number], intake.parse_response(line.response)
        assert (flat(shown["nom"]), flat(shown["prenom"])) == (flat(typed.nom or ""), flat(typed.prenom or ""))
    names = {r["nom"] for r in records}
    assert "{{ 7*7 }}" in names and "49" not in names


def test_findings_quote_the_hostile_value_without_evaluating_it(check, tmp_path):
    path, lines = corpus_file(tmp_path, "utf-8")
    _, records, _ = check(path)
    by_line = {r["ligne"]: r for r in records}
    quoted = {line.case.id: by_line[line.number]["constats"][0]["message"] for line in lines
              if line.case and line.case.expect}
    assert "« {debut} {0} {{ 7*7 }} »" in quoted["debut-accolades-format"]
    assert "« =IMPORTDATA(\"https://evil.example/x\") »" in quoted["email-formule"]
    assert "Date de début du contrat : « 1995 »" in quoted["debut-annee-seule-texte"]
    assert all(len(message) < 1000 for message in quoted.values())  # a 50 KB answer is quoted, not copied


# Files whose shape is wrong: (id, rows or bytes, extension, exit code, what must be true of the result).
def _dup_nom_header():
    header = HEADER + ["Nom"]
    first = row_of(student(1), header)
    second = row_of({**student(2), "nom": ""}, header)
    second[-1] = "Bernard"
    first[-1] = "Ignoré"
    return [header, first, second]


def _missing(key):
    header = [h for h in HEADER if h != BY_KEY[key].header]
    return [header] + [row_of(student(i), header) for i in (1, 2)]


def _extra():
    header = HEADER + EXTRA_HEADERS + [""]
    return [header] + [with_extras(student(i)) + ["?"] for i in (1, 2)]


def _spelled():
    header = [f"  {h.upper()} : " if i % 2 else h.lower() + " ?" for i, h in enumerate(HEADER)]
    return [header] + [row_of(student(1))]


def _empty_rows():
    return [HEADER, row_of(student(1)), [""] * len(HEADER), [" ", "\t", "\u00a0"] + [""] * 20, [],
            row_of(student(2)), [None] * 3]


def _ragged():
    return [HEADER, row_of(student(1))[:5], row_of(student(2)) + ["en trop", "=2+2"], row_of(student(3))]


def _multiline():
    return [HEADER, row_of({**student(1), "mission": 'Ligne 1\r\nLigne "2", avec virgule\n\nLigne 4'}),
            row_of(student(2))]


def _raw(data: bytes):
    return data


def _utf16():
    return csv_bytes([HEADER, row_of(student(1))], delimiter="\t", encoding="utf-16")


def _unbalanced_quote():
    good = csv_bytes([HEADER, row_of(student(1))])
    return good + b'"10/06/2025 09:14:22,etudiant009@etu.univ-amu.fr,"Martin\r\n'


def _nul_byte():
    return csv_bytes([HEADER, row_of(student(1))]) + csv_bytes([row_of({**student(2), "mission": "a\x00b"})])


def _cr_only():
    return csv_bytes([HEADER, row_of(student(1)), row_of(student(2))], lineterminator="\r")


def _binary():
    return bytes(range(256)) * 40


def _data_first():
    return csv_bytes([row_of(student(1)), row_of(student(2))])


FILE_CASES = [
    ("entete-nom-double", _dup_nom_header, "csv", 0,
     lambda recs, err: [r["nom"] for r in recs] == ["Témoin001", "Bernard"] and "Nom" in err),
    ("entete-siret-manquant", lambda: _missing("siret"), "csv", 1,
     lambda recs, err: all([c["regle"] for c in r["constats"]] == ["champ-requis"] for r in recs)
     and "« SIRET »" in err),
    ("entete-email-manquant", lambda: _missing("email_etudiant"), "xlsx", 1,
     lambda recs, err: all([c["regle"] for c in r["constats"]] == ["champ-requis"] for r in recs)),
    ("entete-facultatif-manquant", lambda: _missing("date_naissance"), "csv", 0,
     lambda recs, err: all(r["constats"] == [] for r in recs) and err == ""),
    ("entetes-en-trop-hostiles", _extra, "csv", 0, lambda recs, err: all(r["constats"] == [] for r in recs)),
    ("entetes-en-trop-xlsx", _extra, "xlsx", 0, lambda recs, err: all(r["constats"] == [] for r in recs)),
    ("entetes-casse-accents-ponctuation", _spelled, "csv", 0, lambda recs, err: recs[0]["constats"] == []),
    ("lignes-vides", _empty_rows, "csv", 0, lambda recs, err: [r["ligne"] for r in recs] == [2, 6]),
    ("lignes-vides-xlsx", _empty_rows, "xlsx", 0, lambda recs, err: [r["ligne"] for r in recs] == [2, 6]),
    ("lignes-inegales", _ragged, "csv", 1,
     lambda recs, err: [bool(r["constats"]) for r in recs] == [True, False, False]),
    ("cellule-multiligne", _multiline, "csv", 0, lambda recs, err: [r["ligne"] for r in recs] == [2, 3]),
    ("point-virgule", lambda: csv_bytes([HEADER, row_of(student(1))], delimiter=";"), "csv", 0,
     lambda recs, err: recs[0]["constats"] == []),
    ("utf-16-tabulations", _utf16, "csv", 0, lambda recs, err: recs[0]["constats"] == []),
    ("guillemet-non-ferme", _unbalanced_quote, "csv", 1, lambda recs, err: recs[0]["constats"] == []),
    ("octet-nul", _nul_byte, "csv", 0, lambda recs, err: len(recs) == 2),
    ("fins-de-ligne-cr", _cr_only, "csv", 0, lambda recs, err: len(recs) == 2),
    ("entete-seul", lambda: csv_bytes([HEADER]), "csv", 0, lambda recs, err: recs == []),
    ("octets-binaires", _binary, "csv", 2, lambda recs, err: recs is None and len(err.splitlines()) == 1),
    ("fichier-vide", lambda: b"", "csv", 2, lambda recs, err: recs is None and len(err.splitlines()) == 1),
    ("donnees-sans-entete", _data_first, "csv", 2, lambda recs, err: recs is None and len(err.splitlines()) == 1),
    ("xlsx-tronque", lambda: b"PK\x03\x04" + b"\x00" * 100, "xlsx", 2,
     lambda recs, err: recs is None and len(err.splitlines()) == 1),
]


@pytest.mark.parametrize(("name", "build", "ext", "code", "holds"), FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_a_file_of_the_wrong_shape_gets_findings_or_one_line_never_a_traceback(check, tmp_path, name, build, ext,
                                                                               code, holds):
    content = build()
    path = tmp_path / f"{name}.{ext}"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif ext == "xlsx":
        write_xlsx(path, content)
    else:
        path.write_bytes(csv_bytes(content))
    if code == 2:
        TALLY["crashes"] -= 1  # exit 2 is the expected answer here, not a crash
    got, records, err = check(path)
    TALLY["file cases"] += 1
    TALLY["check rows"] += len(records or [])
    assert got == code, err
    assert "Traceback" not in err
    assert holds(records, err), (records, err)


def test_an_xlsx_formula_cell_is_never_evaluated_and_reads_as_empty(check, tmp_path):
    rows = [HEADER, row_of(student(1)), row_of(student(2))]
    path = write_xlsx(tmp_path / "formule.xlsx", rows)
    book = load_workbook(path)
    book.active.cell(row=2, column=HEADER.index("Nom") + 1, value='=IMPORTDATA("https://evil.example")')
    book.save(path)
    code, records, _ = check(path)
    TALLY["file cases"] += 1
    TALLY["check rows"] += 2
    assert code == 1
    assert [[c["regle"] for c in r["constats"]] for r in records] == [["champ-requis"], []]
    assert records[0]["nom"] == ""


# --- 2. a full cycle on the local backend -----------------------------------------------------------------

def local_book(tmp_path: Path, lines: list[Line]) -> Path:
    rows = [HEADER + EXTRA_HEADERS] + [with_extras(line.response) for line in lines]
    return write_xlsx(tmp_path / "reponses.xlsx", rows)


def sheet_table(path: Path) -> tuple[list[object], list[list[object]], list[list[str]]]:
    sheet = load_workbook(path).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    types = [[c.data_type for c in row] for row in sheet.iter_rows()]
    return rows[0], rows[1:], types[1:]


def check_cells(lines: list[Line], header: list[object], rows: list[list[object]], years) -> list[str]:
    """Each row: a dossier, the Contrôle automatique cell the core gives, a status."""
    problems = []
    col = {h: header.index(h) for h in BOT_HEADERS}
    for line, row in zip(lines, rows):
        verdict = evaluate(intake.parse_response(line.response), years, TODAY)
        cell = row[col["Contrôle automatique"]]
        if not row[col["N° dossier"]] or not row[col["Statut"]]:
            problems.append(f"{label(line)}: no dossier or status")
        if cell != summary_cell(verdict.findings):
            problems.append(f"{label(line)}: Contrôle automatique = {str(cell)[:80]!r}")
        if len(str(cell).splitlines()) != max(1, len(verdict.findings)):
            problems.append(f"{label(line)}: Contrôle automatique is not one finding per line: {str(cell)[:80]!r}")
        if {f.rule for f in verdict.findings} != expected(line):
            TALLY["controls affected" if line.case is None else "wrong findings"] += 1
            problems.append(f"{label(line)}: findings {[f.rule for f in verdict.findings]}")
    return problems


def emails_by_dossier(folder: Path) -> dict[str, dict[str, bytes]]:
    found: dict[str, dict[str, bytes]] = {}
    for path in folder.glob("*.eml"):
        key = path.name.removeprefix("fvma.").removesuffix(".eml").split("_")[0]
        dossier, _, rest = key.partition(".")
        found.setdefault(dossier, {})[rest] = path.read_bytes()
    return found


# The fields the `reception` e-mails show (the FEG's `ok-pro` e-mail shows every field).
RECEPTION_FIELDS = {"nom", "prenom", "entreprise", "mission", "tuteur_nom", "rh_nom", "rh_email", "email_etudiant"}


def email_problems(lines: list[Line], dossiers: list[str], mails: dict[str, dict[str, bytes]],
                   wanted: set[str], shown: set[str] | None = None, inspected: set[bytes] | None = None) -> list[str]:
    """Every expected e-mail exists, carries only the bot's headers, and shows SAFE hostile text as typed
    (for the fields in `shown`; all of them when None). Messages already in `inspected` are not looked at
    again."""
    problems = []
    inspected = set() if inspected is None else inspected
    for line, dossier in zip(lines, dossiers):
        sent = mails.get(dossier, {})
        response = intake.parse_response(line.response)
        for key in sorted(wanted):
            needs = {"etudiant": response.email_etudiant, "rh": response.rh_email}.get(key.rpartition(".")[2], True)
            if needs and key not in sent:
                problems.append(f"{label(line)}: no {key} e-mail")
        texts, htmls = [], []
        for key, raw in sent.items():
            text, html = parts(raw)
            texts.append(text)
            htmls.append(html)
            if raw in inspected:
                continue
            inspected.add(raw)
            TALLY["emails"] += 1
            bad = header_problems(raw)
            if dossier not in str(parse(raw)["Subject"]):
                bad.append("the subject lost the dossier number")
            if bad:
                TALLY["unsafe emails"] += 1
                problems += [f"{label(line)} {key}: {b}" for b in bad]
        if line.case and line.case.safe and (shown is None or line.case.field in shown):
            bad = shows_literally(str(line.value), texts, htmls)
            if "{{" in str(line.value) and any("Mission : 49" in t or "Nom : 49" in t for t in texts):
                TALLY["evaluated"] += 1
                bad.append("a template expression was evaluated")
            if bad:
                TALLY["unsafe emails"] += 1
                problems += [f"{label(line)}: {b}" for b in bad]
    return problems


def cycle_cases(path: str) -> list[Case]:
    """Every case through both cycles under `make reliability`; in the quick run each case goes through
    one of them (alternately), which keeps `make test` fast and still sends every case through a cycle."""
    if scale(0, 1):
        return CASES
    return CASES[0::2] if path == "local" else CASES[1::2]


def test_a_local_cycle_gives_every_hostile_row_a_dossier_a_check_a_status_and_safe_emails(tmp_path, years):
    lines = corpus_lines("xlsx", cycle_cases("local"))
    book = local_book(tmp_path, lines)
    before_header, before, _ = sheet_table(book)
    cycle = make_cycle(make_config(tmp_path, sheet={"backend": "local", "local": {"path": str(book)}}))
    try:
        cycle.run(NOW)
    except BaseException:
        TALLY["crashes"] += 1
        raise
    TALLY["local rows"] += len(lines)

    header, rows, types = sheet_table(book)
    assert check_cells(lines, header, rows, years) == []
    width = len(before_header)
    assert [r[:width] for r in rows] == [r[:width] for r in before], "the bot wrote a cell of the form"
    formulas = sum(t == "f" for row in types for t in row)
    TALLY["formulas"] += formulas
    assert formulas == 0
    status = header.index("Statut")
    assert {r[status] for r in rows} == {"En attente de décision"}

    dossiers = [r[header.index("N° dossier")] for r in rows]
    assert len(set(dossiers)) == len(lines)
    inspected: set[bytes] = set()
    assert email_problems(lines, dossiers, emails_by_dossier(tmp_path / "outbox"),
                          {"reception.etudiant", "reception.responsable"}, RECEPTION_FIELDS, inspected) == []

    # The lead says OK to every row: ok-pro e-mails to the student, the company and the FEG (which shows
    # every field of the response).
    sheet = load_workbook(book)
    decision = header.index("Décision") + 1
    for number in range(2, len(lines) + 2):
        sheet.worksheets[0].cell(row=number, column=decision, value="OK")
    sheet.save(book)
    try:
        cycle.run(NOW.replace(hour=11))
    except BaseException:
        TALLY["crashes"] += 1
        raise
    cycle.store.close()
    header, rows, types = sheet_table(book)
    for line, row in zip(lines, rows):
        unreadable_contract = line.case is not None and line.case.field == "type_contrat"
        assert row[status] == ("En attente de décision" if unreadable_contract
                               else "Validé — notifications envoyées"), label(line)
    wanted = {"reception.etudiant", "reception.responsable", "ok-pro.etudiant", "ok-pro.rh", "ok-pro.feg"}
    mails = emails_by_dossier(tmp_path / "outbox")
    ok_lines = [(line, d) for line, d in zip(lines, dossiers) if not (line.case and line.case.field == "type_contrat")]
    assert email_problems([x for x, _ in ok_lines], [d for _, d in ok_lines], mails, wanted, None, inspected) == []
    assert sum(t == "f" for row in types for t in row) == 0


# The lead's columns hold whatever is typed in them: (Décision, Commentaire, CACTUS) → Statut.
LEAD_CELLS = [
    ("=OK", "", "", "Décision illisible"),
    ("OK; DROP TABLE", "", "", "Décision illisible"),
    ("{{ 'OK' }}", "", "", "Décision illisible"),
    ("x" * 50_000, "", "", "Décision illisible"),
    ("KO", "<script>alert(1)</script> {{ 7*7 }}\r\nBcc: victime@example.org", "", "À corriger — étudiant notifié"),
    ("KO", "=IMPORTDATA(\"https://evil.example\")\n{% for x in y %}", "", "À corriger — étudiant notifié"),
    ("OK", "Très bien. " * 3000, "=TRUE()", "Validé — notifications envoyées"),
    ("ok.", "", "<b>VRAI</b>", "Validé — notifications envoyées"),
]


def test_hostile_lead_cells_give_a_status_and_comments_are_quoted_safely(tmp_path):
    from bot.adapters.sheet import CACTUS, COMMENT, DECISION

    header = HEADER + list(BOT_HEADERS)
    rows = [header]
    for index, (decision, comment, cactus, _) in enumerate(LEAD_CELLS, start=1):
        cells = dict.fromkeys(BOT_HEADERS, "") | {DECISION: decision, COMMENT: comment, CACTUS: cactus}
        rows.append(row_of(student(index)) + [cells[h] for h in BOT_HEADERS])
    book = write_xlsx(tmp_path / "decisions.xlsx", rows)
    cycle = make_cycle(make_config(tmp_path, sheet={"backend": "local", "local": {"path": str(book)}}))
    try:
        cycle.run(NOW)
    except BaseException:
        TALLY["crashes"] += 1
        raise
    finally:
        cycle.store.close()
    TALLY["local rows"] += len(LEAD_CELLS)
    TALLY["file cases"] += 1
    got_header, got, _ = sheet_table(book)
    assert [r[got_header.index("Statut")] for r in got] == [want for *_, want in LEAD_CELLS]
    mails = emails_by_dossier(tmp_path / "outbox")
    for (decision, comment, _, _), row in zip(LEAD_CELLS, got):
        sent = mails[row[got_header.index("N° dossier")]]
        assert ("ko.etudiant" in sent) == (decision == "KO")
        if decision == "KO":
            problems = header_problems(sent["ko.etudiant"]) + shows_literally(comment, *map(list, zip(
                parts(sent["ko.etudiant"]))))
            TALLY["emails"] += 1
            TALLY["unsafe emails"] += bool(problems)
            assert problems == []


# --- 3. the Google backend ------------------------------------------------------------------------------------

def test_a_google_cycle_writes_raw_cells_and_never_a_formula(google, tmp_path, years):
    lines = corpus_lines("google", cycle_cases("google"))
    header = HEADER + EXTRA_HEADERS
    rows = [header] + [with_extras(line.response) for line in lines]
    google.add_spreadsheet("corpus", rows=rows, rows_count=len(rows) + 10, cols_count=len(header) + 8)
    config = make_config(tmp_path, sheet={"backend": "google", "google": {
        "spreadsheet_id": "corpus", "credentials_file": str(google.key_file), "api_endpoint": google.url}})
    cycle = make_cycle(config)
    try:
        cycle.run(NOW)
        cycle.run(NOW.replace(hour=11))  # a quiet cycle: nothing moves
    except BaseException:
        TALLY["crashes"] += 1
        raise
    finally:
        cycle.store.close()
    TALLY["google rows"] += len(lines)
    TALLY["formulas"] += len(google.formulas_written)

    assert google.formulas_written == [] and google.errors == []
    writes = [r for r in google.requests if r.method_id == "sheets.spreadsheets.values.batchUpdateByDataFilter"]
    assert writes and all(r.body["valueInputOption"] == "RAW" for r in writes)
    table = google.sheet("corpus").values()
    got_header, got_rows = table[0], [r + [None] * (len(table[0]) - len(r)) for r in table[1:]]
    assert check_cells(lines, got_header, got_rows, years) == []
    width = len(header)
    assert [[v if v not in ("", None) else None for v in r[:width]] for r in got_rows] == \
        [[v if v != "" else None for v in r[:width]] for r in rows[1:]], "the bot wrote a cell of the form"
    dossiers = [r[got_header.index("N° dossier")] for r in got_rows]
    assert email_problems(lines, dossiers, emails_by_dossier(tmp_path / "outbox"),
                          {"reception.etudiant", "reception.responsable"}, RECEPTION_FIELDS) == []


# --- random combinations (full under `make reliability`) -------------------------------------------------------

INDEPENDENT = [c for c in CASES if c.independent]


def test_random_combinations_of_hostile_values_never_crash_or_leak_into_other_rows(years, tmp_path):
    rng = random.Random(20260906)
    config = make_config(tmp_path)
    renderer = Renderer(ROOT / "templates")
    office = Office(Recipient(Role.LEAD, config.people.lead_email, config.people.lead_name),
                    Recipient(Role.FEG, config.people.feg_email, config.people.feg_name))
    count = scale(20, 1000)
    rows, combos = [HEADER], []
    for index in range(1, count + 1):
        chosen: dict[str, Case] = {}
        for c in rng.sample(INDEPENDENT, rng.randint(1, 4)):
            chosen.setdefault(c.field, c)
        combos.append(chosen)
        rows.append(row_of({**student(index), **{f: c.value for f, c in chosen.items()}}))
        if index % 7 == 0:
            combos.append({})
            rows.append(row_of(student(10_000 + index)))
    _, checked = check_rows(rows, years, TODAY)
    TALLY["fuzz rows"] += len(checked)
    assert len(checked) == len(combos)
    problems = []
    for number, (row, chosen) in enumerate(zip(checked, combos)):
        want = set().union(*(c.expect for c in chosen.values())) if chosen else set()
        got = {f.rule for f in row.verdict.findings}
        if got != want or any("\n" in f.message for f in row.verdict.findings):
            TALLY["controls affected" if not chosen else "wrong findings"] += 1
            problems.append(f"row {row.line} {sorted(chosen)}: expected {sorted(want)}, got {sorted(got)}")
        texts, htmls = [], []
        for event in (Event.RECEPTION, Event.OK_PRO):
            people, _ = recipients(event, row.response, office)
            for person in people:
                context = dossier_context(config, event, person, f"FVMA-2025-{number:04d}", row.response,
                                          row.verdict.findings, row.verdict.year, "")
                rendered = renderer.render(event, person.role, context)
                raw = build_message(Outgoing(f"FVMA-2025-{number:04d}", event, person), rendered,
                                    sender=("MIAGE", config.people.sender_email),
                                    reply_to=("Lead", config.people.lead_email),
                                    domain=config.people.message_id_domain, thread=[], when=NOW).as_bytes()
                TALLY["emails"] += 1
                text, html = parts(raw)
                texts.append(text)
                htmls.append(html)
                bad = header_problems(raw)
                if bad:
                    TALLY["unsafe emails"] += 1
                    problems += [f"row {row.line} {event.value}/{person.role.value}: {b}" for b in bad]
        for c in chosen.values():
            bad = shows_literally(str(c.value), texts, htmls) if c.safe and row.response.type_contrat else []
            if bad:
                TALLY["unsafe emails"] += 1
                problems += [f"row {row.line} {c.id}: {b}" for b in bad]
    assert problems == []
