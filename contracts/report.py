"""What a person reads: the console summary and the Markdown report of a run."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from contracts.results import Outcome, RunResult, Status

__all__ = ["markdown", "summary_text", "write_markdown"]


def _counts(result: RunResult) -> dict[Status, int]:
    counts = dict.fromkeys(Status, 0)
    for outcome in [*result.outcomes, *result.run_outcomes()]:  # what the JUnit file counts, exactly
        counts[outcome.status] += 1
    return counts


def _verdict(result: RunResult) -> str:
    if result.conforms:
        return "CONFORMS"
    if result.interrupted:
        return "INTERRUPTED"
    if result.incomplete:
        return "INCOMPLETE"
    return "DOES NOT CONFORM"


def _label(outcome: Outcome) -> str:
    family = f" {outcome.family}" if outcome.family else ""
    return f"[{outcome.suite}{family}] {outcome.test_name}"


def _problems(result: RunResult) -> list[Outcome]:
    return [o for o in result.outcomes if o.status in (Status.FAILED, Status.ERROR)]


def summary_text(result: RunResult) -> str:
    counts = _counts(result)
    lines = [
        f"fanfare-contract {result.run_id} against {result.base_url}: {_verdict(result)}",
        f"  {counts[Status.PASSED]} passed, {counts[Status.FAILED]} failed, {counts[Status.ERROR]} errors, "
        f"{counts[Status.SKIPPED]} skipped; {result.requests_sent} requests in {result.duration:.1f}s",
    ]
    failing = _problems(result)
    if failing:
        lines.append("")
        lines.append("Failures:")
        for n, outcome in enumerate(failing, 1):
            lines.append(f"{n:3}. {_label(outcome)}")
            for problem in outcome.problems[:3]:
                lines.append(f"     {problem.title}")
                for text in problem.message.splitlines()[:6]:
                    if text.strip():
                        lines.append(f"       {text}")
                if problem.phase:
                    lines.append(f"       (found in the {problem.phase} phase)")
                if problem.curl:
                    for curl_line in problem.curl.splitlines():
                        lines.append(
                            f"       $ {curl_line}" if curl_line.startswith("curl") else f"       {curl_line}"
                        )
            if len(outcome.problems) > 3:
                lines.append(f"     … and {len(outcome.problems) - 3} more")
    skipped = [o for o in result.outcomes if o.status == Status.SKIPPED and o.suite == "scenario"]
    if skipped:
        lines.append("")
        lines.append("Skipped scenarios (not counted as passed):")
        for outcome in skipped:
            lines.append(f"  - {outcome.test_name}: {outcome.skip_reason}")
    for error in result.errors:
        lines.append(f"Run error: {error}")
    if result.incomplete:
        lines.append(f"Incomplete: {result.incomplete}")
    for note in result.notes:
        lines.append(f"Note: {note}")
    if not result.read_only and result.kind == "run":
        lines.append(f"Cleanup: {len(result.cleaned)} deleted, {len(result.leftovers)} left behind")
        for item in result.leftovers:
            lines.append(f"  LEFT BEHIND: {item.kind} {item.id} {item.name or ''} ({item.cleanup_error})")
    if result.timings:
        lines.append("Timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items()))
    return "\n".join(lines)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(result: RunResult) -> str:
    counts = _counts(result)
    out = [
        f"# fanfare-contract report: {_verdict(result)}",
        "",
        f"- Target: `{result.base_url}`  ",
        f"- Run id: `{result.run_id}` (everything created was named `fct-{result.run_id}-…`)  ",
        f"- Families: {', '.join(result.families)}{' (read-only)' if result.read_only else ''}  ",
        f"- {counts[Status.PASSED]} passed, {counts[Status.FAILED]} failed, {counts[Status.ERROR]} errors, "
        f"{counts[Status.SKIPPED]} skipped; {result.requests_sent} requests in {result.duration:.1f} s",
        "",
    ]
    failing = _problems(result)
    out.append("## Failures")
    out.append("")
    if not failing:
        out.append("None.")
    for outcome in failing:
        out.append(f"### {outcome.status.value.upper()}: {_cell(_label(outcome))}")
        out.append("")
        for problem in outcome.problems:
            out.append(f"**{problem.title}**" + (f" (phase: {problem.phase})" if problem.phase else ""))
            out.append("")
            if problem.message:
                out.append("```text")
                out.append(problem.message)
                out.append("```")
            if problem.status_code is not None:
                out.append(f"Response: `{problem.status_code}` `{_cell(problem.snippet or '')}`")
                out.append("")
            if problem.curl:
                out.append("```sh")
                out.append(problem.curl)
                out.append("```")
            out.append("")
    out.append("")
    out.append("## Scenarios")
    out.append("")
    out.append("| Scenario | Family | Result | Requests | What it checks |")
    out.append("|---|---|---|---|---|")
    for outcome in (o for o in result.outcomes if o.suite == "scenario"):
        shown = outcome.status.value + (f": {outcome.skip_reason}" if outcome.skip_reason else "")
        out.append(
            f"| `{outcome.subject}` | {outcome.family or 'both'} | {_cell(shown)} | {outcome.runs} | "
            f"{_cell(outcome.description)} |"
        )
    out.append("")
    out.append("## schemathesis checks")
    out.append("")
    by_check: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in (o for o in result.outcomes if o.suite == "schemathesis"):
        by_check[outcome.check].append(outcome)
    out.append("| Check | Operations | Failing operations | Responses judged |")
    out.append("|---|---|---|---|")
    for check in sorted(by_check):
        outcomes = by_check[check]
        failed = [o.subject for o in outcomes if o.status in (Status.FAILED, Status.ERROR)]
        out.append(
            f"| `{check}` | {len(outcomes)} | {_cell(', '.join(failed)) or '-'} | "
            f"{sum(o.runs for o in outcomes)} |"
        )
    out.append("")
    if result.errors or result.incomplete or result.notes:
        out.append("## Run notes")
        out.append("")
        for line in [
            *(f"Error: {e}" for e in result.errors),
            *([f"Incomplete: {result.incomplete}"] if result.incomplete else []),
            *result.notes,
        ]:
            out.append(f"- {_cell(line)}")
        out.append("")
    if not result.read_only and result.kind == "run":
        out.append("## Cleanup")
        out.append("")
        out.append(f"{len(result.cleaned)} entities deleted, {len(result.leftovers)} left behind.")
        for item in result.leftovers:
            out.append(
                f"- **left behind**: {item.kind} `{item.id}` {_cell(item.name or '')}: "
                f"{_cell(item.cleanup_error or '')}"
            )
        out.append("")
    if result.timings:
        out.append("## Timings")
        out.append("")
        for key, value in result.timings.items():
            out.append(f"- {key}: {value:.1f} s")
        out.append("")
    return "\n".join(out)


def write_markdown(result: RunResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(result), encoding="utf-8")
