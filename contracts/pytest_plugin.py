"""The pytest route: `pytest --fanfare-base-url URL --fanfare-token KEY` runs the contract suite as tests.

Registered as a `pytest11` entry point, it stays inert (collects nothing, changes nothing) unless
`--fanfare-base-url` is given. Then it adds one test per (family, operation) for schemathesis'
examples, coverage and fuzzing phases, one for the stateful phase, one per scenario, and a final
cleanup test that fails when something was left behind. `--fanfare-only` drops every other test.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.client import Client, make_http_client
from contracts.engine import run_schemathesis
from contracts.guard import RunGuard, activate
from contracts.ledger import Ledger
from contracts.options import ALL_PHASES, RunOptions
from contracts.results import Outcome, Problem, RunResult, Status
from contracts.runner import clean_up_run, load_spec, planned_scenarios, run_scenarios
from contracts.spec_facts import business_rejections, declared_methods

_HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_SESSION_KEY = pytest.StashKey["_Session"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fanfare-contract", "Fanfare Admin API contract suite")
    group.addoption("--fanfare-base-url", default=None, help="run the contract suite against this base URL")
    group.addoption("--fanfare-token", default=None, help="a secret key of the organization to test")
    group.addoption("--fanfare-second-token", default=None, help="a secret key of another organization")
    group.addoption("--fanfare-family", default="both", choices=("v1", "api", "both"))
    group.addoption("--fanfare-max-examples", type=int, default=10)
    group.addoption(
        "--fanfare-phases", default=",".join(ALL_PHASES), help="schemathesis phases, comma-separated"
    )
    group.addoption("--fanfare-read-only", action="store_true", help="send only GET requests")
    group.addoption("--fanfare-rate-limit", default=None, metavar="N/s")
    group.addoption("--fanfare-seed", type=int, default=None)
    group.addoption(
        "--fanfare-scenario", action="append", default=None, help="only this scenario (repeatable)"
    )
    group.addoption(
        "--fanfare-app",
        default=None,
        metavar="MODULE:ATTR",
        help="call this ASGI app in-process instead of over HTTP (`MODULE:FACTORY()` calls a factory)",
    )
    group.addoption("--fanfare-spec", default=None, help="the OpenAPI document (default: the bundled one)")
    group.addoption("--fanfare-only", action="store_true", help="run only the contract tests")


def _options(config: pytest.Config) -> RunOptions | None:
    base_url = config.getoption("--fanfare-base-url")
    if not base_url:
        return None
    token = config.getoption("--fanfare-token")
    if not token:
        raise pytest.UsageError("--fanfare-base-url needs --fanfare-token")
    from contracts.options import parse_rate_limit

    rate = config.getoption("--fanfare-rate-limit")
    scenario_names = config.getoption("--fanfare-scenario")
    try:
        return RunOptions(
            base_url=base_url,
            token=token,
            second_token=config.getoption("--fanfare-second-token"),
            family=config.getoption("--fanfare-family"),
            max_examples=config.getoption("--fanfare-max-examples"),
            phases=tuple(p for p in config.getoption("--fanfare-phases").split(",") if p),
            read_only=config.getoption("--fanfare-read-only"),
            rate_limit=parse_rate_limit(rate) if rate else None,
            seed=config.getoption("--fanfare-seed"),
            app=_load_app(config.getoption("--fanfare-app")),
            only_scenarios=tuple(scenario_names) if scenario_names else None,
            spec=Path(config.getoption("--fanfare-spec")) if config.getoption("--fanfare-spec") else None,
        )
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def _load_app(reference: str | None) -> Any:
    if not reference:
        return None
    module_name, _, attribute = reference.partition(":")
    # `ATTR`, `FACTORY()` or `FACTORY(literal, name=literal)`: only literal arguments, nothing evaluated.
    expression = ast.parse(attribute, mode="eval").body
    call = expression if isinstance(expression, ast.Call) else None
    name = ast.unparse(call.func if call else expression)
    target: Any = importlib.import_module(module_name)
    for part in name.split("."):
        target = getattr(target, part)
    if call is None:
        return target
    args = [ast.literal_eval(arg) for arg in call.args]
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    return target(*args, **kwargs)


class _Session:
    """What the contract tests of one pytest session share: the guard, the ledger, the clients."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.spec = load_spec(options)
        self.ledger = Ledger()
        self.guard = RunGuard(
            ledger=self.ledger, prefix=options.prefix, read_only=options.read_only, rate=options.rate_limit
        )
        self.guard.business_rejections = business_rejections(self.spec)
        self.guard.declared_methods = declared_methods(self.spec)
        self.http = make_http_client(options.base_url, app=options.app, timeout=options.request_timeout)
        self.client = Client(self.http, self.guard, token=options.token, secrets=options.secrets)
        self.second = (
            Client(
                self.http,
                self.guard,
                token=options.second_token,
                secrets=options.secrets,
                journal=self.client.journal,
            )
            if options.second_token
            else None
        )
        self._activation = activate(self.guard)
        self._activation.__enter__()
        self.closed = False

    def result(self) -> RunResult:
        return RunResult(
            base_url=self.options.base_url,
            run_id=self.options.run_id,
            families=tuple(f.name for f in self.options.families),
            read_only=self.options.read_only,
        )

    def close(self) -> RunResult:
        result = self.result()
        if not self.closed:
            self.closed = True
            self._activation.__exit__(None, None, None)
            clean_up_run(self.options, result, self.ledger, self.http, lambda _: None)
            self.http.close()
        return result


