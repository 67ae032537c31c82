"""One contract run end to end: schemathesis, then the scenarios, then cleanup, then the reports.

Cleanup runs in a `finally`: after failures, errors and Ctrl-C alike.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from contracts import scenarios as scenario_registry
from contracts.cleanup import clean_up
from contracts.client import Client, make_http_client
from contracts.coverage import Coverage
from contracts.engine import run_schemathesis
from contracts.families import FAMILIES, Family
from contracts.guard import BudgetExhausted, ReadOnlyViolation, RunGuard, activate
from contracts.judge import Judge
from contracts.ledger import Ledger
from contracts.options import RunOptions
from contracts.results import Outcome, Problem, RunResult, Status
from contracts.scenarios.base import Scenario, ScenarioContext, ScenarioFailure, ScenarioSkip
from contracts.spec_facts import business_rejections, declared_methods

__all__ = ["clean_up_run", "load_spec", "planned_scenarios", "run_scenarios", "run_suite"]

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def load_spec(options: RunOptions) -> dict[str, Any]:
    if isinstance(options.spec, dict):
        return options.spec
    if options.spec is not None:
        text = Path(options.spec).read_text(encoding="utf-8")
        if str(options.spec).endswith((".yaml", ".yml")):
            import yaml

            return dict(yaml.safe_load(text))
        return dict(json.loads(text))
    import fanfare_spec

    return fanfare_spec.load("fanfare")


def planned_scenarios(options: RunOptions) -> list[tuple[Scenario, Family | None, str | None]]:
    """Every (scenario, family) the run reports on, with the reason it is skipped (None: it runs)."""
    selected = {family.name for family in options.families}
    plan: list[tuple[Scenario, Family | None, str | None]] = []
    for item in scenario_registry.REGISTRY.values():
        if options.only_scenarios is not None and item.name not in options.only_scenarios:
            continue
        targets: list[Family | None]
        if item.cross_family:
            targets = [None]
        else:
            targets = [FAMILIES[name] for name in item.families if name in selected]
        for family in targets:
            reason = None
            if item.cross_family and len(selected) < 2:
                reason = "needs --family both"
            elif item.needs_second_token and not options.second_token:
                reason = "needs --second-token (a key of another organization)"
            elif item.writes and options.read_only:
                reason = "writes data (read-only run)"
            plan.append((item, family, reason))
    return plan


def run_scenarios(
    options: RunOptions,
    spec: dict[str, Any],
    client: Client,
    second: Client | None,
    result: RunResult,
    progress: Progress,
) -> None:
    caches: dict[str, dict[str, Any]] = {}
    started_all = time.monotonic()
    judge = Judge(spec, options.secrets, coverage=client.guard.coverage)
    observers = [(c, c.observer) for c in (client, second) if c is not None]
    for c, _ in observers:
        c.observer = judge
    try:
        _run_planned(options, spec, client, second, result, progress, caches, judge)
    finally:
        for c, previous in observers:
            c.observer = previous
        judge.merge_into(result.outcomes)
    result.timings["scenarios"] = time.monotonic() - started_all


def _run_planned(
    options: RunOptions,
    spec: dict[str, Any],
    client: Client,
    second: Client | None,
    result: RunResult,
    progress: Progress,
    caches: dict[str, dict[str, Any]],
    judge: Judge,
) -> None:
    for item, family, reason in planned_scenarios(options):
        test_name = item.test_name(family)
        outcome = Outcome(
            suite="scenario",
            family=family.name if family else None,
            subject=item.name,
            check=test_name,
            status=Status.SKIPPED,
            description=item.description,
        )
        result.outcomes.append(outcome)
        if reason is None and client.guard.exhausted:
            reason = "the request budget is spent"
        if reason is not None:
            outcome.skip_reason = reason
            progress(f"scenario {test_name}: skipped ({reason})")
            continue
        cache = caches.setdefault(family.name if family else "*", {})
        judge.current = test_name
        ctx = ScenarioContext(
            family=family, client=client, second=second, options=options, spec=spec, _cache=cache
        )
        sent_before = client.guard.sent
        started = time.monotonic()
        try:
            item.func(ctx)
            outcome.status = Status.PASSED
        except ScenarioFailure as failure:
            outcome.status = Status.FAILED
            exchange = failure.exchange
            outcome.problems.append(
                Problem(
                    title=failure.title,
                    message=failure.message,
                    curl=exchange.curl(options.secrets) if exchange else None,
                    status_code=exchange.status if exchange else None,
                    snippet=exchange.snippet() if exchange else None,
                )
            )
        except ScenarioSkip as skip:
            outcome.skip_reason = str(skip)
        except BudgetExhausted:
            outcome.skip_reason = "the request budget ran out during the scenario"
            result.incomplete = f"the request budget ({options.request_budget} requests) ran out"
        except ReadOnlyViolation as exc:
            outcome.status = Status.ERROR
            outcome.problems.append(
                Problem(title="The scenario tried to write in a read-only run", message=str(exc))
            )
        except httpx.HTTPError as exc:
            outcome.status = Status.ERROR
            last = client.last
            outcome.problems.append(
                Problem(
                    title=f"Network error: {type(exc).__name__}",
                    message=str(exc),
                    curl=last.curl(options.secrets) if last else None,
                )
            )
        except Exception as exc:  # a crash is reported as the scenario's error, never as a pass
            outcome.status = Status.ERROR
            outcome.problems.append(
                Problem(
                    title=f"Scenario crashed: {type(exc).__name__}",
                    message="".join(traceback.format_exception(exc, limit=-3)).strip(),
                )
            )
        outcome.duration = time.monotonic() - started
        outcome.runs = client.guard.sent - sent_before
        shown = (
            outcome.status.value if outcome.status != Status.SKIPPED else f"skipped ({outcome.skip_reason})"
        )
        progress(f"scenario {test_name}: {shown} ({outcome.duration:.1f}s, {outcome.runs} requests)")


def run_suite(options: RunOptions, progress: Progress | None = None) -> RunResult:
    """Run everything `options` asks for against the target and return the result (reports written)."""
    say = progress or _quiet
    started = time.monotonic()
    result = RunResult(
        base_url=options.base_url,
        run_id=options.run_id,
        families=tuple(family.name for family in options.families),
        read_only=options.read_only,
    )
    ledger = Ledger()
    guard = RunGuard(
        ledger=ledger,
        prefix=options.prefix,
        read_only=options.read_only,
        budget=options.request_budget,
        rate=options.rate_limit,
    )
    http = make_http_client(options.base_url, app=options.app, timeout=options.request_timeout)
    client = Client(http, guard, token=options.token, secrets=options.secrets)
    second = (
        Client(http, guard, token=options.second_token, secrets=options.secrets, journal=client.journal)
        if options.second_token
        else None
    )
    say(
        f"fanfare-contract run {options.run_id} against {options.base_url} "
        f"(families: {', '.join(result.families)}{', read-only' if options.read_only else ''}; "
        f"everything created is named {options.prefix}…)"
    )
    try:
        spec = load_spec(options)
        guard.business_rejections = business_rejections(spec)
        guard.declared_methods = declared_methods(spec)
        guard.coverage = result.coverage = Coverage(spec).restrict(result.families)
        with activate(guard):
            if options.phases:
                run_schemathesis(options, spec, guard, result, say)
            if options.scenarios:
                run_scenarios(options, spec, client, second, result, say)
    except KeyboardInterrupt:
        result.interrupted = True
        say("interrupted: cleaning up (Ctrl-C again abandons the cleanup)")
    except Exception as exc:
        result.errors.append(f"the run stopped: {type(exc).__name__}: {exc}")
    finally:
        clean_up_run(options, result, ledger, http, say)
        result.duration = time.monotonic() - started
        result.requests_sent = guard.sent
        if guard.rewritten_ids:
            result.notes.append(
                f"{guard.rewritten_ids} write(s) named an id this run did not create; the id was replaced so "
                "nothing of anyone else's was touched"
            )
        _write_reports(options, result)
        http.close()
    return result


def clean_up_run(
    options: RunOptions, result: RunResult, ledger: Ledger, http: httpx.Client, say: Progress
) -> None:
    if options.read_only:
        return
    started = time.monotonic()
    # Cleanup ignores the budget (leaving data behind is worse) but keeps the rate limit.
    cleanup_guard = RunGuard(ledger=ledger, prefix=options.prefix, rate=options.rate_limit)
    clients = [Client(http, cleanup_guard, token=options.token, secrets=options.secrets)]
    if options.second_token:
        clients.append(Client(http, cleanup_guard, token=options.second_token, secrets=options.secrets))
    try:
        result.cleaned, result.leftovers = clean_up(ledger, clients, options.families, options.prefix, say)
    except KeyboardInterrupt:
        result.interrupted = True
        result.leftovers = ledger.to_clean()
        say("cleanup abandoned")
    except Exception as exc:
        result.errors.append(f"cleanup failed: {type(exc).__name__}: {exc}")
        result.leftovers = ledger.to_clean()
    result.timings["cleanup"] = time.monotonic() - started


def _write_reports(options: RunOptions, result: RunResult) -> None:
    from contracts.reports import apply_min_coverage, write_report_files

    if result.coverage is not None:
        for outcome in result.outcomes:
            if outcome.suite == "schemathesis" and outcome.runs:
                result.coverage.ran(outcome.subject, outcome.check)
    apply_min_coverage(result, options.min_coverage)
    reports = [options.report] if options.report is not None else []
    write_report_files(result, reports, options.junit_xml, _quiet)
