"""Bounded, given-back resources (issue 10, item 3): organizations share the seed's generated consumers
(copy on write), their number is capped, and reset and reseed give their memory back."""

from __future__ import annotations

import gc
import json
import tracemalloc
import weakref
from collections.abc import Callable
from typing import Any
from uuid import UUID

import numpy as np

from mock_server.domain.consumers import ConsumerColumns
from mock_server.domain.kernel import Clock
from mock_server.domain.world import World
from mock_server.seeding import consumer_source


def counting_source() -> tuple[list[tuple[int, int]], Callable[..., ConsumerColumns]]:
    calls: list[tuple[int, int]] = []

    def source(seed: int, n: int, progress: Any = None) -> ConsumerColumns:
        calls.append((seed, n))
        return consumer_source(seed, n, progress)

    return calls, source


def test_every_organization_of_a_seed_shares_one_generated_base() -> None:
    calls, source = counting_source()
    world = World(3, 1_000, Clock(), consumer_source=source)
    orgs = [world.organization_for_key(f"sk_test_share_{n}") for n in range(5)]
    assert calls == [(3, 1_000)]  # generated once, not once per organization
    first, other = orgs[0].consumers, orgs[1].consumers
    assert np.shares_memory(first.column("ltv_cents"), other.column("ltv_cents"))
    assert first.strings("email") is other.strings("email")
    assert first.record(10).email == other.record(10).email


def test_tenants_never_see_the_same_consumer_ids() -> None:
    world = World(3, 1_000, Clock(), consumer_source=consumer_source)
    a = world.organization_for_key("sk_test_ids_a").consumers
    b = world.organization_for_key("sk_test_ids_b").consumers
    ids_a = [a.id_of(i) for i in range(len(a))]
    ids_b = [b.id_of(i) for i in range(len(b))]
    assert not set(ids_a) & set(ids_b)
    for ids in (ids_a, ids_b):
        assert all(UUID(i).version == 7 and UUID(i).variant == "specified in RFC 4122" for i in ids)
        assert ids == sorted(ids)  # positions still follow the ids (and createdAt)
    assert [r.id for r in a.records(range(50))] == ids_a[:50]
    assert all(a.index_of_id(i) == k for k, i in enumerate(ids_a))
    assert b.index_of_id(ids_a[7]) is None  # another tenant's consumer is not found


def test_a_write_in_one_organization_is_not_seen_by_another() -> None:
    world = World(3, 1_000, Clock(), consumer_source=consumer_source)
    a = world.organization_for_key("sk_test_cow_a").consumers
    b = world.organization_for_key("sk_test_cow_b").consumers
    email = b.record(3).email
    assert a.index_of_email(email) == 3 and b.index_of_email(email) == 3
    a.update(3, email="moved@example.com", total_orders=999)
    assert a.index_of_email(email) is None and a.index_of_email("moved@example.com") == 3
    assert b.index_of_email(email) == 3 and b.index_of_email("moved@example.com") is None
    assert b.record(3).total_orders != 999 and b.record(3).email == email
    c = world.organization_for_key("sk_test_cow_c").consumers
    assert c.index_of_email(email) == 3 and c.record(3).email == email


def test_the_lookups_of_the_generated_base_are_built_once_per_seed() -> None:
    world = World(3, 1_000, Clock(), consumer_source=consumer_source)
    a = world.organization_for_key("sk_test_index_a").consumers
    b = world.organization_for_key("sk_test_index_b").consumers
    c = world.organization_for_key("sk_test_index_c").consumers
    a.index_of_email("nobody@example.com")
    a.index_of_phone("+10000000000")
    a.contains("full_name", "zz")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for table in (b, c):
            table.index_of_email("nobody@example.com")
            table.index_of_phone("+10000000000")
            table.contains("full_name", "zz")
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 40_000, grown  # one organization's own email index alone is about 100 KB


