"""The replica: this worker's in-memory world, kept equal to the log by applying every command in order.

A call that may change the world is appended as a command and answered from applying it here, after
everything before it (so every write is linearized by the engine's order). A pure read first catches up
with the log (`sync`), so it sees every write acknowledged before it arrived, from any worker. Appends
and catch-ups of concurrent requests share one round trip (a group commit): a request waits for the
first exchange that starts after it arrived.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers

from mock_server.domain.imports import check_declared_size
from mock_server.domain.kernel import DomainError
from mock_server.scenarios.source import ScenarioSource
from mock_server.store.commands import Command
from mock_server.store.log import Encoded, Entry, Log, StoreUnavailable, position_key
from mock_server.store.reads import QuietTenants, may_read
from mock_server.web.calls import Call, Handler, Reply
from mock_server.web.operations import Operation

logger = logging.getLogger("fanfare_mock.store")

#: A snapshot is written after at least this many applied commands (bounds the replay at start) ...
SNAPSHOT_EVERY = 1_000
#: ... and once the commands applied since the last one add up to this share of its size in bytes. Writing
#: a snapshot of a world of S bytes costs O(S) on the event loop, so one per S/2 bytes of new commands
#: keeps its cost constant per command as the world grows (a snapshot every 1,000 creates of a growing
#: world held the loop more and more often: create p90 583 ms on Redis); a restart replays at most
#: max(1,000 commands, half a snapshot's bytes).
SNAPSHOT_GROWTH = 0.5
#: Request headers a handler (or the `Prefer`/fault hook) reads, kept in the command.
_KEPT_HEADERS = ("content-length", "content-type", "prefer")


@dataclass(slots=True)
class _Proposal:
    encoded: Encoded
    reply: asyncio.Future[Reply]
    call: Call


class Replica:
    def __init__(self, log: Log, state: Any, *, snapshot_every: int | None = None) -> None:
        self.log = log
        self.state = state
        self.position = log.origin
        self.applied = 0
        self._restored = 0
        self.snapshot_every = SNAPSHOT_EVERY if snapshot_every is None else snapshot_every
        self._since_snapshot = 0
        self._bytes_since_snapshot = 0
        self._snapshot_bytes = 0
        self._operations: dict[str, Operation] = {}
        self._chains: dict[str, Handler] = {}
        self._proposals: list[_Proposal] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._mine: dict[str, _Proposal] = {}
        self._runner: asyncio.Task[None] | None = None
        self._reads = QuietTenants()

    # ---- wiring --------------------------------------------------------------------------------------
    def wrap(self, operation_id: str, chain: Handler) -> Handler:
        """The handler the shell calls for `operation_id`; `chain` is what applying a command runs."""
        self._chains[operation_id] = chain

        async def replicated(call: Call) -> Reply:
            if may_read(call):
                if not self.log.settled(self.position):
                    await self.sync()
                elif self.log.renewal_due:
                    self._renew()
                if self._reads.pure(call, (self.applied, self._restored)):
                    return await chain(call)
            return await self.propose(call)

        replicated.__name__ = getattr(chain, "__name__", operation_id)
        return replicated

    def bind(self, operations: dict[str, Operation]) -> None:
        self._operations.update(operations)

    # ---- requests --------------------------------------------------------------------------------------
    async def sync(self) -> None:
        """Return once every entry appended before this call is applied here."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._kick()
        await waiter

    def _renew(self) -> None:
        """One exchange in the background (it renews the read lease), unless one is under way."""
        if self._runner is not None and not self._runner.done():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter.add_done_callback(lambda done: done.cancelled() or done.exception())  # nobody awaits it
        self._waiters.append(waiter)
        self._kick()

    async def propose(self, call: Call) -> Reply:
        raw: bytes | None = None
        if call._receive is not None:  # a streamed body (the CSV upload): the command carries the bytes
            chunks, size = [], 0
            async for chunk in call.receive_chunks():
                size += len(chunk)
                check_declared_size(size)
                chunks.append(chunk)
            raw = b"".join(chunks)
        command = Command(
            operation_id=call.operation.operation_id,
            path_params=call.path_params,
            query=call.query,
            body=call.body,
            secret_key=call.secret_key,
            headers={name: value for name in _KEPT_HEADERS if (value := call.headers.get(name)) is not None},
            instant=self.state.clock.now(),
            raw_body=raw,
        )
        proposal = _Proposal(command.encode(), asyncio.get_running_loop().create_future(), call)
        self._proposals.append(proposal)
        self._kick()
        reply = await proposal.reply
        notes = call.exchange.notes if call.exchange is not None else None
        if notes and notes.get("delay_ms"):  # a latency rule: applying never sleeps, the answer does
            await asyncio.sleep(notes["delay_ms"] / 1000)
        return reply

    # ---- the rounds ------------------------------------------------------------------------------------
    def _kick(self) -> None:
        if self._runner is None or self._runner.done():
            self._runner = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while self._proposals or self._waiters:
            proposals, self._proposals = self._proposals, []
            waiters, self._waiters = self._waiters, []
            try:
                await self._exchange(proposals)
            except Exception as error:  # the runner must outlive anything, or its waiters hang
                if not isinstance(error, StoreUnavailable):
                    logger.exception("a store exchange failed")
                    error = StoreUnavailable(f"the store exchange failed: {error!r}")
                for proposal in [*proposals, *self._mine.values()]:
                    _fail(proposal.reply, error)
                self._mine.clear()
                for waiter in waiters:
                    _fail(waiter, error)
                continue
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def _exchange(self, proposals: list[_Proposal]) -> None:
        ids, entries, more, restore = await self.log.exchange([p.encoded for p in proposals], self.position)
        self._mine.update(zip(ids, proposals, strict=True))
        await self._apply(entries, restore)
        while more:
            _, entries, more, restore = await self.log.exchange((), self.position)
            await self._apply(entries, restore)
        for proposal in proposals:  # read past its own position, so every proposal has been applied
            _fail(proposal.reply, StoreUnavailable("the store lost an appended command"))

    async def found(self, scenarios: Sequence[ScenarioSource]) -> bool:
        """Append the loading of `scenarios` as the first commands of a new log (`POST /_mock/scenario`
        each), so every worker builds them the same way, once. False if the store holds a world."""
        instant = self.state.clock.now()
        commands = [
            Command("postMockScenario", {}, {}, s.data, None, {"content-type": "application/json"}, instant)
            for s in scenarios
        ]
        return await self.log.found([c.encode()[0] for c in commands])

    async def catch_up(self) -> int:
        """At start: restore the latest snapshot (writing the first one if there is none), then apply
        the log past it. Returns the number of commands replayed."""
        kept = await self.log.latest_snapshot()
        if kept is None:
            await self.log.save_snapshot(self.log.origin, _encode(self.state))
            kept = await self.log.latest_snapshot()
            assert kept is not None
        self._restore(*kept)
        before = self.applied
        more = True
        while more:
            _, entries, more, restore = await self.log.exchange((), self.position)
            await self._apply(entries, restore)
        return self.applied - before

    def _restore(self, position: str, data: bytes) -> None:
        document = json.loads(data)
        self.state.restore(document)
        if "scenarios" in document:
            self.state.scenarios.restore(document["scenarios"])
        self.position = position
        self._restored += 1  # what the quiet-read cache knew is about another world
        self._since_snapshot = self._bytes_since_snapshot = 0
        self._snapshot_bytes = len(data)

    def _skip_to(self, position: str, data: bytes) -> None:
        """The log was trimmed past this replica (it was idle while others wrote a snapshot's worth):
        restore the snapshot. A command of its own the snapshot already holds (only possible after a
        bounded read left it unread) has an unknown outcome: answered 503, like a timeout."""
        at = position_key(position)
        for entry_id in [i for i in self._mine if position_key(i) <= at]:
            _fail(
                self._mine.pop(entry_id).reply, StoreUnavailable("the store moved past a command in flight")
            )
        self._restore(position, data)

    async def _apply(self, entries: list[Entry], restore: tuple[str, bytes] | None = None) -> None:
        if restore is not None:
            self._skip_to(*restore)
        for position, data, raw in entries:
            proposal = self._mine.pop(position, None)
            try:
                command = Command.decode(data, raw)
                reply = await self._execute(command, proposal.call if proposal is not None else None)
            except Exception as error:
                if proposal is not None:
                    _fail(proposal.reply, error)
                elif not isinstance(error, DomainError):
                    logger.exception("applying the command at %s failed", position)
            else:
                if proposal is not None and not proposal.reply.done():
                    proposal.reply.set_result(reply)
            self.position = position
            self.applied += 1
            self._since_snapshot += 1
            self._bytes_since_snapshot += len(data) + len(raw or b"")
        if (
            self._since_snapshot >= self.snapshot_every
            and self._bytes_since_snapshot >= SNAPSHOT_GROWTH * self._snapshot_bytes
        ):
            await self._snapshot()

    async def _execute(self, command: Command, original: Call | None) -> Reply:
        clock, book = self.state.clock, self.state.scenarios
        if clock.running:  # times and ids come from the instant the command was decided, on every worker
            clock.hold(command.instant)
        wall, book.wall = book.wall, lambda: command.instant.replace(microsecond=0)  # `clock: real` too
        try:
            return await self._run_command(command, original)
        finally:
            book.wall = wall
            clock.release()

    def _run_command(self, command: Command, original: Call | None) -> Awaitable[Reply]:
        call = Call(
            self._operations[command.operation_id],
            command.path_params,
            command.query,
            command.body,
            Headers(command.headers),
            command.secret_key,
            self.state,
            original.request_id if original is not None else f"replay-{command.operation_id}",
            original.exchange if original is not None else None,
            command.raw_body,
            None,
            replayed=True,
        )
        run: Callable[[Call], Awaitable[Reply]] = self._chains[command.operation_id]
        return run(call)

    async def _snapshot(self) -> None:
        if self.state.faults.rules:
            return  # fault rules are not part of the world's snapshot; keep replaying until they are gone
        self._since_snapshot = self._bytes_since_snapshot = 0
        try:
            # One writer per store: the others (or this one, when a snapshot was just kept) skip this one
            # and count again from here.
            granted, kept = await self.log.claim_snapshot(self.position, self.snapshot_every)
            if kept:
                self._snapshot_bytes = kept  # the store's snapshot, whoever wrote it, sets the next gap
            if not granted:
                return
            size = await self.log.save_encoded(self.position, lambda: _encode(self.state))
            if size is not None:
                self._snapshot_bytes = size
        except Exception as error:  # a snapshot is an optimisation: the log alone is the world
            logger.warning("snapshot not written: %r", error)


def _encode(state: Any) -> bytes:
    """The world, and the scenarios that furnish its new organizations (they are not the world's export,
    but a worker restoring the snapshot must build a new organization as every other one does)."""
    snapshot = state.export()
    snapshot["scenarios"] = state.scenarios.dump()
    # The stdlib's json, not orjson: a snapshot holds 128-bit id-generator states (orjson stops at 64).
    return json.dumps(snapshot, separators=(",", ":")).encode()


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():  # a waiter whose request was cancelled is done already
        future.set_exception(error)
