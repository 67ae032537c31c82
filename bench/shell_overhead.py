"""The web shell's own cost: the full shell (routing, auth, parameter and body validation, strict
response checks, orjson) around trivial handlers, against a bare Starlette app serving the same bytes.

The handlers return canned payloads captured once from the real mock (create an audience, read it, page
its members), so the strict response check sees realistic bodies while no domain work is measured.

    python bench/shell_overhead.py                 # in-process microseconds, then wrk over uvicorn
    python bench/shell_overhead.py --inprocess     # only the in-process loop (no wrk needed)
    python bench/shell_overhead.py --serve shell --port 8000   # one subject, for manual poking

Subjects: `starlette` (bare Starlette, no auth or validation), `shell` (strict responses on, as DESIGN 7
measures it), `shell-lax` (strict responses off), `shell-on-starlette` (the same shell pipeline behind
Starlette's `Router` and `CORSMiddleware` instead of its own routing and CORS: what building the front on
Starlette's pieces would cost, ARCHITECTURE.md "The web shell and Starlette").
Workloads: get-audience, create-audience, members.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import httpx  # noqa: E402
import orjson  # noqa: E402

import fanfare_spec  # noqa: E402

KEY = "sk_test_benchshell"
AUTH = {"Authorization": f"Bearer {KEY}"}
CREATE = {
    "name": "VIP Customers",
    "description": "Customers with 5+ orders",
    "type": "DYNAMIC",
    "rules": [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [5]}],
}
CAPTURE = Path(tempfile.gettempdir()) / "fanfare-shell-overhead-payloads.json"


# -- canned payloads --------------------------------------------------------------------------------


async def _capture() -> dict[str, Any]:
    from mock_server.app import create_app

    app = create_app(seed=1, consumers=200)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        created = await client.post("/api/v1/audiences", json=CREATE, headers=AUTH)
        created.raise_for_status()
        audience_id = created.json()["id"]
        got = await client.get(f"/api/v1/audiences/{audience_id}", headers=AUTH)
        members = await client.get(f"/api/v1/audiences/{audience_id}/members?first=20", headers=AUTH)
    for response in (got, members):
        response.raise_for_status()
    return {"id": audience_id, "created": created.json(), "audience": got.json(), "members": members.json()}


def payloads() -> dict[str, Any]:
    if not CAPTURE.is_file():
        CAPTURE.write_bytes(orjson.dumps(asyncio.run(_capture())))
    return orjson.loads(CAPTURE.read_bytes())  # type: ignore[no-any-return]


def workloads(canned: dict[str, Any]) -> dict[str, tuple[str, str, bytes | None]]:
    audience_id = canned["id"]
    return {
        "get-audience": ("GET", f"/api/v1/audiences/{audience_id}", None),
        "create-audience": ("POST", "/api/v1/audiences", orjson.dumps(CREATE)),
        "members": ("GET", f"/api/v1/audiences/{audience_id}/members?first=20", None),
    }


# -- subjects -----------------------------------------------------------------------------------------


def shell_app(strict: bool) -> Any:
    from mock_server.web import Call, Reply, build_app

    canned = payloads()
    documents = [fanfare_spec.load(name) for name in fanfare_spec.DOCUMENTS]

    async def not_benchmarked(call: Call) -> Reply:
        return Reply(404, {"error": "Not benchmarked"})

    async def get_audience(call: Call) -> Reply:
        return Reply(200, canned["audience"])

    async def create_audience(call: Call) -> Reply:
        return Reply(201, canned["created"])

    async def members(call: Call) -> Reply:
        return Reply(200, canned["members"])

    handlers: dict[str, Any] = {
        definition["operationId"]: not_benchmarked
        for document in documents
        for item in document["paths"].values()
        for definition in item.values()
        if isinstance(definition, dict) and "operationId" in definition
    }
    handlers.update(
        getV1AudiencesByAudienceId=get_audience,
        postV1Audiences=create_audience,
        getV1AudiencesByAudienceIdMembers=members,
    )
    return build_app(
        documents=documents, handlers=handlers, state=None, strict_responses=strict, raise_server_errors=False
    )


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    canned = payloads()
    audience, created, page = (orjson.dumps(canned[name]) for name in ("audience", "created", "members"))

    async def get_audience(request: Request) -> Response:
        return Response(audience, media_type="application/json")

    async def create_audience(request: Request) -> Response:
        orjson.loads(await request.body())
        return Response(created, status_code=201, media_type="application/json")

    async def members(request: Request) -> Response:
        return Response(page, media_type="application/json")

    return Starlette(
        routes=[
            Route("/api/v1/audiences", create_audience, methods=["POST"]),
            Route("/api/v1/audiences/{audienceId}", get_audience, methods=["GET"]),
            Route("/api/v1/audiences/{audienceId}/members", members, methods=["GET"]),
        ]
    )


class _Endpoint:
    """One path's ASGI endpoint for Starlette's `Route` (an instance, so Starlette passes it the raw
    scope rather than a `Request`): the shell's own pipeline from auth to the response contract."""

    def __init__(self, shell: Any, entry: Any) -> None:
        self._shell, self._entry = shell, entry

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from starlette.datastructures import Headers

        from mock_server.web.calls import Exchange

        shell, method = self._shell, scope["method"]
        compiled = self._entry.methods.get(method) or self._entry.methods["GET"]  # HEAD: Starlette's
        raw_headers = scope["headers"]
        headers = dict(raw_headers)
        request_id = shell._ids.take(headers.get(b"x-request-id"))
        exchange = Exchange(
            method,
            scope["path"],
            scope.get("query_string", b""),
            Headers(raw=raw_headers),
            request_id,
            shell.state,
            compiled.operation,
            time.perf_counter(),
            _route=(compiled, self._entry, scope["path_params"]),
            _raw_headers=headers,
            _receive=receive,
        )
        reply = await shell._entry(exchange)
        await shell._send(send, reply, request_id, [], method == "HEAD")


