"""Drive schemathesis (its Python engine, in-process) over the spec and turn its events into outcomes.

Why the Python engine and not the CLI in a subprocess: the same code then tests a URL or an ASGI app
in-process (the CLI lost `--app` in 4.x), our checks and safety hooks are registered by import instead
of `SCHEMATHESIS_HOOKS`, and the event stream gives us every case, check and interaction to build
distinct JUnit names, curls with the key redacted, and progress lines. schemathesis is pinned below 5.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status as EngineStatus
from schemathesis.engine import events, from_schema

import contracts.checks  # noqa: F401  (registers the Fanfare checks)
from contracts.curl import curl_command
from contracts.families import Family, family_of_path
from contracts.guard import BudgetExhausted, ReadOnlyViolation, RunGuard
from contracts.options import RunOptions
from contracts.results import Outcome, Problem, RunResult, Status

__all__ = ["build_config", "load_schema", "run_schemathesis"]

Progress = Callable[[str], None]


def _rate(rate: float) -> str:
    if rate >= 1:
        return f"{max(1, int(rate))}/s"
    return f"{max(1, int(rate * 60))}/m"


SAFE_PROBE_METHODS = ("GET", "OPTIONS", "TRACE", "QUERY")


def build_config(options: RunOptions) -> dict[str, Any]:
    """The schemathesis configuration (the same keys as schemathesis.toml), built explicitly.

    Passing it explicitly also means no `schemathesis.toml` of the current directory leaks in.
    """
    phases: dict[str, Any] = {
        name: {"enabled": name in options.phases} for name in ("examples", "fuzzing", "stateful")
    }
    phases["coverage"] = {"enabled": "coverage" in options.phases}
    if options.read_only:
        # The coverage phase also sends undeclared methods (for `unsupported_method`): none of that here.
        phases["coverage"]["unexpected-methods"] = []
    elif options.app is None and not options.probe_all_methods:
        # An undeclared DELETE on a collection path names no id the guard could swap; a real server with
        # an undocumented bulk route would act on it. Remote targets get only harmless probes.
        phases["coverage"]["unexpected-methods"] = list(SAFE_PROBE_METHODS)
    config: dict[str, Any] = {
        "base-url": options.base_url.rstrip("/"),
        "headers": {"Authorization": f"Bearer {options.token}"},
        "generation": {
            "max-examples": options.max_examples,
            "no-shrink": not options.shrink,
            "database": "none",
        },
        "phases": phases,
        "suppress-health-check": ["all"],
        # Every failure of an operation, not just its first: a conformance report lists them all.
        "continue-on-failure": True,
        "request-timeout": options.request_timeout,
    }
    if options.seed is not None:
        config["seed"] = options.seed
    if options.max_failures is not None:
        config["max-failures"] = options.max_failures
    if options.rate_limit:
        config["rate-limit"] = _rate(options.rate_limit)
    return config


_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def prune_spec(spec: dict[str, Any], keep: Callable[[str, str], bool]) -> dict[str, Any]:
    """A copy of the spec with only the operations `keep(METHOD, path)` accepts, and no links to the others.

    schemathesis' `include()` filters what its phases generate, but the stateful phase still walks
    links into filtered-out operations (4.32); pruning the document is the only fence it respects.
    """
    pruned = copy.deepcopy(spec)
    kept_ids: set[str] = set()
    paths: dict[str, Any] = {}
    for path, item in (pruned.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        remaining = {
            key: value for key, value in item.items() if key not in _METHODS or keep(key.upper(), path)
        }
        if any(key in _METHODS for key in remaining):
            paths[path] = remaining
            for key, operation in remaining.items():
                if key in _METHODS and isinstance(operation, dict) and operation.get("operationId"):
                    kept_ids.add(operation["operationId"])
    pruned["paths"] = paths
    for item in paths.values():
        for key, operation in item.items():
            if key not in _METHODS or not isinstance(operation, dict):
                continue
            for response in (operation.get("responses") or {}).values():
                links = response.get("links") if isinstance(response, dict) else None
                if isinstance(links, dict):
                    for name in [
                        n
                        for n, link in links.items()
                        if isinstance(link, dict) and link.get("operationId") not in kept_ids
                    ]:
                        del links[name]
    return pruned


def _keeper(options: RunOptions, only: tuple[str, str] | None) -> Callable[[str, str], bool]:
    wanted = set(options.operations) if options.operations is not None else None

    def keep(method: str, path: str) -> bool:
        if not any(family.owns(path) for family in options.families):
            return False
        if options.read_only and method not in ("GET", "HEAD"):
            return False
        if only is not None and (method, path) != only:
            return False
        return wanted is None or f"{method} {path}" in wanted

    return keep


def load_schema(options: RunOptions, spec: dict[str, Any], only: tuple[str, str] | None = None) -> Any:
    """The spec as a schemathesis schema, restricted to the families (and to one operation when `only`)."""
    config = SchemathesisConfig.from_dict(build_config(options))
    schema: Any = schemathesis.openapi.from_dict(prune_spec(spec, _keeper(options, only)), config=config)
    regex = "|".join(f"(?:{family.path_regex})" for family in options.families)
    schema = schema.include(path_regex=regex)
    if only is not None:
        schema = schema.include(method=only[0], path=only[1])
    if options.operations is not None:
        schema = schema.include(name=list(options.operations))
    if options.read_only:
        schema = schema.include(method="GET")
    if options.app is not None:
        schema.app = options.app
    return schema


class _Collector:
    """Folds the event stream into one Outcome per (family, operation, check)."""

    def __init__(self, options: RunOptions, progress: Progress) -> None:
        self.options = options
        self.progress = progress
        self.outcomes: dict[tuple[str, str, str], Outcome] = {}
        self.seen_operations: set[str] = set()
        self.skipped_operations: dict[str, str] = {}
        self.errors: list[str] = []
        self.budget_spent = False
        self.refused_writes = 0
        self.phase_times: dict[str, float] = {}
        self._phase_started: dict[str, float] = {}

    def outcome(self, family: Family | None, label: str, check: str) -> Outcome:
        key = (family.name if family else "", label, check)
        if key not in self.outcomes:
            self.outcomes[key] = Outcome(
                suite="schemathesis",
                family=family.name if family else None,
                subject=label,
                check=check,
                status=Status.PASSED,
            )
        return self.outcomes[key]

    def scenario(self, event: events.ScenarioFinished) -> None:
        recorder = event.recorder
        phase = event.phase.value if hasattr(event.phase, "value") else str(event.phase)
        if event.status == EngineStatus.SKIP and not recorder.checks:
            if recorder.label != "Stateful tests":
                self.skipped_operations.setdefault(recorder.label, event.skip_reason or "no cases generated")
            return
        for case_id, nodes in recorder.checks.items():
            node = recorder.cases.get(case_id)
            case = node.value if node is not None else None
            label = case.operation.label if case is not None else recorder.label
            family = family_of_path(case.path) if case is not None else None
            self.seen_operations.add(label)
            for check in nodes:
                outcome = self.outcome(family, label, check.name)
                outcome.runs += 1
                if check.status == EngineStatus.FAILURE and check.failure_info is not None:
                    self._add_problem(outcome, recorder, case_id, check.failure_info.failure, phase)
                elif check.status == EngineStatus.ERROR and outcome.status == Status.PASSED:
                    outcome.status = Status.ERROR

    def _add_problem(self, outcome: Outcome, recorder: Any, case_id: str, failure: Any, phase: str) -> None:
        outcome.status = Status.FAILED
        if any(p.title == failure.title and p.message == failure.message for p in outcome.problems):
            return
        if len(outcome.problems) >= 5:  # enough to act on; the rest are usually the same defect
            return
        interaction = recorder.interactions.get(failure.case_id or case_id) or recorder.interactions.get(
            case_id
        )
        curl = status = snippet = None
        if interaction is not None:
            request = interaction.request
            curl = curl_command(
                request.method, request.uri, request.headers, request.body, secrets=self.options.secrets
            )
            steps = list(_chain(recorder, failure.case_id or case_id))
            if len(steps) > 1:
                curl = "\n".join(
                    [
                        f"# step {i + 1} of {len(steps)}" + "\n" + c
                        for i, c in enumerate(
                            curl_command(s.method, s.uri, s.headers, s.body, secrets=self.options.secrets)
                            for s in steps
                        )
                    ]
                )
            if interaction.response is not None:
                status = interaction.response.status_code
                text = (interaction.response.content or b"").decode("utf-8", errors="replace")
                snippet = text[:300] + ("…" if len(text) > 300 else "")
        outcome.problems.append(
            Problem(
                title=failure.title,
                message=failure.message,
                curl=curl,
                status_code=status,
                snippet=snippet,
                phase=phase,
            )
        )

    def error(self, event: events.NonFatalError) -> None:
        value = event.value
        chain = [value, *getattr(value, "exceptions", ()), value.__cause__, value.__context__]
        if any(isinstance(item, BudgetExhausted) for item in chain):
            self.budget_spent = True
            return
        if any(isinstance(item, ReadOnlyViolation) for item in chain):
            self.refused_writes += 1
            return
        text = f"{event.label}: {event.info.title}: {event.info.message}".strip()
        if event.related_to_operation and event.label:
            family = _family_of_label(event.label)
            outcome = self.outcome(family, event.label, "schemathesis_error")
            outcome.status = Status.ERROR
            outcome.runs += 1
            if len(outcome.problems) < 5:
                outcome.problems.append(Problem(title=event.info.title, message=event.info.message))
        else:
            self.errors.append(text)


def _family_of_label(label: str) -> Family | None:
    parts = label.split(" ", 1)
    return family_of_path(parts[1]) if len(parts) == 2 else None


def _chain(recorder: Any, case_id: str) -> Iterable[Any]:
    """The requests of a stateful failure, first to last (a single request otherwise)."""
    ids: list[str] = []
    current: str | None = case_id
    while current is not None and current not in ids and len(ids) < 8:
        ids.append(current)
        node = recorder.cases.get(current)
        current = node.parent_id if node is not None else None
    for item in reversed(ids):
        interaction = recorder.interactions.get(item)
        if interaction is not None:
            yield interaction.request


def run_schemathesis(
    options: RunOptions,
    spec: dict[str, Any],
    guard: RunGuard,
    result: RunResult,
    progress: Progress,
    *,
    only: tuple[str, str] | None = None,
) -> None:
    """Run every enabled phase with every check; append outcomes and timings to `result`."""
    collector = _Collector(options, progress)
    started = time.monotonic()
    schema = load_schema(options, spec, only)
    stream = from_schema(schema).execute()
    guard.on_exhausted = stream.stop
    sent_at_start = guard.sent
    try:
        for event in stream:
            if isinstance(event, events.PhaseStarted):
                name = event.phase.name.value
                collector._phase_started[name] = time.monotonic()
                if name in options.phases:
                    progress(f"schemathesis: {name} phase…")
            elif isinstance(event, events.PhaseFinished):
                name = event.phase.name.value
                if name in collector._phase_started:
                    collector.phase_times[name] = time.monotonic() - collector._phase_started[name]
                if name in options.phases:
                    reason = f" ({event.phase.skip_reason.value})" if event.phase.skip_reason else ""
                    progress(
                        f"schemathesis: {name} phase {event.status.value}{reason} "
                        f"in {collector.phase_times.get(name, 0):.1f}s"
                    )
            elif isinstance(event, events.ScenarioStarted):
                sent_at_start = guard.sent
            elif isinstance(event, events.ScenarioFinished):
                # Probes the checks sent themselves did not pass our hooks: count them now.
                extra = len(event.recorder.interactions) - (guard.sent - sent_at_start)
                if extra > 0:
                    guard.count_unadmitted(extra)
                collector.scenario(event)
                failed = sum(
                    1
                    for nodes in event.recorder.checks.values()
                    for n in nodes
                    if n.status == EngineStatus.FAILURE
                )
                mark = "FAILED" if failed else event.status.value
                progress(
                    f"  [{event.phase.value}] {event.recorder.label}: "
                    f"{len(event.recorder.cases)} cases, {mark}"
                )
            elif isinstance(event, events.NonFatalError):
                collector.error(event)
            elif isinstance(event, events.FatalError):
                collector.errors.append(f"schemathesis stopped: {event.exception!r}")
            elif isinstance(event, events.Interrupted):
                result.interrupted = True
            elif isinstance(event, events.EngineFinished):
                for failure in event.failures or []:
                    outcome = collector.outcome(None, "(whole run)", getattr(failure, "title", "after_run"))
                    outcome.status = Status.FAILED
                    outcome.problems.append(Problem(title=failure.title, message=failure.message))
    except KeyboardInterrupt:
        stream.stop()
        result.interrupted = True
        raise
    finally:
        guard.on_exhausted = None
        result.timings["schemathesis"] = time.monotonic() - started
        for name, seconds in collector.phase_times.items():
            if name in options.phases:
                result.timings[f"schemathesis:{name}"] = seconds
        result.outcomes.extend(collector.outcomes.values())
        for label, reason in sorted(collector.skipped_operations.items()):
            if label not in collector.seen_operations:
                result.outcomes.append(
                    Outcome(
                        suite="schemathesis",
                        family=getattr(_family_of_label(label), "name", None),
                        subject=label,
                        check="all checks",
                        status=Status.SKIPPED,
                        skip_reason=reason,
                    )
                )
        result.errors.extend(collector.errors)
        if collector.budget_spent or guard.exhausted:
            result.incomplete = (
                f"the request budget ({options.request_budget} requests) ran out during schemathesis"
            )
        if collector.refused_writes:
            result.notes.append(f"{collector.refused_writes} write(s) refused during a read-only run")
