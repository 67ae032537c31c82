"""Memory per organization: a real `fanfare-mock serve`, K organizations made by K distinct secret keys,
the server's RSS sampled at a fresh start, after the K, and after `POST /_mock/reset {}`.

    python bench/memory.py [--organizations 2000] [--consumers 1000] [--scenario demo|none]

Each key's first request (`GET /api/v1/audiences`) makes its organization (with the default scenario,
the demo's audiences, lists and experiences, as `serve` gives every new organization). Prints the RSS
figures and KB per organization against the targets (under 50 KB at 1,000 consumers; 10,000
organizations under 1 GB; RSS after a reset near a fresh start's).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from servers import Server, free_port  # noqa: E402

MIB = 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organizations", type=int, default=2_000, help="distinct keys (default 2,000)")
    parser.add_argument("--consumers", type=int, default=1_000, help="per organization (default 1,000)")
    parser.add_argument("--scenario", default=None, help="serve's --scenario (default: serve's, the demo)")
    parser.add_argument("--journal-size", default=None, help="serve's --journal-size (default: serve's)")
    args = parser.parse_args()

    port = free_port()
    argv = [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--quiet"]
    argv += ["--consumers", str(args.consumers), "--max-organizations", str(args.organizations + 10)]
    if args.scenario is not None:
        argv += ["--scenario", args.scenario]
    if args.journal_size is not None:
        argv += ["--journal-size", args.journal_size]
    server = Server("mock", argv, port, Path(f"/tmp/memory-bench-{os.getpid()}.log"))
    server.start()
    try:
        server.wait_ready("/api/v1/audiences", _auth("sk_test_memory_fresh"), 120)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(50):  # settle the fresh server's lazily built parts with a known key
            _call(connection, "GET", "/api/v1/audiences", "sk_test_memory_fresh")
        fresh = _settled_rss(server)
        print(
            f"python {sys.version.split()[0]}, {args.consumers:,} consumers per organization, "
            f"scenario {args.scenario or 'serve default (demo)'}"
        )
        print(f"fresh start (one organization):        {fresh / MIB:8.1f} MiB")
        started = time.monotonic()
        samples = []
        for n in range(1, args.organizations + 1):
            _call(connection, "GET", "/api/v1/audiences", f"sk_test_memory_{n:06d}")
            if n % max(1, args.organizations // 5) == 0:
                samples.append((n, server.memory()[0]))
        made = time.monotonic() - started
        full = _settled_rss(server)
        for n, rss in samples:
            print(f"  after {n:>7,} organizations:          {rss / MIB:8.1f} MiB")
        per_org = (full - fresh) / args.organizations
        print(
            f"{args.organizations:,} organizations:                 {full / MIB:8.1f} MiB "
            f"({args.organizations / made:,.0f} new organizations/s)"
        )
        print(f"per organization:                      {per_org / 1024:8.1f} KB   (target < 50 KB)")
        print(
            f"10,000 organizations, extrapolated:    {(fresh + per_org * 10_000) / MIB:8.1f} MiB "
            f"(target < 1 GB)"
        )
        status = _call(connection, "POST", "/_mock/reset", None, b"{}")
        after = _settled_rss(server)
        print(
            f"after POST /_mock/reset {{}} ({status}):       {after / MIB:8.1f} MiB "
            f"({(after - fresh) / MIB:+.1f} MiB against the fresh start; peak {server.memory()[1] / MIB:.1f})"
        )
        connection.close()
    finally:
        server.stop()
    return 0


def _auth(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Authorization": f"Bearer {key}"}


def _call(
    connection: http.client.HTTPConnection, method: str, path: str, key: str | None, body: bytes | None = None
) -> int:
    headers = _auth(key)
    if body is not None:
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=body, headers=headers)
    reply = connection.getresponse()
    data = reply.read()
    if reply.status >= 300:
        raise RuntimeError(f"{method} {path}: {reply.status} {json.loads(data or b'null')}")
    return reply.status


def _settled_rss(server: Server) -> int:
    """The RSS once it stops moving (a second apart, within 1%), at most 10 s later."""
    previous = server.memory()[0]
    for _ in range(10):
        time.sleep(1.0)
        now = server.memory()[0]
        if abs(now - previous) <= previous / 100:
            return now
        previous = now
    return previous


if __name__ == "__main__":
    raise SystemExit(main())
