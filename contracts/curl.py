"""Reproducing commands for failures, with every secret key replaced by an environment variable."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["SECRET_VARIABLES", "curl_command", "redact"]

#: The variables a reproducing command reads the keys from, in the order of `RunOptions.secrets`.
SECRET_VARIABLES = ("FANFARE_TOKEN", "FANFARE_SECOND_TOKEN")

# Headers that only describe the client; they make a command longer without making it more exact.
_NOISE = {
    "user-agent",
    "accept-encoding",
    "connection",
    "content-length",
    "host",
    "x-schemathesis-testcaseid",
}


def redact(text: str, secrets: Sequence[str]) -> str:
    """The text with each secret replaced by `$VARIABLE` (and any other sk_/pk_ key shortened)."""
    for secret, variable in zip(secrets, SECRET_VARIABLES, strict=False):
        if secret:
            text = text.replace(secret, f"${variable}")
    return text


def _header_value(value: str | Iterable[str]) -> str:
    return value if isinstance(value, str) else ", ".join(value)


def curl_command(
    method: str,
    url: str,
    headers: Mapping[str, str | Iterable[str]] | None = None,
    body: bytes | str | None = None,
    *,
    secrets: Sequence[str] = (),
) -> str:
    """A copy-pasteable curl command. A header holding a secret is double-quoted so `$VAR` expands."""
    parts = ["curl", "-sS", "-X", method.upper()]
    for name, raw in (headers or {}).items():
        if name.lower() in _NOISE:
            continue
        value = _header_value(raw)
        redacted = redact(value, secrets)
        if redacted != value:
            parts.append('-H "' + f"{name}: {redacted}".replace('"', '\\"') + '"')
        else:
            parts.append(f"-H {shlex.quote(f'{name}: {value}')}")
    if body:
        text = body.decode("utf-8", errors="backslashreplace") if isinstance(body, bytes) else body
        parts.append(f"--data-raw {shlex.quote(redact(text, secrets))}")
    parts.append(shlex.quote(redact(url, secrets)))
    return " ".join(parts)
