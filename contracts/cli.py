"""The `fanfare-contract` command: `run` the conformance suite, `drift` the doc-style probe, `list`.

Exit codes: 0 the target conforms, 1 it does not (failures, errors, an incomplete run, data left
behind), 2 the command line is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["main"]

USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _phases(text: str) -> tuple[str, ...]:
    from contracts.options import ALL_PHASES

    phases = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in phases if p not in ALL_PHASES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown phase(s) {', '.join(unknown)}; choose from {','.join(ALL_PHASES)}"
        )
    return phases


def _rate(text: str) -> float:
    from contracts.options import parse_rate_limit

    try:
        return parse_rate_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url", required=True, help="the API's base URL, e.g. https://staging.example.com"
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("FANFARE_TOKEN"),
        help="a secret key (sk_test_...) of the organization to test (default: $FANFARE_TOKEN)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fanfare-contract",
        description="Conformance checks for any implementation of Fanfare's Admin API (schemathesis plus "
        "Fanfare's business rules), safe to point at staging.",
    )
    parser.add_argument("--version", action="version", version=f"fanfare-contract {version('fanfare-mock')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    run = commands.add_parser(
        "run",
        help="run the conformance suite",
        description="Fuzz the target with schemathesis (every built-in check, every phase, plus Fanfare's "
        "own checks), then run the scripted business scenarios, then delete everything the run created.",
    )
    _target_arguments(run)
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
        "--max-examples", type=_positive, default=10, help="examples per operation and phase (default: 10)"
    )
    run.add_argument(
        "--phases",
        type=_phases,
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
        "--rate-limit", type=_rate, default=None, metavar="N/s", help="at most N requests per second (or N/m)"
    )
    run.add_argument(
        "--request-budget", type=_positive, default=None, metavar="N", help="send at most N requests in all"
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
        type=_positive,
        default=1,
        metavar="N",
        help="schemathesis worker threads (its own parallelism; default: 1, serial)",
    )
    run.add_argument(
        "--max-failures", type=_positive, default=None, help="stop schemathesis after N failures"
    )
    run.add_argument(
        "--walk-cap", type=_positive, default=2000, help="largest member set a scenario walks (default: 2000)"
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
        type=_percent,
        default=None,
        metavar="PCT",
        help="fail when fewer than PCT%% of the families' operations were exercised",
    )
    run.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")

    drift = commands.add_parser(
        "drift",
        help="which documentation style the target follows, point by point",
        description="Probe the target and tell, for each point where the guide and the API reference "
        "disagree, which one it follows, with the evidence (status and a snippet), for both families.",
    )
    _target_arguments(drift)
    drift.add_argument(
        "--read-only", action="store_true", help="only GET probes (points that need a write are not judged)"
    )
    drift.add_argument(
        "--report", type=Path, default=None, metavar="PATH", help="also write the table as Markdown"
    )

    _proxy_arguments(commands)
    _replay_arguments(commands)
    commands.add_parser("list", help="list the checks and scenarios")
    return parser


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def _percent(text: str) -> float:
    value = _non_negative(text.rstrip("%"))
    if value > 100:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {text}")
    return value


def _report_arguments(parser: argparse.ArgumentParser) -> None:
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
        type=_percent,
        default=None,
        metavar="PCT",
        help="fail when fewer than PCT%% of the spec's operations were exercised",
    )


def _proxy_arguments(commands: Any) -> None:
    proxy = commands.add_parser(
        "proxy",
        help="a validating proxy: forward real traffic unchanged and judge every exchange",
        description="Listen, forward every request to --upstream unchanged, and judge each exchange "
        "against the spec and Fanfare's rules; violations print as they happen. Ends on Ctrl-C, after "
        "--duration, or when `-- COMMAND` (run with FANFARE_BASE_URL set to the proxy) exits.",
    )
    proxy.add_argument(
        "--upstream", required=True, help="the server to forward to, e.g. http://127.0.0.1:8080"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    proxy.add_argument("--port", type=int, default=0, help="port to listen on (default: 0, a free one)")
    proxy.add_argument(
        "--duration", type=_non_negative, default=None, metavar="S", help="stop after S seconds"
    )
    proxy.add_argument(
        "--record", type=Path, default=None, metavar="FILE", help="keep the exchanges (VCR cassette)"
    )
    proxy.add_argument(
        "--spec", type=Path, default=None, help="the OpenAPI document (default: the bundled one)"
    )
    _report_arguments(proxy)


def _replay_arguments(commands: Any) -> None:
    replay = commands.add_parser(
        "replay",
        help="send a recorded cassette to another server and report where its answers differ",
        description="Send the cassette's requests in order to --base-url (ids mapped from the recording "
        "to what the target answers) and report, exchange by exchange, every difference beyond ids, "
        "timestamps and generated data; every answer is also judged like the proxy judges.",
    )
    replay.add_argument("cassette", type=Path, help="a cassette written by `proxy --record`")
    _target_arguments(replay)
    replay.add_argument(
        "--second-token",
        default=os.environ.get("FANFARE_SECOND_TOKEN"),
        help="the key that replaces $FANFARE_SECOND_TOKEN (default: $FANFARE_SECOND_TOKEN)",
    )
    replay.add_argument(
        "--spec", type=Path, default=None, help="the OpenAPI document (default: the bundled one)"
    )
    _report_arguments(replay)


def _interrupt_on_sigterm() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGTERM, handler)


def _progress(quiet: bool):  # type: ignore[no-untyped-def]
    def say(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr, flush=True)

    return say


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in words:  # `proxy ... -- COMMAND ARGS`: everything after `--` is the client to run
        cut = words.index("--")
        words, command = words[:cut], words[cut + 1 :]
    args = _parser().parse_args(words)
    if command and args.command != "proxy":
        print("fanfare-contract: error: `-- COMMAND` is only for `proxy`", file=sys.stderr)
        return USAGE_ERROR
    if args.command == "list":
        return _list()
    if args.command == "proxy":
        return _proxy(args, command)
    if not args.token:
        print("fanfare-contract: error: --token (or $FANFARE_TOKEN) is required", file=sys.stderr)
        return USAGE_ERROR
    if args.command == "drift":
        return _drift(args)
    if args.command == "replay":
        return _replay(args)
    return _run(args)


def _hypothesis_storage_outside_the_working_directory() -> None:
    """Hypothesis keeps a cache in `./.hypothesis` by default; a CLI run leaves nothing in the user's
    folder: it goes to the user's cache directory (HYPOTHESIS_STORAGE_DIRECTORY still wins)."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    from hypothesis.configuration import set_hypothesis_home_dir

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    set_hypothesis_home_dir(cache / "fanfare-contract" / "hypothesis")


