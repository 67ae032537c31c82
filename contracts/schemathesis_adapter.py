"""The one module that touches schemathesis beyond its documented public API (an upgrade edits only this).

Public names (`schemathesis.check`, `hook`, `openapi.from_dict`, `Config`) are used where they serve;
the engine's event stream, its recorder and the `Failure` base class are read here and turned into the
plain values below, so the rest of `contracts/` never sees a schemathesis internal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import schemathesis
from schemathesis.core.failures import Failure
from schemathesis.core.parameters import ParameterLocation
from schemathesis.engine import Status as _EngineStatus
from schemathesis.engine import events as _events
from schemathesis.engine import from_schema as _from_schema

__all__ = [
    "SINGLE_EXCHANGE_CHECKS",
    "CaseView",
    "CheckVerdict",
    "ContractFailure",
    "EngineEvent",
    "EngineRun",
    "ExchangeValidator",
    "ExchangeView",
    "Verdict",
    "failure_checks",
    "is_positive_at",
    "load_openapi",
]


class ContractFailure(Failure):
    """A Fanfare business rule broken by one response (a schemathesis failure, so it reports as one)."""

    code: ClassVar[str] = "ST901"
    kind_title: ClassVar[str] = "Fanfare contract violated"

    @property
    def _unique_key(self) -> str:
        # One entry per broken rule and operation, however many generated cases break it.
        return self.title


def load_openapi(document: dict[str, Any], config: dict[str, Any], app: Any = None) -> Any:
    """A schemathesis schema from an OpenAPI dict and a config dict (schemathesis.toml keys).

    With `app`, cases are sent in-process to that ASGI/WSGI app instead of over HTTP.
    """
    schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(config))
    if app is not None:
        # No public loader takes a dict and an app together (from_asgi wants the served spec's path).
        schema.app = app
    return schema


def is_positive_at(case: Any, location: str) -> bool:
    """Whether schemathesis generated `case` as valid data at `location` ("query", "body", ...)."""
    meta = getattr(case, "meta", None)
    return meta is None or not meta.is_negative_at(ParameterLocation(location))


def failure_checks(failure: Any) -> frozenset[str]:
    """The names of the checks that report `failure` (as handed to a `filter_failure` hook)."""
    return frozenset(getattr(failure, "checks", ()) or ())


# --- the engine, as plain values ----------------------------------------------------------------


@dataclass(frozen=True)
class ExchangeView:
    method: str
    uri: str
    headers: Mapping[str, Any]
    body: bytes | str | None
    status_code: int | None
    content: bytes


@dataclass(frozen=True)
class CaseView:
    label: str  # the operation, "GET /api/v1/audiences"
    path: str  # its path template
    parent_id: str | None  # the case before it in a stateful chain


@dataclass(frozen=True)
class FailureView:
    title: str
    message: str
    case_id: str | None


@dataclass(frozen=True)
class CheckVerdict:
    case_id: str
    name: str
    status: str  # "success" | "failure" | "error" | "skip"
    failure: FailureView | None


@dataclass
class EngineEvent:
    """One event of a run: `kind` says which; only the fields of that kind are set."""

    kind: str  # phase_started | phase_finished | scenario_started | scenario_finished | error | fatal
    #          | interrupted | finished
    phase: str = ""
    status: str = ""
    skip_reason: str | None = None
    label: str = ""
    checks: list[CheckVerdict] = field(default_factory=list)
    cases: dict[str, CaseView] = field(default_factory=dict)
    interactions: dict[str, ExchangeView] = field(default_factory=dict)
    # error: the exception, its message, and whether it belongs to one operation
    exception: BaseException | None = None
    title: str = ""
    message: str = ""
    related_to_operation: bool = False
    failures: list[FailureView] = field(default_factory=list)

    def chain(self, case_id: str, limit: int = 8) -> list[ExchangeView]:
        """The requests of a stateful chain ending at `case_id`, first to last."""
        ids: list[str] = []
        current: str | None = case_id
        while current is not None and current not in ids and len(ids) < limit:
            ids.append(current)
            node = self.cases.get(current)
            current = node.parent_id if node is not None else None
        return [self.interactions[i] for i in reversed(ids) if i in self.interactions]


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


def _failure_view(failure: Any) -> FailureView:
    return FailureView(title=failure.title, message=failure.message, case_id=failure.case_id)


def _scenario(event: Any) -> EngineEvent:
    recorder = event.recorder
    cases: dict[str, CaseView] = {}
    for case_id, node in recorder.cases.items():
        case = node.value
        cases[case_id] = CaseView(label=case.operation.label, path=case.path, parent_id=node.parent_id)
    interactions: dict[str, ExchangeView] = {}
    for case_id, interaction in recorder.interactions.items():
        request, response = interaction.request, interaction.response
        interactions[case_id] = ExchangeView(
            method=request.method,
            uri=request.uri,
            headers=request.headers,
            body=request.body,
            status_code=response.status_code if response is not None else None,
            content=(response.content or b"") if response is not None else b"",
        )
    checks = [
        CheckVerdict(
            case_id=case_id,
            name=node.name,
            status=_value(node.status),
            failure=_failure_view(node.failure_info.failure) if node.failure_info is not None else None,
        )
        for case_id, nodes in recorder.checks.items()
        for node in nodes
    ]
    return EngineEvent(
        kind="scenario_finished",
        phase=_value(event.phase),
        status=_value(event.status),
        skip_reason=event.skip_reason,
        label=recorder.label,
        checks=checks,
        cases=cases,
        interactions=interactions,
    )


def _translate(event: Any) -> EngineEvent | None:
    if isinstance(event, _events.PhaseStarted):
        return EngineEvent(kind="phase_started", phase=_value(event.phase.name))
    if isinstance(event, _events.PhaseFinished):
        skip = event.phase.skip_reason
        return EngineEvent(
            kind="phase_finished",
            phase=_value(event.phase.name),
            status=_value(event.status),
            skip_reason=_value(skip) if skip else None,
        )
    if isinstance(event, _events.ScenarioStarted):
        return EngineEvent(kind="scenario_started")
    if isinstance(event, _events.ScenarioFinished):
        return _scenario(event)
    if isinstance(event, _events.NonFatalError):
        return EngineEvent(
            kind="error",
            exception=event.value,
            title=event.info.title,
            message=event.info.message,
            label=event.label,
            related_to_operation=event.related_to_operation,
        )
    if isinstance(event, _events.FatalError):
        return EngineEvent(kind="fatal", exception=event.exception)
    if isinstance(event, _events.Interrupted):
        return EngineEvent(kind="interrupted")
    if isinstance(event, _events.EngineFinished):
        return EngineEvent(kind="finished", failures=[_failure_view(f) for f in event.failures or []])
    return None


class EngineRun:
    """schemathesis' engine over one schema: iterate for events; `stop()` ends it early (any thread)."""

    SKIP: ClassVar[str] = _value(_EngineStatus.SKIP)
    FAILURE: ClassVar[str] = _value(_EngineStatus.FAILURE)
    ERROR: ClassVar[str] = _value(_EngineStatus.ERROR)

    def __init__(self, schema: Any) -> None:
        self._stream = _from_schema(schema).execute()

    @property
    def stop(self) -> Callable[[], None]:
        stop: Callable[[], None] = self._stream.stop
        return stop

    def __iter__(self) -> Iterator[EngineEvent]:
        for event in self._stream:
            translated = _translate(event)
            if translated is not None:
                yield translated


