"""`fanfare-contract proxy` and `replay`: judging real traffic as it passes, and replaying a recorded
cassette against another server."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from contracts.commands.arguments import (
    USAGE_ERROR,
    interrupt_on_sigterm,
    non_negative,
    progress,
    report_arguments,
    spec_document,
    target_arguments,
)


def add_proxy_parser(commands: Any) -> None:
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
        "--duration", type=non_negative, default=None, metavar="S", help="stop after S seconds"
    )
    proxy.add_argument(
        "--record", type=Path, default=None, metavar="FILE", help="keep the exchanges (VCR cassette)"
    )
    proxy.add_argument(
        "--spec", type=Path, default=None, help="the OpenAPI document (default: the bundled one)"
    )
    report_arguments(proxy)


def add_replay_parser(commands: Any) -> None:
    replay = commands.add_parser(
        "replay",
        help="send a recorded cassette to another server and report where its answers differ",
        description="Send the cassette's requests in order to --base-url (ids mapped from the recording "
        "to what the target answers) and report, exchange by exchange, every difference beyond ids, "
        "timestamps and generated data; every answer is also judged like the proxy judges.",
    )
    replay.add_argument("cassette", type=Path, help="a cassette written by `proxy --record`")
    target_arguments(replay)
    replay.add_argument(
        "--second-token",
        default=os.environ.get("FANFARE_SECOND_TOKEN"),
        help="the key that replaces $FANFARE_SECOND_TOKEN (default: $FANFARE_SECOND_TOKEN)",
    )
    replay.add_argument(
        "--spec", type=Path, default=None, help="the OpenAPI document (default: the bundled one)"
    )
    report_arguments(replay)


def proxy(args: argparse.Namespace, command: list[str]) -> int:
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
        spec=spec_document(args.spec),
    )
    interrupt_on_sigterm()
    try:
        code, _, _ = run_proxy(options)
    except RuntimeError as exc:
        print(f"fanfare-contract: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    return code


def replay(args: argparse.Namespace) -> int:
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
        spec=spec_document(args.spec),
    )
    return run_replay(options, progress(False))