def test_a_new_organization_costs_kilobytes_not_a_copy_of_the_consumers() -> None:
    world = World(3, 1_000, Clock(), consumer_source=consumer_source)
    world.organization_for_key("sk_test_cost_0")  # the base, generated once
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(1, 201):
            world.organization_for_key(f"sk_test_cost_{n}")
        per_org = (tracemalloc.get_traced_memory()[0] - before) / 200
    finally:
        tracemalloc.stop()
    assert per_org < 50_000, per_org


def test_a_snapshot_of_the_per_organization_format_is_refused_with_a_way_forward() -> None:
    import pytest

    from mock_server.domain.kernel import Invalid

    world = World(3, 100, Clock(), consumer_source=consumer_source)
    world.organization_for_key("sk_test_old_format").consumers.update(2, full_name="Changed")
    snapshot = {**world.export(), "format": "fanfare-mock/world@1"}
    with pytest.raises(Invalid) as refused:
        World.from_snapshot(snapshot, consumer_source)
    assert refused.value.issues[0].field == "world.format"
    assert "earlier fanfare-mock" in refused.value.issues[0].message
    assert "export it again" in refused.value.issues[0].message


def test_organizations_beyond_the_cap_are_refused_and_existing_ones_keep_working() -> None:
    from mock_server.domain.world import OrganizationLimit

    world = World(3, 100, Clock(), consumer_source=consumer_source, max_organizations=2)
    first = world.organization_for_key("sk_test_cap_1")
    world.organization_for_key("sk_test_cap_2")
    import pytest

    with pytest.raises(OrganizationLimit) as refused:
        world.organization_for_key("sk_test_cap_3")
    assert "--max-organizations" in refused.value.hint and "/_mock/reset" in refused.value.hint
    assert world.organization_for_key("sk_test_cap_1") is first
    world.reset()
    world.organization_for_key("sk_test_cap_3")  # reset made room


def test_pinned_keys_are_not_counted_against_the_cap() -> None:
    keys = [f"sk_test_pinned_{n}" for n in range(4)]
    world = World(3, 100, Clock(), keys, consumer_source=consumer_source, max_organizations=2)
    world.warm()
    assert [world.organization_for_key(k).id for k in keys]


def test_a_live_mock_answers_a_key_past_its_cap_in_the_familys_envelope(start_mock: Any) -> None:
    import httpx

    mock = start_mock("--max-organizations", "2", consumers=100)

    def get(path: str, key: str) -> httpx.Response:
        return httpx.get(f"{mock.base}{path}", headers={"Authorization": f"Bearer {key}"}, timeout=10)

    assert get("/api/v1/audiences", "sk_test_live_cap_1").status_code == 200
    assert get("/api/audiences", "sk_test_live_cap_2").status_code == 200
    guide, reference = get("/api/v1/audiences", "sk_test_live_cap_3"), get("/api/audiences", "sk_test_cap_4")
    assert guide.status_code == reference.status_code == 401
    for reply in (guide, reference):
        text = json.dumps(reply.json())
        assert "--max-organizations" in text and "POST /_mock/reset" in text
    assert "error" in guide.json()  # the guide's {error, message}; the reference's own envelope
    assert get("/api/v1/audiences", "sk_test_live_cap_1").status_code == 200  # existing ones still work
    assert httpx.post(f"{mock.base}/_mock/reset", json={}, timeout=10).status_code == 200
    assert get("/api/v1/audiences", "sk_test_live_cap_3").status_code == 200


def test_the_cli_default_cap_is_the_worlds() -> None:
    from mock_server import cli
    from mock_server.domain.world import DEFAULT_MAX_ORGANIZATIONS

    assert cli.DEFAULT_MAX_ORGANIZATIONS == DEFAULT_MAX_ORGANIZATIONS
    args = cli._parser().parse_args(["serve", "--max-organizations", "25"])
    assert args.max_organizations == 25


def _state(**options: Any) -> Any:
    from mock_server.state import MockState

    return MockState(seed=3, consumers=200, **options)


def _tenants(state: Any, prefix: str, n: int = 30) -> list[weakref.ref[Any]]:
    return [weakref.ref(state.world.organization_for_key(f"sk_test_{prefix}_{k}")) for k in range(n)]


