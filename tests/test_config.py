"""The configuration file (bot.config, SPEC §7): loading, one-line errors, secrets."""

from datetime import time
from pathlib import Path

import pytest

from bot import config as cfg
from bot.config import Config, SecretRef, find_config, load, secret
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"


def write(folder: Path, *edits: tuple[str, str], name: str = "config.toml") -> Path:
    """config.example.toml with each (old, new) replaced once, written as `folder/name`."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message, message
    return message


# --- a valid file -------------------------------------------------------------------------------------------

def test_the_example_configuration_loads_as_the_embedded_default():
    config = load(EXAMPLE)

    assert isinstance(config, Config)
    assert config.sheet.backend == "local"
    assert config.mail.backend == "outbox"
    assert config.mail.smtp.port == 587
    assert config.people.lead_email == "responsable.alternance@miage.example.org"
    assert set(config.people.secretariats) == {"Aix", "Marseille"}
    assert config.schedule.rappel_time == time(8, 30)
    assert config.schedule.poll_every == 60


def test_relative_paths_are_taken_from_the_configuration_files_folder(tmp_path):
    config = load(write(tmp_path))

    assert config.base_dir == tmp_path.resolve()
    assert config.path(config.paths.rules) == tmp_path.resolve() / "rules"
    assert config.path("/etc/fvma/rules") == Path("/etc/fvma/rules")


def test_configured_aliases_are_loaded(tmp_path):
    path = write(tmp_path, ("[sheet.aliases] ", '[sheet.aliases]\ndate_debut = ["Début du contrat"]\n#'))

    assert load(path).sheet.aliases == {"date_debut": ["Début du contrat"]}


def test_notify_since_is_a_date_time(tmp_path):
    path = write(tmp_path, ("# notify_since = 2026-05-20T00:00:00+02:00", "notify_since = 2026-05-20T00:00:00+02:00"))

    assert load(path).schedule.notify_since.isoformat() == "2026-05-20T00:00:00+02:00"


# --- one line per error, naming the key, the value and what is expected -------------------------------------------

def test_a_port_that_is_not_a_number_names_the_key_the_value_and_the_expectation(tmp_path):
    assert error_of(write(tmp_path, ("port = 587", 'port = "abc"'))) == \
        'config.toml: [mail.smtp].port = "abc": expected an integer 1–65535'


@pytest.mark.parametrize("value", ["0", "65536", "70000"])
def test_a_port_out_of_range_is_refused(tmp_path, value):
    assert error_of(write(tmp_path, ("port = 587", f"port = {value}"))) == \
        f"config.toml: [mail.smtp].port = {value}: expected an integer 1–65535"


def test_an_imap_port_out_of_range_names_the_imap_section(tmp_path):
    assert error_of(write(tmp_path, ("port = 993", "port = 99999"))) == \
        "config.toml: [mail.imap].port = 99999: expected an integer 1–65535"


def test_an_unknown_mail_backend_lists_the_known_ones(tmp_path):
    assert error_of(write(tmp_path, ('backend = "outbox" ', 'backend = "sendmail" '))) == \
        'config.toml: [mail].backend = "sendmail": expected one of "outbox" or "smtp"'


def test_an_unknown_sheet_backend_lists_the_known_ones(tmp_path):
    message = error_of(write(tmp_path, ('backend = "local" ', 'backend = "excel" ')))

    assert message == 'config.toml: [sheet].backend = "excel": expected one of "local", "google" or "forms"'


def test_an_unknown_key_is_named_with_its_value_and_the_known_keys(tmp_path):
    message = error_of(write(tmp_path, ('host = "smtp.univ-amu.fr"', 'hots = "smtp.univ-amu.fr"')))

    assert message.startswith('config.toml: [mail.smtp].hots = "smtp.univ-amu.fr": unknown key')
    assert "host, port" in message


def test_an_unknown_top_level_key_is_named(tmp_path):
    message = error_of(write(tmp_path, ('dossier_prefix = "FVMA"', 'dossier_prefx = "FVMA"')))

    assert message.startswith('config.toml: dossier_prefx = "FVMA": unknown key')
    assert "base_dir" not in message


def test_an_unknown_section_is_named(tmp_path):
    message = error_of(write(tmp_path, ("[mail.outbox]", "[mail.outbax]")))

    assert message.startswith("config.toml: [mail.outbax]: unknown section")


@pytest.mark.parametrize("key, value", [
    ("lead_email", "pas une adresse"),
    ("sender_email", "fvma-bot@miage"),
    ("feg_email", "a@b.fr, c@d.fr"),
])
def test_a_bad_e_mail_address_is_refused(tmp_path, key, value):
    original = f'{key} = "{load(EXAMPLE).people.model_dump()[key]}"'

    assert error_of(write(tmp_path, (original, f'{key} = "{value}"'))) == \
        f'config.toml: [people].{key} = "{value}": expected one e-mail address such as name@example.org'


def test_a_secretariats_bad_address_names_its_table(tmp_path):
    message = error_of(write(tmp_path, ('email = "secretariat.miage.aix@univ.example.org"', 'email = "aix"')))

    assert message == ('config.toml: [people.secretariats.Aix].email = "aix": '
                       "expected one e-mail address such as name@example.org")


@pytest.mark.parametrize("value", ["8h30", "24:00", "08:60", "8:30", "08:30:00"])
def test_a_reminder_time_that_is_not_hh_mm_is_refused(tmp_path, value):
    assert error_of(write(tmp_path, ('rappel_at = "08:30"', f'rappel_at = "{value}"'))) == \
        f'config.toml: [schedule].rappel_at = "{value}": expected a time HH:MM, 24-hour, e.g. 08:30'


def test_a_poll_interval_too_short_is_refused(tmp_path):
    assert error_of(write(tmp_path, ("poll_every = 60 ", "poll_every = 0 "))) == \
        "config.toml: [schedule].poll_every = 0: expected a whole number of seconds, 1 or more"


def test_a_negative_full_scan_interval_for_the_forms_intake_is_refused(tmp_path):
    assert error_of(write(tmp_path, ("full_scan_minutes = 60 ", "full_scan_minutes = -5 "))) == \
        "config.toml: [sheet.forms].full_scan_minutes = -5: expected a whole number of minutes, 0 or more " \
        "(0: only when the bot starts)"


def test_a_boolean_that_is_not_one_is_refused(tmp_path):
    assert error_of(write(tmp_path, ("enabled = false", 'enabled = "non"'))) == \
        'config.toml: [mail.imap].enabled = "non": expected true or false'


def test_a_missing_required_section_is_named(tmp_path):
    path = tmp_path / "config.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    path.write_text(text[:text.index("[links]")] + text[text.index("[schedule]"):], encoding="utf-8")

    assert error_of(path) == "config.toml: [links] is missing"


def test_a_missing_required_key_is_named(tmp_path):
    assert error_of(write(tmp_path, ('lead_name = "Jean Caussanel"', ""))) == \
        "config.toml: [people].lead_name is missing"


def test_broken_toml_syntax_names_the_file_and_the_line(tmp_path):
    message = error_of(write(tmp_path, ("poll_every = 60 ", "poll_every = = 60 ")))

    assert message.startswith(f"{tmp_path / 'config.toml'}: not valid TOML")
    assert "line" in message


def test_both_password_env_and_password_file_are_refused(tmp_path):
    path = write(tmp_path, ('password_env = "FVMA_SMTP_PASSWORD"',
                            'password_env = "FVMA_SMTP_PASSWORD"\npassword_file = "/etc/fvma-bot/smtp-password"'))

    assert error_of(path) == "config.toml: [mail.smtp]: set password_env or password_file, not both"


def test_an_alias_for_an_unknown_field_is_refused_naming_it(tmp_path):
    message = error_of(write(tmp_path, ("[sheet.aliases] ", '[sheet.aliases]\nnumero = ["N°"]\n#')))

    assert message.startswith("config.toml: [sheet.aliases]: numero is not a field of the form")
    assert "numero_etudiant" in message


def test_an_unknown_secretariat_site_is_refused(tmp_path):
    message = error_of(write(tmp_path, ("[people.secretariats.Aix]", "[people.secretariats.Luminy]")))

    assert message.startswith("config.toml: [people.secretariats.Luminy]")
    assert '"Aix" or "Marseille"' in message


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(EXAMPLE.read_text(encoding="utf-8").encode("latin-1", errors="replace"))

    assert error_of(path) == f"{path}: not UTF-8 text"


# --- finding the file ----------------------------------------------------------------------------------------

def test_an_explicit_path_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="nowhere.toml: no such configuration file"):
        find_config(str(tmp_path / "nowhere.toml"), tmp_path)


def test_config_toml_is_preferred_to_the_example_in_the_working_folder(tmp_path):
    write(tmp_path, name="config.example.toml")
    write(tmp_path)

    assert find_config(None, tmp_path) == tmp_path / "config.toml"


def test_the_example_in_the_working_folder_is_used_when_there_is_no_config_toml(tmp_path):
    write(tmp_path, name="config.example.toml")

    assert find_config(None, tmp_path) == tmp_path / "config.example.toml"


def test_the_shipped_example_is_the_last_resort(tmp_path):
    assert find_config(None, tmp_path) == cfg.PACKAGE_ROOT / "config.example.toml"


# --- secrets ---------------------------------------------------------------------------------------------------

def test_a_secret_is_read_from_the_named_environment_variable(monkeypatch):
    monkeypatch.setenv("FVMA_TEST_SECRET", "s3cret")

    assert secret(SecretRef(password_env="FVMA_TEST_SECRET"), "mail.smtp") == "s3cret"


def test_a_secret_is_read_from_the_named_file_without_its_newline(tmp_path):
    (tmp_path / "password").write_text("s3cret\n", encoding="utf-8")

    assert secret(SecretRef(password_file=str(tmp_path / "password")), "mail.smtp") == "s3cret"


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_or_empty_environment_variable_is_a_clear_error(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("FVMA_TEST_SECRET", raising=False)
    else:
        monkeypatch.setenv("FVMA_TEST_SECRET", value)

    with pytest.raises(ConfigError) as caught:
        secret(SecretRef(password_env="FVMA_TEST_SECRET"), "mail.smtp")

    assert str(caught.value).startswith('[mail.smtp].password_env = "FVMA_TEST_SECRET": this environment variable')


def test_an_unreadable_password_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope"

    with pytest.raises(ConfigError) as caught:
        secret(SecretRef(password_file=str(missing)), "mail.imap")

    assert str(caught.value).startswith(f'[mail.imap].password_file = "{missing}": cannot be read')


def test_no_secret_named_means_no_password():
    assert secret(SecretRef(), "mail.smtp") is None


@pytest.mark.parametrize("line", ['password = "Inline-S3cret"', 'pass = "Inline-S3cret"', 'pasword = "Inline-S3cret"',
                                  'mot_de_passe = "Inline-S3cret"', 'token = "Inline-S3cret"'])
def test_a_secret_written_inline_is_refused_without_being_repeated(tmp_path, line):
    message = error_of(write(tmp_path, ('host = "smtp.univ-amu.fr"', f'host = "smtp.univ-amu.fr"\n{line}')))

    assert "Inline-S3cret" not in message
    assert message.startswith(f"config.toml: [mail.smtp].{line.split()[0]}: unknown key — a secret never sits")
    assert "password_env" in message and "password_file" in message
