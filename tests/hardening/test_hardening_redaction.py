"""Issue 10, key redaction: a secret key percent-encoded in a path or query, or JSON-escaped in a body, is
redacted in the journal and the access log like a plain one (decoded, none of them shows the key)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from mock_server.app import create_app
from mock_server.client import InProcessClient
from mock_server.control.redaction import scrub_bytes
from mock_server.pytest_plugin import DEFAULT_KEY

KEY = "sk_test_other_tenant"
PERCENT_ONE = "sk_%74est_other_tenant"
PERCENT_ALL = "".join(f"%{b:02X}" for b in KEY.encode())
JSON_ESCAPED = r"sk\u005ftest\u005fother_tenant"
JSON_LEADING = r"\u0073k_test_other_tenant"


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@pytest.mark.parametrize(
    "form",
    [PERCENT_ONE, PERCENT_ALL, PERCENT_ONE.lower(), JSON_ESCAPED, JSON_LEADING, r"sk\u005Ftest_other_tenant"],
)
def test_every_encoded_form_of_a_key_is_redacted_to_its_last_four(form: str) -> None:
    scrubbed = scrub_bytes(f"before {form} after".encode()).decode()
    assert scrubbed == "before sk_test_…nant after"


def test_a_plain_key_and_words_around_it_are_unchanged_by_the_encoded_pattern() -> None:
    assert scrub_bytes(b"q=%20sk_live_abcdefghij%26x=1").decode() == "q=%20sk_live_…ghij%26x=1"
    assert scrub_bytes(b"100% sure, \\u0041 is A").decode() == "100% sure, \\u0041 is A"


def test_encoded_keys_never_reach_the_journal_or_the_access_log(capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app(seed=1, consumers=20, log_requests=True)
    with InProcessClient(app, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}) as client:
        client.get(f"/api/v1/audiences?secretKey={PERCENT_ONE}")
        client.get(f"/api/v1/audiences?secretKey={PERCENT_ALL}")
        client.get(f"/api/v1/audiences/{PERCENT_ONE}")
        for form in (JSON_ESCAPED, JSON_LEADING):
            body = '{"secretKey": "FORM", "error": "down for FORM"}'.replace("FORM", form)
            client.post("/_mock/faults", content=body, headers={"content-type": "application/json"})
        journal = client.get("/_mock/journal").json()
    log = capsys.readouterr().err
    shown = [unquote(text) for text in strings(journal)] + [unquote(log)]
    assert not [text for text in shown if KEY in text]
    assert sum(text.count("sk_test_…nant") for text in shown) >= 5
