"""`fvma-bot check FILE [--json]` (SPEC §6) on exported CSV and XLSX files, in-process and as the installed command.

The command uses the real date; every input here has findings that do not depend
on it (the rules year is chosen by each contract's start date).
"""

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli import main
from bot.core.fields import FIELDS

ROOT = Path(__file__).resolve().parent.parent
HEADER = [f.header for f in FIELDS]

LEA = {
    "horodateur": "10/06/2025 09:14:22", "email_etudiant": "lea.martin@etu.univ-amu.fr", "nom": "Martin",
    "prenom": "Léa", "numero_etudiant": "22409071", "date_naissance": "14/03/2002", "niveau": "M2", "site": "Aix",
    "annee_validee": "Oui", "admission": "Oui", "type_contrat": "Contrat d'apprentissage",
    "entreprise": "Sopra Steria", "siret": "326 820 065 00083", "adresse_entreprise": "6 avenue Kléber, Paris",
    "rh_nom": "Claire Fontaine", "rh_email": "claire.fontaine@soprasteria.example", "rh_telephone": "0491000001",
    "tuteur_nom": "Marc Lenoir", "tuteur_email": "marc.lenoir@soprasteria.example",
    "mission": "Développeuse full-stack.", "date_debut": "01/09/2025", "date_fin": "30/09/2026",
    "documents_presentes": "Oui",
}
HUGO = {**LEA, "email_etudiant": "hugo.bernard@etu.univ-amu.fr", "nom": "Bernard", "prenom": "Hugo",
        "numero_etudiant": "22311456", "date_debut": "15/11/2025", "date_fin": "30/11/2026"}
LATE_START_MESSAGE = "Le contrat doit débuter au plus tard le 01/11/2025 (début indiqué : 15/11/2025)."


def row(response: dict, header: list[str] = HEADER) -> list[object]:
    by_header = {f.header: response.get(f.key, "") for f in FIELDS}
    return [by_header.get(h, "") for h in header]


