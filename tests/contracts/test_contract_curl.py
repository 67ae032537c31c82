"""Reproducing commands never carry a key, and still run."""

from __future__ import annotations

import shlex

from contracts.curl import curl_command, redact

TOKEN = "sk_test_0123456789abcdef"
SECOND = "sk_test_fedcba9876543210"


def test_the_key_becomes_an_environment_variable():
    command = curl_command(
        "post",
        "http://target/api/v1/audiences",
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", "User-Agent": "x"},
        b'{"name": "it\'s"}',
        secrets=(TOKEN, SECOND),
    )
    assert TOKEN not in command
    assert '-H "Authorization: Bearer $FANFARE_TOKEN"' in command
    assert "User-Agent" not in command
    words = shlex.split(command)
    assert words[:4] == ["curl", "-sS", "-X", "POST"]
    assert words[-1] == "http://target/api/v1/audiences"
    assert '{"name": "it\'s"}' in words


def test_second_key_and_list_valued_headers():
    command = curl_command(
        "GET", "http://t/x", {"Authorization": [f"Bearer {SECOND}"]}, secrets=(TOKEN, SECOND)
    )
    assert "$FANFARE_SECOND_TOKEN" in command and SECOND not in command


def test_redact_leaves_other_text_alone():
    assert redact(f"key {TOKEN} and pk_test_x", (TOKEN,)) == "key $FANFARE_TOKEN and pk_test_x"
    assert redact("nothing", ()) == "nothing"
