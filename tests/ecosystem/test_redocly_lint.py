"""Redocly's recommended rules, with the committed `redocly.yaml`, find nothing in the bundled documents."""

from __future__ import annotations

from typing import Any


def test_redocly_lint_is_clean(node_run: Any) -> None:
    # From the repository root, where `npx @redocly/cli lint` finds redocly.yaml and its two APIs.
    done = node_run("redocly", "lint", "--format=summary", "--max-problems=1000")
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    # The summary lists one line per rule that fired; a clean run lists none, warnings included.
    fired = [line for line in report.splitlines() if line.startswith(("error ", "warning "))]
    assert not fired, report
    assert report.count("validated in") == 2, report