class ContractFailed(Exception):
    pass


def _explain(outcomes: list[Outcome]) -> str:
    lines: list[str] = []
    for outcome in outcomes:
        if outcome.status not in (Status.FAILED, Status.ERROR):
            continue
        lines.append(f"{outcome.test_name}")
        for problem in outcome.problems:
            lines.append(f"  {problem.title}")
            lines.extend(f"    {line}" for line in problem.message.splitlines()[:8])
            if problem.curl:
                lines.extend(f"    {line}" for line in problem.curl.splitlines())
    return "\n".join(lines)


class ContractItem(pytest.Item):
    def __init__(self, *, kind: str, payload: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.payload = payload
        self.add_marker("fanfare_contract")

    def _session(self) -> _Session:
        session = self.config.stash.get(_SESSION_KEY, None)
        if session is None:
            options = _options(self.config)
            assert options is not None
            session = _Session(options)
            self.config.stash[_SESSION_KEY] = session
        return session

    def runtest(self) -> None:
        shared = self._session()
        options = shared.options
        result = shared.result()
        if self.kind == "operation":
            phases = tuple(p for p in options.phases if p != "stateful")
            run_schemathesis(
                _replace(options, phases=phases), shared.spec, shared.guard, result, _quiet, only=self.payload
            )
        elif self.kind == "stateful":
            run_schemathesis(
                _replace(options, phases=("stateful",)), shared.spec, shared.guard, result, _quiet
            )
        elif self.kind == "scenario":
            scenario, family, reason = self.payload
            if reason:
                pytest.skip(reason)
            scoped = _replace(
                options, only_scenarios=(scenario.name,), family=family.name if family else options.family
            )
            run_scenarios(scoped, shared.spec, shared.client, shared.second, result, _quiet)
            skipped = [o for o in result.outcomes if o.status == Status.SKIPPED]
            if skipped and len(skipped) == len(result.outcomes):
                pytest.skip(skipped[0].skip_reason or "skipped")
        elif self.kind == "cleanup":
            closing = shared.close()
            if closing.leftovers:
                raise ContractFailed(
                    "left behind: "
                    + ", ".join(f"{item.kind} {item.id} ({item.cleanup_error})" for item in closing.leftovers)
                )
            return
        problems = [o for o in result.outcomes if o.status in (Status.FAILED, Status.ERROR)]
        if result.errors:
            problems.append(
                Outcome(
                    suite="run",
                    family=None,
                    subject="run",
                    check="run",
                    status=Status.ERROR,
                    problems=[Problem(title=e) for e in result.errors],
                )
            )
        if problems:
            raise ContractFailed(_explain(problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ContractFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "fanfare-contract", None, self.name


def _quiet(_: str) -> None:
    return None


def _replace(options: RunOptions, **changes: Any) -> RunOptions:
    import dataclasses

    return dataclasses.replace(options, **changes)


def _items(session: pytest.Session, options: RunOptions) -> Iterator[ContractItem]:
    spec = load_spec(options)
    if any(p != "stateful" for p in options.phases):
        for path, item in spec.get("paths", {}).items():
            family = next((f for f in options.families if f.owns(path)), None)
            if family is None:
                continue
            for method in _HTTP_METHODS:
                if method in item and (not options.read_only or method == "get"):
                    label = f"{method.upper()} {path}"
                    yield ContractItem.from_parent(
                        session,
                        name=f"fanfare[{family.name}] {label}",
                        kind="operation",
                        payload=(method.upper(), path),
                    )
    if "stateful" in options.phases:
        yield ContractItem.from_parent(session, name="fanfare stateful", kind="stateful")
    for scenario, family, reason in planned_scenarios(options):
        yield ContractItem.from_parent(
            session,
            name=f"fanfare scenario {scenario.test_name(family)}",
            kind="scenario",
            payload=(scenario, family, reason),
        )
    yield ContractItem.from_parent(session, name="fanfare cleanup", kind="cleanup")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fanfare_contract: a test of the Fanfare Admin API contract suite")


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    options = _options(config)
    if options is None:
        return
    if config.getoption("--fanfare-only"):
        config.hook.pytest_deselected(items=list(items))
        items.clear()
    items.extend(_items(session, options))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shared = session.config.stash.get(_SESSION_KEY, None)
    if shared is not None and not shared.closed:  # interrupted or deselected: still clean up
        shared.close()
