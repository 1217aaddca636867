"""`fvma-bot doctor` against working and broken setups: the loopback Google server driven through the real
gspread, a real SMTP server (aiosmtpd) and a real IMAP server (Dovecot or pymap), with real TLS.

Every broken piece must be named on a ✖ line followed by a `→` fix; a working setup exits 0.
"""

import io
import json
import socket
import sys
from datetime import date
from pathlib import Path

import pytest
import tomli_w
import trustme

from bot.app.demo import build_workbook
from bot.app.doctor import run_doctor
from bot.cli import main
from tests.support.imap_server import make_imap_server
from tests.support.smtp_server import SmtpTestServer

ROOT = Path(__file__).resolve().parents[2]
SHEET = "1FvmaDoctorSheet"
ACCOUNT = "fvma-bot@fvma-test.iam.gserviceaccount.com"
TODAY = date(2026, 10, 6)


# --- helpers ----------------------------------------------------------------------------------------


@pytest.fixture
def write_config(make_config, tmp_path):
    """A configuration file on disk: the test configuration with some sections changed; by default its sheet
    is a local workbook of the sample responses."""
    workbook = tmp_path / "responses.xlsx"
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", workbook)

    def write(**sections) -> Path:
        sections.setdefault("sheet", {"backend": "local", "local": {"path": str(workbook)}})
        config = make_config(**sections)
        path = tmp_path / "config.toml"
        path.write_text(tomli_w.dumps(config.model_dump(mode="json", exclude_none=True)), encoding="utf-8")
        return path
    return write


def doctor(path: Path, today: date = TODAY) -> tuple[int, str]:
    out = io.StringIO()
    code = run_doctor(str(path), out, today)
    return code, out.getvalue()


def line_of(output: str, mark: str, name: str) -> str:
    """The line `mark name: …` and its `→` fix lines."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"{mark} {name}"):
            block = [line]
            block += [x for x in _following(lines[i + 1:])]
            return "\n".join(block)
    raise AssertionError(f"no «{mark} {name}» line in:\n{output}")


def _following(lines: list[str]):
    for line in lines:
        if not line.startswith("    → "):
            return
        yield line


def google_sheet(google, sample_rows, **changes) -> dict:
    google.add_spreadsheet(SHEET, rows=sample_rows, cols_count=max(26, len(sample_rows[0])))
    return {"backend": "google", "google": {"spreadsheet_id": SHEET, "credentials_file": str(google.key_file),
                                            "api_endpoint": google.url, **changes}}


# --- servers ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trust(ca, tmp_path, monkeypatch):
    """Make the test CA trusted the way a real one is: through the system's default verify paths."""
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))


@pytest.fixture
def smtp(ca):
    with SmtpTestServer(security="starttls", ca=ca) as server:
        yield server


@pytest.fixture(scope="module")
def imap(ca):
    with make_imap_server(tls=True, ca=ca) as server:
        yield server


def smtp_mail(smtp, monkeypatch, password: str | None = None, **changes) -> dict:
    monkeypatch.setenv("FVMA_TEST_SMTP", smtp.password if password is None else password)
    return {"backend": "smtp", "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "starttls",
                                        "user": smtp.user, "password_env": "FVMA_TEST_SMTP", "timeout": 5,
                                        **changes}}


def imap_mail(imap, monkeypatch, password: str | None = None, **changes) -> dict:
    monkeypatch.setenv("FVMA_TEST_IMAP", imap.password if password is None else password)
    return {"enabled": True, "host": "127.0.0.1", "port": imap.port, "security": "starttls", "user": imap.user,
            "password_env": "FVMA_TEST_IMAP", "timeout": 5, **changes}


# --- a working setup --------------------------------------------------------------------------------


def test_a_working_google_smtp_and_imap_setup_is_ready(google, sample_rows, smtp, imap, trust, write_config,
                                                       monkeypatch):
    google.key_file.chmod(0o600)
    mail = smtp_mail(smtp, monkeypatch)
    mail["imap"] = imap_mail(imap, monkeypatch)
    path = write_config(sheet=google_sheet(google, sample_rows), mail=mail,
                        links={"cactus_url": "https://cactus.cfa.example.fr"})
    before = google.sheet(SHEET).values()

    code, out = doctor(path)

    assert code == 0, out
    assert "✖" not in out
    for step in ("configuration", "rules", "templates", "state", "sheet", "SMTP", "IMAP"):
        assert f"✔ {step}" in out
    assert line_of(out, "✔", "sheet").startswith("✔ sheet: 12 rows, every required question found")
    assert "the bot adds « N° dossier »" in out  # a fresh response sheet: the review columns come on the first run
    assert f"as {smtp.user}" in line_of(out, "✔", "SMTP")
    assert "bounces read from 'INBOX' with every cycle" in line_of(out, "✔", "IMAP")
    # doctor changed nothing: no cell written, no column added, no metadata left behind, no e-mail sent
    assert google.sheet(SHEET).values() == before
    assert google.spreadsheet(SHEET).metadata == []
    assert google.count("write") == 1  # the write that proves the edit right, and changes nothing
    assert smtp.messages == []


