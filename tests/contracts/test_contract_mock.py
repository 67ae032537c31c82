"""The mock passes its own contract suite: every check, every phase, both families, in-process.

This is the proof the spec, the mock and the suite agree (DESIGN §1). max-examples is chosen to keep it
to a few minutes in CI; the measured time is recorded as a JUnit property and is part of the failure
message, never a verdict (a busy machine is not a broken mock).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from contract_standin import SECOND, TOKEN

from contracts.drift import probe_drift
from contracts.options import ALL_PHASES, RunOptions
from contracts.report import summary_text
from contracts.runner import run_suite

MAX_EXAMPLES = 10


@pytest.mark.slow
def test_the_mock_conforms_to_its_own_contract(mock_app_factory, tmp_path: Path, record_property):
    options = RunOptions(
        base_url="http://mock.test",
        token=TOKEN,
        second_token=SECOND,
        family="both",
        app=mock_app_factory(),
        max_examples=MAX_EXAMPLES,
        phases=ALL_PHASES,
        seed=1,
        junit_xml=tmp_path / "junit.xml",
        report=tmp_path / "report.md",
    )
    started = time.monotonic()
    result = run_suite(options)
    seconds = time.monotonic() - started
    record_property("self_conformance_seconds", f"{seconds:.1f}")
    record_property("self_conformance_requests", result.requests_sent)
    assert result.conforms, f"{seconds:.0f}s\n" + summary_text(result)
    # Every phase ran and every scenario was judged; none was skipped on the mock.
    assert {f"schemathesis:{phase}" for phase in ALL_PHASES} <= set(result.timings)
    skipped = [o.check for o in result.outcomes if o.suite == "scenario" and o.status.value == "skipped"]
    assert not skipped, skipped
    root = ET.parse(tmp_path / "junit.xml").getroot()
    names = Counter((case.get("classname"), case.get("name")) for case in root.iter("testcase"))
    assert max(names.values()) == 1


def test_drift_reads_each_family_as_its_own_style(mock_app_factory):
    points = probe_drift("http://mock.test", TOKEN, app=mock_app_factory())
    table = {(p.point, p.family): p for p in points}
    assert table[("list envelope", "/api/v1")].follows == "guide"
    assert table[("list envelope", "/api")].follows == "reference"
    assert table[("create status", "/api/v1")].observed == "201"
    assert table[("create status", "/api")].observed == "200"
    assert table[("validation error", "/api/v1")].follows == "guide"
    assert table[("validation error", "/api")].follows == "reference"
    assert table[("accepts type STATIC", "/api/v1")].observed == "accepted"
    assert table[("accepts type STATIC", "/api")].observed.startswith("refused")
    assert table[("audience carries version", "/api/v1")].follows == "guide"
    assert table[("audience carries version", "/api")].follows == "reference"
    assert table[("import status names", "/api/v1")].follows == "guide"
    assert table[("import status names", "/api")].follows == "reference"
    assert all(p.evidence for p in points)
