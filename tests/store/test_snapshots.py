"""Snapshots bound the replay at start: a restart restores the latest snapshot and replays only the log
past it, and the world it rebuilds is the same, byte for byte, as one replayed from the first command."""

from __future__ import annotations

import asyncio
import sqlite3
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from mock_server.app import create_app
from mock_server.store import replica

HEADERS = {"Authorization": "Bearer sk_test_snapshots"}


async def _write_and_export(path: str, writes: int) -> bytes:
    app = create_app(store=path, consumers=40)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://mock", headers=HEADERS) as client:
            members = await client.post(
                "/api/v1/audiences",
                json={
                    "name": "Everyone",
                    "type": "DYNAMIC",
                    "rules": [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [0]}],
                },
            )
            assert members.status_code == 201
            for i in range(writes):
                created = await client.post("/api/v1/audiences", json={"name": f"a{i}", "type": "STATIC"})
                assert created.status_code == 201
                assert (await client.post("/_mock/clock", json={"advanceSeconds": 1})).status_code == 200
            return (await client.get("/_mock/state")).content
    finally:
        await app.state.replica.log.close()


async def _export(path: str) -> tuple[bytes, int]:
    app = create_app(store=path, consumers=40)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://mock"
        ) as client:
            return (await client.get("/_mock/state")).content, app.state.replica.applied
    finally:
        await app.state.replica.log.close()


def test_a_restart_replays_only_past_the_latest_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replica, "SNAPSHOT_EVERY", 10)
    monkeypatch.setattr(replica, "SNAPSHOT_GROWTH", 0)  # every 10 commands, however large the world
    path = str(tmp_path / "state.sqlite3")
    before = asyncio.run(_write_and_export(path, 23))  # 1 + 46 commands: snapshots at 10, 20, 30, 40
    db = sqlite3.connect(path)
    (position,) = db.execute("SELECT position FROM snapshot").fetchone()
    (rows,) = db.execute("SELECT count(*) FROM log").fetchone()
    db.close()
    assert position == 40 and rows == 7, "the snapshot covers the log up to it; the rows it covers are gone"
    after, replayed = asyncio.run(_export(path))
    assert replayed == 7
    assert after == before

    monkeypatch.setattr(replica, "SNAPSHOT_EVERY", 10_000)  # the same history without snapshots
    unsnapshotted = str(tmp_path / "plain.sqlite3")
    assert asyncio.run(_write_and_export(unsnapshotted, 23)) == before
    assert asyncio.run(_export(unsnapshotted)) == (before, 47)


async def _snapshot_gaps(path: str, writes: int) -> list[tuple[int, int, int]]:
    """(commands applied, command bytes since the last snapshot, size of the last snapshot) at each
    snapshot written while `writes` audiences with a long description are created."""
    app = create_app(store=path, consumers=40)
    replica_ = app.state.replica
    gaps: list[tuple[int, int, int]] = []
    snapshot = replica_._snapshot

    async def recording() -> None:
        gaps.append((replica_.applied, replica_._bytes_since_snapshot, replica_._snapshot_bytes))
        await snapshot()

    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://mock", headers=HEADERS
        ) as client:
            await client.get("/api/v1/audiences")  # the organization exists before the first snapshot
            replica_._snapshot = recording
            for i in range(writes):
                body = {"name": f"a{i}", "type": "STATIC", "description": "x" * 500}
                assert (await client.post("/api/v1/audiences", json=body)).status_code == 201
    finally:
        await replica_.log.close()
    return gaps


def test_snapshots_grow_apart_as_the_world_grows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each snapshot costs the size of the world; one per half a snapshot's bytes of new commands keeps
    # that cost constant per command (a snapshot every 1,000 commands of a growing world does not).
    monkeypatch.setattr(replica, "SNAPSHOT_EVERY", 2)
    gaps = asyncio.run(_snapshot_gaps(str(tmp_path / "state.sqlite3"), 120))
    assert len(gaps) >= 3, gaps
    for applied, since, last in gaps:
        assert since >= replica.SNAPSHOT_GROWTH * last, (applied, since, last)
    spacing = [b[0] - a[0] for a, b in pairwise(gaps)]
    assert spacing[-1] > spacing[0] >= 2, spacing  # more commands between snapshots as the world grows
