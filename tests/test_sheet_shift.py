"""What a write leaves to undo a column shift (bot.adapters.sheet_shift): kept packed, read back exactly."""

from bot.adapters.sheet_shift import Written, packed


def test_what_a_write_put_and_the_rows_before_it_come_back_exactly():
    cells = {"FVMA-2026-0001": {21: "FVMA-2026-0001", 23: "À corriger — étudiant notifié"},
             "FVMA-2026-0002": {22: "✔ Aucune anomalie"}}
    before = {"FVMA-2026-0001": ["", 46000.375, "Léa", True, None, 3, 2 ** 70, "\ud83d"],
              "FVMA-2026-0002": []}
    written = Written(["Horodateur"], 0, packed(cells), packed(before))
    assert written.unpacked() == (cells, before)
    assert [type(v) for v in written.unpacked()[1]["FVMA-2026-0001"]] == [str, float, str, bool, type(None), int,
                                                                          int, str]
    assert len(written.before) < len(repr(before).encode("utf-8", "surrogatepass"))


def test_a_season_of_rows_is_kept_in_a_fraction_of_its_json():
    rows = {f"FVMA-2026-{n:04d}": ["2026-11-06 09:00", f"etudiant{n}@etu.univ-amu.fr", "Martin", "Léa",
                                   "Apprentissage", "Analyste développeuse — équipe data", n * 1.5]
            for n in range(2000)}
    assert len(packed(rows)) * 4 < len(repr(rows))
