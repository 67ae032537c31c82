"""A CI team's first `fanfare-contract run`, by the real console script against a real `fanfare-mock serve`:
a wrong URL or a refused key is one clear line and exit code 2 before anything is fuzzed; a real run
counts the same tests in its summary and its JUnit file, says no phase was "skipped" that it does not
count, and leaves nothing (no `.hypothesis/`) in the working directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from mock_server.store.services import ServedMock, free_port

CLI = shutil.which("fanfare-contract") or str(Path(sys.executable).with_name("fanfare-contract"))
PINNED = "sk_test_pinned_00001111"


def contract(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANFARE_", "HYPOTHESIS_"))}
    env["XDG_CACHE_HOME"] = str(cwd.parent / "cache")  # where the hypothesis cache belongs instead
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def test_an_unreachable_base_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = contract("run", "--base-url", url, "--token", "sk_test_a_0000", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"fanfare-contract: error: cannot reach {url}: [Errno 111] Connection refused "
        "(is the server running, is --base-url right?)"
    ]
    assert "schemathesis" not in done.stdout and "Connection failed" not in done.stdout


@pytest.fixture(scope="module")
def pinned_mock():
    with ServedMock("--keys", PINNED, "--consumers", "50") as served:
        yield served


@pytest.mark.parametrize(
    ("flag", "key", "said"),
    [
        ("--token", "sk_test_stranger_0000", "401 'Unknown secret key'"),
        ("--token", "pk_test_publishable", "401 'Secret key required'"),
        ("--second-token", "sk_test_stranger_0000", "401 'Unknown secret key'"),
    ],
)
def test_a_refused_key_is_one_line_and_exit_2_before_any_fuzzing(
    pinned_mock: ServedMock, tmp_path: Path, flag: str, key: str, said: str
) -> None:
    httpx.delete(f"{pinned_mock.url}/_mock/journal")
    tokens = ["--token", key] if flag == "--token" else ["--token", PINNED, "--second-token", key]
    done = contract("run", "--base-url", pinned_mock.url, *tokens, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert f"refuses the {flag} key" in line and said in line, line
    assert key not in done.stdout + done.stderr  # the key itself is never printed
    journal = httpx.get(f"{pinned_mock.url}/_mock/journal").json()
    sent = [e for e in journal["entries"] if not e["path"].startswith("/_mock")]
    assert len(sent) <= 2, [e["path"] for e in sent]  # the preflight only: nothing was fuzzed


@pytest.mark.slow
def test_a_first_run_against_serve_conforms_and_counts_right(tmp_path: Path) -> None:
    """`fanfare-mock serve` as a user starts it (demo scenario, running clock) and the README's run."""
    work = tmp_path / "project"
    work.mkdir()
    with ServedMock("--consumers", "200") as served:
        done = contract(
            "run",
            "--base-url",
            served.url,
            "--token",
            "sk_test_first_0001",
            "--second-token",
            "sk_test_second_0002",
            "--max-examples",
            "3",
            "--junit-xml",
            str(tmp_path / "junit.xml"),
            cwd=work,
        )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    counts = re.search(r"(\d+) passed, (\d+) failed, (\d+) errors, (\d+) skipped", done.stdout)
    assert counts is not None, done.stdout[-2000:]
    passed, failed, errors, skipped = map(int, counts.groups())
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert int(root.get("tests", "-1")) == passed + failed + errors + skipped
    assert (int(root.get("failures", "-1")), int(root.get("errors", "-1"))) == (failed, errors)
    assert int(root.get("skipped", "-1")) == skipped
    assert ", skip" not in done.stdout + done.stderr  # nothing is called skipped that is not counted
    assert list(work.iterdir()) == [], "the run leaves nothing in the working directory"