def test_the_cli_runs_doctor_on_the_embedded_default(tmp_path, monkeypatch, capsys):
    root = ROOT
    monkeypatch.chdir(tmp_path)
    assert main(["--config", str(root / "config.example.toml"), "demo", "--dir", str(tmp_path / "demo")]) == 0
    config = tmp_path / "config.toml"
    text = (root / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('rules = "rules"', f'rules = "{root / "rules"}"').replace(
        'templates = "templates"', f'templates = "{root / "templates"}"')
    config.write_text(text, encoding="utf-8")
    capsys.readouterr()

    code = main(["doctor"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "✔ sheet: 12 rows, every required question found" in out
    assert "✔ mail: outbox folder" in out


# --- the sheet --------------------------------------------------------------------------------------


def test_an_unshared_sheet_names_the_service_account_to_share_it_with(google, sample_rows, write_config):
    path = write_config(sheet=google_sheet(google, sample_rows))
    google.fail_next(403)  # what Google answers a service account the sheet is not shared with

    code, out = doctor(path)

    assert code == 1
    block = line_of(out, "✖", "sheet")
    assert "access refused" in block
    assert f"add {ACCOUNT} as Editor" in block


def test_a_sheet_shared_read_only_is_caught_by_a_write_that_changes_nothing(google, sample_rows, write_config):
    path = write_config(sheet=google_sheet(google, sample_rows))
    google.fail_next(403, match=lambda request: request.is_write)

    code, out = doctor(path)

    assert code == 1
    block = line_of(out, "✖", "sheet")
    assert "can be read but not edited" in block
    assert f"change {ACCOUNT} from Viewer/Commenter to Editor" in block


def test_a_disabled_sheets_api_says_to_enable_it_rather_than_to_share(google, sample_rows, write_config):
    path = write_config(sheet=google_sheet(google, sample_rows))
    google.fail_next(403, message="Google Sheets API has not been used in project 100000000001 before or it is "
                                  "disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
                                  "sheets.googleapis.com/overview?project=100000000001 then retry.")

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert code == 1
    assert "Google Sheets API → Enable" in block
    assert "as Editor" not in block


def test_a_wrong_spreadsheet_id_says_where_to_copy_it_from(google, sample_rows, write_config):
    config = google_sheet(google, sample_rows)
    config["google"]["spreadsheet_id"] = "1NoSuchSheet"
    path = write_config(sheet=config)

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert code == 1
    assert "spreadsheet not found" in block
    assert 'spreadsheet_id = "1NoSuchSheet" names no spreadsheet' in block
    assert "docs.google.com/spreadsheets/d/<id>/edit" in block


def test_a_missing_worksheet_lists_the_tabs(google, sample_rows, write_config):
    path = write_config(sheet=google_sheet(google, sample_rows, worksheet="Feuille 1"))

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert "Réponses au formulaire 1" in block
    assert "set [sheet.google].worksheet" in block


def test_a_missing_key_file_says_how_to_get_one(google, sample_rows, write_config, tmp_path):
    path = write_config(sheet=google_sheet(google, sample_rows, credentials_file=str(tmp_path / "absent.json")))

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert code == 1
    assert "no such file" in block
    assert "create a JSON key for the service account" in block


def test_an_oauth_client_file_given_as_the_key_is_recognised(google, sample_rows, write_config, tmp_path):
    client = tmp_path / "client_secret.json"
    client.write_text(json.dumps({"installed": {"client_id": "x.apps.googleusercontent.com", "client_secret": "s"}}))
    path = write_config(sheet=google_sheet(google, sample_rows, credentials_file=str(client)))

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert "is an OAuth client ID, not a key" in block


def test_an_authorized_user_file_declared_as_a_service_account_says_which_type_to_set(google, sample_rows,
                                                                                     write_config, tmp_path):
    user = tmp_path / "authorized-user.json"
    user.write_text(json.dumps({"type": "authorized_user", "client_id": "x", "client_secret": "s",
                                "refresh_token": "r"}))
    path = write_config(sheet=google_sheet(google, sample_rows, credentials_file=str(user)))

    code, out = doctor(path)

    assert 'set [sheet.google].credentials_type = "authorized_user"' in line_of(out, "✖", "sheet")


def test_a_revoked_key_says_to_create_a_new_one(google, sample_rows, write_config, monkeypatch):
    path = write_config(sheet=google_sheet(google, sample_rows))
    # what Google's token endpoint answers for a deleted key or a deleted service account
    monkeypatch.setattr(google, "_issue_token", lambda form: (400, {"error": "invalid_grant",
                                                                    "error_description": "Invalid JWT Signature."}))

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert code == 1
    assert "Invalid JWT Signature" in block
    assert "create a new JSON key" in block


def test_an_expired_authorized_user_token_says_to_make_a_new_one(google, sample_rows, write_config, tmp_path,
                                                                 monkeypatch):
    user = tmp_path / "authorized-user.json"
    user.write_text(json.dumps({"type": "authorized_user", "client_id": "fvma.apps.googleusercontent.com",
                                "client_secret": "s", "refresh_token": "1//r"}))
    user.chmod(0o600)
    path = write_config(sheet=google_sheet(google, sample_rows, credentials_file=str(user),
                                           credentials_type="authorized_user", token_uri=google.url + "/token"))
    # what Google answers a refresh token of an app left in Testing, after 7 days
    monkeypatch.setattr(google, "_issue_token", lambda form: (400, {"error": "invalid_grant",
                                                                    "error_description": "Token has been expired "
                                                                                         "or revoked."}))

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert code == 1
    assert "expired or revoked" in block
    assert "docs/setup-google.md §5" in block and "publish it" in block


def test_a_working_authorized_user_file_reads_the_sheet(google, sample_rows, write_config, tmp_path):
    user = tmp_path / "authorized-user.json"
    user.write_text(json.dumps({"type": "authorized_user", "client_id": "fvma.apps.googleusercontent.com",
                                "client_secret": "s", "refresh_token": "1//r"}))
    user.chmod(0o600)
    path = write_config(sheet=google_sheet(google, sample_rows, credentials_file=str(user),
                                           credentials_type="authorized_user", token_uri=google.url + "/token"))

    code, out = doctor(path)

    assert code == 0, out
    assert line_of(out, "✔", "sheet").startswith("✔ sheet: 12 rows, every required question found")


def test_an_unexpected_failure_is_reported_as_a_problem_and_the_other_steps_still_run(google, sample_rows,
                                                                                         write_config, tmp_path):
    folder = tmp_path / "keys"
    folder.mkdir()  # a folder where the key file should be: google-auth raises IsADirectoryError
    path = write_config(sheet=google_sheet(google, sample_rows, credentials_file=str(folder)))

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert code == 1
    assert "unexpected IsADirectoryError" in block
    assert "check the [sheet] section" in block and "fvma-bot -v doctor" in block
    assert "✔ mail" in out


def test_an_unreachable_token_endpoint_is_a_network_problem_not_a_bad_key(google, sample_rows, write_config,
                                                                        tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    key = tmp_path / "key.json"
    key.write_text(json.dumps({**google.service_account_info(), "token_uri": f"http://127.0.0.1:{closed}/token"}))
    key.chmod(0o600)
    path = write_config(sheet=google_sheet(google, sample_rows, credentials_file=str(key)))

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert code == 1
    assert "oauth2.googleapis.com on port 443" in block
    assert "create a new JSON key" not in block


def test_a_key_readable_by_everyone_is_a_warning(google, sample_rows, write_config):
    google.key_file.chmod(0o644)
    path = write_config(sheet=google_sheet(google, sample_rows))

    code, out = doctor(path)

    assert code == 0, out
    assert f"chmod 600 {google.key_file}" in line_of(out, "⚠", "sheet: the key")


def test_renamed_questions_get_the_alias_lines_to_add_and_the_aliases_work(google, sample_rows, write_config):
    rows = [list(r) for r in sample_rows]
    renamed = {"Numéro étudiant": "Numéro d'étudiant AMU", "Date de début du contrat": "Début du contrat"}
    rows[0] = [renamed.get(h, h) for h in rows[0]]
    sheet = google_sheet(google, rows)
    path = write_config(sheet=sheet)

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert code == 1
    assert "no column for « Numéro étudiant », « Date de début du contrat »" in block
    assert '[sheet.aliases]' in block
    assert 'numero_etudiant = ["Numéro d\'étudiant AMU"]' in block
    assert 'date_debut = ["Début du contrat"]' in block

    sheet["aliases"] = {"numero_etudiant": ["Numéro d'étudiant AMU"], "date_debut": ["Début du contrat"]}
    google.spreadsheets.clear()
    google.add_spreadsheet(SHEET, rows=rows)
    code, out = doctor(write_config(sheet=sheet))
    assert code == 0, out


def test_a_question_nowhere_in_the_sheet_says_to_add_it_to_the_form(google, sample_rows, write_config):
    index = sample_rows[0].index("SIRET")
    rows = [r[:index] + r[index + 1:] for r in sample_rows]
    path = write_config(sheet=google_sheet(google, rows))

    code, out = doctor(path)

    assert "add the question « SIRET » to the form" in line_of(out, "✖", "sheet")


def test_an_empty_header_row_is_not_a_response_sheet(google, write_config):
    google.add_spreadsheet(SHEET, rows=[[], ["Léa", "Martin"]])
    path = write_config(sheet={"backend": "google", "google": {
        "spreadsheet_id": SHEET, "credentials_file": str(google.key_file), "api_endpoint": google.url}})

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert "first row is empty" in block
    assert "Réponses au formulaire 1" in block


def test_a_misspelt_review_column_is_flagged_before_the_bot_adds_a_second_one(google, sample_rows, write_config):
    rows = [list(r) for r in sample_rows]
    rows[0] = rows[0] + ["N° dossier", "Contrôle automatique", "Decison", "Commentaire", "CACTUS initialisé",
                         "Statut", "Dernière action"]
    path = write_config(sheet=google_sheet(google, rows))

    code, out = doctor(path)

    assert code == 0, out
    block = line_of(out, "⚠", "sheet: the column « Decison »")
    assert "looks like the bot's « Décision »" in block
    assert "rename it « Décision » exactly" in block


def test_missing_optional_questions_are_a_warning(google, sample_rows, write_config):
    index = sample_rows[0].index("Date de naissance")
    rows = [r[:index] + r[index + 1:] for r in sample_rows]
    path = write_config(sheet=google_sheet(google, rows))

    code, out = doctor(path)

    assert code == 0, out
    assert "« Date de naissance »" in line_of(out, "⚠", "sheet: optional question")


def test_a_local_workbook_that_does_not_exist_points_to_the_demo(write_config, tmp_path):
    path = write_config(sheet={"backend": "local", "local": {"path": str(tmp_path / "absent.xlsx")}})

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert "no such workbook" in block
    assert "fvma-bot demo" in block


def test_a_sheet_backend_whose_library_is_missing_is_named(write_config, monkeypatch):
    monkeypatch.setitem(sys.modules, "bot.adapters.sheet_forms", None)  # as if an import of it failed
    path = write_config(sheet={"backend": "forms", "forms": {"form_id": "1FAIpQL"}})

    code, out = doctor(path)

    block = line_of(out, "✖", "sheet")
    assert code == 1
    assert "the sheet backend 'forms' cannot be loaded" in block
    assert "install fvma-bot again" in block and 'backend = "google"' in block


# --- mail -------------------------------------------------------------------------------------------


def test_a_refused_smtp_password_names_the_variable_it_came_from(smtp, trust, write_config, monkeypatch):
    path = write_config(mail=smtp_mail(smtp, monkeypatch, password="wrong"))

    code, out = doctor(path)

    block = line_of(out, "✖", "SMTP")
    assert code == 1
    assert f"refused the login of user '{smtp.user}'" in block
    assert "the password in $FVMA_TEST_SMTP" in block


def test_an_unset_password_variable_says_where_to_set_it(smtp, write_config, monkeypatch):
    path = write_config(mail=smtp_mail(smtp, monkeypatch))
    monkeypatch.delenv("FVMA_TEST_SMTP")

    code, out = doctor(path)

    block = line_of(out, "✖", "SMTP")
    assert "FVMA_TEST_SMTP" in block and "not set" in block
    assert "environment file" in block


def test_an_smtp_server_that_refuses_connections_is_unreachable(smtp, write_config, monkeypatch):
    mail = smtp_mail(smtp, monkeypatch)
    smtp.stop()

    code, out = doctor(write_config(mail=mail))

    block = line_of(out, "✖", "SMTP")
    assert "cannot reach 127.0.0.1" in block
    assert f"nc -vz 127.0.0.1 {mail['smtp']['port']}" in block


def test_an_untrusted_smtp_certificate_says_how_to_trust_it(smtp, write_config, monkeypatch):
    path = write_config(mail=smtp_mail(smtp, monkeypatch))  # no `trust`: the test CA is unknown

    code, out = doctor(path)

    block = line_of(out, "✖", "SMTP")
    assert "not trusted" in block
    assert "update-ca-certificates" in block and "[mail.smtp].ca_file" in block


def test_an_internal_ca_given_as_ca_file_is_trusted(smtp, ca, write_config, monkeypatch, tmp_path):
    pem = tmp_path / "internal-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    path = write_config(mail=smtp_mail(smtp, monkeypatch, ca_file=str(pem)))  # no `trust`: only ca_file

    code, out = doctor(path)

    assert "✔ SMTP" in out, out


def test_a_ca_file_that_does_not_exist_is_named(smtp, write_config, monkeypatch, tmp_path):
    path = write_config(mail=smtp_mail(smtp, monkeypatch, ca_file=str(tmp_path / "absent.pem")))

    code, out = doctor(path)

    block = line_of(out, "✖", "SMTP")
    assert code == 1
    assert "absent.pem\": no such file" in block


def test_starttls_on_the_implicit_tls_port_names_both_ports(ca, trust, write_config, monkeypatch):
    with SmtpTestServer(security="ssl", ca=ca) as server:
        code, out = doctor(write_config(mail=smtp_mail(server, monkeypatch, security="starttls", timeout=1)))

    block = line_of(out, "✖", "SMTP")
    assert code == 1
    assert 'port 587 with security = "starttls", or port 465 with security = "ssl"' in block


def test_verify_tls_off_is_a_warning(smtp, write_config, monkeypatch):
    path = write_config(mail=smtp_mail(smtp, monkeypatch, verify_tls=False))

    code, out = doctor(path)

    assert "✔ SMTP" in out
    assert "set [mail.smtp].verify_tls = true" in line_of(out, "⚠", "SMTP: verify_tls = false")


def test_a_missing_bounce_folder_on_imap_lists_the_folders_there(imap, trust, write_config, monkeypatch):
    path = write_config(mail={"imap": imap_mail(imap, monkeypatch, bounce_folder="Rebonds")})

    code, out = doctor(path)

    block = line_of(out, "✖", "IMAP")
    assert code == 1
    assert "'Rebonds' watched for bounces does not exist" in block
    assert "'INBOX'" in block
    assert "set [mail.imap].bounce_folder to one of the folders listed" in block


def test_a_refused_imap_login_names_the_user_and_the_variable(ca, trust, write_config, monkeypatch):
    # a server of its own: Dovecot slows down every later login from an address that failed one
    with make_imap_server(tls=True, ca=ca) as imap:
        code, out = doctor(write_config(mail={"imap": imap_mail(imap, monkeypatch, password="wrong")}))

    block = line_of(out, "✖", "IMAP")
    assert code == 1
    assert f"refused the login of user '{imap.user}'" in block
    assert "the password in $FVMA_TEST_IMAP" in block


def test_a_sent_folder_still_to_create_is_a_remark_not_a_problem(imap, trust, write_config, monkeypatch):
    path = write_config(mail={"imap": imap_mail(imap, monkeypatch, sent_folder="Envoyés FVMA")})

    code, out = doctor(path)

    assert code == 0, out
    assert "the bot creates it" in line_of(out, "✔", "IMAP")


def test_example_addresses_are_flagged_once_mail_really_leaves(smtp, trust, write_config, monkeypatch):
    path = write_config(mail=smtp_mail(smtp, monkeypatch))

    code, out = doctor(path)

    assert code == 0, out
    assert "lead_email = responsable.alternance@miage.example.org" in line_of(out, "⚠", "people")
    assert "set [links].cactus_url" in line_of(out, "⚠", "links")


# --- configuration and rules ------------------------------------------------------------------------


def test_a_configuration_error_stops_doctor_with_the_key_and_the_fix(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.example.toml").read_text(encoding="utf-8").replace(
        "poll_every = 60", "poll_every = \"souvent\""), encoding="utf-8")

    code, out = doctor(path)

    assert code == 1
    assert "[schedule].poll_every = \"souvent\"" in line_of(out, "✖", "configuration")
    assert "config.example.toml documents every key" in out
    assert "sheet" not in out


def test_no_rules_file_for_the_coming_year_is_a_warning_with_the_copy_to_make(write_config):
    path = write_config()

    code, out = doctor(path, today=date(2027, 4, 15))

    block = line_of(out, "⚠", "rules")
    assert code == 0, out
    assert "no rules file for 2027-2028" in block
    assert "2026-2027.toml to" in block and "2027-2028.toml" in block
    assert "⚠ rules" not in doctor(path, today=date(2027, 3, 31))[1]
