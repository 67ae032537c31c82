"""The engine's own faults: Redis unreachable at start is a clear error; Redis gone while serving is a 503
in the family's error envelope (never a wrong answer); Redis back, service resumes on the same world."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx

from mock_server.app import create_app
from mock_server.store.services import RedisServer, free_port

HEADERS = {"Authorization": "Bearer sk_test_faults"}


def test_an_unreachable_store_at_start_is_a_clear_error() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    for workers in ("1", "2"):
        started = subprocess.run(
            [
                sys.executable,
                "-m",
                "mock_server",
                "serve",
                "--port",
                str(free_port()),
                "--store",
                url,
                "--workers",
                workers,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert started.returncode == 2, started.stderr
        assert f"the store {url} cannot be reached" in started.stderr


def test_redis_gone_is_a_503_in_each_family_envelope_and_back_it_resumes() -> None:
    with RedisServer(persistent=True) as redis:
        asyncio.run(_gone_and_back(redis))


async def _gone_and_back(redis: RedisServer) -> None:
    app = create_app(store=redis.url, consumers=50)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://mock", headers=HEADERS) as client:
            await _scenario(redis, client)
    finally:
        await app.state.replica.log.close()


async def _scenario(redis: RedisServer, client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/audiences", json={"name": "Before", "type": "STATIC"})
    assert created.status_code == 201
    audience = created.json()["id"]

    redis.stop()
    for method, path, body in [
        ("POST", "/api/v1/audiences", {"name": "During", "type": "STATIC"}),
        ("GET", f"/api/v1/audiences/{audience}", None),
        ("POST", "/api/audiences", {"name": "During", "type": "STATIC_LIST"}),
        ("GET", f"/api/audiences/{audience}", None),
        ("POST", "/_mock/clock", {"advanceSeconds": 5}),
    ]:
        response = await client.request(method, path, json=body)
        assert response.status_code == 503, (path, response.text)
        assert "cannot be reached" in response.json()["error"]

    redis.start()
    assert (await client.get(f"/api/v1/audiences/{audience}")).status_code == 200
    listed = (await client.get("/api/v1/audiences")).json()
    assert [a["name"] for a in listed] == ["Before"], "no write answered 503 was applied"
    assert (
        await client.post("/api/v1/audiences", json={"name": "After", "type": "STATIC"})
    ).status_code == 201
    assert (await client.get("/_mock/clock")).json()["now"] == "2025-01-01T00:00:00Z"