# --- judging one exchange that schemathesis did not send (the proxy, replay) ----------------------

#: The built-in checks that judge a response from its request alone (no extra request, no generated data).
SINGLE_EXCHANGE_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


_NO_BODY = object()


@dataclass(frozen=True)
class Verdict:
    check: str
    title: str
    message: str


class ExchangeValidator:
    """schemathesis' response checks, and checks written for it, applied to a real exchange."""

    def __init__(self, document: dict[str, Any]) -> None:
        from schemathesis.checks import CHECKS

        self._schema = schemathesis.openapi.from_dict(document)
        self._builtin: list[Any] = [CHECKS.get_one(name) for name in SINGLE_EXCHANGE_CHECKS]

    def validate(
        self,
        *,
        method: str,
        template: str,
        url: str,
        path_parameters: dict[str, str],
        query: dict[str, str],
        request_headers: Mapping[str, str],
        request_body: bytes,
        status: int,
        response_headers: Mapping[str, list[str]],
        content: bytes,
        elapsed: float,
        extra_checks: tuple[tuple[str, Callable[..., Any]], ...] = (),
    ) -> list[Verdict]:
        import json

        import requests

        media_type = request_headers.get("content-type") or request_headers.get("Content-Type")
        body: Any = _NO_BODY
        if request_body:
            try:
                body = json.loads(request_body)
            except ValueError:
                body = request_body
        kwargs: dict[str, Any] = {
            "path_parameters": path_parameters,
            "query": query,
            "headers": dict(request_headers),
        }
        if body is not _NO_BODY:
            kwargs["body"] = body
            kwargs["media_type"] = (media_type or "application/json").split(";")[0].strip()
        case = self._schema[template][method].Case(**kwargs)
        prepared = requests.Request(method, url, headers=dict(request_headers), data=request_body).prepare()
        response = schemathesis.Response(status, dict(response_headers), content, prepared, elapsed, True)
        verdicts: list[Verdict] = []
        try:
            case.validate_response(response, checks=self._builtin)
        except (AssertionError, BaseExceptionGroup) as exc:
            failures: tuple[Any, ...] = getattr(exc, "exceptions", None) or (exc,)
            for failure in failures:
                names = getattr(failure, "checks", ()) or ("custom",)
                verdicts.append(Verdict(names[0], failure.title, failure.message))
        for name, check in extra_checks:
            try:
                check(None, response, case)
            except AssertionError as exc:
                verdicts.append(Verdict(name, getattr(exc, "title", name), getattr(exc, "message", str(exc))))
        return verdicts
