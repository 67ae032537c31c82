"""Soak and stall benchmark: normal traffic alone, then the same traffic while one client runs the heavy
requests (a 100,000-row CSV import, a state export of the result, audiences of 100 rules in 20 groups)
and slow clients trickle their headers; prints p50/p99 of the normal traffic in both phases, every 5xx,
the longest gap a health poller saw, the longest event-loop hold the mock measured itself
(`FANFARE_LOOP_HOLDS_MS`: its holds over 20 ms and the requests in flight), and RSS samples. The bare
Starlette stand-in (bench/standin.py) runs the same normal traffic as the peer, in the same run.

    python bench/soak.py [--duration 20] [--clients 4] [--consumers 100000] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from servers import Server, free_port, request  # noqa: E402
from throughput import AUTH, CREATE_BODY, JSON_AUTH  # noqa: E402  the throughput bench's requests

CREATE = CREATE_BODY.encode()
HOLD_MS = 20  # the mock reports every event-loop hold this long or longer (FANFARE_LOOP_HOLDS_MS)
WIDE = json.dumps(
    {
        "name": "Wide",
        "type": "DYNAMIC",
        "rules": [
            {"field": "email", "operator": "CONTAINS", "values": [f"{i}"], "groupId": f"g{i % 20}"}
            for i in range(100)
        ],
    }
).encode()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.lock = threading.Lock()

    def add(self, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def fives(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)


def normal_traffic(port: int, stop: threading.Event, tally: Tally, mixed: bool) -> None:
    """List audiences and (on the mock) create one, in turn, until `stop`."""
    turn = 0
    while not stop.is_set():
        turn += 1
        started = time.perf_counter()
        if mixed and turn % 2:
            reply = request(port, "POST", "/api/v1/audiences", JSON_AUTH, CREATE, timeout=60)
        else:
            reply = request(port, "GET", "/api/v1/audiences?limit=5", AUTH, timeout=60)
        tally.add(time.perf_counter() - started, reply.status)


def heavy_client(port: int, stop: threading.Event, tally: Tally, rows: int) -> None:
    data = b"email,fullName\n" + b"".join(b"u%d@soak.example,User %d\n" % (i, i) for i in range(rows))
    while not stop.is_set():
        audience = json.loads(
            request(port, "POST", "/api/v1/audiences", JSON_AUTH, b'{"name":"L","type":"STATIC"}').body
        )
        grant = json.loads(
            request(port, "POST", f"/api/v1/audiences/{audience['id']}/import", JSON_AUTH).body
        )
        url = urlsplit(grant["uploadUrl"])
        for method, path, body, headers in (
            ("PUT", f"{url.path}?{url.query}", data, {"Content-Type": "text/csv"}),
            ("GET", "/_mock/state", None, {}),
            ("POST", "/api/v1/audiences", WIDE, JSON_AUTH),
        ):
            started = time.perf_counter()
            reply = request(port, method, path, {**AUTH, **headers}, body, timeout=300)
            tally.add(time.perf_counter() - started, reply.status)


def slow_clients(port: int, stop: threading.Event, count: int) -> None:
    """Connections that trickle a header byte a second (the server should cut them off)."""
    socks: list[socket.socket] = []
    while not stop.is_set():
        while len(socks) < count:
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /api/v1/audiences HTTP/1.1\r\nHost: x\r\n")
            socks.append(sock)
        for sock in list(socks):
            try:
                sock.sendall(b"X")
            except OSError:
                socks.remove(sock)
                sock.close()
        stop.wait(1.0)
    for sock in socks:
        sock.close()


def longest_gap(port: int, stop: threading.Event, out: list[float]) -> None:
    """Poll health back to back; the longest time one poll took."""
    worst = 0.0
    while not stop.is_set():
        started = time.perf_counter()
        request(port, "GET", "/_mock/health", {}, timeout=60)
        worst = max(worst, time.perf_counter() - started)
    out.append(worst)


def phase(
    server: Server, seconds: float, clients: int, mixed: bool, extra: list[Callable[..., None]]
) -> dict:
    stop = threading.Event()
    normal, heavy, gap = Tally(), Tally(), []  # type: ignore[var-annotated]
    threads = [
        threading.Thread(target=normal_traffic, args=(server.port, stop, normal, mixed))
        for _ in range(clients)
    ]
    for job in extra:
        threads.append(
            threading.Thread(target=job, args=(server.port, stop, heavy if getattr(job, "heavy", 0) else gap))
        )
    rss = []
    began = time.monotonic()
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rss.append(server.memory()[0])
        time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    return {"normal": normal, "heavy": heavy, "gap": gap, "rss": rss, "span": (began, time.monotonic())}


Hold = tuple[float, float, float, str]  # (monotonic s at its end, wall ms, loop-thread CPU ms, in flight)


def loop_holds(log: Path) -> list[Hold]:
    """The server's own `loop-hold <monotonic s> <ms> ms cpu <ms> ms <in flight>` lines."""
    holds = []
    for text in log.read_text(errors="replace").splitlines():
        if text.startswith("loop-hold "):
            _tag, at, ms, _unit, _cpu, cpu, _unit2, *during = text.split(" ")
            holds.append((float(at), float(ms), float(cpu), " ".join(during)))
    return holds