def _run(args: argparse.Namespace) -> int:
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
    _interrupt_on_sigterm()
    _hypothesis_storage_outside_the_working_directory()
    result = run_suite(options, _progress(args.quiet))
    print(summary_text(result))
    if args.junit_xml:
        print(f"JUnit XML: {args.junit_xml}")
    if args.report:
        print(f"Report: {args.report}")
    return result.exit_code


def _spec(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    from contracts.options import RunOptions
    from contracts.runner import load_spec

    return load_spec(RunOptions(base_url="http://spec.invalid", token="-", spec=path))


def _proxy(args: argparse.Namespace, command: list[str]) -> int:
    from contracts.proxy import ProxyOptions, run_proxy

    if not args.upstream.startswith(("http://", "https://")):
        print("fanfare-contract: error: --upstream must start with http:// or https://", file=sys.stderr)
        return USAGE_ERROR
    options = ProxyOptions(
        upstream=args.upstream,
        host=args.host,
        port=args.port,
        duration=args.duration,
        command=tuple(command),
        record=args.record,
        reports=tuple(args.report),
        junit_xml=args.junit_xml,
        min_coverage=args.min_coverage,
        spec=_spec(args.spec),
    )
    _interrupt_on_sigterm()
    try:
        code, _, _ = run_proxy(options)
    except RuntimeError as exc:
        print(f"fanfare-contract: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    return code


def _replay(args: argparse.Namespace) -> int:
    from contracts.replay import ReplayOptions, run_replay

    if not args.cassette.is_file():
        print(f"fanfare-contract: error: no cassette at {args.cassette}", file=sys.stderr)
        return USAGE_ERROR
    options = ReplayOptions(
        cassette=args.cassette,
        base_url=args.base_url,
        token=args.token,
        second_token=args.second_token,
        reports=tuple(args.report),
        junit_xml=args.junit_xml,
        min_coverage=args.min_coverage,
        spec=_spec(args.spec),
    )
    return run_replay(options, _progress(False))


def _drift(args: argparse.Namespace) -> int:
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


def _list() -> int:
    from contracts.checks import CHECK_NAMES
    from contracts.scenarios import REGISTRY

    print("Fanfare checks (run by schemathesis on every response, next to all its built-in checks):")
    for name in CHECK_NAMES:
        import contracts.checks as checks_module

        doc = (getattr(checks_module, name).__doc__ or "").strip().splitlines()[0]
        print(f"  {name:28} {doc}")
    print()
    print("Scenarios (scripted request sequences):")
    for item in REGISTRY.values():
        flags = []
        if item.writes:
            flags.append("writes")
        if item.needs_second_token:
            flags.append("needs --second-token")
        if item.cross_family:
            flags.append("needs --family both")
        families = "both" if item.cross_family else "/".join(item.families)
        print(f"  {item.name:38} [{families}{'; ' + ', '.join(flags) if flags else ''}] {item.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
