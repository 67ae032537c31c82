"""Server processes for the benchmarks: start one, time it to its first 2xx, read its memory and CPU, stop it.

Each server runs in its own session (process group) so that it can be stopped as a group, and gets
SIGTERM if the harness itself dies (Linux parent-death signal), so a crashed run leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def apply_niceness(niceness: int) -> None:
    """Give the calling process, and its session's autogroup, this scheduling priority (negative: root).

    With sched_autogroup (the Linux default) the scheduler first shares the CPU between sessions, so a
    process's own nice value only matters inside its session: the autogroup's nice is what counts
    against other people's work. Call it in a child that has just started its own session.
    """
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as handle:
        handle.write(str(niceness))


def _child_setup(niceness: int) -> Callable[[], None]:
    def setup() -> None:
        # Runs in the child between fork and exec, after setsid: SIGTERM it when the harness goes away,
        # however it goes, and give it the requested scheduling priority.
        with contextlib.suppress(Exception):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if niceness:
            apply_niceness(niceness)

    return setup


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy (all cores, all processes), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]


def request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None = None,
    timeout: float = 5.0,
) -> Reply:
    """One HTTP request on loopback with the standard library (no client-side surprises)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return Reply(resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()})
    finally:
        conn.close()


@dataclass
class Server:
    """One server under test: its command line, and what we learn about it while it runs."""

    name: str
    argv: list[str]
    port: int
    log_path: Path
    cwd: Path | None = None
    niceness: int = 0
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    first_response_s: float | None = None  # first HTTP answer of any status
    first_2xx_s: float | None = None  # first 2xx answer to the readiness probe
    notes: list[str] = field(default_factory=list)

    def start(self) -> None:
        log = self.log_path.open("wb")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            start_new_session=True,
            preexec_fn=_child_setup(self.niceness),
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, probe_path: str, headers: dict[str, str], timeout: float) -> None:
        """Poll every 5 ms until the probe answers 2xx; note the times to the first answer and first 2xx."""
        deadline = self.started_at + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode if self.process else '?'}"
                    f" before answering; its output:\n{self.log_tail()}"
                )
            try:
                reply = request(self.port, "GET", probe_path, headers, timeout=2.0)
            except (ConnectionError, OSError, http.client.HTTPException) as exc:
                last = f"{type(exc).__name__}: {exc}"
                time.sleep(0.005)
                continue
            now = time.monotonic() - self.started_at
            if self.first_response_s is None:
                self.first_response_s = now
            if 200 <= reply.status < 300:
                self.first_2xx_s = now
                return
            last = f"HTTP {reply.status} {reply.body[:200]!r}"
            time.sleep(0.005)
        raise RuntimeError(
            f"{self.name} did not answer GET {probe_path} with a 2xx within {timeout:.0f} s "
            f"(last: {last}); its output:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"

    def pids(self) -> list[int]:
        """The server process and all its descendants (npx-style wrappers, uvicorn workers)."""
        if not self.alive() or self.process is None:
            return []
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    todo.extend(int(child) for child in task.read_text().split())
        return found

    def memory(self) -> tuple[int, int]:
        """(resident, peak resident) in bytes, summed over the process tree."""
        rss = hwm = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1]) * 1024
        return rss, hwm

    def cpu_seconds(self) -> float:
        """User plus system CPU time used so far by the process tree."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{pid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the server's process group, then SIGKILL it if it is still there after `grace` seconds."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)
