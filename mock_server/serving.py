"""`fanfare-mock serve`: bind the port, build the app from the parsed options, print the banner, run uvicorn
(one process, or workers on one world in a store)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any


def serve(args: argparse.Namespace) -> int:
    """Run the mock until Ctrl-C; the exit status (1: the port cannot be bound, 2: a bad start option)."""
    import uvicorn

    from mock_server.app import create_app
    from mock_server.domain.kernel import Invalid
    from mock_server.store import StoreUnavailable

    origins: tuple[str, ...] | str | None = None
    if args.cors_origins is not None:
        origins = tuple(o.strip() for o in args.cors_origins.split(",") if o.strip())
        if "*" in origins:
            origins = "*"  # the policy's "every origin", not an origin named "*"
    try:
        sock = _listen(args.host, args.port)
    except OSError as exc:
        reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound: {exc.strerror}"
        print(f"fanfare-mock: port {args.port} on {args.host} {reason}", file=sys.stderr)
        return 1

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    from mock_server.scenarios import wall_clock

    store = args.store if args.store is not None else args.state_file
    if args.workers > 1 and args.store is None:
        print(
            "fanfare-mock: --workers N needs --store redis://... (one world for every worker)",
            file=sys.stderr,
        )
        return 2
    options = {
        "seed": args.seed,
        "consumers": args.consumers,
        "keys": args.keys,
        "cors_origins": origins,
        "strict_responses": not args.no_strict,
        "log_requests": not args.quiet,
        "journal_size": args.journal_size,
        "max_state_body": args.max_state_body,
        "max_organizations": args.max_organizations,
        "store": store,
    }
    host = f"[{args.host}]" if ":" in args.host else args.host
    try:
        token, told = _token_for(args)
    except argparse.ArgumentTypeError as problem:
        print(f"fanfare-mock: FANFARE_CONTROL_TOKEN: {problem}", file=sys.stderr)
        return 2
    control: dict[str, Any] = {
        "control_token": token,
        "control_cors_origins": tuple(o.strip() for o in args.control_cors_origins.split(",") if o.strip()),
        "public_url": args.public_url or f"http://{host}:{args.port}",
    }
    start: dict[str, Any] = {
        "clock_start": wall_clock() if args.clock is None else args.clock,
        "clock_running": args.clock is None,
        # on a store, the scenarios found a new world once, through its log; a kept world starts as kept
        "scenarios": _scenarios(args.scenario, args.keys),
    }
    app: Any = None
    try:
        if args.workers > 1:
            from mock_server.store.workers import check_store, worker_options

            check_store(store)
            os.environ.update(worker_options({**options, **control, **start}))
        else:
            app = create_app(**options, **control, **start, progress=progress)
            from mock_server.seeding import pools_for_seed

            pools_for_seed(args.seed)  # Faker's draws now, not in the first organization's request
    except StoreUnavailable as error:
        print(f"fanfare-mock: {error}", file=sys.stderr)
        return 2
    except Invalid as error:  # the world kept in the store is not one this version can restore
        print(f"fanfare-mock: the world kept in {store} cannot be restored: {error.message}", file=sys.stderr)
        return 2
    print(f"fanfare-mock serving http://{host}:{args.port}", flush=True)
    print(
        f"  guide dialect http://{host}:{args.port}/api/v1/...   reference dialect http://{host}:{args.port}/api/...",
        flush=True,
    )
    print(f"  control plane http://{host}:{args.port}/_mock/...   Ctrl-C stops", flush=True)
    print(told.replace("BASE", f"http://{host}:{args.port}"), flush=True)
    if args.scenario is None and not args.keys:
        from mock_server.scenarios import DEMO_KEY

        print(
            f"  demo organization: Authorization: Bearer {DEMO_KEY} (any other sk_test_ key is a new one)",
            flush=True,
        )
    print(
        f"  dashboard http://{host}:{args.port}/_mock/   API docs http://{host}:{args.port}/docs", flush=True
    )
    print(
        f"  specs http://{host}:{args.port}/openapi.json (Admin API)   "
        f"http://{host}:{args.port}/_mock/openapi.json (control plane)   what is served: GET /",
        flush=True,
    )
    if app is None:
        print(f"  {args.workers} workers on one world in {store}", flush=True)
        app = "mock_server.store.workers:worker_app"  # each worker process builds its own replica
    from mock_server.web.loop_holds import ENV, LoopHolds

    holds = None
    if os.environ.get(ENV) and not isinstance(app, str):
        app = holds = LoopHolds(app, float(os.environ[ENV]) / 1000)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        factory=args.workers > 1,
        workers=max(args.workers, 1),
        timeout_keep_alive=5,
        **_connection_limits(args),
    )
    with contextlib.suppress(KeyboardInterrupt):
        if args.workers > 1:
            from uvicorn.supervisors import Multiprocess

            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    if holds is not None:
        print(f"fanfare-mock: {holds.summary()}", file=sys.stderr, flush=True)
    print("fanfare-mock stopped", flush=True)
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything is printed, so a taken port is reported first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _scenarios(names: Sequence[str] | None, keys: Sequence[str] | None) -> list[Any]:
    """The `--scenario` sources, read now so a bad file stops the start with its line and problem.

    By default, the demo for every new organization and, unless `--keys` pins the organizations (they
    are built at start, demo included), one demo organization (`DEMO_KEY`) there from the start."""
    from mock_server.scenarios import demo_organization, read

    if names is None:
        return [read("demo")] + ([] if keys else [demo_organization()])
    return [read(name) for name in names if name != "none"]


def control_token(text: str) -> str:
    from mock_server.control.access import TOKEN_PATTERN

    if not TOKEN_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(
            "a control token is fmc_ and 16 to 200 letters, digits, '-' or '_' "
            "(python -c \"import secrets; print('fmc_' + secrets.token_urlsafe(24))\")"
        )
    return text


def _connection_limits(args: argparse.Namespace) -> dict[str, Any]:
    """Header and body deadlines, a head-size cap and a connection cap (one process; workers get uvicorn's
    own connection cap and keep-alive timeout only: the guarded protocol is a class built at start)."""
    if args.workers > 1:
        return {"limit_concurrency": args.max_connections or None}
    from mock_server.web.connections import ConnectionLimits, guarded_protocol

    limits = ConnectionLimits(
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        max_connections=args.max_connections or 1 << 30,
    )
    return {"http": guarded_protocol(limits)}


def _token_for(args: argparse.Namespace) -> tuple[str | None, str]:
    """The control token (flag, environment, or generated for a non-loopback bind) and what to say."""
    from mock_server.control.access import is_loopback, new_token

    from_env = os.environ.get("FANFARE_CONTROL_TOKEN") or None
    token = args.control_token or (control_token(from_env) if from_env else None)
    if token is not None:
        return token, (
            "  control token required on /_mock (Authorization: Bearer <your token>); "
            "browser: BASE/_mock/login?token=<your token>"
        )
    if is_loopback(args.host):
        return None, "  control plane open to this machine only (loopback, no control token)"
    token = new_token()
    return token, (
        f"  listening beyond this machine: control token required on /_mock\n"
        f"  control token: {token}   (Authorization: Bearer {token})\n"
        f"  browser: BASE/_mock/login?token={token}"
    )
