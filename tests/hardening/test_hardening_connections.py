"""Issue 10, connection limits, against a live `fanfare-mock serve`: a client that trickles its headers or
sends less body than it declared is answered 408 and cut off, oversize headers are a 431, connections past
the cap are a 503, and malformed framing is a 400; each one a JSON `{"error": ...}` (both families'
envelope for a non-validation error), and the server keeps answering everyone else."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import httpx

from tests.hardening.conftest import LiveMock, Start


def connect(mock: LiveMock) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", mock.port), timeout=30)
    return sock


def answer(sock: socket.socket) -> tuple[int, dict[str, object]]:
    """The status and JSON body of what the server wrote before it closed the connection."""
    data = b""
    with sock:
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), data
    return int(head.split(b" ")[1]), json.loads(body)


def healthy(mock: LiveMock) -> bool:
    return httpx.get(f"{mock.base}/_mock/health", timeout=10).status_code == 200


def test_a_client_trickling_its_headers_is_answered_408_before_it_finishes(start_mock: Start) -> None:
    mock = start_mock("--header-timeout", "1")
    sock = connect(mock)
    sock.sendall(b"GET /api/v1/audiences HTTP/1.1\r\nHost: x\r\n")
    sent = 0
    try:
        for _ in range(600):  # a header line a byte at a time; the server may cut us off any time
            sock.sendall(b"X")
            sent += 1
            time.sleep(0.05)
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, body = answer(sock)
    assert sent < 600, "the server held a trickling client until it gave up"
    assert (status, body) == (408, {"error": "Request timeout: the request headers took too long"})
    assert healthy(mock)


def test_a_body_shorter_than_its_content_length_is_answered_408(start_mock: Start) -> None:
    mock = start_mock("--body-timeout", "1")
    sock = connect(mock)
    sock.sendall(
        b"POST /api/v1/audiences HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_abcdefgh1234\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name": '
    )
    status, body = answer(sock)
    assert (status, body) == (408, {"error": "Request timeout: the request body took too long"})
    assert healthy(mock)


def test_oversize_headers_are_a_431(start_mock: Start) -> None:
    mock = start_mock()
    sock = connect(mock)
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(b"GET /api/v1/audiences HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
    status, body = answer(sock)
    assert (status, body) == (431, {"error": "Request headers too large: the limit is 65536 bytes"})
    assert healthy(mock)


def test_connections_past_the_cap_are_refused_503_and_the_rest_are_served(start_mock: Start) -> None:
    mock = start_mock("--max-connections", "3")
    idle = [connect(mock) for _ in range(3)]
    time.sleep(0.2)  # not a timing assertion: lets the server register the idle ones first
    extra = connect(mock)
    extra.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n\r\n")
    status, body = answer(extra)
    assert (status, body) == (503, {"error": "Too many connections: the limit is 3"})
    for sock in idle:
        sock.close()
    deadline = time.monotonic() + 30
    while True:  # the slots come back once the server has seen the closes
        try:
            if healthy(mock):
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_malformed_framing_is_a_json_400(start_mock: Start) -> None:
    mock = start_mock()
    sock = connect(mock)
    sock.sendall(b"POST /api/v1/audiences HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}")
    status, body = answer(sock)
    assert status == 400 and body == {"error": "Invalid HTTP request: malformed framing"}
    assert healthy(mock)
