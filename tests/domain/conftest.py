"""Shared builders: hand-made consumer tables and small seeded worlds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from mock_server.domain.consumers import ConsumerTable, empty_columns
from mock_server.domain.kernel import Clock, IdFactory
from mock_server.domain.world import Organization, World
from mock_server.seeding import consumer_source


def make_table(rows: Sequence[Mapping[str, Any]], clock: Clock | None = None) -> ConsumerTable:
    clock = clock or Clock()
    table = ConsumerTable("org-test", clock, IdFactory(clock, "consumers"), empty_columns())
    for row in rows:
        table.append(**row)
    return table


def make_org(rows: Sequence[Mapping[str, Any]], clock: Clock | None = None) -> Organization:
    clock = clock or Clock()
    return Organization(
        "org-test", clock, IdFactory(clock, "org"), make_table(rows, clock), actor="apikey_test"
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world_factory() -> Callable[..., World]:
    def build(seed: int = 7, n: int = 3_000, **kw: Any) -> World:
        return World(seed, n, kw.pop("clock", None) or Clock(), consumer_source=consumer_source, **kw)

    return build


@pytest.fixture
def org(world_factory: Callable[..., World]) -> Organization:
    return world_factory().organization_for_key("sk_test_alpha")