def test_reset_lets_every_dropped_organization_be_collected() -> None:
    state = _state()
    gone = _tenants(state, "reset")
    state.reset()
    state.world.organization_for_key("sk_test_after_reset")
    gc.collect()
    assert [ref for ref in gone if ref() is not None] == []


def test_reseed_lets_the_previous_world_be_collected() -> None:
    state = _state()
    gone, world = _tenants(state, "reseed"), weakref.ref(state.world)
    state.reseed(4)
    state.world.organization_for_key("sk_test_after_reseed")  # generates (and freezes) the new base
    gc.collect()
    assert world() is None and [ref for ref in gone if ref() is not None] == []


def test_reseed_with_pinned_keys_lets_the_previous_world_be_collected() -> None:
    state = _state(keys=["sk_test_pinned_a", "sk_test_pinned_b"])
    gone = [weakref.ref(org) for _, org in state.world.organizations()]
    world = weakref.ref(state.world)
    state.reseed(5)  # the new world's pinned organizations are seeded now
    gc.collect()
    assert world() is None and [ref for ref in gone if ref() is not None] == []


def test_restore_lets_the_previous_world_be_collected() -> None:
    state = _state()
    snapshot = state.export()
    gone, world = _tenants(state, "restore"), weakref.ref(state.world)
    state.restore(snapshot)
    state.world.organization_for_key("sk_test_after_restore")
    gc.collect()
    assert world() is None and [ref for ref in gone if ref() is not None] == []


def test_a_reset_of_many_organizations_gives_them_back_at_once() -> None:
    state = _state()
    gone = _tenants(state, "many", 100)
    state.reset()  # no gc.collect() here: the reset collects what it dropped
    assert [ref for ref in gone if ref() is not None] == []


def test_a_reset_forgets_the_names_of_the_tenants_it_dropped() -> None:
    state = _state(keys=None)
    for k in range(5):
        state.world.organization_for_key(f"sk_test_named_{k}")
    assert len(state.labels) == 5
    state.reset()
    assert state.labels == {}  # (kept for every key ever seen, they grew without bound across resets)


def test_every_worker_on_a_store_holds_the_cap(fanfare_redis: Any, fanfare_served: Any) -> None:
    import httpx

    served = fanfare_served(
        "--store", fanfare_redis.url, "--workers", "2", "--consumers", "50", "--max-organizations", "2"
    )

    def status(key: str) -> int:
        reply = httpx.get(f"{served.url}/api/v1/audiences", headers={"Authorization": f"Bearer {key}"})
        assert reply.status_code in (200, 401), reply.text
        return reply.status_code

    # the demo organization (serve's default) is one of the two; a second key fits, a third does not
    assert status("sk_test_store_cap_1") == 200
    assert [status(f"sk_test_store_cap_{n}") for n in (2, 3, 4)] == [401, 401, 401]
    assert [status("sk_test_store_cap_1") for _ in range(4)] == [200] * 4  # whichever worker answers


def test_a_state_file_of_the_per_organization_format_stops_the_start_with_a_clear_line(
    start_mock: Any, tmp_path: Any
) -> None:
    import socket
    import sqlite3
    import subprocess
    import sys

    kept = tmp_path / "world"
    kept.mkdir()
    start_mock("--state-file", str(kept), consumers=50).stop()
    db = sqlite3.connect(kept / "state.sqlite3")
    try:
        (data,) = db.execute("SELECT data FROM snapshot").fetchone()
        document = json.loads(data)
        document["world"]["format"] = "fanfare-mock/world@1"  # what the mock wrote before this change
        db.execute("UPDATE snapshot SET data = ?", (json.dumps(document).encode(),))
        db.commit()
    finally:
        db.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    command = [sys.executable, "-m", "mock_server", "serve", "--port", port, "--quiet"]
    command += ["--scenario", "none", "--consumers", "50", "--state-file", str(kept)]
    started = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert started.returncode == 2
    assert "Traceback" not in started.stderr
    assert "earlier fanfare-mock" in started.stderr and str(kept) in started.stderr


