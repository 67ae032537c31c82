"""What `fanfare-contract drift` finds: one `DriftPoint` per point and family, the verdict names, and how
an answer is quoted as evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

GUIDE, REFERENCE, NEITHER, BOTH, UNJUDGED = "guide", "reference", "neither", "both", "not judged"
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@dataclass(slots=True)
class DriftPoint:
    point: str
    family: str
    follows: str  # guide | reference | both | neither | not judged
    observed: str
    evidence: str  # "METHOD path -> status: snippet"


def evidence(response: httpx.Response | None) -> str:
    if response is None:
        return "-"
    text = response.text.replace("\n", " ")
    text = text if len(text) <= 120 else text[:120] + "…"
    return f"{response.request.method} {response.request.url.path} -> {response.status_code}: {text}"


def json_of(response: httpx.Response | None) -> Any:
    if response is None:
        return None
    try:
        return response.json()
    except ValueError:
        return None
