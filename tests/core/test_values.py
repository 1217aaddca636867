"""Reading cell values as Sheets, Forms and exports give them (bot.core.values, SPEC §2)."""

from datetime import date, datetime, timezone

import pytest

from bot.core import values


# --- dates and date-times ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "01/09/2025", "1/9/2025", " 01/09/2025 ",
    45901, 45901.0, "45901",
    "2025-09-01",
    date(2025, 9, 1), datetime(2025, 9, 1),
])
def test_a_date_is_read_in_each_form_it_arrives_in(raw):
    assert values.parse_date(raw) == date(2025, 9, 1)


@pytest.mark.parametrize("raw, expected", [
    ("01/09/2025 14:03:12", datetime(2025, 9, 1, 14, 3, 12)),
    ("01/09/2025 14:03", datetime(2025, 9, 1, 14, 3)),
    ("01/09/2025", datetime(2025, 9, 1)),
    (45901.5, datetime(2025, 9, 1, 12)),
    ("45901.75", datetime(2025, 9, 1, 18)),
    ("45901,25", datetime(2025, 9, 1, 6)),
    (45901, datetime(2025, 9, 1)),
    ("2025-09-01T14:03:12", datetime(2025, 9, 1, 14, 3, 12)),
    ("2025-09-01 14:03:12", datetime(2025, 9, 1, 14, 3, 12)),
    (datetime(2025, 9, 1, 14, 3, 12), datetime(2025, 9, 1, 14, 3, 12)),
])
def test_a_date_time_is_read_in_each_form_it_arrives_in(raw, expected):
    assert values.parse_datetime(raw) == expected


@pytest.mark.parametrize("raw, paris", [
    ("2025-09-01T14:03:12Z", datetime(2025, 9, 1, 16, 3, 12)),             # summer: UTC+2
    ("2025-01-15T12:00:00Z", datetime(2025, 1, 15, 13, 0)),                # winter: UTC+1
    ("2025-09-01T14:03:12.541Z", datetime(2025, 9, 1, 16, 3, 12, 541000)),  # as the Forms API writes it
    ("2025-09-01T14:03:12+02:00", datetime(2025, 9, 1, 14, 3, 12)),
    (datetime(2025, 9, 1, 14, 3, 12, tzinfo=timezone.utc), datetime(2025, 9, 1, 16, 3, 12)),
])
def test_a_date_time_with_an_offset_is_converted_to_naive_europe_paris_time(raw, paris):
    value = values.parse_datetime(raw)

    assert value == paris
    assert value.tzinfo is None


def test_serial_45901_is_september_first_2025():
    assert values.SHEETS_EPOCH.date() == date(1899, 12, 30)
    assert values.parse_date(45901) == date(2025, 9, 1)


@pytest.mark.parametrize("raw", [
    "31/02/2025", "2025-13-01", "2025-02-30", "demain", "", "  ", "01/09/25", "01/09/2025 25:00",
    0, -1, 0.5, 200000, "0", "-45901", "200000", float("nan"), float("inf"), True, None,
])
def test_a_date_that_cannot_be_read_is_none_never_a_guess(raw):
    assert values.parse_datetime(raw) is None
    assert values.parse_date(raw) is None


# --- text ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (22409071, "22409071"),
    (22409071.0, "22409071"),
    ("  Martin  ", "Martin"),
    (491000001, "491000001"),
    (True, "TRUE"),
    (date(2025, 9, 1), "01/09/2025"),
    (datetime(2025, 9, 1, 14, 3, 12), "01/09/2025 14:03:12"),
])
def test_a_cell_reads_as_text_the_way_a_person_wrote_it(raw, expected):
    assert values.text(raw) == expected


@pytest.mark.parametrize("raw, blank", [(None, True), ("", True), ("  \t", True), (0, False), ("x", False)])
def test_only_none_and_whitespace_are_blank(raw, blank):
    assert values.is_blank(raw) is blank


# --- e-mail addresses ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "lea.martin@etu.univ-amu.fr", " lea.martin@etu.univ-amu.fr ", "LEA.MARTIN@ETU.UNIV-AMU.FR",
    "claire.fontaine@soprasteria.example", "prenom.nom+fvma@gmail.com", "etudiant@univ.test",
])
def test_it_accepts_one_valid_address(raw):
    assert values.parse_email(raw) == raw.strip()


