"""JUnit XML built from our own results: one test per (family, operation, check) and per scenario.

schemathesis' own JUnit report groups by operation and its pytest route gives every parametrized item
one node id under pytest 9 (toolchain notes); building the file ourselves makes every name distinct by
construction: classname `fanfare.<suite>.<family>`, name `<METHOD path> :: <check>` or `<scenario>[<family>]`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from contracts.results import Outcome, Problem, RunResult, Status

__all__ = ["junit_xml", "write_junit"]

_SUITE_TITLES = {"schemathesis": "schemathesis", "scenario": "scenarios"}


def _problem_text(problem: Problem) -> str:
    lines = [problem.title]
    if problem.message:
        lines.append(problem.message)
    if problem.phase:
        lines.append(f"phase: {problem.phase}")
    if problem.status_code is not None:
        lines.append(f"status: {problem.status_code}")
    if problem.snippet:
        lines.append(f"body: {problem.snippet}")
    if problem.curl:
        lines.append(f"reproduce:\n{problem.curl}")
    return "\n".join(lines)


def _testcase(parent: ET.Element, outcome: Outcome, name: str) -> None:
    case = ET.SubElement(
        parent, "testcase", classname=outcome.class_name, name=name, time=f"{outcome.duration:.3f}"
    )
    if outcome.status in (Status.FAILED, Status.ERROR):
        tag = "failure" if outcome.status == Status.FAILED else "error"
        first = outcome.problems[0].title if outcome.problems else outcome.status.value
        element = ET.SubElement(case, tag, message=first, type=outcome.check)
        element.text = "\n\n".join(_problem_text(p) for p in outcome.problems)
    elif outcome.status == Status.SKIPPED:
        ET.SubElement(case, "skipped", message=outcome.skip_reason or "skipped")
    if outcome.runs:
        ET.SubElement(case, "system-out").text = (
            f"{outcome.runs} responses judged"
            if outcome.suite == "schemathesis"
            else f"{outcome.runs} requests"
        )


def _suite_name(outcome: Outcome) -> str:
    title = _SUITE_TITLES.get(outcome.suite, outcome.suite)
    return f"{title} ({outcome.family})" if outcome.family else title


def junit_xml(result: RunResult) -> str:
    root = ET.Element("testsuites", name=f"fanfare-contract {result.run_id}", time=f"{result.duration:.3f}")
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in result.outcomes:
        groups[_suite_name(outcome)].append(outcome)
    extra = result.run_outcomes()
    if extra:
        groups["run"].extend(extra)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite_name in sorted(groups):
        outcomes = sorted(groups[suite_name], key=lambda o: (o.subject, o.check))
        counts = {
            "tests": len(outcomes),
            "failures": sum(o.status == Status.FAILED for o in outcomes),
            "errors": sum(o.status == Status.ERROR for o in outcomes),
            "skipped": sum(o.status == Status.SKIPPED for o in outcomes),
        }
        attributes = {"name": suite_name, "time": f"{sum(o.duration for o in outcomes):.3f}"}
        attributes.update({key: str(value) for key, value in counts.items()})
        suite = ET.SubElement(root, "testsuite", attributes)
        used: set[tuple[str, str]] = set()
        for outcome in outcomes:
            name = outcome.test_name
            if (outcome.class_name, name) in used:  # cannot happen by construction; never emit a duplicate
                n = 2
                while (outcome.class_name, f"{name} #{n}") in used:
                    n += 1
                name = f"{name} #{n}"
            used.add((outcome.class_name, name))
            _testcase(suite, outcome, name)
        for key, value in counts.items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(result: RunResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(result), encoding="utf-8")
