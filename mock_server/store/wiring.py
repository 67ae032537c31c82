"""How `create_app` puts a replica between the shell and the handlers: every handler, with the hooks
that run around it (fault rules, `Prefer`), becomes what applying a command runs; the shell calls the
replica's wrapper instead. Recovery (snapshot, then the log) runs before the first request is served."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mock_server.scenarios.source import ScenarioSource
from mock_server.store.log import StoreUnavailable, open_log
from mock_server.store.replica import Replica
from mock_server.web.calls import CallAround, Handler
from mock_server.web.envelopes import Envelope
from mock_server.web.error_table import ErrorRule
from mock_server.web.middleware import compose_call_arounds


def _unavailable(error: BaseException, envelope: Envelope, body: Any) -> dict[str, Any]:
    return envelope.error(str(error))


#: The store's row of the error table: an engine out of reach is a 503 in the family's envelope.
ERRORS: Mapping[type[BaseException], ErrorRule] = {StoreUnavailable: ErrorRule(503, _unavailable)}


def replicate(
    target: str,
    state: Any,
    handlers: Mapping[str, Handler],
    call_arounds: Sequence[CallAround],
    *,
    snapshot_every: int | None = None,
) -> tuple[Replica, dict[str, Handler]]:
    """A replica of the world logged at `target`, and the handler table the shell serves through it."""
    replica = Replica(open_log(target), state, snapshot_every=snapshot_every)
    table = {
        operation_id: replica.wrap(operation_id, compose_call_arounds(call_arounds, handler))
        for operation_id, handler in handlers.items()
    }
    return replica, table


def recover(replica: Replica, scenarios: Sequence[ScenarioSource] = ()) -> tuple[bool, int]:
    """Found the world with `scenarios` if the store is new (once, whichever worker comes first), then
    replay the store into the replica now, on a loop of its own (the caller's may be running).
    Returns whether this call founded the world, and the number of commands replayed."""

    async def run() -> tuple[bool, int]:
        try:
            founded = bool(scenarios) and await replica.found(scenarios)
            return founded, await replica.catch_up()
        finally:
            await replica.log.detach()  # a connection made here belongs to this loop

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-recovery") as thread:
        return thread.submit(asyncio.run, run()).result()
