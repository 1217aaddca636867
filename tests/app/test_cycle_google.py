"""What only the `google` intake does: tag the rows of the form's own response sheet safely.

The scenarios both Google intakes share are in test_scenarios.py.
"""

import pytest

from bot.app.wiring import make_cycle
from tests.app.conftest import at
from tests.app.intakes import ResponseSheet


@pytest.fixture
def setup(google, make_config, sample_rows):
    intake = ResponseSheet(google, make_config, sample_rows)
    cycle = make_cycle(intake.config)
    yield intake, cycle
    cycle.store.close()


def test_new_rows_are_tagged_safely_when_the_lead_sorts_during_the_first_cycle(setup):
    intake, cycle = setup

    def sort_after_first_write(info, seen=[]):
        if info.is_write:
            seen.append(1)
            if len(seen) == 2:   # after the columns' set-up, before the rows are tagged
                intake.sort("Nom")
    intake.google.before_request(sort_after_first_write)
    cycle.run(at(6))
    cycle.run(at(6, 10))
    by_dossier = {r["N° dossier"]: r for r in intake.rows()}
    expected = {d.state.dossier: d.info["nom"] for d in cycle.store.dossiers().values()}
    assert len(expected) == 12
    assert {n: by_dossier[n]["Nom"] for n in expected} == expected
    assert not intake.google.errors
