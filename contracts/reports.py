"""Write a result's files (Markdown or HTML by extension, JUnit) and hold it to `--min-coverage`.

`run`, `proxy` and `replay` end here, so every command writes the same kinds of report the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from contracts.results import RunResult

__all__ = ["apply_min_coverage", "write_report_files"]


def apply_min_coverage(result: RunResult, minimum: float | None) -> None:
    """A run below the threshold does not conform (an error of the run, named with both figures)."""
    coverage = result.coverage
    if minimum is None or coverage is None:
        return
    if coverage.percent + 1e-9 < minimum:
        result.errors.append(
            f"API coverage {coverage.percent:.1f}% is below --min-coverage {minimum:g}% "
            f"({sum(op.exercised for op in coverage.operations.values())} of {len(coverage.operations)} "
            "operations exercised)"
        )


def write_report_files(
    result: RunResult,
    reports: Sequence[Path],
    junit_xml: Path | None,
    say: Callable[[str], None],
) -> None:
    from contracts.html_report import write_html
    from contracts.junit import write_junit
    from contracts.report import write_markdown

    for path in reports:
        if path.suffix.lower() in (".html", ".htm"):
            write_html(result, path)
            say(f"HTML report: {path}")
        else:
            write_markdown(result, path)
            say(f"Report: {path}")
    if junit_xml is not None:
        write_junit(result, junit_xml)
        say(f"JUnit XML: {junit_xml}")
