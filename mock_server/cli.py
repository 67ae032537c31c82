"""The `fanfare-mock` command: its options and their values, and the dispatch to `serve` (`serving.py`)
or to printing (or recording the examples of) the OpenAPI documents the mock implements."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from importlib.metadata import version

from mock_server.serving import control_token, serve
from mock_server.web.bodies import DEFAULT_STATE_BODY

#: `mock_server.domain.world.DEFAULT_MAX_ORGANIZATIONS` (not imported: `--help` loads no numpy; a test
#: holds them equal).
DEFAULT_MAX_ORGANIZATIONS = 2_000

DEFAULT_PORT = 4010


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


_UNITS = {
    "": 1,
    "b": 1,
    "kib": 1024,
    "kb": 1000,
    "mib": 1024**2,
    "mb": 1000**2,
    "gib": 1024**3,
    "gb": 1000**3,
}


def _size(text: str) -> int:
    """`268435456`, `256MiB`, `2 MB`: a size in bytes."""
    number = text.strip().rstrip("BbIiKkMmGg ")
    unit = text.strip()[len(number) :].strip().lower()
    try:
        value = int(float(number) * _UNITS[unit])
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"expected a size such as 256MiB, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a size of at least 1 byte, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds in (0, 3600], got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port in 1-65535, got {text!r}")
    return value


def _keys(text: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    bad = [k for k in keys if not k.startswith(("sk_live_", "sk_test_"))]
    if not keys or bad:
        raise argparse.ArgumentTypeError(
            "--keys takes a comma-separated list of secret keys (sk_live_... or sk_test_...)"
        )
    return keys


def _public_url(text: str) -> str:
    if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", text):
        raise argparse.ArgumentTypeError(f"expected http(s)://host[:port][/path], got {text!r}")
    return text.rstrip("/")


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO-8601 instant such as 2025-06-01T00:00:00Z, got {text!r}"
        ) from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (add Z)")
    return instant


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fanfare-mock",
        description="A stateful local mock of Fanfare's Admin API (/api/v1 guide dialect and /api reference "
        "dialect over one in-memory world), with a control plane under /_mock.",
    )
    parser.add_argument("--version", action="version", version=f"fanfare-mock {version('fanfare-mock')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    serve = commands.add_parser(
        "serve",
        help="start the mock server",
        description="Start the mock. Any secret key (Authorization: Bearer sk_test_...) is its own "
        "organization, "
        "created and seeded with --consumers consumers on first use, unless --keys pins a fixed set.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port, 1-65535 (default: {DEFAULT_PORT})"
    )
    serve.add_argument(
        "--seed", type=_positive_int, default=0, help="seed of the generated world (default: 0)"
    )
    serve.add_argument(
        "--consumers",
        type=_positive_int,
        default=1000,
        help="consumers generated per organization (default: 1,000; 1,000,000 works)",
    )
    serve.add_argument(
        "--keys",
        type=_keys,
        default=None,
        metavar="K1,K2",
        help="only accept these secret keys; their organizations are seeded at start "
        "(default: accept any sk_ key)",
    )
    serve.add_argument(
        "--cors-origins",
        default=None,
        metavar="O1,O2",
        help="origins allowed to call the mock from a browser: a comma-separated list, or '*' "
        "(default: any http://localhost:PORT and http://127.0.0.1:PORT)",
    )
    serve.add_argument(
        "--quiet", action="store_true", help="do not log one line per request (for benchmarks)"
    )
    serve.add_argument(
        "--journal-size",
        type=_positive_int,
        default=10_000,
        metavar="N",
        help="requests the journal keeps for GET /_mock/journal (default: 10,000; 0 turns it off)",
    )
    serve.add_argument(
        "--max-state-body",
        type=_size,
        default=DEFAULT_STATE_BODY,
        metavar="SIZE",
        help="the largest snapshot PUT /_mock/state takes (default: 256MiB; other JSON bodies: 1 MiB)",
    )
    serve.add_argument(
        "--max-organizations",
        type=_positive_int,
        default=DEFAULT_MAX_ORGANIZATIONS,
        metavar="N",
        help="organizations distinct secret keys may make, at most (default: 2,000; at 1,000 consumers "
        "about 7 KB each, 130 KB with the demo scenario's contents); a new key past it is a 401 until "
        "POST /_mock/reset {}; --keys are all served",
    )
    kept = serve.add_mutually_exclusive_group()
    kept.add_argument(
        "--state-file",
        default=None,
        metavar="PATH",
        help="keep the world in this file (SQLite; or a directory, holding state.sqlite3): restored at "
        "start, every answered write durable (default: in memory only)",
    )
    kept.add_argument(
        "--store",
        default=None,
        metavar="redis://HOST:PORT/DB",
        help="keep one world in Redis (or Valkey), shared by every worker and host started on it",
    )
    serve.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="worker processes on the one port (more than 1 needs --store; default: 1)",
    )
    serve.add_argument(
        "--no-strict",
        action="store_true",
        help="do not validate the mock's own responses against the spec (they are validated by default)",
    )

    serve.add_argument(
        "--control-token",
        type=control_token,
        default=None,
        metavar="fmc_...",
        help="the token the control plane (/_mock) needs (default: $FANFARE_CONTROL_TOKEN; generated and "
        "printed when the mock binds a non-loopback address; none on loopback)",
    )
    serve.add_argument(
        "--public-url",
        type=_public_url,
        default=None,
        metavar="URL",
        help="the mock's address as its clients reach it, for the upload URLs it hands out "
        "(default: the bound address, http://HOST:PORT)",
    )
    serve.add_argument(
        "--control-cors-origins",
        default="",
        metavar="O1,O2",
        help="browser origins besides the mock's own that may call /_mock (default: none)",
    )
    serve.add_argument(
        "--header-timeout",
        type=_seconds,
        default=10.0,
        metavar="S",
        help="seconds a client has to send a request's headers, else 408 (default: 10)",
    )
    serve.add_argument(
        "--body-timeout",
        type=_seconds,
        default=30.0,
        metavar="S",
        help="seconds a client has to send a request's body once its headers are in, else 408 (default: 30)",
    )
    serve.add_argument(
        "--max-connections",
        type=_positive_int,
        default=500,
        metavar="N",
        help="open connections the server holds; more are answered 503 (default: 500)",
    )
    serve.add_argument(
        "--scenario",
        action="append",
        metavar="FILE|demo|none",
        help="load a scenario file (YAML or JSON) at start; repeatable, in order. Default: demo (every new "
        "organization gets the built-in demo world); none: start empty",
    )
    serve.add_argument(
        "--clock",
        type=_instant,
        default=None,
        metavar="INSTANT",
        help="freeze the virtual clock at this ISO-8601 instant (default: run it from the real current time)",
    )

    spec = commands.add_parser("spec", help="print an OpenAPI document the mock implements")
    spec.add_argument("document", nargs="?", default="fanfare", choices=["fanfare", "mock"])
    spec.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    spec.add_argument(
        "--record-examples",
        action="store_true",
        help="(source checkout) record every success example from a fresh mock into "
        "openapi/src/recorded-examples.yaml and rebundle openapi/*.json",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "spec" and args.record_examples:
        from mock_server.examples import record_examples

        return record_examples()
    if args.command == "spec":
        return _print_spec(args.document, args.output)
    from mock_server.scenarios.source import ScenarioError

    try:
        return serve(args)
    except ScenarioError as error:  # names the file, the line and the problem
        print(f"fanfare-mock: cannot load the scenario:\n{error}", file=sys.stderr)
        return 2


def _print_spec(document: str, output: str) -> int:
    import fanfare_spec

    text = json.dumps(fanfare_spec.load(document), indent=1, ensure_ascii=False) + "\n"
    if output == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        print(f"fanfare-mock: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