def test_an_organizations_own_index_derived_from_the_bases_answers_as_one_built_afresh() -> None:
    import random

    from mock_server.domain.consumers.value_index import ValueIndex

    rng = random.Random(7)
    pool = [f"v{k}" for k in range(60)] + ["", None]
    generated = [rng.choice(pool) for _ in range(300)]  # shared values and empty ones included
    values = list(generated)
    touched = set(rng.sample(range(300), 40))
    for position in touched:
        values[position] = rng.choice(pool)
    values += [rng.choice(pool) for _ in range(50)]  # appended consumers
    base = ValueIndex.build(generated)
    derived = base.changed(generated, values, touched, lambda v: v)
    fresh = ValueIndex.build(values)
    for value in [*pool[:-2], "v999"]:
        assert derived.first(value) == fresh.first(value), value
        assert derived.holds_any([value]) == fresh.holds_any([value])
    assert [base.first(v) for v in pool[:-2]] == [ValueIndex.build(generated).first(v) for v in pool[:-2]]


def test_a_dropped_organization_is_freed_without_the_cyclic_collector() -> None:
    # An organization holds no reference cycle, however it was used: dropped (a reset, a tenant reset),
    # its memory goes at once by reference counting. A reset of thousands of organizations then needs no
    # full collection (which held the loop for about 0.5 s after 1,000 demo organizations), and an
    # organization frozen by an earlier `gc.freeze()` is freed all the same.
    from mock_server.app import create_app
    from mock_server.client import InProcessClient
    from mock_server.scenarios import read

    key = "sk_test_acyclic"
    app = create_app(consumers=200, scenarios=[read("demo")])
    client = InProcessClient(app)

    def ok(method: str, path: str, headers: dict[str, str] | None = None, **options: Any) -> Any:
        headers = {"Authorization": f"Bearer {key}", **(headers or {})}
        response = client.request(method, path, headers=headers, **options)
        assert response.status_code < 300, (method, path, response.text)
        return response.json()

    ok("PUT", "/_mock/jobs/import/progression", json={"mode": "immediate", "secretKey": key})
    everyone = ok("GET", "/api/v1/audiences")
    static = next(a for a in everyone if a["type"] == "STATIC")
    dynamic = next(a for a in everyone if a["type"] == "DYNAMIC")
    made = ok("POST", "/api/v1/audiences", json={"name": "New", "type": "STATIC"})
    started = ok("POST", f"/api/v1/audiences/{made['id']}/import")
    csv = b"email,fullName\nada@example.com,Ada\nnot-an-email,Bad\n"
    upload = started["uploadUrl"].split("fanfare.test", 1)[-1]
    ok("PUT", upload, content=csv, headers={"content-type": "text/csv"})
    page = ok("GET", f"/api/v1/audiences/{dynamic['id']}/members?limit=5")
    some = [member["id"] for member in page["data"]]
    ok("POST", f"/api/v1/audiences/{static['id']}/members", json={"consumerIds": some})
    rule = {"field": "totalOrders", "operator": "GREATER_THAN", "values": [2]}
    ok("POST", f"/api/v1/audiences/{dynamic['id']}/rules", json=[rule])
    ok("POST", "/api/v1/audiences/import/klaviyo", json={"listIds": ["YwxYPP"]})
    for audience in ok("GET", "/api/v1/audiences"):
        ok("GET", f"/api/v1/audiences/{audience['id']}/status")
    ok("POST", "/api/v1/experiences", json={"name": "Drop", "openAt": "2025-03-01T00:00:00Z"})
    ok("DELETE", f"/api/v1/audiences/{static['id']}")  # the archive cascade
    state = app.state
    org = weakref.ref(state.world.organization_for_key(key))
    gc.collect()
    gc.disable()
    try:
        state.world.reset(key)
        assert org() is None, "the dropped organization waits for the cyclic collector: it holds a cycle"
    finally:
        gc.enable()
        client.close()
