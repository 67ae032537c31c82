"""`fanfare-contract replay`: send a recorded session to another server and say where its answers differ.

Requests go in the recorded order. Every id the recording's answers handed out is mapped to the id the
target answered in the same place, and later requests name the target's ids. An answer may differ from
the recorded one only in what is allowed to differ (see `answer_diff`); every other difference is
reported, exchange by exchange. Each answer is also judged like the proxy judges it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from contracts.answer_diff import answer_differences, learn_ids
from contracts.cassette import read_cassette
from contracts.exchange_judge import ExchangeJudge, observed_result
from contracts.operations import OperationIndex
from contracts.report import summary_text
from contracts.reports import apply_min_coverage, write_report_files
from contracts.results import Outcome, Problem, Status
from contracts.traffic import Traffic

__all__ = ["ReplayOptions", "replay_exchanges", "run_replay"]

_NOT_SENT = frozenset({"host", "content-length", "connection", "transfer-encoding", "keep-alive"})
REPLAY_CHECK = "replay_matches_recording"


@dataclass
class ReplayOptions:
    cassette: Path
    base_url: str
    token: str | None = None
    second_token: str | None = None
    reports: Sequence[Path] = ()
    junit_xml: Path | None = None
    min_coverage: float | None = None
    spec: dict[str, Any] | None = None
    timeout: float = 30.0


@dataclass
class ReplayedExchange:
    recorded: Traffic
    replayed: Traffic
    label: str
    differences: list[str] = field(default_factory=list)


def _substitute(text: str, ids: Mapping[str, str]) -> str:
    # Longest first, so an id that contains another is replaced whole.
    for recorded in sorted(ids, key=len, reverse=True):
        if recorded in text:
            text = text.replace(recorded, ids[recorded])
    return text


def _retarget(url: str, base_url: str, ids: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return base_url.rstrip("/") + _substitute(tail, ids)


def replay_exchanges(
    recorded: Sequence[Traffic],
    base_url: str,
    spec: Mapping[str, Any],
    *,
    http: httpx.Client | None = None,
    timeout: float = 30.0,
) -> list[ReplayedExchange]:
    """Send every recorded request to `base_url` in order; each with its differences."""
    index = OperationIndex(spec)
    ids: dict[str, str] = {}
    client = http or httpx.Client(timeout=timeout, follow_redirects=False)
    done: list[ReplayedExchange] = []
    try:
        for original in recorded:
            url = _retarget(original.url, base_url, ids)
            body = original.request_body
            if body and ids:
                with contextlib.suppress(UnicodeDecodeError):  # a binary body is sent as recorded
                    body = _substitute(body.decode("utf-8"), ids).encode("utf-8")
            headers = [(k, v) for k, v in original.request_headers if k.lower() not in _NOT_SENT]
            started = time.perf_counter()
            response = client.send(httpx.Request(original.method, url, headers=headers, content=body))
            replayed = Traffic(
                method=original.method,
                url=url,
                request_headers=headers,
                request_body=body,
                status=response.status_code,
                response_headers=list(response.headers.multi_items()),
                response_body=response.content,
                elapsed=time.perf_counter() - started,
                index=original.index,
            )
            match = index.match(original.method, urlsplit(original.url).path)
            label = match.label if match else f"{original.method} {urlsplit(original.url).path}"
            learn_ids(original.response_json(), replayed.response_json(), ids)
            differences = answer_differences(original, replayed, ids)
            done.append(ReplayedExchange(original, replayed, label, differences))
    finally:
        if http is None:
            client.close()
    return done


def run_replay(options: ReplayOptions, say: Callable[[str], None]) -> int:
    spec = options.spec
    if spec is None:
        import fanfare_spec

        spec = fanfare_spec.load("fanfare")
    secrets = tuple(s for s in (options.token, options.second_token) if s)
    recorded = read_cassette(options.cassette, (options.token or "", options.second_token or ""))
    say(
        f"fanfare-contract replay: {len(recorded)} exchanges of {options.cassette} against {options.base_url}"
    )
    started = time.monotonic()
    try:
        replayed = replay_exchanges(recorded, options.base_url, spec, timeout=options.timeout)
    except httpx.HTTPError as exc:
        say(f"fanfare-contract replay: the target failed: {type(exc).__name__}: {exc}")
        return 1
    judge = ExchangeJudge(spec, secrets)
    for item in replayed:
        for violation in judge.judge(item.replayed):
            say(violation.text(secrets))
    result = observed_result(judge, options.base_url, f"replay-{time.strftime('%Y%m%d-%H%M%S')}", "replay")
    result.outcomes.extend(_difference_outcomes(replayed, secrets))
    for item in replayed:
        if item.differences:
            say(f"DIFFERENT #{item.recorded.index} {item.label}: " + "; ".join(item.differences[:5]))
    result.duration = time.monotonic() - started
    same = sum(not item.differences for item in replayed)
    result.notes.append(f"{same} of {len(replayed)} answers match the recording (beyond ids and timestamps)")
    apply_min_coverage(result, options.min_coverage)
    say(summary_text(result))
    write_report_files(result, options.reports, options.junit_xml, say)
    return result.exit_code


def _difference_outcomes(replayed: Sequence[ReplayedExchange], secrets: tuple[str, ...]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for item in replayed:
        outcome = Outcome(
            suite="replay",
            family=None,
            subject=f"#{item.recorded.index:03d} {item.label}",
            check=REPLAY_CHECK,
            status=Status.FAILED if item.differences else Status.PASSED,
            runs=1,
        )
        if item.differences:
            outcome.problems.append(
                Problem(
                    title=f"The answer differs from the recording ({len(item.differences)} difference(s))",
                    message="\n".join(item.differences[:20]),
                    curl=item.replayed.curl(secrets),
                    status_code=item.replayed.status,
                    snippet=item.replayed.snippet(),
                    phase=f"recorded {item.recorded.status}: {item.recorded.snippet(200)}",
                )
            )
        outcomes.append(outcome)
    return outcomes
