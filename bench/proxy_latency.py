"""What `fanfare-contract proxy` adds to each exchange: the same requests direct and through the proxy.

`fanfare-mock serve` and `fanfare-contract proxy` each run as their own process (the real commands);
one keep-alive client sends the same mix (read an audience, list audiences, a members page, a create)
alternately direct and through the proxy, and the per-exchange difference of the medians is the added
latency. Judging happens after the answer is sent, so it is not in the figure (it shows in the CPU).

    python bench/proxy_latency.py                   # 300 exchanges per workload and path, 3 rounds
    python bench/proxy_latency.py --count 1000 --rounds 3 --nice 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import httpx  # noqa: E402
from servers import free_port  # noqa: E402

KEY = "sk_test_benchproxy"
HEADERS = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}


def _start(command: list[str], health: str, nice: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(health, timeout=2).status_code < 500:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"did not start: {' '.join(command)}")


def _workloads(client: httpx.Client) -> dict[str, tuple[str, str, Any]]:
    audience = client.post(
        "/api/v1/audiences",
        json={
            "name": "bench",
            "type": "DYNAMIC",
            "rules": [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [1]}],
        },
    ).json()["id"]
    return {
        "get-audience": ("GET", f"/api/v1/audiences/{audience}", None),
        "list-audiences": ("GET", "/api/v1/audiences", None),
        "members-page": ("GET", f"/api/v1/audiences/{audience}/members?first=20", None),
        "create-audience": ("POST", "/api/v1/audiences", {"name": "bench-create", "type": "STATIC"}),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux): a figure the machine's load does not inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(direct: str, proxied: str, count: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with (
        httpx.Client(base_url=direct, headers=HEADERS, timeout=30) as straight,
        httpx.Client(base_url=proxied, headers=HEADERS, timeout=30) as through,
    ):
        workloads = _workloads(straight)
        for name, (method, path, body) in workloads.items():
            times: dict[str, list[float]] = {"direct": [], "proxy": []}
            for _ in range(10):  # warm both connections and the proxy's judge
                straight.request(method, path, json=body)
                through.request(method, path, json=body)
            for _ in range(count):
                for label, client in (("direct", straight), ("proxy", through)):
                    started = time.perf_counter()
                    client.request(method, path, json=body).raise_for_status()
                    times[label].append(time.perf_counter() - started)
            direct_ms = statistics.median(times["direct"]) * 1000
            proxy_ms = statistics.median(times["proxy"]) * 1000
            results[name] = {
                "direct_ms": direct_ms,
                "proxy_ms": proxy_ms,
                "added_ms": proxy_ms - direct_ms,
                "proxy_p95_ms": statistics.quantiles(times["proxy"], n=20)[-1] * 1000,
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=300, help="exchanges per workload and path per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best (lowest added) is kept")
    parser.add_argument("--nice", type=int, default=0, help="niceness of both servers (negative: root only)")
    args = parser.parse_args(argv)
    mock_port, proxy_port = free_port(), free_port()
    mock = f"http://127.0.0.1:{mock_port}"
    proxy = f"http://127.0.0.1:{proxy_port}"
    bin_dir = Path(sys.executable).parent
    servers = [
        _start(
            [
                str(bin_dir / "fanfare-mock"),
                "serve",
                "--port",
                str(mock_port),
                "--quiet",
                "--consumers",
                "1000",
            ],
            f"{mock}/_mock/health",
            args.nice,
        )
    ]
    try:
        servers.append(
            _start(
                [str(bin_dir / "fanfare-contract"), "proxy", "--upstream", mock, "--port", str(proxy_port)],
                f"{proxy}/_mock/health",
                args.nice,
            )
        )
        best: dict[str, dict[str, float]] = {}
        for round_number in range(1, args.rounds + 1):
            cpu_before = cpu_seconds(servers[1].pid)
            found = measure(mock, proxy, args.count)
            time.sleep(2)  # the judge finishes the queue
            exchanges = (args.count + 10) * len(found) + 1
            per_exchange = (cpu_seconds(servers[1].pid) - cpu_before) / exchanges * 1000
            print(f"round {round_number}: proxy CPU {per_exchange:.2f} ms per exchange (forward + judge)")
            for name, row in found.items():
                print(
                    f"  {name:16} direct {row['direct_ms']:6.2f} ms  proxied {row['proxy_ms']:6.2f} ms  "
                    f"added {row['added_ms']:5.2f} ms (proxied p95 {row['proxy_p95_ms']:.2f} ms)"
                )
                if name not in best or row["added_ms"] < best[name]["added_ms"]:
                    best[name] = row
        print("best of rounds, added latency per exchange (median):")
        for name, row in best.items():
            print(f"  {name:16} {row['added_ms']:5.2f} ms (direct {row['direct_ms']:.2f} ms)")
    finally:
        for process in reversed(servers):
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
