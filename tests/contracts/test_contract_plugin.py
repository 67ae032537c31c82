"""The pytest route: inert without options; with them, the suite's checks and scenarios as pytest tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
