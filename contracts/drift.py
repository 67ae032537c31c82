"""`fanfare-contract drift`: which documentation style a target follows, point by point, with evidence.

For each point where the guide and the generated API reference disagree (facts §3), send the
smallest request that shows the difference on each family and say which style the answer matches.
It creates a few audiences (named with a run prefix) unless read-only, and deletes them at the end.
"""

from __future__ import annotations

from typing import Any

from contracts.cleanup import clean_up
from contracts.client import Client, make_http_client
from contracts.drift_points import BOTH, GUIDE, NEITHER, REFERENCE, UNJUDGED, DriftPoint
from contracts.drift_probe import DriftProbe
from contracts.families import API, V1, Family
from contracts.guard import RunGuard
from contracts.ledger import Ledger
from contracts.options import new_run_id

__all__ = ["DriftPoint", "drift_table", "probe_drift"]


def probe_drift(
    base_url: str,
    token: str,
    *,
    read_only: bool = False,
    app: Any = None,
    families: tuple[Family, ...] = (V1, API),
) -> list[DriftPoint]:
    prefix = f"fct-{new_run_id()}-"
    ledger = Ledger()
    guard = RunGuard(ledger=ledger, prefix=prefix, read_only=read_only)
    http = make_http_client(base_url, app=app)
    client = Client(http, guard, token=token, secrets=(token,))
    probe = DriftProbe(client, read_only, prefix)
    try:
        for family in families:
            probe.safely("list envelope", family, lambda family=family: probe.family(family))  # type: ignore[misc]
    finally:
        if not read_only:
            clean_up(ledger, [client], families, prefix, lambda _: None)
        http.close()
    return probe.points


def drift_table(points: list[DriftPoint]) -> str:
    """A Markdown table (readable as plain text), then which style each family follows overall."""
    lines = ["| Point | Family | Follows | Observed | Evidence |", "|---|---|---|---|---|"]
    for p in points:
        cells = [p.point, p.family, p.follows, p.observed, p.evidence]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines.append("")
    for family in sorted({p.family for p in points}, reverse=True):
        votes = [p.follows for p in points if p.family == family]
        guide, reference = votes.count(GUIDE), votes.count(REFERENCE)
        verdict = (
            "the guide"
            if guide > reference
            else "the API reference"
            if reference > guide
            else "neither clearly"
        )
        lines.append(
            f"{family}: follows {verdict} ({guide} guide, {reference} reference, "
            f"{votes.count(NEITHER)} neither, {votes.count(BOTH)} both, {votes.count(UNJUDGED)} not judged)"
        )
    return "\n".join(lines)
