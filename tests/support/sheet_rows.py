"""Form responses as a Google response sheet holds them, for the cycle tests and the benchmark.

`sample_rows()` is the bundled sample (12 responses, with their findings and one
replaced response); `many_rows(n)` is a season of `n` responses made from it: the
same answers, each row a different student (own address, student number and
submission time), so that no response replaces another.
"""

import csv
from datetime import datetime, timedelta
from pathlib import Path

from bot.core import values

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "fvma-reponses.csv"
EMAIL, NUMBER = 1, 4


def sample_rows() -> list[list[object]]:
    """The header and the bundled sample responses, dates typed as Google Forms writes them."""
    with SAMPLES.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    typed = [rows[0]]
    for row in rows[1:]:
        out: list[object] = list(row)
        out[0] = values.parse_datetime(row[0])
        out[20], out[21] = values.parse_date(row[20]) or row[20], values.parse_date(row[21]) or row[21]
        typed.append(out)
    return typed


def many_rows(n: int) -> list[list[object]]:
    """The header and `n` responses, one per student, cycling through the samples' answers."""
    header, *samples = sample_rows()
    return [header] + [student_row(samples[i % len(samples)], i) for i in range(n)]


def student_row(sample: list[object], i: int, submitted: datetime | None = None) -> list[object]:
    """`sample`'s answers for student number `i`; submitted `i` seconds after the sample unless given."""
    row = list(sample)
    row[0] = submitted or sample[0] + timedelta(seconds=i)
    row[EMAIL] = f"etudiant{i:05d}@etu.univ-amu.fr"
    row[NUMBER] = str(30000000 + i)
    return row
