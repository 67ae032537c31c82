"""From a call to the tenant it concerns."""

from __future__ import annotations

from typing import Protocol

from mock_server.domain.world import Organization, World
from mock_server.web.calls import Call


class Served(Protocol):
    """What the Admin API handlers read from the app's state (`call.state`): the world it serves."""

    @property
    def world(self) -> World: ...


def organization(call: Call) -> Organization:
    assert call.secret_key is not None, "the shell authenticates every Admin API operation"
    return call.state.world.organization_for_key(call.secret_key)  # type: ignore[no-any-return]
