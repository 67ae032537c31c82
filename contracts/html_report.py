"""One self-contained HTML page for a `run`, `proxy` or `replay`: verdict, failures, coverage matrix.

No script, font or stylesheet is fetched: everything is inline, so the file opens offline (a CI
artifact, an attachment). Every value is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from pathlib import Path

from contracts.coverage import Coverage, OperationCoverage
from contracts.results import Outcome, RunResult, Status

__all__ = ["html_report", "write_html"]

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
header{padding:20px 28px;color:#fff}
header.pass{background:#1f7a3f} header.fail{background:#b42318}
header h1{margin:0 0 4px;font-size:22px} header p{margin:2px 0;opacity:.92}
main{padding:8px 28px 40px;max-width:1300px}
h2{margin:28px 0 10px;font-size:18px} h3{margin:18px 0 6px;font-size:15px}
table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:10px}
th,td{border:1px solid #d9dde3;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5} td.num{text-align:right}
.yes{color:#1f7a3f;font-weight:600} .no{color:#8a94a3} .bad{color:#b42318;font-weight:600}
.failure{background:#fff;border:1px solid #f0c8c4;border-left:4px solid #b42318;padding:8px 12px;margin:8px 0}
pre{background:#1d2329;color:#e8edf2;padding:8px 10px;white-space:pre-wrap;word-break:break-all}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
.meter{display:inline-block;width:160px;height:10px;background:#d9dde3;vertical-align:middle}
.meter span{display:block;height:10px;background:#1f7a3f}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _counts(result: RunResult) -> dict[Status, int]:
    counts = dict.fromkeys(Status, 0)
    for outcome in result.outcomes:
        counts[outcome.status] += 1
    return counts


def _failures(result: RunResult) -> list[str]:
    failing = [o for o in result.outcomes if o.status in (Status.FAILED, Status.ERROR)]
    out = [f'<h2 id="failures">Failures ({len(failing)})</h2>']
    if not failing:
        return [*out, "<p>None.</p>"]
    by_check: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in failing:
        by_check[outcome.check].append(outcome)
    for check in sorted(by_check):
        out.append(f'<h3 class="check">{_e(check)}</h3>')
        for outcome in sorted(by_check[check], key=lambda o: o.subject):
            family = f" [{_e(outcome.family)}]" if outcome.family else ""
            for problem in outcome.problems or []:
                parts = [
                    f'<div class="failure"><b>{_e(outcome.subject)}</b>{family}: {_e(problem.title)}',
                    f"<p>{_e(problem.message)}</p>" if problem.message else "",
                    f"<p>Found in: {_e(problem.phase)}</p>" if problem.phase else "",
                    (
                        f"<p>Answered <code>{_e(problem.status_code)}</code>: "
                        f"<code>{_e(problem.snippet or '')}</code></p>"
                        if problem.status_code is not None
                        else ""
                    ),
                    f"<pre><code>{_e(problem.curl)}</code></pre>" if problem.curl else "",
                    "</div>",
                ]
                out.append("".join(parts))
            if not outcome.problems:
                out.append(
                    f'<div class="failure"><b>{_e(outcome.subject)}</b>{family}: {_e(outcome.status)}</div>'
                )
    return out


def _row(op: OperationCoverage) -> str:
    seen = ", ".join(f"{status}×{n}" for status, n in sorted(op.seen.items())) or "-"
    undeclared = op.undeclared()
    checks = ", ".join(sorted(op.checks))
    return (
        f'<tr data-operation="{_e(op.label)}"><td><code>{_e(op.label)}</code></td>'
        f'<td class="{"yes" if op.exercised else "no"}">{"yes" if op.exercised else "no"}</td>'
        f"<td>{_e(seen)}</td><td>{_e(', '.join(op.declared))}</td>"
        f'<td class="{"bad" if undeclared else ""}">{_e(", ".join(map(str, undeclared)) or "-")}</td>'
        f'<td title="{_e(checks)}">{len(op.checks)}</td></tr>'
    )


def _matrix(coverage: Coverage) -> list[str]:
    out = [
        f'<h2 id="coverage">API coverage: {coverage.percent:.0f}% of {len(coverage.operations)} operations '
        f'exercised <span class="meter"><span style="width:{coverage.percent:.0f}%"></span></span></h2>'
    ]
    by_family: dict[str, list[OperationCoverage]] = defaultdict(list)
    for op in coverage.operations.values():
        by_family[op.family].append(op)
    for family in sorted(by_family):
        ops = sorted(by_family[family], key=lambda op: (op.label.split(" ", 1)[1], op.label))
        exercised = sum(op.exercised for op in ops)
        out.append(f"<h3>Family {_e(family)}: {exercised} of {len(ops)} operations exercised</h3>")
        out.append(
            f'<table class="matrix" data-family="{_e(family)}"><thead><tr>'
            "<th>Operation</th><th>Exercised</th>"
            "<th>Statuses seen</th><th>Statuses declared</th><th>Seen, not declared</th>"
            "<th>Checks run</th></tr></thead><tbody>"
        )
        out.extend(_row(op) for op in ops)
        out.append("</tbody></table>")
    return out


def html_report(result: RunResult, title: str = "fanfare-contract") -> str:
    counts = _counts(result)
    verdict = "conforms" if result.conforms else "does NOT conform"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)} {_e(result.kind)}: {_e(verdict)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f'<header class="{"pass" if result.conforms else "fail"}">',
        f'<h1 id="verdict">{_e(result.base_url)} {_e(verdict)}</h1>',
        f"<p>{_e(title)} {_e(result.kind)} {_e(result.run_id)}; "
        f"families: {_e(', '.join(result.families))}</p>",
        f"<p>{counts[Status.PASSED]} passed, {counts[Status.FAILED]} failed, {counts[Status.ERROR]} errors, "
        f"{counts[Status.SKIPPED]} skipped; {result.requests_sent} requests in {result.duration:.1f} s</p>",
        "</header><main>",
    ]
    parts += _failures(result)
    if result.coverage is not None:
        parts += _matrix(result.coverage)
    notes = [*(f"Error: {e}" for e in result.errors), *result.notes]
    if result.incomplete:
        notes.append(f"Incomplete: {result.incomplete}")
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    checks: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in result.outcomes:
        checks[outcome.check].append(outcome)
    parts.append("<h2>Checks</h2><table><thead><tr><th>Check</th><th>Operations or scenarios</th>")
    parts.append("<th>Failing</th><th>Judged</th></tr></thead><tbody>")
    for check in sorted(checks):
        outcomes = checks[check]
        failing = sum(o.status in (Status.FAILED, Status.ERROR) for o in outcomes)
        parts.append(
            f"<tr><td><code>{_e(check)}</code></td><td class='num'>{len(outcomes)}</td>"
            f"<td class='num {'bad' if failing else ''}'>{failing}</td>"
            f"<td class='num'>{sum(o.runs for o in outcomes)}</td></tr>"
        )
    parts.append("</tbody></table></main></body></html>")
    return "\n".join(parts)


def write_html(result: RunResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(result), encoding="utf-8")
