"""`fanfare-contract proxy` in front of real servers: the mock (no violation) and broken ones (each named).

The clean case is the whole product path: `fanfare-mock serve` in its own process, the proxy command in
another, the scripted client run by the proxy as `-- COMMAND`. The broken servers are the mock wrapped
in a fault of contracts/FAULTS.md, served over real HTTP by uvicorn, with the proxy in front.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from contract_faults import CATALOGUE, FaultMiddleware
from contract_standin import TOKEN
from proxy_client import drive

from contracts.exchange_judge import ExchangeJudge
from contracts.proxy import ProxyOptions, ProxyServer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mock_serve() -> Iterator[str]:
    """`fanfare-mock serve` on a free port (the real CLI), stopped afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--seed", "1", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/_mock/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError("fanfare-mock serve did not start")
        time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


class Served:
    """An ASGI app on uvicorn in a thread (real HTTP on a free port)."""

    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def test_the_proxy_passes_the_mock_through_without_a_violation(mock_serve: str, tmp_path: Path):
    reports = tmp_path / "reports"
    command = [
        sys.executable,
        "-m",
        "contracts.cli",
        "proxy",
        "--upstream",
        mock_serve,
        "--record",
        str(reports / "session.yaml"),
        "--report",
        str(reports / "proxy.html"),
        "--report",
        str(reports / "proxy.md"),
        "--junit-xml",
        str(reports / "junit.xml"),
        "--",
        sys.executable,
        str(HERE / "proxy_client.py"),
    ]
    env = {**os.environ, "FANFARE_TOKEN": TOKEN}
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env, cwd=ROOT)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "VIOLATION" not in output
    assert "proxy client: 32 requests" in output
    assert "0 failed" in output
    root = ET.parse(reports / "junit.xml").getroot()
    assert len(list(root.iter("testcase"))) > 50
    assert sum(int(s.get("failures", 0)) for s in root.iter("testsuite")) == 0
    cassette = (reports / "session.yaml").read_text(encoding="utf-8")
    assert cassette.count("- request:") == 32 and TOKEN not in cassette and "$FANFARE_TOKEN" in cassette
    assert "conforms" in (reports / "proxy.html").read_text(encoding="utf-8")


def test_the_proxy_changes_nothing_that_passes_through(mock_app_factory):
    upstream = Served(mock_app_factory())
    proxy = ProxyServer(ProxyOptions(upstream=upstream.url), ExchangeJudge(_spec()), lambda _: None)
    url = proxy.start()
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Custom": "kept", "Accept-Encoding": "identity"}
    try:
        for method, path, body in (
            ("GET", "/api/v1/audiences?first=3", None),
            ("POST", "/api/v1/audiences", b'{"name":"same bytes","type":"STATIC"}'),
            ("POST", "/api/v1/audiences", b'{"name": 5}'),
            ("GET", "/api/audiences/nope", None),
            ("DELETE", "/api/v1/audiences", None),
        ):
            direct = httpx.request(method, upstream.url + path, headers=headers, content=body, timeout=30)
            proxied = httpx.request(method, url + path, headers=headers, content=body, timeout=30)
            assert proxied.status_code == direct.status_code, path
            # Ids and timestamps move between two creates; everything else is byte for byte the same.
            assert _stable(proxied.content) == _stable(direct.content), path
            skip = {"date", "x-request-id", "content-length"}
            assert [(k, v) for k, v in proxied.headers.multi_items() if k not in skip] == [
                (k, v) for k, v in direct.headers.multi_items() if k not in skip
            ], path
    finally:
        proxy.stop()
        upstream.stop()


def _stable(content: bytes) -> bytes:
    import re

    text = re.sub(rb'"(id|createdAt|updatedAt|requestId)":"[^"]*"', b'"\\1":"*"', content)
    return re.sub(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", b"*", text)


def _spec() -> dict[str, Any]:
    import fanfare_spec

    return dict(fanfare_spec.load("fanfare"))


# One broken server per kind of check the proxy applies: the spec (status, schema, content type, 5xx),
# the request body, the error envelope, each Fanfare single-response check, and both multi-request rules.
PROXY_CATCHES = {
    "server_error": "not_a_server_error",
    "undeclared_status": "status_code_conformance",
    "missing_required_field": "response_schema_conformance",
    "wrong_content_type": "content_type_conformance",
    "accepts_invalid_body": "invalid_request_accepted",
    "wrong_envelope_guide": "fanfare_error_envelope",
    "reference_shows_static": "fanfare_type_spelling",
    "page_too_large": "fanfare_page_size",
    "search_ignored_check": "fanfare_search_filters",
    "answers_for_another_id": "fanfare_resource_identity",
    "tier_bounds_overlap": "fanfare_tiers_disjoint",
    "lists_archived": "fanfare_archived_hidden",
    "echoes_secret": "fanfare_no_secret_echo",
    "round_trip_changes_name": "fanfare_write_then_read",
    "delete_keeps_audience": "fanfare_delete_then_404",
}
ROWS = {row.name: row for row in CATALOGUE}


def _proxied_violations(app: Any) -> set[str]:
    upstream = Served(app)
    judge = ExchangeJudge(_spec())
    proxy = ProxyServer(ProxyOptions(upstream=upstream.url), judge, lambda _: None)
    try:
        drive(proxy.start(), TOKEN)
    finally:
        proxy.stop()
        upstream.stop()
    return {violation.check for violation in judge.violations}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(PROXY_CATCHES))
def test_the_proxy_names_the_broken_rule(fault: str, mock_app_factory):
    found = _proxied_violations(FaultMiddleware(mock_app_factory(), ROWS[fault].make()))
    assert PROXY_CATCHES[fault] in found, f"{fault}: expected {PROXY_CATCHES[fault]}, got {sorted(found)}"


def test_a_violation_prints_as_it_happens_and_fails_the_session(
    mock_app_factory, tmp_path: Path, monkeypatch
):
    from contracts.proxy import run_proxy

    upstream = Served(FaultMiddleware(mock_app_factory(), ROWS["delete_keeps_audience"].make()))
    lines: list[str] = []
    options = ProxyOptions(
        upstream=upstream.url,
        command=(sys.executable, str(HERE / "proxy_client.py")),
        reports=(tmp_path / "proxy.html",),
    )
    monkeypatch.setenv("FANFARE_TOKEN", TOKEN)
    try:
        code, judge, _ = run_proxy(options, lines.append)
    finally:
        upstream.stop()
    assert code == 1
    printed = "\n".join(lines)
    assert "VIOLATION fanfare_delete_then_404" in printed
    assert 'curl -sS -X GET -H "authorization: Bearer $FANFARE_TOKEN"' in printed
    assert "does NOT conform" in (tmp_path / "proxy.html").read_text(encoding="utf-8")
    assert judge.violations[0].traffic.index > 1
