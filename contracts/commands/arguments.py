"""What the `fanfare-contract` subcommands share: the parser class (usage errors exit 2), the option
values, the target and report options, progress lines, SIGTERM as Ctrl-C and a `--spec` document."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

USAGE_ERROR = 2


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def phase_list(text: str) -> tuple[str, ...]:
    from contracts.options import ALL_PHASES

    phases = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in phases if p not in ALL_PHASES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown phase(s) {', '.join(unknown)}; choose from {','.join(ALL_PHASES)}"
        )
    return phases


def rate(text: str) -> float:
    from contracts.options import parse_rate_limit

    try:
        return parse_rate_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def percent(text: str) -> float:
    value = non_negative(text.rstrip("%"))
    if value > 100:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {text}")
    return value


def target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url", required=True, help="the API's base URL, e.g. https://staging.example.com"
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("FANFARE_TOKEN"),
        help="a secret key (sk_test_...) of the organization to test (default: $FANFARE_TOKEN)",
    )


def report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="write a report here: HTML for .html, Markdown otherwise (repeatable)",
    )
    parser.add_argument("--junit-xml", type=Path, default=None, metavar="PATH", help="write JUnit XML here")
    parser.add_argument(
        "--min-coverage",
        type=percent,
        default=None,
        metavar="PCT",
        help="fail when fewer than PCT%% of the spec's operations were exercised",
    )


def interrupt_on_sigterm() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGTERM, handler)


def progress(quiet: bool):  # type: ignore[no-untyped-def]
    def say(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr, flush=True)

    return say


def spec_document(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    from contracts.options import RunOptions
    from contracts.runner import load_spec

    return load_spec(RunOptions(base_url="http://spec.invalid", token="-", spec=path))
