"""The pytest route: inert without options; with them, the suite's checks and scenarios as pytest tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from contract_standin import SECOND, TOKEN, standin_spec

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def pytest_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_other.py").write_text("def test_other():\n    assert True\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(HERE)]))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "contracts.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rA",
            *args,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_inert_without_options(tmp_path: Path):
    completed = pytest_run(tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "1 passed" in completed.stdout
    assert "fanfare" not in completed.stdout


def test_runs_the_suite_as_tests_against_an_app(tmp_path: Path):
    spec = tmp_path / "standin.json"
    spec.write_text(json.dumps(standin_spec()))
    completed = pytest_run(
        tmp_path,
        "--fanfare-base-url",
        "http://standin",
        "--fanfare-token",
        TOKEN,
        "--fanfare-second-token",
        SECOND,
        "--fanfare-app",
        "contract_standin:StandIn()",
        "--fanfare-spec",
        str(spec),
        "--fanfare-family",
        "v1",
        "--fanfare-phases",
        "coverage",
        "--fanfare-max-examples",
        "2",
        "--fanfare-scenario",
        "tenant_isolation",
        "--fanfare-scenario",
        "cross_family_visibility",
        "--fanfare-only",
    )
    out = completed.stdout
    assert completed.returncode == 0, out + completed.stderr
    assert "PASSED ::fanfare[v1] POST /api/v1/audiences" in out
    assert "PASSED ::fanfare scenario tenant_isolation[v1]" in out
    assert "SKIPPED" in out and "needs --family both" in out
    assert "PASSED ::fanfare cleanup" in out
    assert "test_other" not in out  # --fanfare-only


def _verdicts(output: str) -> dict[str, str]:
    """`PASSED ::fanfare …` / `FAILED ::fanfare …` lines of `-rA` as {test: verdict} (xdist adds [gwN])."""
    import re

    found: dict[str, str] = {}
    for line in output.splitlines():
        match = re.match(r"(PASSED|FAILED|SKIPPED|ERROR)\s+(?:\[gw\d+\]\s+)?::(fanfare.*?)(?: - .*)?$", line)
        if match:
            found[match.group(2).strip()] = match.group(1)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("fault", [None, "missing_required_field"])
def test_pytest_xdist_gives_the_serial_verdicts(tmp_path: Path, fault: str | None):
    app = "mock_server.app:create_app(seed=1, consumers=200)"
    if fault:
        app = f"contract_faults:broken_mock('{fault}')"
    args = [
        "--fanfare-base-url",
        "http://mock.test",
        "--fanfare-token",
        TOKEN,
        "--fanfare-second-token",
        SECOND,
        "--fanfare-app",
        app,
        "--fanfare-family",
        "v1",
        "--fanfare-phases",
        "coverage,fuzzing",
        "--fanfare-max-examples",
        "3",
        "--fanfare-seed",
        "1",
        "--fanfare-scenario",
        "audience_create_get_round_trip",
        "--fanfare-scenario",
        "members_walk_matches_count",
        "--fanfare-only",
    ]
    serial = pytest_run(tmp_path, *args)
    parallel = pytest_run(tmp_path, *args, "-n", "2")
    # xdist names its workers as "created: 2/2 workers" under -v and only "bringing up nodes" under -q.
    assert "2 workers" in parallel.stdout or "bringing up nodes" in parallel.stdout, parallel.stdout[-2000:]
    one, two = _verdicts(serial.stdout), _verdicts(parallel.stdout)
    assert len(one) > 15 and one == two, (sorted(set(one.items()) ^ set(two.items())), serial.stdout[-1500:])
    assert serial.returncode == parallel.returncode == (1 if fault else 0)
    if fault:
        assert one["fanfare[v1] POST /api/v1/audiences"] == "FAILED"
    # Each worker cleans up what it created: every cleanup that ran passed.
    assert all(v == "PASSED" for k, v in two.items() if k == "fanfare cleanup")
