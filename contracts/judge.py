"""The registered Fanfare checks, applied to the scripted scenarios' traffic too.

Every response a scenario receives is matched to its spec operation and judged by the same check
functions schemathesis runs, so a rule like "search results match the term" is held to on the
scenario's realistic data as well as on generated data. Outcomes merge with schemathesis' per
(family, operation, check).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from contracts.checks import CHECK_FUNCTIONS, ContractFailure
from contracts.coverage import Coverage
from contracts.curl import curl_command
from contracts.families import Family, family_of_path
from contracts.follow import FOLLOW_CHECKS, Follower
from contracts.operations import MatchedOperation, OperationIndex
from contracts.results import Outcome, Problem, Status

__all__ = ["Judge"]


@dataclass
class _Operation:
    label: str


@dataclass
class _Case:
    """The parts of a schemathesis Case the Fanfare checks read."""

    method: str
    path: str
    formatted_path: str
    path_parameters: dict[str, str]
    query: dict[str, str]
    operation: _Operation


@dataclass
class _Request:
    headers: Mapping[str, str]


@dataclass
class _Response:
    status_code: int
    content: bytes
    headers: dict[str, list[str]]
    request: _Request


@dataclass
class Judge:
    spec: Mapping[str, Any]
    secrets: tuple[str, ...]
    current: str = ""
    outcomes: dict[tuple[str, str, str], Outcome] = field(default_factory=dict)
    coverage: Coverage | None = None

    def __post_init__(self) -> None:
        self.index = OperationIndex(self.spec)
        # Multi-request rules over all the scenarios' traffic: a write then its read, a delete then a 404.
        self.follower = Follower()
        self._exchanges = 0

    def __call__(self, response: httpx.Response, sent_headers: Mapping[str, str], body: bytes | None) -> None:
        request = response.request
        match = self.index.match(request.method, request.url.path)
        if match is None:
            return
        case = _Case(
            method=match.method,
            path=match.template,
            formatted_path=request.url.path,
            path_parameters=match.path_parameters,
            query=dict(parse_qsl(request.url.query.decode("latin-1"), keep_blank_values=True)),
            operation=_Operation(match.label),
        )
        headers: dict[str, list[str]] = {}
        for name, value in response.headers.multi_items():
            headers.setdefault(name, []).append(value)
        wrapped = _Response(response.status_code, response.content, headers, _Request(dict(sent_headers)))
        family = family_of_path(match.template)
        if self.coverage is not None:
            self.coverage.saw(match.label, response.status_code)
        for name, check in CHECK_FUNCTIONS:
            outcome = self._outcome(family, match.label, name)
            outcome.runs += 1
            try:
                check(None, wrapped, case)
            except ContractFailure as failure:
                self._fail(outcome, failure.title, failure.message, response, sent_headers, body)
        self._follow(response, match, family, body, sent_headers)

    def _outcome(self, family: Family | None, label: str, name: str) -> Outcome:
        key = (family.name if family else "", label, name)
        outcome = self.outcomes.get(key)
        if outcome is None:
            outcome = self.outcomes[key] = Outcome(
                suite="schemathesis",
                family=family.name if family else None,
                subject=label,
                check=name,
                status=Status.PASSED,
            )
        return outcome

    def _fail(
        self,
        outcome: Outcome,
        title: str,
        message: str,
        response: httpx.Response,
        sent_headers: Mapping[str, str],
        body: bytes | None,
    ) -> None:
        outcome.status = Status.FAILED
        if len(outcome.problems) < 5 and not any(p.title == title for p in outcome.problems):
            request = response.request
            outcome.problems.append(
                Problem(
                    title=title,
                    message=message,
                    curl=curl_command(
                        request.method, str(request.url), sent_headers, body, secrets=self.secrets
                    ),
                    status_code=response.status_code,
                    snippet=response.text[:300],
                    phase=f"scenario {self.current}",
                )
            )

    def _follow(
        self,
        response: httpx.Response,
        match: MatchedOperation,
        family: Family | None,
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> None:
        self._exchanges += 1
        try:
            payload = response.json()
        except ValueError:
            payload = None
        request = response.request
        verdicts = self.follower.observe(
            index=self._exchanges,
            family=family.name if family else "",
            method=match.method,
            label=match.label,
            path=request.url.path,
            path_parameters=match.path_parameters,
            query=dict(parse_qsl(request.url.query.decode("latin-1"), keep_blank_values=True)),
            status=response.status_code,
            body=payload,
        )
        failed = {v.check: v for v in verdicts}
        for name in FOLLOW_CHECKS:
            outcome = self._outcome(family, match.label, name)
            outcome.runs += 1
            verdict = failed.get(name)
            if verdict is not None:
                self._fail(outcome, verdict.title, verdict.message, response, headers, body)

    def merge_into(self, outcomes: list[Outcome]) -> None:
        """Fold these outcomes into a run's: the same (family, operation, check) adds up, others append."""
        existing = {outcome.key: outcome for outcome in outcomes}
        for outcome in self.outcomes.values():
            twin = existing.get(outcome.key)
            if twin is None:
                outcomes.append(outcome)
                continue
            twin.runs += outcome.runs
            if outcome.status == Status.FAILED:
                twin.status = Status.FAILED
                for problem in outcome.problems:
                    if len(twin.problems) < 5 and not any(p.title == problem.title for p in twin.problems):
                        twin.problems.append(problem)
