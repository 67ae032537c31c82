"""Judge real traffic (the proxy's, a replay's) exchange by exchange, with every check that can.

Per exchange: the request body against its operation's schema, schemathesis' single-response checks
(status declared, content type, response schema, no 5xx), every Fanfare check, and the multi-request
rules of `follow.py`. Outcomes fold per (family, operation, check), as in a `run`; what was seen per
operation feeds the coverage matrix.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.checks import CHECK_FUNCTIONS
from contracts.coverage import Coverage
from contracts.families import family_of_path
from contracts.follow import FOLLOW_CHECKS, Follower
from contracts.operations import OperationIndex
from contracts.request_schema import RequestSchemas
from contracts.results import Outcome, Problem, RunResult, Status
from contracts.schemathesis_adapter import SINGLE_EXCHANGE_CHECKS, ExchangeValidator
from contracts.traffic import Traffic

__all__ = ["ExchangeJudge", "Violation", "observed_result"]

INVALID_REQUEST_ACCEPTED = "invalid_request_accepted"
UNDECLARED_OPERATION = "undeclared_operation"


@dataclass(frozen=True)
class Violation:
    check: str
    label: str
    title: str
    message: str
    traffic: Traffic

    def text(self, secrets: tuple[str, ...]) -> str:
        return (
            f"VIOLATION {self.check} on exchange #{self.traffic.index} {self.label}: {self.title}\n"
            f"  {self.message}\n"
            f"  answered {self.traffic.status}: {self.traffic.snippet(200)}\n"
            f"  $ {self.traffic.curl(secrets)}"
        )


@dataclass
class ExchangeJudge:
    spec: Mapping[str, Any]
    secrets: tuple[str, ...] = ()
    outcomes: dict[tuple[str, str, str], Outcome] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    #: Requests the client sent that break the spec but were refused (the client's problem, not the server's).
    refused_invalid: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.index = OperationIndex(self.spec)
        self.validator = ExchangeValidator(dict(self.spec))
        self.requests = RequestSchemas(self.spec)
        self.follower = Follower()
        self.coverage = Coverage(self.spec)
        self._lock = threading.Lock()
        self.judged = 0

    def _outcome(self, family: str, label: str, check: str) -> Outcome:
        key = (family, label, check)
        if key not in self.outcomes:
            self.outcomes[key] = Outcome(
                suite="schemathesis", family=family or None, subject=label, check=check, status=Status.PASSED
            )
        return self.outcomes[key]

    def judge(self, traffic: Traffic) -> list[Violation]:
        """All the violations of one exchange (also kept in `violations`); call in exchange order."""
        with self._lock:
            return self._judge(traffic)

    def _judge(self, traffic: Traffic) -> list[Violation]:
        self.judged += 1
        family = family_of_path(traffic.path)
        if family is None:
            return []
        match = self.index.match(traffic.method, traffic.path)
        found: list[Violation] = []
        if match is None:
            label = f"{traffic.method} {traffic.path}"
            outcome = self._outcome(family.name, label, UNDECLARED_OPERATION)
            outcome.runs += 1
            if 200 <= traffic.status < 300:
                found.append(
                    Violation(
                        UNDECLARED_OPERATION,
                        label,
                        "An operation the spec does not declare answered with success",
                        f"{traffic.method} {traffic.path} is not in the spec but answered {traffic.status}",
                        traffic,
                    )
                )
            return self._keep(family.name, found)
        label = match.label
        self.coverage.saw(label, traffic.status)
        checks: list[str] = []
        problems = self.requests.problems(match.label, traffic.request_json(), traffic.request_body)
        checks.append(INVALID_REQUEST_ACCEPTED)
        if problems and 200 <= traffic.status < 300:
            found.append(
                Violation(
                    INVALID_REQUEST_ACCEPTED,
                    label,
                    "A request that breaks the spec was accepted",
                    "; ".join(problems[:3]),
                    traffic,
                )
            )
        elif problems:
            self.refused_invalid.append(f"#{traffic.index} {label}: {problems[0]}")
        verdicts = self.validator.validate(
            method=match.method,
            template=match.template,
            url=traffic.url,
            path_parameters=match.path_parameters,
            query=traffic.query,
            request_headers=dict(traffic.request_headers),
            request_body=traffic.request_body,
            status=traffic.status,
            response_headers=traffic.multi_response_headers(),
            content=traffic.response_body,
            elapsed=traffic.elapsed,
            extra_checks=CHECK_FUNCTIONS,
        )
        checks += list(SINGLE_EXCHANGE_CHECKS) + [name for name, _ in CHECK_FUNCTIONS]
        found += [Violation(v.check, label, v.title, v.message, traffic) for v in verdicts]
        follow = self.follower.observe(
            index=traffic.index,
            family=family.name,
            method=match.method,
            label=label,
            path=traffic.path,
            path_parameters=match.path_parameters,
            query=traffic.query,
            status=traffic.status,
            body=traffic.response_json(),
        )
        checks += list(FOLLOW_CHECKS)
        found += [Violation(v.check, label, v.title, v.message, traffic) for v in follow]
        for check in checks:
            self._outcome(family.name, label, check).runs += 1
            self.coverage.ran(label, check)
        return self._keep(family.name, found)

    def _keep(self, family: str, found: list[Violation]) -> list[Violation]:
        for violation in found:
            outcome = self._outcome(family, violation.label, violation.check)
            outcome.status = Status.FAILED
            duplicate = any(
                p.title == violation.title and p.message == violation.message for p in outcome.problems
            )
            if len(outcome.problems) < 5 and not duplicate:
                outcome.problems.append(
                    Problem(
                        title=violation.title,
                        message=violation.message,
                        curl=violation.traffic.curl(self.secrets),
                        status_code=violation.traffic.status,
                        snippet=violation.traffic.snippet(),
                        phase=f"exchange #{violation.traffic.index}",
                    )
                )
        self.violations += found
        return found


def observed_result(judge: ExchangeJudge, target: str, run_id: str, kind: str) -> RunResult:
    """What a watched session amounts to, in the shape every report writer reads."""
    families = tuple(sorted({o.family for o in judge.outcomes.values() if o.family}))
    result = RunResult(base_url=target, run_id=run_id, families=families, read_only=False, kind=kind)
    result.outcomes = sorted(judge.outcomes.values(), key=lambda o: o.key)
    result.requests_sent = judge.judged
    result.coverage = judge.coverage
    if judge.refused_invalid:
        result.notes.append(
            f"{len(judge.refused_invalid)} request(s) broke the spec and were refused (the client's "
            f"problem, not the server's), e.g. {judge.refused_invalid[0]}"
        )
    return result
