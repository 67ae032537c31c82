"""Upload URLs are capabilities, like pre-signed URLs: unguessable, expiring, bound to their import, and
built from the mock's own address (`--public-url`, else the bound one), never from request headers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

Start = Any  # the start_mock fixture (tests/hardening/conftest.py)

A, B = "sk_test_uploads_a_0001", "sk_test_uploads_b_0002"
CSV = {"Content-Type": "text/csv"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def start_import(base: str, key: str, **headers: str) -> dict[str, Any]:
    audience = httpx.post(
        f"{base}/api/v1/audiences", headers=bearer(key), json={"name": "Uploads", "type": "STATIC"}
    ).json()
    started = httpx.post(
        f"{base}/api/v1/audiences/{audience['id']}/import", headers={**bearer(key), **headers}
    )
    assert started.status_code == 201, started.text
    return {"audience": audience["id"], **started.json()}


def members(base: str, key: str, audience: str) -> int:
    count = httpx.get(f"{base}/api/v1/audiences/{audience}/count", headers=bearer(key))
    return int(count.json()["count"])


def test_upload_urls_are_unguessable_bound_to_their_import_and_expire(start_mock: Start) -> None:
    mock = start_mock()
    base = mock.base
    httpx.put(f"{base}/_mock/jobs/import/progression", json={"secretKey": B, "mode": "immediate"})
    mine = start_import(base, A)
    theirs = start_import(base, B)
    url = urlsplit(mine["uploadUrl"])
    signature = parse_qs(url.query)["signature"][0]
    other = parse_qs(urlsplit(theirs["uploadUrl"]).query)["signature"][0]
    assert len(signature) >= 32 and signature != other, "random, not derived from the import id"

    # another import's id with my signature, no signature, a made-up one: all refused, nothing imported
    target = f"{base}/_mock/uploads/{theirs['id']}"
    for params in ({"signature": signature}, {"signature": "x" * 43}):
        answer = httpx.put(target, params=params, content=b"email\nintruder@example.com\n", headers=CSV)
        assert answer.status_code == 403, answer.text
    assert httpx.put(target, content=b"email\nintruder@example.com\n", headers=CSV).status_code in (400, 403)
    assert members(base, B, theirs["audience"]) == 0

    # the right URL works until it expires (an hour on the virtual clock)
    assert (
        httpx.put(theirs["uploadUrl"], content=b"email\nfriend@example.com\n", headers=CSV).status_code == 200
    )
    assert members(base, B, theirs["audience"]) == 1
    assert httpx.post(f"{base}/_mock/clock", json={"advanceSeconds": 3601}).status_code == 200
    late = httpx.put(mine["uploadUrl"], content=b"email\nlate@example.com\n", headers=CSV)
    assert late.status_code == 403 and "expired" in late.text


def test_upload_urls_come_from_the_mocks_address_not_from_request_headers(start_mock: Start) -> None:
    mock = start_mock()
    started = start_import(mock.base, A, **{"Host": "attacker.example", "X-Forwarded-Proto": "https"})
    assert started["uploadUrl"].startswith(f"{mock.base}/_mock/uploads/{started['id']}?signature=")

    public = start_mock("--public-url", "https://mock.example.test/base/")
    started = start_import(public.base, A, Host="attacker.example")
    assert started["uploadUrl"].startswith(f"https://mock.example.test/base/_mock/uploads/{started['id']}?")


def test_a_bad_public_url_is_refused_at_start() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--public-url", "ftp://nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--public-url" in result.stderr
