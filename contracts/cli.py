"""The `fanfare-contract` command: `run` the conformance suite, `drift` the doc-style probe, `proxy` and
`replay` real traffic, `list` (each group's options and action in `contracts/commands/`).

Exit codes: 0 the target conforms, 1 it does not (failures, errors, an incomplete run, data left
behind), 2 the command line is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import version

from contracts.commands import drift, run, traffic
from contracts.commands.arguments import USAGE_ERROR, Parser

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="fanfare-contract",
        description="Conformance checks for any implementation of Fanfare's Admin API (schemathesis plus "
        "Fanfare's business rules), safe to point at staging.",
    )
    parser.add_argument("--version", action="version", version=f"fanfare-contract {version('fanfare-mock')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    run.add_parser(commands)
    drift.add_parser(commands)
    traffic.add_proxy_parser(commands)
    traffic.add_replay_parser(commands)
    commands.add_parser("list", help="list the checks and scenarios")
    return parser


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
        return traffic.proxy(args, command)
    if not args.token:
        print("fanfare-contract: error: --token (or $FANFARE_TOKEN) is required", file=sys.stderr)
        return USAGE_ERROR
    if args.command == "drift":
        return drift.execute(args)
    if args.command == "replay":
        return traffic.replay(args)
    return run.execute(args)


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