def shell_on_starlette_app() -> Any:
    """The shell's pipeline (auth, parameters, body, handler, strict responses) behind Starlette's own
    front instead of the shell's: `starlette.routing.Router` with one `Route` per path of both
    documents (literal segments sorted first, as the shell's trie prefers them) and `CORSMiddleware`
    for the same local origins. Request ids and body limits stay the shell's: Starlette has neither."""
    from starlette.middleware.cors import CORSMiddleware
    from starlette.routing import Route, Router

    shell = shell_app(True)
    entries = sorted(
        shell._router.entries.items(),
        key=lambda item: [(part.startswith("{"), part) for part in item[0].split("/")],
    )
    routes = [
        Route(template, _Endpoint(shell, entry), methods=sorted(entry.methods)) for template, entry in entries
    ]
    return CORSMiddleware(
        Router(routes=routes),
        allow_origin_regex=r"https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?",
        allow_methods=["*"],
        allow_headers=["Authorization", "Content-Type", "Prefer", "X-Request-Id"],
        expose_headers=["X-Request-Id"],
        max_age=600,
    )


SUBJECTS = {
    "starlette": starlette_app,
    "shell": lambda: shell_app(True),
    "shell-lax": lambda: shell_app(False),
    "shell-on-starlette": shell_on_starlette_app,
}


# -- in-process -------------------------------------------------------------------------------------


async def _inprocess(app: Any, method: str, target: str, body: bytes | None, count: int) -> float:
    path, _, query = target.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"authorization", AUTH["Authorization"].encode())]
    if body is not None:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    message = {"type": "http.request", "body": body or b"", "more_body": False}
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return message

    async def send(event: dict[str, Any]) -> None:
        if event["type"] == "http.response.start":
            statuses.append(event["status"])

    for _ in range(200):
        await app(dict(scope), receive, send)
    assert statuses[-1] < 300, f"{method} {target} answered {statuses[-1]}"
    started = time.perf_counter()
    for _ in range(count):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - started) / count * 1e6


def inprocess(count: int) -> dict[str, dict[str, float]]:
    table = workloads(payloads())
    results: dict[str, dict[str, float]] = {}
    for name, factory in SUBJECTS.items():
        app = factory()
        results[name] = {
            workload: asyncio.run(_inprocess(app, method, target, body, count))
            for workload, (method, target, body) in table.items()
        }
    return results


# -- over uvicorn with wrk ------------------------------------------------------------------------------


