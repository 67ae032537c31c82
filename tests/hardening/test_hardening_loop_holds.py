"""The opt-in loop watch of a live `fanfare-mock serve` (FANFARE_LOOP_HOLDS_MS), which bench/soak.py reads:
one parseable line per hold at or over the threshold, and the longest when the server stops."""

from __future__ import annotations

import re
import signal
import time

import httpx

from tests.hardening.conftest import Start

HOLD = re.compile(r"^loop-hold \d+\.\d{3} \d+\.\d ms cpu \d+\.\d ms .+$", re.MULTILINE)


def test_every_hold_over_the_threshold_is_a_line_and_the_longest_is_printed_at_exit(
    start_mock: Start,
) -> None:
    mock = start_mock(env={"FANFARE_LOOP_HOLDS_MS": "0"})  # threshold 0: every tick of the watch is a line
    reply = httpx.get(f"{mock.base}/api/v1/audiences", headers={"Authorization": "Bearer sk_test_holds_1"})
    assert reply.status_code == 200
    deadline = time.monotonic() + 30
    while not HOLD.search(mock.output) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert HOLD.search(mock.output), mock.output
    mock.process.send_signal(signal.SIGINT)
    mock.process.wait(timeout=30)
    assert mock.pump is not None
    mock.pump.join(timeout=5)
    assert re.search(r"fanfare-mock: longest event-loop hold \d+\.\d ms \(in flight: ", mock.output), (
        mock.output
    )


def test_no_watch_without_the_variable(start_mock: Start) -> None:
    mock = start_mock()
    assert httpx.get(f"{mock.base}/_mock/health").status_code == 200
    time.sleep(0.2)  # a watch would have printed a line per tick by now (not a timing assertion on the mock)
    assert "loop-hold" not in mock.output
