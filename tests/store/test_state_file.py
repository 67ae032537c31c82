"""`serve --state-file`: the world outlives the process. kill -9 during a write load loses no write that
was answered 2xx; a clean restart gives the same world byte for byte; one process owns a file."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest
from store_http import HEADERS, create_audience, everyone, fresh_get

from mock_server.store.services import ServedMock, free_port

pytestmark = pytest.mark.slow


def test_kill_9_during_a_write_load_loses_no_acknowledged_write(tmp_path: Path) -> None:
    served = ServedMock("--state-file", str(tmp_path), "--consumers", "200").start()
    consumers = everyone(served.url, 100)
    listed = create_audience(served.url, "Members")
    created: list[str] = []
    members: list[str] = []
    stop = threading.Event()

    def write(n: int) -> None:
        i = 0
        with httpx.Client(base_url=served.url, headers=HEADERS, timeout=10) as client:
            while not stop.is_set():
                i += 1
                try:
                    response = client.post("/api/v1/audiences", json={"name": f"w{n}-{i}", "type": "STATIC"})
                    if response.status_code == 201:
                        created.append(response.json()["id"])
                    if n == 0 and i <= len(consumers):
                        added = client.post(
                            f"/api/v1/audiences/{listed}/members", json={"consumerIds": [consumers[i - 1]]}
                        )
                        if added.status_code == 200:
                            members.append(consumers[i - 1])
                except httpx.TransportError:
                    return  # the server is gone: this request was never acknowledged

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    served.kill()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(created) > 20

    again = ServedMock("--state-file", str(tmp_path), "--consumers", "200", port=served.port).start()
    try:
        for audience in created:
            assert fresh_get(again.url, f"/api/v1/audiences/{audience}").status_code == 200, audience
        count = fresh_get(again.url, f"/api/v1/audiences/{listed}/count").json()["count"]
        assert count >= len(members)  # an add in flight at the kill may have been written, never lost
    finally:
        again.stop()


@pytest.mark.parametrize("clock", [("--clock", "2025-01-01T00:00:00Z"), ()], ids=["frozen", "running"])
def test_a_restart_gives_back_the_same_world_byte_for_byte(tmp_path: Path, clock: tuple[str, ...]) -> None:
    """Frozen, the whole export is the same bytes; running (serve's default), everything but the clock's
    own reading is: every time and id was decided by the instant its command was, not by the replay."""
    path = str(tmp_path / "world.sqlite3")
    options = ("--state-file", path, "--consumers", "100", *clock)
    with ServedMock(*options) as served:
        consumers = everyone(served.url, 30)
        listed = create_audience(served.url, "Kept")
        with httpx.Client(base_url=served.url, headers=HEADERS) as client:
            assert (
                client.post(
                    f"/api/v1/audiences/{listed}/members", json={"consumerIds": consumers}
                ).status_code
                == 200
            )
            assert client.post("/_mock/clock", json={"advanceSeconds": 90}).status_code == 200
            create_audience(served.url, "After the jump")
        before = httpx.get(f"{served.url}/_mock/state").content
    with ServedMock(*options) as served:
        after = httpx.get(f"{served.url}/_mock/state").content
    if clock:
        assert after == before
    else:
        world_before, world_after = orjson.loads(before)["world"], orjson.loads(after)["world"]
        assert world_after.pop("clock")["now"] >= world_before.pop("clock")["now"]
        assert world_after == world_before


def test_a_second_process_on_the_same_file_is_refused_clearly(tmp_path: Path) -> None:
    path = str(tmp_path / "world.sqlite3")
    with ServedMock("--state-file", path):
        second = subprocess.run(
            [sys.executable, "-m", "mock_server", "serve", "--port", str(free_port()), "--state-file", path],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert second.returncode == 2
    assert "in use by another fanfare-mock process" in second.stderr