def serve(subject: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        SUBJECTS[subject](),
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


def over_http(
    duration: float, threads: int, connections: int, rounds: int = 1, niceness: int = 0
) -> dict[str, dict[str, dict[str, float]]]:
    """Each subject in turn, `rounds` times (subjects alternate, so background load hits them alike);
    the best round per subject and workload is kept: interference only ever slows a server down."""
    import wrk
    from servers import Server, free_port

    table = workloads(payloads())
    results: dict[str, dict[str, dict[str, float]]] = {name: {} for name in SUBJECTS}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(rounds):
            for name in SUBJECTS:
                port = free_port()
                argv = [sys.executable, __file__, "--serve", name, "--port", str(port)]
                server = Server(name, argv, port, Path(scratch) / f"{name}.log", niceness=niceness)
                server.start()
                try:
                    server.wait_ready(table["get-audience"][1], AUTH, timeout=30)
                    for workload, (method, target, body) in table.items():
                        headers = dict(AUTH)
                        if body is not None:
                            headers["Content-Type"] = "application/json"
                        script = wrk.write_script(
                            Path(scratch) / f"{name}-{workload}.lua",
                            method,
                            headers,
                            body.decode() if body is not None else None,
                        )
                        url = f"http://127.0.0.1:{port}{target}"
                        wrk.run(url, script, 2, threads, connections, niceness=niceness)  # warm-up
                        cpu_before = server.cpu_seconds()
                        result = wrk.run(url, script, duration, threads, connections, niceness=niceness)
                        cpu_us = (server.cpu_seconds() - cpu_before) / max(result.requests, 1) * 1e6
                        if result.non_2xx or result.socket_errors:
                            raise RuntimeError(
                                f"{name} {workload}: {result.non_2xx} non-2xx, {result.socket_errors} errors"
                            )
                        best = results[name].get(workload)
                        if best is None or result.rps > best["rps"]:
                            results[name][workload] = {
                                "rps": round(result.rps),
                                "p50_ms": result.p50_ms,
                                "p99_ms": result.p99_ms,
                                # CPU the server spent per request: robust to other load on the machine;
                                # 1e6 / cpu_us is what one core could serve
                                "cpu_us": round(cpu_us, 1),
                            }
                finally:
                    server.stop()
    return results


def startup(repeat: int = 5) -> dict[str, float]:
    """build_app on the real bundle (documents already loaded), best of `repeat`, in milliseconds."""
    from mock_server.web import Reply, build_app

    documents = [fanfare_spec.load(name) for name in fanfare_spec.DOCUMENTS]

    async def handler(call: Any) -> Reply:
        return Reply(200)

    ids = [
        d["operationId"]
        for doc in documents
        for item in doc["paths"].values()
        for d in item.values()
        if isinstance(d, dict) and "operationId" in d
    ]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        build_app(documents=documents, handlers=dict.fromkeys(ids, handler), state=None)
        best = min(best, time.perf_counter() - started)
    return {"operations": len(ids), "build_app_ms": round(best * 1000, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve", choices=sorted(SUBJECTS))
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--inprocess", action="store_true", help="only the in-process loop")
    parser.add_argument("--count", type=int, default=20_000, help="in-process requests per workload")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1, help="rounds over all subjects; the best is kept")
    parser.add_argument(
        "--niceness", type=int, default=0, help="scheduling priority of servers and wrk (negative: root only)"
    )
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    report: dict[str, Any] = {"startup": startup()}
    print(f"build_app on the real bundle: {report['startup']}")
    report["inprocess_us"] = inprocess(args.count)
    print("in-process, microseconds per request (ASGI call, no network):")
    for name, row in report["inprocess_us"].items():
        print(f"  {name:10} " + "  ".join(f"{workload} {value:6.1f}" for workload, value in row.items()))
    if not args.inprocess:
        report["uvicorn_wrk"] = over_http(
            args.duration, args.threads, args.connections, args.rounds, args.niceness
        )
        print(
            f"uvicorn (httptools, uvloop) + wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s:"
        )
        for name, row in report["uvicorn_wrk"].items():
            print(
                f"  {name:10} "
                + "  ".join(
                    f"{workload} {value['rps']:6d}/s p99 {value['p99_ms']:.1f} ms "
                    f"cpu {value['cpu_us']:.0f} us"
                    for workload, value in row.items()
                )
            )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
