"""Background jobs (CSV imports, list syncs) that move lazily on the virtual clock, like moto's state manager.

No threads, no timers: a job moves only when someone looks at it, by a per-kind progression policy, and
tests can force the outcome of the next job of a kind.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any, TypeVar

from mock_server.domain.imports.csv_rows import RowError
from mock_server.domain.kernel import Clock, IdFactory, IllegalTransition, Invalid, NotFound


class JobKind(Enum):
    IMPORT = "import"
    SYNC = "sync"


class JobStatus(Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class JobEvent(Enum):
    START = "start"
    SUCCEED = "succeed"
    FAIL = "fail"


JOB_TRANSITIONS: Mapping[tuple[JobStatus, JobEvent], JobStatus] = MappingProxyType(
    {
        (JobStatus.PENDING, JobEvent.START): JobStatus.RUNNING,
        (JobStatus.RUNNING, JobEvent.SUCCEED): JobStatus.SUCCEEDED,
        (JobStatus.RUNNING, JobEvent.FAIL): JobStatus.FAILED,
    }
)

TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})


def job_transition(status: JobStatus, event: JobEvent) -> JobStatus:
    try:
        return JOB_TRANSITIONS[status, event]
    except KeyError:
        raise IllegalTransition("job", status.value, event.value) from None


S = TypeVar("S", bound=Enum)
E = TypeVar("E", bound=Enum)


def follow_path(current: S, path: Sequence[tuple[E, S]], step: Callable[[S, E], S]) -> S:
    """Walk an entity along `path` ((event, state reached) pairs) from wherever it already is on it.

    This is how an import or a sync source mirrors its job: each move still goes through the entity's
    own transition table (`step`), so an inconsistent pair raises instead of being papered over.
    """
    reached = [state for _, state in path]
    start = reached.index(current) + 1 if current in reached else 0
    for event, _ in path[start:]:
        current = step(current, event)
    return current


def instant_out(value: datetime | None) -> str | None:
    """Snapshot form of an instant (ISO-8601, offset kept); shared by the import and sync exports."""
    return None if value is None else value.isoformat()


def instant_in(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class ProgressionMode(Enum):
    IMMEDIATE = "immediate"
    AFTER_READS = "afterReads"
    AFTER_SECONDS = "afterSeconds"


@dataclass(frozen=True, slots=True)
class Progression:
    """How a job of one kind moves: at once, on the N-th status read, or T virtual seconds after it started.

    With `after_reads(n)` reads 1..n-1 see the job running and read n sees it finished; the response that
    created the job always says PENDING. `after_seconds(t)` finishes at the first look once the clock has
    moved t seconds past the job's creation; any look before that, with the clock moved, sees it running.
    """

    mode: ProgressionMode
    reads: int = 0
    seconds: float = 0.0

    @classmethod
    def immediate(cls) -> Progression:
        return cls(ProgressionMode.IMMEDIATE)

    @classmethod
    def after_reads(cls, reads: int) -> Progression:
        if reads < 0:
            raise Invalid("reads must be 0 or more")
        return cls(ProgressionMode.AFTER_READS, reads=reads)

    @classmethod
    def after_seconds(cls, seconds: float) -> Progression:
        if seconds < 0:
            raise Invalid("seconds must be 0 or more")
        return cls(ProgressionMode.AFTER_SECONDS, seconds=float(seconds))

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "reads": self.reads, "seconds": self.seconds}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Progression:
        return cls(ProgressionMode(data["mode"]), int(data.get("reads", 0)), float(data.get("seconds", 0.0)))


#: The default shows every state to a client that polls: PENDING (the create response), then running on
#: the first read, then the outcome on the second. Works with the frozen clock, unlike a time policy.
DEFAULT_PROGRESSION = Progression.after_reads(2)


class ForcedKind(Enum):
    FAIL = "fail"  # the job ends FAILED (nothing applied) with the given row errors and reason
    PARTIAL = "partial"  # the job succeeds, but the given rows are rejected with the given issues


@dataclass(frozen=True, slots=True)
class ForcedOutcome:
    kind: ForcedKind
    row_errors: tuple[RowError, ...] = ()
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "rowErrors": [e.to_json() for e in self.row_errors],
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ForcedOutcome:
        errors = tuple(RowError.from_json(e) for e in data.get("rowErrors", ()))
        return cls(ForcedKind(data["kind"]), errors, data.get("reason"))

    @classmethod
    def failure(cls, row_errors: tuple[RowError, ...] = (), reason: str = "Forced failure") -> ForcedOutcome:
        return cls(ForcedKind.FAIL, tuple(row_errors), reason)

    @classmethod
    def partial(cls, row_errors: tuple[RowError, ...]) -> ForcedOutcome:
        if not row_errors:
            raise Invalid("a partial success needs at least one row error")
        return cls(ForcedKind.PARTIAL, tuple(row_errors))


@dataclass(slots=True)
class Job:
    """One unit of background work about one subject (an import id, a sync source id)."""

    id: str
    kind: JobKind
    subject_id: str
    progression: Progression  # captured at submit: changing the policy later does not move running jobs
    created_at: datetime
    forced: ForcedOutcome | None = None
    failure: str | None = None  # the owner's own verdict, known at submit (bad file, unknown list)
    status: JobStatus = JobStatus.PENDING
    reads: int = 0
    fraction: float = 0.0  # 0..1, how far along; 1 once finished
    updated_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status not in TERMINAL

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "subjectId": self.subject_id,
            "progression": self.progression.to_json(),
            "createdAt": instant_out(self.created_at),
            "forced": self.forced.to_json() if self.forced else None,
            "failure": self.failure,
            "status": self.status.value,
            "reads": self.reads,
            "fraction": self.fraction,
            "updatedAt": instant_out(self.updated_at),
            "finishedAt": instant_out(self.finished_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        created_at = instant_in(data["createdAt"])
        assert created_at is not None
        return cls(
            id=data["id"],
            kind=JobKind(data["kind"]),
            subject_id=data["subjectId"],
            progression=Progression.from_json(data["progression"]),
            created_at=created_at,
            forced=ForcedOutcome.from_json(data["forced"]) if data.get("forced") else None,
            failure=data.get("failure"),
            status=JobStatus(data["status"]),
            reads=int(data["reads"]),
            fraction=float(data["fraction"]),
            updated_at=instant_in(data.get("updatedAt")),
            finished_at=instant_in(data.get("finishedAt")),
        )

    @property
    def fails(self) -> bool:
        return self.failure is not None or (self.forced is not None and self.forced.kind is ForcedKind.FAIL)

    @property
    def failure_reason(self) -> str | None:
        if self.forced is not None and self.forced.kind is ForcedKind.FAIL:
            return self.forced.reason
        return self.failure


@dataclass(slots=True)
class JobBoard:
    """One tenant's jobs, their progression policies and the queue of forced outcomes per kind."""

    clock: Clock
    ids: IdFactory
    _jobs: dict[str, Job] = field(default_factory=dict)
    _policies: dict[JobKind, Progression] = field(default_factory=dict)
    _forced: dict[JobKind, deque[ForcedOutcome]] = field(default_factory=dict)

    # -- control plane --------------------------------------------------------------------------------

    def set_progression(self, kind: JobKind, progression: Progression | None) -> None:
        """The policy new jobs of `kind` start with; None puts back the default."""
        if progression is None:
            self._policies.pop(kind, None)
        else:
            self._policies[kind] = progression

    def has_progression(self, kind: JobKind) -> bool:
        """Whether a policy was set for `kind` (otherwise the default applies)."""
        return kind in self._policies

    def progression(self, kind: JobKind) -> Progression:
        return self._policies.get(kind, DEFAULT_PROGRESSION)

    def force_next(self, kind: JobKind, outcome: ForcedOutcome) -> None:
        """Queue an outcome for the next job of `kind` (first in, first out: one per job)."""
        self._forced.setdefault(kind, deque()).append(outcome)

    def forced_queue(self, kind: JobKind) -> tuple[ForcedOutcome, ...]:
        return tuple(self._forced.get(kind, ()))

    def clear_forced(self, kind: JobKind | None = None) -> None:
        if kind is None:
            self._forced.clear()
        else:
            self._forced.pop(kind, None)

    def take_forced(self, kind: JobKind) -> ForcedOutcome | None:
        """The owner takes the forced outcome before doing the work, since it shapes the work itself."""
        queue = self._forced.get(kind)
        return queue.popleft() if queue else None

    # -- jobs -----------------------------------------------------------------------------------------

    def submit(
        self,
        kind: JobKind,
        subject_id: str,
        *,
        forced: ForcedOutcome | None = None,
        failure: str | None = None,
    ) -> Job:
        now = self.clock.now()
        job = Job(
            id=self.ids.new(),
            kind=kind,
            subject_id=subject_id,
            progression=self.progression(kind),
            created_at=now,
            forced=forced,
            failure=failure,
            updated_at=now,
        )
        self._jobs[job.id] = job
        self._advance(job)
        return job

    def get(self, job_id: str) -> Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise NotFound("Job", job_id) from None

    def observe(self, job_id: str) -> Job:
        """A status read: counts toward `after_reads` and lets time-based progress catch up."""
        job = self.get(job_id)
        if job.active:
            job.reads += 1
        self._advance(job)
        return job

    def refresh(self, job_id: str) -> Job:
        """Catch up with the clock without counting a read (for internal looks, such as a re-sync check)."""
        job = self.get(job_id)
        self._advance(job)
        return job

    def jobs(self, kind: JobKind | None = None) -> list[Job]:
        return [j for j in self._jobs.values() if kind is None or j.kind is kind]

    # -- snapshots ------------------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """JSON-able state (policies, queued forced outcomes, jobs); `restore` rebuilds it exactly."""
        kinds = [k for k in JobKind]  # enum order, not dict order: the same board gives the same bytes
        return {
            "policies": {k.value: self._policies[k].to_json() for k in kinds if k in self._policies},
            "forced": {k.value: [f.to_json() for f in self._forced[k]] for k in kinds if self._forced.get(k)},
            "jobs": [job.to_json() for job in self._jobs.values()],
        }

    @classmethod
    def restore(cls, data: Mapping[str, Any], clock: Clock, ids: IdFactory) -> JobBoard:
        board = cls(clock, ids)
        for kind, policy in data.get("policies", {}).items():
            board._policies[JobKind(kind)] = Progression.from_json(policy)
        for kind, queue in data.get("forced", {}).items():
            board._forced[JobKind(kind)] = deque(ForcedOutcome.from_json(f) for f in queue)
        for item in data.get("jobs", ()):
            job = Job.from_json(item)
            board._jobs[job.id] = job
        return board

    def _advance(self, job: Job) -> None:
        if not job.active:
            return
        policy = job.progression
        fraction: float
        if policy.mode is ProgressionMode.IMMEDIATE:
            fraction = 1.0
        elif policy.mode is ProgressionMode.AFTER_READS:
            fraction = 1.0 if job.reads >= policy.reads else job.reads / policy.reads
        else:
            elapsed = (self.clock.now() - job.created_at).total_seconds()
            fraction = 1.0 if elapsed >= policy.seconds else elapsed / policy.seconds
        if fraction <= 0.0:
            return
        now = self.clock.now()
        if job.status is JobStatus.PENDING:
            job.status = job_transition(job.status, JobEvent.START)
        if fraction >= 1.0:
            job.status = job_transition(job.status, JobEvent.FAIL if job.fails else JobEvent.SUCCEED)
            job.finished_at = now
            fraction = 1.0
        job.fraction = max(job.fraction, fraction)
        job.updated_at = now
