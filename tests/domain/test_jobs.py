"""Job progression: the transition table, each policy on the virtual clock, forced outcomes, snapshots."""

from __future__ import annotations

import itertools
import json

import pytest

from mock_server.domain.imports import (
    DEFAULT_PROGRESSION,
    JOB_TRANSITIONS,
    ForcedKind,
    ForcedOutcome,
    JobBoard,
    JobEvent,
    JobKind,
    JobStatus,
    Progression,
    RowError,
    follow_path,
    job_transition,
)
from mock_server.domain.kernel import Clock, IdFactory, IllegalTransition, Invalid


def board(clock: Clock) -> JobBoard:
    return JobBoard(clock, IdFactory(clock, "jobs"))


@pytest.mark.parametrize(("status", "event"), list(itertools.product(JobStatus, JobEvent)))
def test_every_table_entry_is_legal_and_every_other_move_raises(status: JobStatus, event: JobEvent) -> None:
    if (status, event) in JOB_TRANSITIONS:
        assert job_transition(status, event) is JOB_TRANSITIONS[status, event]
    else:
        with pytest.raises(IllegalTransition) as caught:
            job_transition(status, event)
        assert (caught.value.machine, caught.value.from_state, caught.value.event) == (
            "job",
            status.value,
            event.value,
        )


def test_terminal_states_have_no_way_out() -> None:
    for (status, _), _target in JOB_TRANSITIONS.items():
        assert status not in (JobStatus.SUCCEEDED, JobStatus.FAILED)


def test_immediate_jobs_finish_at_submit(clock: Clock) -> None:
    jobs = board(clock)
    jobs.set_progression(JobKind.SYNC, Progression.immediate())
    ok = jobs.submit(JobKind.SYNC, "s1")
    bad = jobs.submit(JobKind.SYNC, "s2", failure="List not found")
    assert (ok.status, ok.fraction, ok.finished_at) == (JobStatus.SUCCEEDED, 1.0, clock.now())
    assert (bad.status, bad.failure_reason) == (JobStatus.FAILED, "List not found")


def test_after_reads_finishes_on_the_nth_read(clock: Clock) -> None:
    jobs = board(clock)
    jobs.set_progression(JobKind.IMPORT, Progression.after_reads(3))
    job = jobs.submit(JobKind.IMPORT, "i1")
    assert job.status is JobStatus.PENDING
    seen = [(jobs.observe(job.id).status, round(job.fraction, 2)) for _ in range(4)]
    assert seen == [
        (JobStatus.RUNNING, 0.33),
        (JobStatus.RUNNING, 0.67),
        (JobStatus.SUCCEEDED, 1.0),
        (JobStatus.SUCCEEDED, 1.0),
    ]
    assert job.reads == 3  # reads after the end are not counted


def test_refresh_does_not_count_as_a_read(clock: Clock) -> None:
    jobs = board(clock)
    jobs.set_progression(JobKind.IMPORT, Progression.after_reads(1))
    job = jobs.submit(JobKind.IMPORT, "i1")
    assert jobs.refresh(job.id).status is JobStatus.PENDING
    assert jobs.observe(job.id).status is JobStatus.SUCCEEDED


def test_after_zero_reads_is_immediate(clock: Clock) -> None:
    jobs = board(clock)
    jobs.set_progression(JobKind.SYNC, Progression.after_reads(0))
    assert jobs.submit(JobKind.SYNC, "s").status is JobStatus.SUCCEEDED


def test_after_seconds_follows_the_virtual_clock(clock: Clock) -> None:
    jobs = board(clock)
    jobs.set_progression(JobKind.SYNC, Progression.after_seconds(10))
    job = jobs.submit(JobKind.SYNC, "s", failure=None)
    assert jobs.observe(job.id).status is JobStatus.PENDING  # frozen clock: nothing moves
    clock.advance(4)
    assert (jobs.observe(job.id).status, job.fraction) == (JobStatus.RUNNING, 0.4)
    clock.advance(6)
    assert jobs.refresh(job.id).status is JobStatus.SUCCEEDED
    assert job.finished_at == clock.now()


