"""`fanfare-contract drift`: which documentation style the target follows, point by point."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from contracts.commands.arguments import USAGE_ERROR, target_arguments


def add_parser(commands: Any) -> None:
    drift = commands.add_parser(
        "drift",
        help="which documentation style the target follows, point by point",
        description="Probe the target and tell, for each point where the guide and the API reference "
        "disagree, which one it follows, with the evidence (status and a snippet), for both families.",
    )
    target_arguments(drift)
    drift.add_argument(
        "--read-only", action="store_true", help="only GET probes (points that need a write are not judged)"
    )
    drift.add_argument(
        "--report", type=Path, default=None, metavar="PATH", help="also write the table as Markdown"
    )


def execute(args: argparse.Namespace) -> int:
    from contracts.drift import drift_table, probe_drift

    if not args.base_url.startswith(("http://", "https://")):
        print("fanfare-contract: error: --base-url must start with http:// or https://", file=sys.stderr)
        return USAGE_ERROR
    points = probe_drift(args.base_url, args.token, read_only=args.read_only)
    text = drift_table(points)
    print(text)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text + "\n", encoding="utf-8")
    return 0
