"""The command line: usage errors are exit 2, a run over real HTTP writes its reports and exits 0 or 1."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from contract_standin import SECOND, TOKEN, StandIn, standin_spec

from contracts.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["run"],
        ["run", "--base-url", "http://x"],  # no token
        ["run", "--base-url", "ftp://x", "--token", TOKEN],
        ["run", "--base-url", "http://x", "--token", TOKEN, "--rate-limit", "fast"],
        ["run", "--base-url", "http://x", "--token", TOKEN, "--phases", "examples,warp"],
        ["run", "--base-url", "http://x", "--token", TOKEN, "--family", "v2"],
        ["run", "--base-url", "http://x", "--token", TOKEN, "--max-examples", "0"],
        ["run", "--base-url", "http://x", "--token", TOKEN, "--second-token", TOKEN],
        ["run", "--base-url", "http://x", "--token", TOKEN, "--scenario", "no_such_scenario"],
        ["drift", "--base-url", "http://x"],
    ],
)
def test_usage_errors_exit_2(argv, capsys, monkeypatch):
    monkeypatch.delenv("FANFARE_TOKEN", raising=False)
    monkeypatch.delenv("FANFARE_SECOND_TOKEN", raising=False)
    with pytest.raises(SystemExit) as raised:
        code = main(argv)
        raise SystemExit(code)
    assert raised.value.code == 2
    assert "error" in capsys.readouterr().err


def test_list_names_every_check_and_scenario(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "fanfare_error_envelope" in out and "tenant_isolation" in out


@pytest.fixture
def live_standin() -> Iterator[tuple[str, StandIn]]:
    app = StandIn(consumers=30)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)


def test_a_run_over_http_writes_reports_and_exits_0(live_standin, tmp_path: Path, capsys):
    url, app = live_standin
    spec = tmp_path / "standin.json"
    import json

    spec.write_text(json.dumps(standin_spec()))
    code = main(
        [
            "run",
            "--base-url",
            url,
            "--token",
            TOKEN,
            "--second-token",
            SECOND,
            "--family",
            "v1",
            "--spec",
            str(spec),
            "--phases",
            "coverage,stateful",
            "--max-examples",
            "3",
            "--seed",
            "3",
            "--scenario",
            "audience_create_get_round_trip",
            "--scenario",
            "tenant_isolation",
            "--junit-xml",
            str(tmp_path / "junit.xml"),
            "--report",
            str(tmp_path / "report.md"),
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "CONFORMS" in out and TOKEN not in out and SECOND not in out
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert int(root.get("tests", "0")) > 20 and root.get("failures") == "0"
    assert "CONFORMS" in (tmp_path / "report.md").read_text()
    assert any(method == "POST" for method, _ in app.requests)


def test_a_failing_target_exits_1_with_a_redacted_curl(live_standin, tmp_path: Path, capsys):
    url, app = live_standin
    original = app.handle

    async def first_is_ignored(request):  # type: ignore[no-untyped-def]
        response = await original(request)
        if request.url.path.endswith("/members") and response.status_code == 400:
            from starlette.responses import JSONResponse

            return JSONResponse({"data": [], "pageInfo": {"startCursor": None, "endCursor": None}})
        return response

    app.handle = first_is_ignored  # type: ignore[method-assign]
    spec = tmp_path / "standin.json"
    import json

    spec.write_text(json.dumps(standin_spec()))
    code = main(
        [
            "run",
            "--base-url",
            url,
            "--token",
            TOKEN,
            "--family",
            "v1",
            "--spec",
            str(spec),
            "--no-fuzz",
            "--scenario",
            "members_first_maximum",
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "members_first_maximum[v1]" in out and "first=101 accepted" in out
    assert '-H "Authorization: Bearer $FANFARE_TOKEN"' in out and TOKEN not in out


def test_the_console_script_module_runs(tmp_path: Path):
    completed = subprocess.run(
        [sys.executable, "-m", "contracts.cli", "list"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
