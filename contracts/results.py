"""The outcome of a run as plain data: what the writers (console, JUnit, Markdown) and exit code read."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from contracts.coverage import Coverage
from contracts.ledger import Created

__all__ = ["Outcome", "Problem", "RunResult", "Status"]


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the check or scenario could not run to a verdict (a crash, a network error)
    SKIPPED = "skipped"  # not run, with a reason; never counted as passed


@dataclass(slots=True)
class Problem:
    """One distinct failure: a title a person understands, the detail, and how to reproduce it."""

    title: str
    message: str = ""
    curl: str | None = None
    status_code: int | None = None
    snippet: str | None = None  # the start of the response body
    phase: str | None = None  # the schemathesis phase that found it


@dataclass(slots=True)
class Outcome:
    """One test in the report: a (suite, family, subject, check) is unique within a run."""

    suite: str  # "schemathesis" | "scenario" | "cleanup"
    family: str | None  # "v1" | "api" | None (both or neither)
    subject: str  # "POST /api/v1/audiences" for schemathesis, the scenario's name for scenarios
    check: str  # the check's name (for a scenario, the scenario's name again)
    status: Status
    runs: int = 0  # how many responses the check judged (scenarios: requests sent)
    problems: list[Problem] = field(default_factory=list)
    skip_reason: str | None = None
    duration: float = 0.0
    description: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.suite, self.family or "", self.subject, self.check)

    @property
    def test_name(self) -> str:
        if self.suite == "schemathesis":
            return f"{self.subject} :: {self.check}"
        return self.check

    @property
    def class_name(self) -> str:
        return ".".join(part for part in ("fanfare", self.suite, self.family) if part)


@dataclass(slots=True)
class RunResult:
    base_url: str
    run_id: str
    families: tuple[str, ...]
    read_only: bool
    outcomes: list[Outcome] = field(default_factory=list)
    leftovers: list[Created] = field(default_factory=list)
    cleaned: list[Created] = field(default_factory=list)
    requests_sent: int = 0
    duration: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    #: Why the run did not cover everything it was asked to (budget spent, interrupted, ...).
    incomplete: str | None = None
    #: Problems of the run itself (the spec did not load, an engine error), not of one test.
    errors: list[str] = field(default_factory=list)
    #: Notes a person should read (ids rewritten for safety, writes refused, ...).
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False
    #: "run" (fuzzing and scenarios, with cleanup), "proxy" or "replay" (watching, nothing to clean).
    kind: str = "run"
    #: Which operations of the spec the session exercised, with the statuses seen (the HTML matrix).
    coverage: Coverage | None = None

    def by_status(self, status: Status) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == status]

    @property
    def conforms(self) -> bool:
        """True only when everything asked for ran, nothing failed and nothing was left behind."""
        bad = {Status.FAILED, Status.ERROR}
        return (
            not any(outcome.status in bad for outcome in self.outcomes)
            and not self.leftovers
            and self.incomplete is None
            and not self.errors
            and not self.interrupted
        )

    @property
    def exit_code(self) -> int:
        return 0 if self.conforms else 1

    def run_outcomes(self) -> list[Outcome]:
        """The run's own verdicts as tests (cleanup, completeness, run errors): the JUnit file and the
        summary count them with the outcomes."""
        outcomes: list[Outcome] = []
        if not self.read_only:
            cleanup = Outcome(
                suite="run",
                family=None,
                subject="cleanup",
                check="cleanup",
                status=Status.PASSED,
                runs=len(self.cleaned),
            )
            if self.leftovers:
                cleanup.status = Status.FAILED
                cleanup.problems = [
                    Problem(
                        title=f"Left behind: {item.kind} {item.id}",
                        message=f"{item.name or ''} {item.cleanup_error or ''}".strip(),
                    )
                    for item in self.leftovers
                ]
            outcomes.append(cleanup)
        if self.incomplete or self.interrupted:
            outcomes.append(
                Outcome(
                    suite="run",
                    family=None,
                    subject="complete",
                    check="complete",
                    status=Status.ERROR,
                    problems=[
                        Problem(title="The run did not finish", message=self.incomplete or "interrupted")
                    ],
                )
            )
        for n, error in enumerate(self.errors, 1):
            outcomes.append(
                Outcome(
                    suite="run",
                    family=None,
                    subject="error",
                    check=f"run error {n}",
                    status=Status.ERROR,
                    problems=[Problem(title=error.split(":")[0], message=error)],
                )
            )
        return outcomes