def test_a_clock_jump_goes_straight_to_the_outcome(clock: Clock) -> None:
    jobs = board(clock)
    jobs.set_progression(JobKind.SYNC, Progression.after_seconds(5))
    job = jobs.submit(JobKind.SYNC, "s", forced=ForcedOutcome.failure(reason="boom"))
    clock.advance(3600)
    assert (jobs.observe(job.id).status, job.failure_reason) == (JobStatus.FAILED, "boom")


def test_the_policy_is_captured_when_the_job_starts(clock: Clock) -> None:
    jobs = board(clock)
    jobs.set_progression(JobKind.IMPORT, Progression.after_reads(5))
    job = jobs.submit(JobKind.IMPORT, "i")
    jobs.set_progression(JobKind.IMPORT, Progression.immediate())
    assert jobs.observe(job.id).status is JobStatus.RUNNING
    assert jobs.progression(JobKind.SYNC) == DEFAULT_PROGRESSION


def test_forced_outcomes_queue_per_kind_first_in_first_out(clock: Clock) -> None:
    jobs = board(clock)
    first = ForcedOutcome.failure((RowError(2, ("Invalid email",)),))
    second = ForcedOutcome.partial((RowError(3, ("Invalid phone (E.164)",)),))
    jobs.force_next(JobKind.IMPORT, first)
    jobs.force_next(JobKind.IMPORT, second)
    assert jobs.forced_queue(JobKind.IMPORT) == (first, second)
    assert jobs.take_forced(JobKind.SYNC) is None
    assert jobs.take_forced(JobKind.IMPORT) is first
    jobs.clear_forced(JobKind.IMPORT)
    assert jobs.take_forced(JobKind.IMPORT) is None


def test_a_partial_outcome_still_succeeds_and_needs_row_errors(clock: Clock) -> None:
    jobs = board(clock)
    jobs.set_progression(JobKind.IMPORT, Progression.immediate())
    partial = ForcedOutcome.partial((RowError(2, ("x",)),))
    assert partial.kind is ForcedKind.PARTIAL
    assert jobs.submit(JobKind.IMPORT, "i", forced=partial).status is JobStatus.SUCCEEDED
    with pytest.raises(Invalid):
        ForcedOutcome.partial(())


@pytest.mark.parametrize(
    "make", [lambda: Progression.after_reads(-1), lambda: Progression.after_seconds(-0.5)]
)
def test_negative_progressions_are_invalid(make: object) -> None:
    with pytest.raises(Invalid):
        make()  # type: ignore[operator]


def test_follow_path_walks_from_where_the_entity_is() -> None:
    path = ((JobEvent.START, JobStatus.RUNNING), (JobEvent.SUCCEED, JobStatus.SUCCEEDED))
    assert follow_path(JobStatus.PENDING, path, job_transition) is JobStatus.SUCCEEDED
    assert follow_path(JobStatus.RUNNING, path, job_transition) is JobStatus.SUCCEEDED
    assert follow_path(JobStatus.SUCCEEDED, path, job_transition) is JobStatus.SUCCEEDED
    with pytest.raises(IllegalTransition):  # a failed job cannot be walked to success
        follow_path(JobStatus.FAILED, path, job_transition)


def test_export_restores_the_board_exactly(clock: Clock) -> None:
    jobs = board(clock)
    jobs.set_progression(JobKind.SYNC, Progression.after_seconds(30))
    jobs.force_next(JobKind.IMPORT, ForcedOutcome.failure((RowError(4, ("Row too long",)),), "nope"))
    running = jobs.submit(JobKind.SYNC, "s1")
    clock.advance(10)
    jobs.observe(running.id)
    data = json.loads(json.dumps(jobs.export()))
    again = JobBoard.restore(data, clock, IdFactory(clock, "jobs"))
    assert again.export() == jobs.export()
    clock.advance(20)
    assert again.observe(running.id).status is JobStatus.SUCCEEDED