def write_csv(path: Path, rows: list[list[object]], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture
def config_file(tmp_path) -> Path:
    """The example configuration, its rules folder pointing at the shipped rules."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(text.replace('rules = "rules"', f'rules = "{ROOT / "rules"}"', 1), encoding="utf-8")
    return path


@pytest.fixture
def check(config_file, capsys):
    """Run `fvma-bot check ARGS --config CONFIG` in-process: (exit code, stdout, stderr)."""
    def run(*args: object) -> tuple[int, str, str]:
        code = main(["check", *map(str, args), "--config", str(config_file)])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def records(out: str) -> list[dict]:
    data = json.loads(out)
    assert isinstance(data, list)
    return data


# --- results and exit codes --------------------------------------------------------------------------------------

def test_a_file_with_an_error_finding_prints_it_and_exits_1(check, tmp_path):
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA), row(HUGO)])

    code, out, err = check(path)

    assert code == 1
    assert "Ligne 2 — Léa MARTIN — M2 — apprentissage — année 2025-2026\n  ✔ Conforme" in out
    assert "Ligne 3 — Hugo BERNARD" in out
    assert LATE_START_MESSAGE in out
    assert "debut-trop-tard" in out
    assert "2 réponse(s) dans reponses.csv : 1 avec au moins une erreur, 1 sans erreur." in out
    assert err == ""


def test_a_file_without_error_findings_exits_0_even_with_warnings(check, tmp_path):
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA), row({**HUGO, "date_debut": "01/09/2025",
                                                                         "documents_presentes": "Non"})])

    code, out, _ = check(path)

    assert code == 0
    assert "documents-non-presentes" in out


def test_json_prints_one_array_in_sheet_order_with_exactly_the_contracts_keys(check, tmp_path):
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA), row(HUGO)])

    code, out, _ = check(path, "--json")

    assert code == 1
    assert records(out) == [
        {"ligne": 2, "nom": "Martin", "prenom": "Léa", "annee": "2025-2026", "constats": []},
        {"ligne": 3, "nom": "Bernard", "prenom": "Hugo", "annee": "2025-2026", "constats": [
            {"regle": "debut-trop-tard", "gravite": "erreur", "message": LATE_START_MESSAGE}]},
    ]
    assert list(records(out)[1]) == ["ligne", "nom", "prenom", "annee", "constats"]
    assert list(records(out)[1]["constats"][0]) == ["regle", "gravite", "message"]


def test_json_lists_errors_before_warnings_and_null_for_an_unknown_year(check, tmp_path):
    unknown = {**LEA, "date_debut": "01/01/2025", "documents_presentes": "Non", "admission": "Non"}
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(unknown)])

    (record,) = records(check(path, "--json")[1])

    assert record["annee"] is None
    assert [(c["regle"], c["gravite"]) for c in record["constats"]] == [
        ("annee-inconnue", "erreur"), ("admission-non-confirmee", "erreur"), ("documents-non-presentes", "alerte")]


def test_ligne_is_the_sheet_row_and_empty_rows_keep_their_numbering(check, tmp_path):
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA), [""] * len(HEADER), [], row(HUGO)])

    assert [r["ligne"] for r in records(check(path, "--json")[1])] == [2, 5]


def test_the_decision_column_of_a_reviewed_sheet_makes_doublon_offline(check, tmp_path):
    again = {**LEA, "email_etudiant": "LEA.MARTIN@etu.univ-amu.fr", "horodateur": "12/06/2025 10:00:00"}
    path = write_csv(tmp_path / "suivi.csv", [[*HEADER, "N° dossier", "Décision"],
                                              [*row(LEA), "FVMA-2025-0001", "OK"], [*row(again), "", ""]])

    code, out, _ = check(path, "--json")

    assert code == 0
    assert [[c["regle"] for c in r["constats"]] for r in records(out)] == [[], ["doublon"]]
    assert "(dossier FVMA-2025-0001)" in records(out)[1]["constats"][0]["message"]


def test_a_missing_required_column_is_reported_on_stderr_and_its_field_as_missing(check, tmp_path):
    header = [h for h in HEADER if h != "SIRET"]
    path = write_csv(tmp_path / "reponses.csv", [header, row(LEA, header)])

    code, out, err = check(path, "--json")

    assert code == 1
    assert "« SIRET »" in err
    assert [c["regle"] for c in records(out)[0]["constats"]] == ["champ-requis"]


def test_configured_aliases_are_used(tmp_path, config_file, check):
    text = config_file.read_text(encoding="utf-8")
    alias = '[sheet.aliases]\nsiret = ["SIRET de l\'établissement"]\n#'
    config_file.write_text(text.replace("[sheet.aliases] ", alias), encoding="utf-8")
    header = ["SIRET de l'établissement :" if h == "SIRET" else h for h in HEADER]
    path = write_csv(tmp_path / "reponses.csv", [header, row(LEA)])

    code, out, err = check(path, "--json")

    assert (code, err) == (0, "")
    assert records(out)[0]["constats"] == []


# --- file formats ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"], ids=["without BOM", "with BOM"])
def test_a_utf8_csv_is_read_with_or_without_bom(check, tmp_path, encoding):
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA)], encoding=encoding)

    code, out, _ = check(path, "--json")

    assert code == 0
    assert records(out) == [{"ligne": 2, "nom": "Martin", "prenom": "Léa", "annee": "2025-2026", "constats": []}]


def test_a_semicolon_separated_csv_is_read(check, tmp_path):
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA), row(HUGO)], delimiter=";")

    code, out, _ = check(path, "--json")

    assert code == 1
    assert [(r["prenom"], [c["regle"] for c in r["constats"]]) for r in records(out)] == [
        ("Léa", []), ("Hugo", ["debut-trop-tard"])]


def test_a_latin1_csv_is_read(check, tmp_path):
    header = [h.replace("—", "-") for h in HEADER]  # Latin-1 has no em dash
    path = write_csv(tmp_path / "reponses.csv", [header, row({**LEA, "nom": "Lefèvre", "prenom": "Chloé"})],
                     delimiter=";", encoding="latin-1")

    code, out, _ = check(path, "--json")

    assert code == 0
    assert records(out) == [{"ligne": 2, "nom": "Lefèvre", "prenom": "Chloé", "annee": "2025-2026",
                             "constats": []}]


def test_a_csv_with_a_multi_line_answer_keeps_sheet_row_numbers(check, tmp_path):
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row({**LEA, "mission": "Ligne un\nLigne deux"}),
                                                 row(HUGO)])

    assert [r["ligne"] for r in records(check(path, "--json")[1])] == [2, 3]


def test_an_xlsx_with_real_date_cells_and_numbers_is_read(check, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    typed = {**LEA, "horodateur": datetime(2025, 6, 10, 9, 14, 22), "date_naissance": date(2002, 3, 14),
             "date_debut": datetime(2025, 9, 1), "date_fin": datetime(2026, 9, 30), "numero_etudiant": 22409071,
             "rh_telephone": 491000001}
    sheet.append(row(typed))
    sheet.append([None] * len(HEADER))
    sheet.append(row({**HUGO, "date_debut": date(2025, 11, 15), "date_fin": date(2026, 11, 30)}))
    path = tmp_path / "reponses.xlsx"
    workbook.save(path)

    code, out, _ = check(path, "--json")

    assert code == 1
    assert records(out) == [
        {"ligne": 2, "nom": "Martin", "prenom": "Léa", "annee": "2025-2026", "constats": []},
        {"ligne": 4, "nom": "Bernard", "prenom": "Hugo", "annee": "2025-2026", "constats": [
            {"regle": "debut-trop-tard", "gravite": "erreur", "message": LATE_START_MESSAGE}]},
    ]


def test_the_shipped_sample_is_checked(check):
    code, out, _ = check(ROOT / "samples" / "fvma-reponses.csv", "--json")

    data = records(out)
    assert code == 1
    assert [r["ligne"] for r in data] == list(range(2, 2 + len(data)))
    assert data[0]["constats"] == []


# --- bad files and configurations: exit 2, one line on stderr --------------------------------------------------------

def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("fvma-bot: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def test_a_missing_file_exits_2_with_one_line(check, tmp_path):
    assert_one_line_error(*check(tmp_path / "absent.csv"), "absent.csv: no such file")


def test_an_unsupported_extension_exits_2_with_one_line(check, tmp_path):
    path = tmp_path / "reponses.pdf"
    path.write_bytes(b"%PDF-1.4")

    assert_one_line_error(*check(path), "unsupported file type .pdf")


def test_a_file_that_is_not_a_zip_named_xlsx_exits_2_with_one_line(check, tmp_path):
    path = tmp_path / "reponses.xlsx"
    path.write_text("Horodateur,Nom\n", encoding="utf-8")

    assert_one_line_error(*check(path), "reponses.xlsx: not a readable XLSX workbook")


def test_an_xlsx_with_a_damaged_sheet_exits_2_with_one_line(check, tmp_path):
    good = tmp_path / "good.xlsx"
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(row(LEA))
    workbook.save(good)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data[: len(data) // 2] if name == "xl/worksheets/sheet1.xml" else data)

    assert_one_line_error(*check(damaged), "damaged.xlsx: not a readable XLSX workbook")


def test_an_empty_file_exits_2_with_one_line(check, tmp_path):
    path = tmp_path / "reponses.csv"
    path.write_bytes(b"")

    assert_one_line_error(*check(path), "reponses.csv: the file is empty")


def test_a_file_without_any_column_of_the_form_exits_2_with_one_line(check, tmp_path):
    path = write_csv(tmp_path / "autre.csv", [["Produit", "Prix"], ["Café", "1,20"]])

    assert_one_line_error(*check(path), "autre.csv: no column of the form")


def test_a_broken_configuration_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text((ROOT / "config.example.toml").read_text(encoding="utf-8").replace("port = 587", 'port = "abc"'),
                   encoding="utf-8")
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA)])

    code = main(["check", str(path), "--config", str(bad)])
    out, err = capsys.readouterr()

    assert_one_line_error(code, out, err, 'bad.toml: [mail.smtp].port = "abc": expected an integer 1–65535')


def test_a_configuration_that_is_not_toml_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[mail\nport = 1\n", encoding="utf-8")
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA)])

    code = main(["check", str(path), "--config", str(bad)])

    assert_one_line_error(code, *capsys.readouterr(), "bad.toml: not valid TOML")


def test_a_missing_configuration_file_exits_2_with_one_line(tmp_path, capsys):
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA)])

    code = main(["check", str(path), "--config", str(tmp_path / "absent.toml")])

    assert_one_line_error(code, *capsys.readouterr(), "absent.toml: no such configuration file")


def test_a_configuration_whose_rules_folder_is_empty_exits_2_with_one_line(tmp_path, config_file, capsys):
    (tmp_path / "no-rules").mkdir()
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(str(ROOT / "rules"),
                                                                           str(tmp_path / "no-rules")),
                           encoding="utf-8")
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA)])

    code = main(["check", str(path), "--config", str(config_file)])

    assert_one_line_error(code, *capsys.readouterr(), "no rules file")


# --- the installed command ------------------------------------------------------------------------------------

def installed_command() -> str:
    beside = Path(sys.executable).parent / "fvma-bot"
    found = str(beside) if beside.exists() else shutil.which("fvma-bot")
    assert found, "the fvma-bot console script is not installed (pip install -e .)"
    return found


def test_the_installed_console_script_checks_a_file(tmp_path, config_file):
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(LEA), row(HUGO)])

    result = subprocess.run([installed_command(), "check", str(path), "--json", "--config", str(config_file)],
                            capture_output=True, text=True, encoding="utf-8", timeout=60, cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    assert [[c["regle"] for c in r["constats"]] for r in json.loads(result.stdout)] == [[], ["debut-trop-tard"]]


def test_the_installed_console_script_exits_2_with_one_line_for_a_missing_file(tmp_path):
    result = subprocess.run([installed_command(), "check", str(tmp_path / "absent.csv")],
                            capture_output=True, text=True, encoding="utf-8", timeout=60, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"fvma-bot: {tmp_path / 'absent.csv'}: no such file"]


# --- what the bad-input corpus found (tests/reliability/hostile.py) ----------------------------------------------

def test_an_excel_unicode_text_export_utf16_with_tabs_is_read(check, tmp_path):
    path = write_csv(tmp_path / "reponses.txt", [HEADER, row(LEA)], delimiter="\t", encoding="utf-16")

    code, out, _ = check(path, "--json")

    assert code == 0
    assert records(out)[0]["nom"] == "Martin"


def test_a_duplicated_header_is_named_on_stderr(check, tmp_path):
    header = HEADER + ["Nom"]
    path = write_csv(tmp_path / "reponses.csv", [header, row(LEA, header)])

    code, _, err = check(path)

    assert code == 0
    assert "several columns are titled « Nom »" in err


def test_the_text_report_cannot_drive_the_terminal(check, tmp_path):
    hostile = {**LEA, "nom": "\x1b]0;pwned\x07\x1b[31mRouge\r\nBcc", "prenom": "\u202eaéL",
               "email_etudiant": "lea@x.fr\x1b[2J"}
    path = write_csv(tmp_path / "reponses.csv", [HEADER, row(hostile)])

    _, out, _ = check(path)

    assert "\x1b" not in out and "\x07" not in out and "\r" not in out and "\u202e" not in out
    assert "\\u001b]0;PWNED\\u0007\\u001b[31MROUGE BCC" in out
    assert out.splitlines()[1].startswith("  ✖ erreur email-invalide")
