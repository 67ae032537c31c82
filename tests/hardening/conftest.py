"""The battery's server: a real `fanfare-mock serve` subprocess on a free port, started with the flags a
test gives, its start-up output kept so a test can read what it printed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveMock:
    """One running server: `base` is its loopback URL, `output` what it printed so far."""

    process: subprocess.Popen[str]
    base: str
    port: int
    lines: list[str] = field(default_factory=list)
    pump: threading.Thread | None = None

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.pump is not None:
            self.pump.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


Start = Callable[..., LiveMock]


@pytest.fixture
def start_mock() -> Iterator[Start]:
    """`start_mock("--host", "0.0.0.0", env={...})`: serve with those flags and wait until healthy."""
    started: list[LiveMock] = []

    def start(*flags: str, env: Mapping[str, str] | None = None, consumers: int = 200) -> LiveMock:
        port = free_port()
        # the battery checks access and limits on an empty world at a fixed instant (serve defaults to the
        # demo world on a running clock)
        command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port)]
        command += ["--scenario", "none", "--clock", "2025-01-01T00:00:00Z"]
        command += ["--consumers", str(consumers), "--quiet", *flags]
        # the caller's environment must not hand the server a control token the test did not give it
        environment = {k: v for k, v in os.environ.items() if k != "FANFARE_CONTROL_TOKEN"}
        environment.update({"PYTHONUNBUFFERED": "1", **(env or {})})
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment
        )
        mock = LiveMock(process, f"http://127.0.0.1:{port}", port)
        started.append(mock)

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                mock.lines.append(line)

        mock.pump = threading.Thread(target=pump, daemon=True)
        mock.pump.start()
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{mock.base}/_mock/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                mock.stop()
                raise AssertionError(f"the mock did not start: {mock.output}")
            time.sleep(0.05)
        return mock

    yield start
    for mock in started:
        mock.stop()


@pytest.fixture
def client(fanfare_mock: Any) -> Any:
    """The in-process mock's client (the default tenant's key), for checks that need no live server."""
    return fanfare_mock.client
