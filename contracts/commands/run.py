"""`fanfare-contract run`: the conformance suite (schemathesis, then the scripted scenarios, then
cleanup) against a target."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from contracts.commands.arguments import (
    USAGE_ERROR,
    interrupt_on_sigterm,
    percent,
    phase_list,
    positive,
    progress,
    rate,
    target_arguments,
)


def add_parser(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="run the conformance suite",
        description="Fuzz the target with schemathesis (every built-in check, every phase, plus Fanfare's "
        "own checks), then run the scripted business scenarios, then delete everything the run created.",
    )
    target_arguments(run)
    run.add_argument(
        "--second-token",
        default=os.environ.get("FANFARE_SECOND_TOKEN"),
        help="a secret key of ANOTHER organization, for the tenant-isolation checks "
        "(default: $FANFARE_SECOND_TOKEN)",
    )
    run.add_argument(
        "--family", choices=("v1", "api", "both"), default="both", help="route family (default: both)"
    )
    run.add_argument(
        "--max-examples", type=positive, default=10, help="examples per operation and phase (default: 10)"
    )
    run.add_argument(
        "--phases",
        type=phase_list,
        default=None,
        help="schemathesis phases, comma-separated (default: examples,coverage,fuzzing,stateful)",
    )
    run.add_argument("--no-fuzz", action="store_true", help="skip schemathesis entirely: scenarios only")
    run.add_argument("--no-scenarios", action="store_true", help="skip the scripted business scenarios")
    run.add_argument(
        "--scenario",
        action="append",
        default=None,
        metavar="NAME",
        help="run only this scenario (repeatable)",
    )
    run.add_argument(
        "--operation",
        action="append",
        default=None,
        metavar="LABEL",
        help='fuzz only this operation, e.g. "GET /api/v1/audiences" (repeatable)',
    )
    run.add_argument(
        "--read-only",
        action="store_true",
        help="send only GET requests; skip (and list) scenarios that write",
    )
    run.add_argument(
        "--rate-limit", type=rate, default=None, metavar="N/s", help="at most N requests per second (or N/m)"
    )
    run.add_argument(
        "--request-budget", type=positive, default=None, metavar="N", help="send at most N requests in all"
    )
    run.add_argument(
        "--probe-all-methods",
        action="store_true",
        help="also probe undeclared DELETE/PUT/PATCH/POST on collection paths (default: only GET, OPTIONS, "
        "TRACE and QUERY, since a real server may have undocumented bulk routes)",
    )
    run.add_argument("--seed", type=int, default=None, help="schemathesis seed, to reproduce a run")
    run.add_argument(
        "--workers",
        type=positive,
        default=1,
        metavar="N",
        help="schemathesis worker threads (its own parallelism; default: 1, serial)",
    )
    run.add_argument("--max-failures", type=positive, default=None, help="stop schemathesis after N failures")
    run.add_argument(
        "--walk-cap", type=positive, default=2000, help="largest member set a scenario walks (default: 2000)"
    )
    run.add_argument(
        "--spec", type=Path, default=None, help="the OpenAPI document (default: the bundled one)"
    )
    run.add_argument("--junit-xml", type=Path, default=None, metavar="PATH", help="write JUnit XML here")
    run.add_argument(
        "--report", type=Path, default=None, metavar="PATH", help="write a report here (HTML for .html)"
    )
    run.add_argument(
        "--min-coverage",
        type=percent,
        default=None,
        metavar="PCT",
        help="fail when fewer than PCT%% of the families' operations were exercised",
    )
    run.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")


def execute(args: argparse.Namespace) -> int:
    from contracts.options import ALL_PHASES, RunOptions
    from contracts.report import summary_text
    from contracts.runner import run_suite
    from contracts.scenarios import REGISTRY

    if args.scenario:
        unknown = [name for name in args.scenario if name not in REGISTRY]
        if unknown:
            print(
                f"fanfare-contract: error: unknown scenario(s) {', '.join(unknown)} "
                "(see `fanfare-contract list`)",
                file=sys.stderr,
            )
            return USAGE_ERROR
    phases: tuple[str, ...] = () if args.no_fuzz else (args.phases if args.phases is not None else ALL_PHASES)
    try:
        options = RunOptions(
            base_url=args.base_url,
            token=args.token,
            second_token=args.second_token,
            family=args.family,
            max_examples=args.max_examples,
            phases=phases,
            read_only=args.read_only,
            rate_limit=args.rate_limit,
            request_budget=args.request_budget,
            seed=args.seed,
            junit_xml=args.junit_xml,
            report=args.report,
            spec=args.spec,
            scenarios=not args.no_scenarios,
            only_scenarios=tuple(args.scenario) if args.scenario else None,
            operations=tuple(args.operation) if args.operation else None,
            max_failures=args.max_failures,
            walk_cap=args.walk_cap,
            probe_all_methods=args.probe_all_methods,
            min_coverage=args.min_coverage,
            workers=args.workers,
        )
    except ValueError as exc:
        print(f"fanfare-contract: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    from contracts.preflight import preflight

    problem = preflight(options)
    if problem is not None:  # before any fuzzing: one line, not thousands of connection errors
        print(f"fanfare-contract: error: {problem}", file=sys.stderr)
        return USAGE_ERROR
    interrupt_on_sigterm()
    _hypothesis_storage_outside_the_working_directory()
    result = run_suite(options, progress(args.quiet))
    print(summary_text(result))
    if args.junit_xml:
        print(f"JUnit XML: {args.junit_xml}")
    if args.report:
        print(f"Report: {args.report}")
    return result.exit_code


def _hypothesis_storage_outside_the_working_directory() -> None:
    """Hypothesis keeps a cache in `./.hypothesis` by default; a CLI run leaves nothing in the user's
    folder: it goes to the user's cache directory (HYPOTHESIS_STORAGE_DIRECTORY still wins)."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    from hypothesis.configuration import set_hypothesis_home_dir

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    set_hypothesis_home_dir(cache / "fanfare-contract" / "hypothesis")
