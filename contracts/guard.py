"""Staging safety, enforced on every request the suite sends: read-only, budget, rate and ownership.

One `RunGuard` per run. The scripted scenarios call `admit()` before each request; schemathesis goes
through the `before_call`/`after_call` hooks registered at the bottom, which act only while a run is
active (`activate()`), so other schemathesis users in the same process are untouched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis

from contracts.families import family_of_path
from contracts.ledger import Ledger

__all__ = ["SAFE_METHODS", "BudgetExhausted", "ReadOnlyViolation", "RunGuard", "activate", "active_guard"]

SAFE_METHODS = frozenset({"GET", "HEAD"})
# Body fields that name what a create makes; positive cases get the run prefix there.
_NAME_FIELDS = ("name", "groupName")


class BudgetExhausted(RuntimeError):
    """The run has sent as many requests as `--request-budget` allows."""


class ReadOnlyViolation(RuntimeError):
    """Something tried to send a write during a `--read-only` run (a bug in the suite: it is refused)."""


class RunGuard:
    def __init__(
        self,
        *,
        ledger: Ledger,
        prefix: str,
        read_only: bool = False,
        budget: int | None = None,
        rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ledger = ledger
        self.prefix = prefix
        self.read_only = read_only
        self.budget = budget
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent = 0
        self._next_slot = 0.0
        self.refused_writes = 0
        self.rewritten_ids = 0
        #: Called once when the budget runs out (the runner stops schemathesis there).
        self.on_exhausted: Callable[[], None] | None = None
        self._exhausted_reported = False

    @property
    def sent(self) -> int:
        return self._sent

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self._sent >= self.budget

    def admit(self, method: str, path: str = "") -> None:
        """Account for one request about to be sent; wait for the rate limit; refuse what is not allowed."""
        if self.read_only and method.upper() not in SAFE_METHODS:
            with self._lock:
                self.refused_writes += 1
            raise ReadOnlyViolation(f"read-only run: refused to send {method.upper()} {path}")
        with self._lock:
            if self.budget is not None and self._sent >= self.budget:
                notify = not self._exhausted_reported
                self._exhausted_reported = True
            else:
                notify = None
                self._sent += 1
                wait = 0.0
                if self.rate:
                    now = self._clock()
                    slot = max(now, self._next_slot)
                    self._next_slot = slot + 1.0 / self.rate
                    wait = slot - now
        if notify is not None:
            if notify and self.on_exhausted is not None:
                self.on_exhausted()
            raise BudgetExhausted(f"the request budget of {self.budget} requests is spent")
        if wait > 0:
            self._sleep(wait)

    def count_unadmitted(self, n: int) -> None:
        """Requests schemathesis' checks sent on their own (probes): they count against the budget too."""
        with self._lock:
            self._sent += n
            over = self.budget is not None and self._sent >= self.budget and not self._exhausted_reported
            if over:
                self._exhausted_reported = True
        if over and self.on_exhausted is not None:
            self.on_exhausted()

    def own_path_parameters(self, method: str, parameters: dict[str, Any]) -> dict[str, Any]:
        """For a write, every id in the path must be one this run created; others become a harmless id.

        A random or foreign id is replaced by `<prefix>not-ours`, which names nothing, so the request
        still exercises the operation (a 404) without touching anybody else's data.
        """
        if method.upper() in SAFE_METHODS or not parameters:
            return parameters
        safe = dict(parameters)
        for key, value in parameters.items():
            if not (isinstance(value, str) and self.ledger.owns(value)):
                safe[key] = f"{self.prefix}not-ours"
                with self._lock:
                    self.rewritten_ids += 1
        return safe

    def prefixed(self, body: Any) -> Any:
        """A create body with the run prefix on its name (only non-empty string names are touched)."""
        if isinstance(body, dict):
            for key in _NAME_FIELDS:
                value = body.get(key)
                if isinstance(value, str) and value and not value.startswith(self.prefix):
                    body[key] = self.prefix + value
        return body


_ACTIVE: RunGuard | None = None
_ACTIVE_LOCK = threading.Lock()


def active_guard() -> RunGuard | None:
    return _ACTIVE


@contextmanager
def activate(guard: RunGuard) -> Iterator[RunGuard]:
    """Make `guard` the one schemathesis' hooks consult (runs in one process do not overlap)."""
    global _ACTIVE
    with _ACTIVE_LOCK:
        if _ACTIVE is not None:
            raise RuntimeError("another contract run is active in this process")
        _ACTIVE = guard
    try:
        yield guard
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE = None


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    guard = _ACTIVE
    if guard is None or family_of_path(case.path) is None:
        return
    if case.path_parameters:
        safe = guard.own_path_parameters(case.method, case.path_parameters)
        if safe != case.path_parameters:
            case.path_parameters = safe
    if case.method.upper() in {"POST", "PUT", "PATCH"}:
        guard.prefixed(case.body)
    guard.admit(case.method, case.formatted_path)


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    guard = _ACTIVE
    if guard is None:
        return
    body: Any = None
    if case.method.upper() in {"POST", "PUT", "PATCH"} and 200 <= response.status_code < 300:
        try:
            body = response.json()
        except Exception:  # a non-JSON success is some other check's business
            return
    guard.ledger.record_response(case.method, case.formatted_path, response.status_code, body)