def longest_hold(holds: list[Hold], span: tuple[float, float]) -> str:
    inside = [h for h in holds if span[0] <= h[0] <= span[1]]
    if not inside:
        return f"longest loop hold < {HOLD_MS} ms"
    _at, ms, cpu, during = max(inside, key=lambda h: h[1])
    _at, _ms, most_cpu, busiest = max(inside, key=lambda h: h[2])  # on a shared machine wall time waits too
    over = sum(1 for h in inside if h[2] >= 50)
    return (
        f"longest loop hold {ms:.0f} ms wall, {cpu:.0f} ms CPU ({len(inside)} over {HOLD_MS} ms;"
        f" in flight: {during[:160]})\n{'':<26} most CPU in one hold {most_cpu:.0f} ms ({over} holds of"
        f" 50 ms CPU or more; in flight: {busiest[:160]})"
    )


def start(name: str, argv: list[str], port: int) -> Server:
    server = Server(name, argv, port, Path(f"/tmp/soak-{name}-{os.getpid()}.log"))
    server.start()
    server.wait_ready("/api/v1/audiences", AUTH, 120)
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase (default 20)")
    parser.add_argument("--clients", type=int, default=4, help="normal-traffic threads (default 4)")
    parser.add_argument("--consumers", type=int, default=100_000, help="consumers per organization")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the heavy client's CSV")
    parser.add_argument("--slow", type=int, default=50, help="slow-loris connections (default 50)")
    parser.add_argument("--no-peer", action="store_true", help="skip the bare Starlette stand-in")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    port = free_port()
    os.environ["FANFARE_LOOP_HOLDS_MS"] = str(HOLD_MS)  # the mock's own watch on its event loop
    mock = start(
        "mock",
        [
            *(sys.executable, "-m", "mock_server", "serve", "--port", str(port)),
            *("--consumers", str(args.consumers), "--quiet"),
            "--scenario",
            "none",
            "--header-timeout",
            "5",
        ],
        port,
    )

    def the_heavy(p: int, s: threading.Event, t: Tally) -> None:
        heavy_client(p, s, t, args.rows)

    the_heavy.heavy = True  # type: ignore[attr-defined]
    try:
        calm = phase(mock, args.duration, args.clients, True, [longest_gap])
        busy = phase(
            mock,
            args.duration,
            args.clients,
            True,
            [longest_gap, the_heavy, lambda p, s, _t: slow_clients(p, s, args.slow)],
        )
    finally:
        mock.stop()
        del os.environ["FANFARE_LOOP_HOLDS_MS"]
    holds = loop_holds(mock.log_path)
    peer = None
    if not args.no_peer:
        port = free_port()
        stand = start("standin", [sys.executable, str(HERE / "standin.py"), "--port", str(port)], port)
        try:
            peer = phase(stand, args.duration, args.clients, True, [])
        finally:
            stand.stop()

    def line(label: str, result: dict) -> None:
        n = result["normal"]
        gap = f"{result['gap'][0] * 1000:7.1f} ms" if result["gap"] else "      -"
        print(
            f"{label:<26} requests {len(n.latencies):6d}  p50 {percentile(n.latencies, 0.5) * 1000:7.1f} ms"
            f"  p99 {percentile(n.latencies, 0.99) * 1000:7.1f} ms  5xx {n.fives()}  longest health {gap}"
            f"  RSS max {max(result['rss'], default=0) / 2**20:6.0f} MiB"
        )

    print(f"load average after: {os.getloadavg()}")
    line("mock, normal traffic only", calm)
    print(f"{'':<26} {longest_hold(holds, calm['span'])}")
    line("mock, with heavy + slow", busy)
    print(f"{'':<26} {longest_hold(holds, busy['span'])}")
    heavy = busy["heavy"]
    print(
        f"{'heavy client':<26} requests {len(heavy.latencies):6d}"
        f"  median {statistics.median(heavy.latencies or [0]):.2f} s"
        f"  statuses {dict(sorted(heavy.statuses.items()))}"
    )
    if peer is not None:
        line("bare Starlette stand-in", peer)
        ratio = percentile(busy["normal"].latencies, 0.99) / percentile(peer["normal"].latencies, 0.99)
        print(f"p99 with heavy client / stand-in p99: {ratio:.2f}x")
    fives = calm["normal"].fives() + busy["normal"].fives() + heavy.fives()
    print(f"5xx in the whole run: {fives}")
    return 1 if fives else 0


if __name__ == "__main__":
    raise SystemExit(main())