@pytest.mark.parametrize("raw", [
    "lea martin@etu.univ-amu.fr",
    "lea.martin@etu.univ-amu.fr, l.martin@gmail.com",
    "lea.martin@etu.univ-amu.fr;l.martin@gmail.com",
    "lea.martin@etu.univ-amu.fr l.martin@gmail.com",
    "Léa Martin <lea.martin@etu.univ-amu.fr>",
    "<lea.martin@etu.univ-amu.fr>",
    "lea.martin@",
    "@etu.univ-amu.fr",
    "lea.martin",
    "julie.blanc@startup",
    "lea..martin@etu.univ-amu.fr",
])
def test_it_rejects_anything_but_one_valid_address(raw):
    assert values.parse_email(raw) is None


# --- SIRET -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, digits", [
    ("32682006500083", "32682006500083"),
    ("326 820 065 00083", "32682006500083"),
    ("326.820.065.00083", "32682006500083"),
    ("326\u00a0820\u00a0065\u00a000083", "32682006500083"),
    (32682006500083, "32682006500083"),
    ("356 000 000 49837", "35600000049837"),   # La Poste: digit sum 45, fails Luhn
    ("35600000000048", "35600000000048"),      # La Poste's head office: passes Luhn
])
def test_a_valid_siret_reads_as_its_fourteen_digits(raw, digits):
    assert values.parse_siret(raw) == digits


@pytest.mark.parametrize("raw", [
    "3268200650008",     # 13 digits
    "326820065000833",   # 15 digits
    "3268200650008A",
    "32682006500084",    # Luhn fails
    "35600000049838",    # La Poste, digit sum 46
    "12345678900005",    # digit sum 50 but not La Poste, and Luhn fails
    "",
])
def test_an_invalid_siret_is_none(raw):
    assert values.parse_siret(raw) is None


# --- check boxes -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, ticked", [
    (True, True), ("TRUE", True), ("VRAI", True), ("vrai", True),
    (False, False), ("FALSE", False), ("FAUX", False), ("", False), (None, False),
])
def test_a_ticked_box_reads_true_unformatted_and_vrai_formatted(raw, ticked):
    assert values.parse_checkbox(raw) is ticked


# --- what the bad-input corpus found (tests/reliability/hostile.py) ----------------------------------------------

@pytest.mark.parametrize("raw", [1995, "1995", 2025, "2002", 7305, "7305", 73416, "20250901"])
def test_a_number_outside_the_plausible_serial_window_is_not_read_as_a_date(raw):
    # "1995" typed in a date question would otherwise be 17/06/1905 (SPEC §2: never guess)
    assert values.parse_date(raw) is None


def test_the_plausible_serial_window_runs_from_1920_to_2100():
    assert values.parse_date(7306) == date(1920, 1, 1)
    assert values.parse_date("73415") == date(2100, 12, 31)


@pytest.mark.parametrize("raw", ["01/10/２０２５", "٠١/١٠/٢٠٢٥", "２０２５-１０-０１", "٤٥٩٠١"])
def test_a_date_written_with_non_ascii_digits_is_not_read(raw):
    assert values.parse_date(raw) is None


def test_a_siret_written_with_non_ascii_digits_is_not_read():
    assert values.parse_siret("32682006500083") == "32682006500083"
    assert values.parse_siret("٣٢٦٨٢٠٠٦٥٠٠٠٨٣") is None


def test_an_address_the_bot_cannot_write_to_is_not_an_address():
    assert values.parse_email("léa.martin@etu.univ-amu.fr") is None     # needs SMTPUTF8
    assert values.parse_email("rh@société.example") == "rh@société.example"  # IDNA: fine


@pytest.mark.parametrize("raw", ["\u200b", "\u200b\u200d\ufeff", " \u00a0\u202f ", "\x00\t"])
def test_text_of_only_invisible_characters_is_blank(raw):
    assert values.is_blank(raw)


def test_text_with_a_visible_character_is_not_blank():
    assert not values.is_blank("\u200bA")


def test_an_excerpt_is_one_line_without_control_characters_and_bounded():
    assert values.excerpt("a@b.fr\r\nBcc: x@y.fr\x1b[31m") == "a@b.fr Bcc: x@y.fr[31m"
    assert len(values.excerpt("x" * 50_000)) == 200 and values.excerpt("x" * 50_000).endswith("…")
