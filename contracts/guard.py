"""Staging safety, enforced on every request the suite sends: read-only, budget, rate and ownership.

One `RunGuard` per run. The scripted scenarios call `admit()` before each request; schemathesis goes
through the `before_call`/`after_call` hooks registered at the bottom, which act only while a run is
active (`activate()`), so other schemathesis users in the same process are untouched.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis

from contracts.coverage import Coverage
from contracts.families import family_of_path
from contracts.ledger import Ledger
from contracts.schemathesis_adapter import failure_checks, is_positive_at

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
        #: Cursors the target handed out: the only ones a positive (schema-valid) case may send.
        self.cursors: set[str] = set()
        #: Operation label -> documented business-rule 400 texts (see spec_facts).
        self.business_rejections: dict[str, frozenset[str]] = {}
        #: Ids a successful DELETE of this run named (a group goes through two routes, see filter_failure).
        self.deleted_ids: set[str] = set()
        #: Path -> the methods the FULL spec declares there (schemathesis sees a pruned copy).
        self.declared_methods: dict[str, frozenset[str]] = {}
        #: Fed every answer's status (the report's coverage matrix); None: nobody is counting.
        self.coverage: Coverage | None = None

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

    def remember_cursors(self, body: Any) -> None:
        page_info = body.get("pageInfo") if isinstance(body, dict) else None
        if isinstance(page_info, dict):
            for key in ("startCursor", "endCursor"):
                if isinstance(page_info.get(key), str):
                    with self._lock:
                        self.cursors.add(page_info[key])

    def known_cursor(self, value: Any) -> bool:
        with self._lock:
            return isinstance(value, str) and value in self.cursors

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
    # Cursors are opaque tokens the server issues: a made-up one is not valid data, whatever its shape.
    if (
        case.query
        and "after" in case.query
        and is_positive_at(case, "query")
        and not guard.known_cursor(case.query["after"])
    ):
        del case.query["after"]
    if case.method.upper() in {"POST", "PUT", "PATCH"}:
        guard.prefixed(case.body)
        if is_positive_at(case, "body"):
            _align_rule_owner(case)
    guard.admit(case.method, case.formatted_path)


def _align_rule_owner(case: Any) -> None:
    """Reference rule bodies repeat the path's audienceId (facts 5.5): a valid case agrees with its path."""
    owner = (case.path_parameters or {}).get("audienceId")
    if owner is None or "/rules" not in case.path or not case.path.startswith("/api/audiences/"):
        return
    body = case.body
    if isinstance(body, dict):
        if "audienceId" in body:
            body["audienceId"] = owner
        rules = body.get("rules")
        for rule in rules if isinstance(rules, list) else ():  # a schema may allow other members
            if isinstance(rule, dict) and "audienceId" in rule:
                rule["audienceId"] = owner


# Checks that judge a request by the resource its path names: once the guard swapped the id, their
# verdict is about our substitute, not about the server.
_RESOURCE_CHECKS = frozenset({"ensure_resource_availability", "use_after_free"})


_METHOD_CHECKS = frozenset({"unsupported_method", "allow_header_conformance"})
_IMPLICIT = frozenset({"HEAD", "OPTIONS"})


def _pruned_method_verdict(failure: Any, case: Any, response: Any, declared: frozenset[str]) -> bool:
    """Whether a method verdict only comes from the run's focus hiding methods the full spec declares."""
    if "unsupported_method" in failure_checks(failure):
        return case.method.upper() in declared
    values = response.headers.get("allow") or response.headers.get("Allow") or []
    advertised = {m.strip().upper() for value in values for m in value.split(",") if m.strip()}
    return advertised - _IMPLICIT == declared - _IMPLICIT


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure, except two that are not the server's fault.

    A resource check on a request whose path id the guard replaced, and a schema-valid request refused
    with a business rule the spec documents.
    """
    guard = _ACTIVE
    if guard is None:
        return True
    checks = failure_checks(failure)
    declared = guard.declared_methods.get(case.path)
    if (
        declared is not None
        and checks & _METHOD_CHECKS
        and _pruned_method_verdict(failure, case, response, declared)
    ):
        return False
    ids = [str(value) for value in (case.path_parameters or {}).values()]
    swapped = f"{guard.prefix}not-ours" in ids
    # An id this run deleted through another route (`DELETE /audiences/groups/{id}` removes what
    # `/audiences/loyalty-tiers/{id}` made; schemathesis only connects deletes on the same path).
    deleted_elsewhere = "ensure_resource_availability" in checks and any(v in guard.deleted_ids for v in ids)
    if checks & _RESOURCE_CHECKS and (swapped or deleted_elsewhere):
        return False
    if swapped and "positive_data_acceptance" in checks:
        # The guard rewrote this case (an id that was not ours became `...not-ours`, in the path and
        # wherever the body repeats it): it no longer carries the data schemathesis generated as valid.
        return False
    if "positive_data_acceptance" not in checks:
        return True
    documented = guard.business_rejections.get(case.operation.label)
    if not documented or response.status_code != 400:
        return True
    try:
        body = json.loads(response.content)
    except Exception:
        return True
    if not isinstance(body, dict):
        return True
    return body.get("error") not in documented and body.get("message") not in documented


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    guard = _ACTIVE
    if guard is None:
        return
    if guard.coverage is not None:
        guard.coverage.saw(case.operation.label, response.status_code)
    if not 200 <= response.status_code < 300:
        return
    if case.method.upper() == "DELETE":
        guard.deleted_ids.update(str(value) for value in (case.path_parameters or {}).values())
    try:
        # The standard library's parser: it takes lone surrogates (fuzzed names have them), orjson does not.
        body = json.loads(response.content)
    except Exception:  # a non-JSON success is some other check's business
        return
    guard.remember_cursors(body)
    guard.ledger.record_response(case.method, case.formatted_path, response.status_code, body)
