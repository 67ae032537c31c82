"""wrk as a library: write the Lua script for one request, run wrk, and read its figures back as numbers.

The script's `done()` hook prints one machine-readable line (marker `WRKJSON`) with the exact request
count, error counters and latency percentiles, so nothing depends on parsing wrk's human summary. No
`response()` hook: it would make wrk parse every response and slow the client that shares our 2 cores.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from servers import apply_niceness

MARKER = "WRKJSON "

_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"stdev_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean, latency.stdev))
end
"""


def _lua_string(text: str) -> str:
    # A Lua long string cannot be broken by quotes or backslashes in a JSON body.
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


def write_script(path: Path, method: str, headers: dict[str, str], body: str | None) -> Path:
    lines = [f"wrk.method = {_lua_string(method)}"]
    for name, value in headers.items():
        lines.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    path.write_text("\n".join(lines) + "\n" + _DONE, encoding="utf-8")
    return path


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    bytes: int
    errors_connect: int
    errors_read: int
    errors_write: int
    errors_timeout: int
    non_2xx: int  # wrk counts every response with status > 399 here
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    mean_ms: float

    @property
    def socket_errors(self) -> int:
        return self.errors_connect + self.errors_read + self.errors_write + self.errors_timeout

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def version() -> str:
    exe = shutil.which("wrk")
    if exe is None:
        return "missing"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown"


def run(
    url: str,
    script: Path,
    duration_s: float,
    threads: int,
    connections: int,
    timeout_s: float = 5.0,
    raw_output: Path | None = None,
    niceness: int = 0,
) -> WrkResult:
    exe = shutil.which("wrk")
    if exe is None:
        raise RuntimeError("wrk is not installed: run bench/setup.sh (apt-get install wrk)")
    argv = [
        exe,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s:g}s",
        f"--timeout={timeout_s:g}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]

    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        timeout=duration_s + 60,
        start_new_session=bool(niceness),  # its own autogroup, so the priority counts machine-wide
        preexec_fn=(lambda: apply_niceness(niceness)) if niceness else None,
    )
    if raw_output is not None:
        raw_output.write_text(" ".join(argv) + "\n\n" + proc.stdout + proc.stderr, encoding="utf-8")
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(MARKER)), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
    data = json.loads(line[len(MARKER) :])
    duration = data["duration_us"] / 1e6
    return WrkResult(
        requests=data["requests"],
        duration_s=duration,
        rps=data["requests"] / duration if duration else 0.0,
        bytes=data["bytes"],
        errors_connect=data["connect"],
        errors_read=data["read"],
        errors_write=data["write"],
        errors_timeout=data["timeout"],
        non_2xx=data["status"],
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        p999_ms=data["p999_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
    )
