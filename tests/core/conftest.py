"""Fixtures for the core's tests: the shipped rules files and one valid response to change a field at a time."""

from collections.abc import Callable
from datetime import date

import pytest

from bot.adapters.rules_dir import load_years
from bot.core.intake import parse_response
from bot.core.models import Finding, Response
from bot.core.rules import Verdict, evaluate
from bot.core.ruleset import RulesYear

from .samples import RULES_DIR, TODAY, VALID


@pytest.fixture(scope="session")
def years() -> list[RulesYear]:
    return load_years(RULES_DIR)


@pytest.fixture
def cells() -> Callable[..., dict[str, object]]:
    """`cells(date_fin="27/02/2026")`: the valid response's cells with some changed (None empties one)."""
    def make(**overrides: object) -> dict[str, object]:
        unknown = set(overrides) - set(VALID)
        assert not unknown, f"not a field key: {unknown}"
        return {**VALID, **overrides}
    return make


@pytest.fixture
def response(cells) -> Callable[..., Response]:
    """`response(niveau="M1")`: the valid response, parsed, with some fields changed."""
    def make(**overrides: object) -> Response:
        return parse_response(cells(**overrides))
    return make


@pytest.fixture
def verdict(years, response) -> Callable[..., Verdict]:
    """`verdict(date_debut="02/11/2025")`: the rules run on the valid response with some fields changed."""
    def run(*, today: date = TODAY, validated_elsewhere: str | None = None, **overrides: object) -> Verdict:
        return evaluate(response(**overrides), years, today, validated_elsewhere)
    return run


@pytest.fixture
def findings(verdict) -> Callable[..., dict[str, Finding]]:
    """The findings by rule id; checks on the way that no rule gave two (SPEC §4: at most one per rule)."""
    def run(**overrides: object) -> dict[str, Finding]:
        found = verdict(**overrides).findings
        by_rule = {f.rule: f for f in found}
        assert len(by_rule) == len(found), f"a rule gave two findings: {found}"
        return by_rule
    return run
