"""`fanfare-contract proxy`: a validating proxy that forwards every exchange unchanged and judges it.

The client talks to the proxy; each request goes to the upstream as it came (same method, path, query,
headers and bytes; only Host, Content-Length and the hop-by-hop headers are the connection's own), and
the upstream's answer goes back as it came (status, headers, raw bytes, never decoded). Judging happens
after the answer is sent, on one thread in arrival order, so it adds no latency to the client's wait.
"""

from __future__ import annotations

import asyncio
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from contracts.exchange_judge import ExchangeJudge, observed_result
from contracts.report import summary_text
from contracts.reports import apply_min_coverage, write_report_files
from contracts.traffic import Traffic

__all__ = ["ProxyOptions", "ProxyServer", "run_proxy"]

# RFC 9110 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length"}

Say = Callable[[str], None]


@dataclass
class ProxyOptions:
    upstream: str
    host: str = "127.0.0.1"
    port: int = 0
    duration: float | None = None
    command: Sequence[str] = ()
    record: Path | None = None
    reports: Sequence[Path] = ()
    junit_xml: Path | None = None
    min_coverage: float | None = None
    spec: dict[str, Any] | None = None
    timeout: float = 30.0


def _secrets_from(traffic: Traffic, known: list[str]) -> None:
    authorization = traffic.request_header("authorization") or ""
    token = authorization.removeprefix("Bearer ").strip()
    if token and token not in known and len(known) < 2:
        known.append(token)


@dataclass
class _Session:
    """What the proxy saw: every exchange in order, and the tokens it saw (for redacted curls)."""

    judge: ExchangeJudge
    say: Say
    exchanges: list[Traffic] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds the proxy added, per exchange

    def __post_init__(self) -> None:
        self._queue: queue.Queue[Traffic | None] = queue.Queue()
        self._worker = threading.Thread(target=self._judge_all, name="fanfare-proxy-judge", daemon=True)
        self._worker.start()
        self._count = 0
        self._lock = threading.Lock()

    def number(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def submit(self, traffic: Traffic) -> None:
        self._queue.put(traffic)

    def _judge_all(self) -> None:
        while True:
            traffic = self._queue.get()
            if traffic is None:
                return
            self.exchanges.append(traffic)
            _secrets_from(traffic, self.secrets)
            self.judge.secrets = tuple(self.secrets)
            try:
                found = self.judge.judge(traffic)
            except Exception as exc:  # a judging bug must not stop the proxy; it is reported
                self.say(f"exchange #{traffic.index}: could not be judged: {type(exc).__name__}: {exc}")
                continue
            for violation in found:
                self.say(violation.text(tuple(self.secrets)))

    def drain(self) -> None:
        self._queue.put(None)
        self._worker.join()


class ProxyApp:
    """The ASGI app: forward, answer, then hand the exchange to the judge."""

    def __init__(self, upstream: str, session: _Session, timeout: float) -> None:
        self.upstream = upstream.rstrip("/")
        self.session = session
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        return self._client

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self._client is not None:
                        await self._client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        arrived = time.perf_counter()
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string") or b""
        target = self.upstream + raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        forwarded = [(k, v) for k, v in headers if k.lower() not in _NOT_FORWARDED]
        request = httpx.Request(scope["method"], target, headers=forwarded, content=body)
        sent = time.perf_counter()
        try:
            response = await self._http().send(request, stream=True)
            content = b"".join([chunk async for chunk in response.aiter_raw()])
            await response.aclose()
        except httpx.HTTPError as exc:
            await _answer_bad_gateway(send, f"fanfare-contract proxy: the upstream failed: {exc!r}")
            return
        answered = time.perf_counter()
        response_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
        back = [(k, v) for k, v in response_headers if k.lower() not in HOP_BY_HOP]
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in back],
            }
        )
        await send({"type": "http.response.body", "body": content})
        done = time.perf_counter()
        self.session.latencies.append((done - arrived) - (answered - sent))
        self.session.submit(
            Traffic(
                method=scope["method"],
                url=target,
                request_headers=headers,
                request_body=body,
                status=response.status_code,
                response_headers=back,
                response_body=content,
                elapsed=answered - sent,
                index=self.session.number(),
            )
        )


async def _answer_bad_gateway(send: Any, text: str) -> None:
    payload = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 502,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class ProxyServer:
    """The proxy on uvicorn in a background thread; `url` once started."""

    def __init__(self, options: ProxyOptions, judge: ExchangeJudge, say: Say) -> None:
        import uvicorn

        self.options = options
        self.session = _Session(judge=judge, say=say)
        self.app = ProxyApp(options.upstream, self.session, options.timeout)
        config = uvicorn.Config(
            self.app,
            host=options.host,
            port=options.port,
            log_level="warning",
            lifespan="on",
            # The upstream's own Date and Server headers pass through; uvicorn adds none of its own.
            server_header=False,
            date_header=False,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="fanfare-proxy", daemon=True)
        self.url = ""

    def _serve(self) -> None:
        asyncio.run(self.server.serve())

    def start(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the proxy could not listen on {self.options.host}:{self.options.port}")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{self.options.host}:{port}"
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=15)
        self.session.drain()


def _wait(options: ProxyOptions, url: str, say: Say) -> int | None:
    """Until the command exits (its status), `--duration` passes or Ctrl-C (None)."""
    if options.command:
        env = dict(os.environ, FANFARE_BASE_URL=url, FANFARE_PROXY_URL=url)
        say(f"running: {' '.join(options.command)} (FANFARE_BASE_URL={url})")
        try:
            process = subprocess.Popen(list(options.command), env=env)
        except OSError as exc:
            say(f"fanfare-contract proxy: cannot run {options.command[0]!r}: {exc}")
            return 127
        try:
            return process.wait(timeout=options.duration)
        except subprocess.TimeoutExpired:
            say(f"--duration {options.duration:g}s passed: stopping the command")
            process.terminate()
            process.wait(timeout=10)
            return None
        except KeyboardInterrupt:
            process.terminate()
            process.wait(timeout=10)
            return None
    try:
        if options.duration is not None:
            time.sleep(options.duration)
        else:
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        say("stopping (Ctrl-C)")
    return None


def run_proxy(options: ProxyOptions, say: Say | None = None) -> tuple[int, ExchangeJudge, ProxyServer]:
    """Serve until the end condition, then write the reports; the exit code is non-zero on a violation."""
    emit: Say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    spec = options.spec
    if spec is None:
        import fanfare_spec

        spec = fanfare_spec.load("fanfare")
    judge = ExchangeJudge(spec)
    server = ProxyServer(options, judge, emit)
    url = server.start()
    emit(f"fanfare-contract proxy: {url} -> {options.upstream} (every exchange judged against the spec)")
    status: int | None = None
    started = time.monotonic()
    try:
        status = _wait(options, url, emit)
    finally:
        server.stop()
    result = observed_result(judge, options.upstream, f"proxy-{time.strftime('%Y%m%d-%H%M%S')}", "proxy")
    result.duration = time.monotonic() - started
    if options.record is not None:
        from contracts.cassette import write_cassette

        write_cassette(options.record, server.session.exchanges, server.session.secrets)
        emit(f"Recorded {len(server.session.exchanges)} exchanges: {options.record}")
    apply_min_coverage(result, options.min_coverage)
    emit(summary_text(result))
    emit(f"API coverage: {judge.coverage.percent:.0f}% of the spec's operations exercised")
    write_report_files(result, options.reports, options.junit_xml, emit)
    code = result.exit_code
    if code == 0 and status not in (None, 0):
        code = status  # the client's own failure is the session's failure too
    return code, judge, server
