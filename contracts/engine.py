"""Drive schemathesis (its Python engine, in-process) over the spec and turn its events into outcomes.

Why the Python engine and not the CLI in a subprocess: the same code then tests a URL or an ASGI app
in-process (the CLI lost `--app` in 4.x), our checks and safety hooks are registered by import instead
of `SCHEMATHESIS_HOOKS`, and the event stream gives us every case, check and interaction to build
distinct JUnit names, curls with the key redacted, and progress lines. schemathesis is pinned below 5.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import contracts.checks  # noqa: F401  (registers the Fanfare checks)
from contracts.curl import curl_command
from contracts.families import Family, family_of_path
from contracts.guard import BudgetExhausted, ReadOnlyViolation, RunGuard
from contracts.options import RunOptions
from contracts.results import Outcome, Problem, RunResult, Status
from contracts.schemathesis_adapter import EngineEvent, EngineRun, ExchangeView, load_openapi

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
    if options.workers > 1:
        # schemathesis' own parallelism: its phases spread operations over N threads. The guard,
        # ledger and coverage behind our hooks are thread-safe.
        config["workers"] = options.workers
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
    schema = load_openapi(prune_spec(spec, _keeper(options, only)), build_config(options), app=options.app)
    regex = "|".join(f"(?:{family.path_regex})" for family in options.families)
    schema = schema.include(path_regex=regex)
    if only is not None:
        schema = schema.include(method=only[0], path=only[1])
    if options.operations is not None:
        schema = schema.include(name=list(options.operations))
    if options.read_only:
        schema = schema.include(method="GET")
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

    def scenario(self, event: EngineEvent) -> None:
        if event.status == EngineRun.SKIP and not event.checks:
            if event.label != "Stateful tests":
                self.skipped_operations.setdefault(event.label, event.skip_reason or "no cases generated")
            return
        for check in event.checks:
            case = event.cases.get(check.case_id)
            label = case.label if case is not None else event.label
            family = family_of_path(case.path) if case is not None else None
            self.seen_operations.add(label)
            outcome = self.outcome(family, label, check.name)
            outcome.runs += 1
            if check.status == EngineRun.FAILURE and check.failure is not None:
                self._add_problem(outcome, event, check.case_id, check.failure, event.phase)
            elif check.status == EngineRun.ERROR and outcome.status == Status.PASSED:
                outcome.status = Status.ERROR

    def _curl(self, request: ExchangeView) -> str:
        return curl_command(
            request.method, request.uri, request.headers, request.body, secrets=self.options.secrets
        )

    def _add_problem(
        self, outcome: Outcome, event: EngineEvent, case_id: str, failure: Any, phase: str
    ) -> None:
        outcome.status = Status.FAILED
        if any(p.title == failure.title and p.message == failure.message for p in outcome.problems):
            return
        if len(outcome.problems) >= 5:  # enough to act on; the rest are usually the same defect
            return
        interaction = event.interactions.get(failure.case_id or case_id) or event.interactions.get(case_id)
        curl = status = snippet = None
        if interaction is not None:
            curl = self._curl(interaction)
            steps = event.chain(failure.case_id or case_id)
            if len(steps) > 1:
                curl = "\n".join(
                    f"# step {i + 1} of {len(steps)}\n{self._curl(step)}" for i, step in enumerate(steps)
                )
            if interaction.status_code is not None:
                status = interaction.status_code
                text = interaction.content.decode("utf-8", errors="replace")
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

    def error(self, event: EngineEvent) -> None:
        value = event.exception
        assert value is not None
        chain = [value, *getattr(value, "exceptions", ()), value.__cause__, value.__context__]
        if any(isinstance(item, BudgetExhausted) for item in chain):
            self.budget_spent = True
            return
        if any(isinstance(item, ReadOnlyViolation) for item in chain):
            self.refused_writes += 1
            return
        text = f"{event.label}: {event.title}: {event.message}".strip()
        if event.related_to_operation and event.label:
            family = _family_of_label(event.label)
            outcome = self.outcome(family, event.label, "schemathesis_error")
            outcome.status = Status.ERROR
            outcome.runs += 1
            if len(outcome.problems) < 5:
                outcome.problems.append(Problem(title=event.title, message=event.message))
        else:
            self.errors.append(text)


def _family_of_label(label: str) -> Family | None:
    parts = label.split(" ", 1)
    return family_of_path(parts[1]) if len(parts) == 2 else None


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
    stream = EngineRun(schema)
    guard.on_exhausted = stream.stop
    sent_at_start = guard.sent
    try:
        for event in stream:
            if event.kind == "phase_started":
                collector._phase_started[event.phase] = time.monotonic()
                if event.phase in options.phases:
                    progress(f"schemathesis: {event.phase} phase…")
            elif event.kind == "phase_finished":
                name = event.phase
                if name in collector._phase_started:
                    collector.phase_times[name] = time.monotonic() - collector._phase_started[name]
                if name in options.phases:
                    reason = f" ({event.skip_reason})" if event.skip_reason else ""
                    progress(
                        f"schemathesis: {name} phase {event.status}{reason} "
                        f"in {collector.phase_times.get(name, 0):.1f}s"
                    )
            elif event.kind == "scenario_started":
                sent_at_start = guard.sent
            elif event.kind == "scenario_finished":
                # Probes the checks sent themselves did not pass our hooks: count them now.
                extra = len(event.interactions) - (guard.sent - sent_at_start)
                if extra > 0:
                    guard.count_unadmitted(extra)
                collector.scenario(event)
                failed = sum(1 for check in event.checks if check.status == EngineRun.FAILURE)
                if event.status == "skip" and not failed:
                    # Not a skipped test: this phase had nothing to generate for the operation (the
                    # other phases test it; an operation no phase reached is counted as skipped).
                    why = f" ({event.skip_reason})" if event.skip_reason else ""
                    progress(f"  [{event.phase}] {event.label}: nothing to generate in this phase{why}")
                else:
                    mark = "FAILED" if failed else event.status
                    progress(f"  [{event.phase}] {event.label}: {len(event.cases)} cases, {mark}")
            elif event.kind == "error":
                collector.error(event)
            elif event.kind == "fatal":
                collector.errors.append(f"schemathesis stopped: {event.exception!r}")
            elif event.kind == "interrupted":
                result.interrupted = True
            elif event.kind == "finished":
                for failure in event.failures:
                    outcome = collector.outcome(None, "(whole run)", failure.title or "after_run")
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
