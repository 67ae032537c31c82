"""`serve --workers 2 --store redis://...` hands every option to each worker exactly as one process gets
it: the control token, the public URL, the clock, the pinned keys, CORS, the journal's size; and the
scenarios found the shared world once, through the log. Every check is over real HTTP, each request on
a fresh connection (so both workers answer), on a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import redis

from mock_server.store.redis_log import LOG_KEY
from mock_server.store.services import RedisServer, ServedMock

TOKEN = "fmc_worker_options_token_0123"
KEY = "sk_test_pinned_worker_key"
OTHER = "sk_test_pinned_other_key"
PUBLIC = "http://mock.example.internal:8443/base"
ORIGIN = "http://app.example.test:3000"
ROUNDS = 12  # fresh connections per check: the kernel spreads them over both workers


class Pair:
    def __init__(self, redis_server: RedisServer) -> None:
        self.redis = redis_server
        self.served = ServedMock(
            "--store", redis_server.url, "--workers", "2", "--consumers", "60",
            "--control-token", TOKEN, "--public-url", PUBLIC, "--clock", "2025-06-01T00:00:00Z",
            "--keys", f"{KEY},{OTHER}", "--cors-origins", ORIGIN, "--journal-size", "3",
        )  # fmt: skip
        self.served.start()

    def get(self, path: str, key: str | None = KEY, **headers: str) -> httpx.Response:
        auth = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.get(f"{self.served.url}{path}", headers={**auth, **headers}, timeout=30)


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with RedisServer() as server:
        started = Pair(server)
        try:
            yield started
        finally:
            started.served.stop()


def test_the_workers_are_two(pair: Pair) -> None:
    assert len(pair.served.worker_pids()) == 2


def test_the_control_plane_needs_the_token_on_every_worker(pair: Pair) -> None:
    for _ in range(ROUNDS):
        assert pair.get("/_mock/state", key=None).status_code == 401
        assert pair.get("/_mock/journal", key=None).status_code == 401
        assert pair.get("/_mock/state", key=TOKEN).status_code == 200


def test_upload_urls_are_built_from_the_public_url_on_every_worker(pair: Pair) -> None:
    for i in range(ROUNDS):
        created = httpx.post(
            f"{pair.served.url}/api/v1/audiences",
            json={"name": f"List {i}", "type": "STATIC"},
            headers={"Authorization": f"Bearer {KEY}"},
        )
        assert created.status_code == 201, created.text
        started = httpx.post(
            f"{pair.served.url}/api/v1/audiences/{created.json()['id']}/import",
            headers={"Authorization": f"Bearer {KEY}"},
        )
        assert started.status_code == 201, started.text
        assert started.json()["uploadUrl"].startswith(f"{PUBLIC}/_mock/uploads/{started.json()['id']}?")


def test_the_clock_is_the_one_given_on_every_worker(pair: Pair) -> None:
    for _ in range(ROUNDS):
        assert pair.get("/_mock/clock", key=TOKEN).json() == {"now": "2025-06-01T00:00:00Z", "running": False}


def test_only_the_pinned_keys_are_served_on_every_worker(pair: Pair) -> None:
    for _ in range(ROUNDS):
        assert pair.get("/api/v1/audiences", key="sk_test_not_pinned_here").status_code == 401
        assert pair.get("/api/v1/audiences", key=OTHER).status_code == 200


def test_cors_allows_the_given_origin_on_every_worker(pair: Pair) -> None:
    for _ in range(ROUNDS):
        answer = pair.get("/api/v1/audiences", Origin=ORIGIN)
        assert answer.headers.get("access-control-allow-origin") == ORIGIN
        other = pair.get("/api/v1/audiences", Origin="http://localhost:5173")
        assert "access-control-allow-origin" not in other.headers


def test_the_journal_keeps_the_size_given(pair: Pair) -> None:
    for _ in range(ROUNDS):
        pair.get("/api/v1/audiences")
    for _ in range(ROUNDS):
        entries = pair.get("/_mock/journal", key=TOKEN).json()["entries"]
        assert 0 < len(entries) <= 3


def test_the_demo_founds_the_shared_world_once(pair: Pair) -> None:
    """The default scenario (demo) is one command at the head of the log, not one load per worker; the
    pinned organizations are furnished by it too."""
    log = redis.Redis.from_url(pair.redis.url).xrange(LOG_KEY, count=20)
    loads = [fields[b"c"] for _, fields in log if b'"op":"postMockScenario"' in fields[b"c"]]
    assert len(loads) == 1
    for key in (KEY, OTHER):
        names = {a["name"] for a in pair.get("/api/v1/audiences", key=key).json()}
        assert {"VIP customers", "Newsletter"} <= names


def test_a_host_joining_the_store_keeps_the_founded_world_and_loads_nothing(pair: Pair) -> None:
    with ServedMock(
        "--store", pair.redis.url, "--consumers", "60", "--keys", f"{KEY},{OTHER}", "--scenario", "none",
        "--control-token", TOKEN,
    ) as joined:  # fmt: skip
        names = {
            a["name"]
            for a in httpx.get(
                f"{joined.url}/api/v1/audiences", headers={"Authorization": f"Bearer {OTHER}"}
            ).json()
        }
        assert "VIP customers" in names
    assert "holds a world already" not in joined.output  # --scenario none: nothing to say it skipped
    log = redis.Redis.from_url(pair.redis.url).xrange(LOG_KEY)
    assert sum(b'"op":"postMockScenario"' in fields[b"c"] for _, fields in log) == 1
