"""Record through the proxy, replay the cassette: the same mock after a reset answers the same; a broken one
is named exchange by exchange."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from contract_faults import FaultMiddleware
from contract_standin import TOKEN
from test_contract_proxy import HERE, ROWS, Served

from contracts.cli import main
from contracts.proxy import ProxyOptions, run_proxy
from contracts.replay import ReplayOptions, run_replay


@pytest.fixture
def recorded(
    mock_app_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Served, Path]]:
    """The scripted client's session through the proxy, recorded; the mock is then reset."""
    monkeypatch.setenv("FANFARE_TOKEN", TOKEN)
    upstream = Served(mock_app_factory())
    cassette = tmp_path / "session.yaml"
    options = ProxyOptions(
        upstream=upstream.url, command=(sys.executable, str(HERE / "proxy_client.py")), record=cassette
    )
    code, _, _ = run_proxy(options, lambda _: None)
    assert code == 0
    assert httpx.post(f"{upstream.url}/_mock/reset", json={}, timeout=30).status_code == 200
    yield upstream, cassette
    upstream.stop()


def test_the_cassette_is_vcr_with_the_keys_redacted(recorded: tuple[Served, Path]):
    _, cassette = recorded
    text = cassette.read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    assert document["version"] == 1 and len(document["interactions"]) == 32
    first = document["interactions"][0]
    assert first["request"]["method"] == "POST" and first["request"]["uri"].endswith("/api/v1/audiences")
    assert first["request"]["headers"]["authorization"] == ["Bearer $FANFARE_TOKEN"]
    assert first["response"]["status"] == {"code": 201, "message": "Created"}
    assert "string" in first["response"]["body"]
    assert TOKEN not in text


def test_replay_on_the_same_mock_after_a_reset_finds_no_difference(recorded: tuple[Served, Path], tmp_path):
    upstream, cassette = recorded
    lines: list[str] = []
    report = tmp_path / "replay.md"
    code = run_replay(
        ReplayOptions(cassette=cassette, base_url=upstream.url, token=TOKEN, reports=(report,)), lines.append
    )
    printed = "\n".join(lines)
    assert code == 0, printed
    assert "DIFFERENT" not in printed and "VIOLATION" not in printed
    assert "32 of 32 answers match the recording" in printed


def test_replay_on_a_broken_variant_names_each_difference(recorded: tuple[Served, Path], mock_app_factory):
    _, cassette = recorded
    broken = Served(FaultMiddleware(mock_app_factory(), ROWS["round_trip_changes_name"].make()))
    lines: list[str] = []
    try:
        code = run_replay(ReplayOptions(cassette=cassette, base_url=broken.url, token=TOKEN), lines.append)
    finally:
        broken.stop()
    different = [line for line in lines if line.startswith("DIFFERENT")]
    assert code == 1
    # The two reads by id of each family: exchanges 2 and 4 (/api/v1) and 18 and 20 (/api).
    assert [line.split(" ", 2)[1] for line in different] == ["#2", "#4", "#18", "#20"], different
    assert "body.name: 'proxy-walk' recorded, 'PROXY-WALK' now" in different[0]


def test_replay_through_the_command_line(recorded: tuple[Served, Path], tmp_path: Path, capsys):
    upstream, cassette = recorded
    html = tmp_path / "replay.html"
    code = main(
        ["replay", str(cassette), "--base-url", upstream.url, "--token", TOKEN, "--report", str(html)]
    )
    assert code == 0, capsys.readouterr().err
    assert "conforms" in html.read_text(encoding="utf-8")
    assert main(["replay", str(tmp_path / "missing.yaml"), "--base-url", upstream.url, "--token", TOKEN]) == 2
