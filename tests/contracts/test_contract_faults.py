"""The catalogue of broken servers: the suite must fail on each one and name the right check."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from contract_faults import CATALOGUE, FaultMiddleware, FaultRow, markdown
from contract_standin import SECOND, TOKEN

from contracts.options import RunOptions
from contracts.results import Status
from contracts.runner import run_suite

FAULTS_MD = Path(__file__).resolve().parents[2] / "contracts" / "FAULTS.md"


def test_faults_md_is_generated_from_the_catalogue():
    assert FAULTS_MD.read_text(encoding="utf-8") == markdown(), (
        "run: python tests/contracts/contract_faults.py"
    )


def test_every_business_check_and_scenario_has_a_fault():
    from contracts.checks import CHECK_NAMES
    from contracts.follow import FOLLOW_CHECKS
    from contracts.scenarios import REGISTRY

    expected = {row.expected for row in CATALOGUE}
    assert set(CHECK_NAMES) | set(FOLLOW_CHECKS) <= expected, set(CHECK_NAMES) - expected
    assert set(REGISTRY) <= expected, set(REGISTRY) - expected


def test_fault_names_are_unique():
    names = [row.name for row in CATALOGUE]
    assert len(names) == len(set(names))


def run_against(app, row: FaultRow) -> tuple[set[str], float]:
    options = RunOptions(
        base_url="http://mock.test",
        token=TOKEN,
        second_token=SECOND,
        family=row.family,
        app=app,
        max_examples=8,
        seed=1,
        phases=row.phases if row.operations else (),
        operations=row.operations or None,
        scenarios=bool(row.scenarios),
        only_scenarios=row.scenarios or None,
    )
    started = time.monotonic()
    result = run_suite(options)
    failing = set()
    for outcome in result.outcomes:
        if outcome.status in (Status.FAILED, Status.ERROR):
            failing.add(outcome.subject if outcome.suite == "scenario" else outcome.check)
    return failing, time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("row", CATALOGUE, ids=[row.name for row in CATALOGUE])
def test_the_suite_catches_the_fault(row: FaultRow, mock_app_factory):
    broken = FaultMiddleware(mock_app_factory(), row.make())
    failing, _seconds = run_against(broken, row)
    assert row.expected in failing, f"{row.name}: expected {row.expected} to fail, failing: {sorted(failing)}"


def test_the_readme_shows_the_same_faults_table():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = [line for line in markdown().splitlines() if line.startswith("|")]
    assert "\n".join(table) in readme, "paste the table of contracts/FAULTS.md into README.md"
