"""The mock on a real Redis, two workers behind one port, passes its own contract suite over HTTP: every
check, every phase, both families (the same run `tests/contracts/test_contract_mock.py` makes in-process)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from contracts.options import ALL_PHASES, RunOptions
from contracts.report import summary_text
from contracts.runner import run_suite
from mock_server.store.services import RedisServer, ServedMock

sys.path.insert(0, str(Path(__file__).parents[1] / "contracts"))
from contract_standin import SECOND, TOKEN

pytestmark = pytest.mark.slow


def test_the_mock_on_redis_with_two_workers_conforms(tmp_path: Path) -> None:
    # as the in-process run: no demo (its imports take 30 s, on purpose: a world that looks alive)
    options = ("--store", "", "--workers", "2", "--seed", "1", "--consumers", "200", "--scenario", "none")
    with RedisServer() as redis:
        served = ServedMock(*options[:1], redis.url, *options[2:]).start()
        try:
            result = run_suite(
                RunOptions(
                    base_url=served.url,
                    token=TOKEN,
                    second_token=SECOND,
                    family="both",
                    max_examples=10,
                    phases=ALL_PHASES,
                    seed=1,
                    junit_xml=tmp_path / "junit.xml",
                    report=tmp_path / "report.md",
                )
            )
        finally:
            served.stop()
    assert result.conforms, summary_text(result) + "\nserver output:\n" + served.output[-5000:]
    assert {f"schemathesis:{phase}" for phase in ALL_PHASES} <= set(result.timings)
    skipped = [o.check for o in result.outcomes if o.suite == "scenario" and o.status.value == "skipped"]
    assert not skipped, skipped
