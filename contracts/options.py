"""What one contract run is asked to do: the target, the safety limits and the outputs."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.families import Family, select

__all__ = ["ALL_PHASES", "RunOptions", "new_run_id", "parse_rate_limit"]

ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")


def new_run_id() -> str:
    """Eight lowercase hex digits: short enough for names, unique enough for one staging org."""
    return secrets.token_hex(4)


def parse_rate_limit(text: str) -> float:
    """`10/s`, `600/m` or `1000/h` as requests per second."""
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"expected a rate like 10/s, 600/m or 1000/h, got {text!r}")
    count = float(match.group(1))
    per = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
    if count <= 0:
        raise ValueError(f"a rate limit must be positive, got {text!r}")
    return count / per[match.group(2)]


@dataclass(frozen=True)
class RunOptions:
    """Everything `run_suite` needs. `app` tests an ASGI app in-process instead of `base_url` over HTTP."""

    base_url: str
    token: str
    second_token: str | None = None
    family: str = "both"
    max_examples: int = 10
    phases: tuple[str, ...] = ALL_PHASES
    read_only: bool = False
    rate_limit: float | None = None  # requests per second
    request_budget: int | None = None
    seed: int | None = None
    junit_xml: Path | None = None
    report: Path | None = None
    #: The OpenAPI document: a path, or an already loaded dict (tests); None means the bundled one.
    spec: Path | dict[str, Any] | None = None
    #: An ASGI app to call in-process (base_url is then only the URL written into reports).
    app: Any = None
    run_id: str = field(default_factory=new_run_id)
    #: Run the scripted business scenarios after schemathesis.
    scenarios: bool = True
    #: Names of scenarios to run (None: all); lets tests and users focus.
    only_scenarios: tuple[str, ...] | None = None
    #: Operations schemathesis tests, as labels like "GET /api/v1/audiences" (None: all of the families).
    operations: tuple[str, ...] | None = None
    #: Stop schemathesis after this many distinct failures (None: run everything).
    max_failures: int | None = None
    #: Largest member set a scenario walks completely (a staging org may hold millions of consumers).
    walk_cap: int = 2000
    #: Shrink failing examples (slow on stateful failures; off by default for CI).
    shrink: bool = False
    request_timeout: float = 30.0
    #: Let the coverage phase probe undeclared DELETE/PUT/PATCH/POST on a remote target (see engine).
    probe_all_methods: bool = False
    #: Fail the run when fewer than this percentage of the families' operations were exercised.
    min_coverage: float | None = None
    #: schemathesis' own parallelism: N worker threads for its phases (1: serial).
    workers: int = 1

    def __post_init__(self) -> None:
        for name in ("junit_xml", "report"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, Path(value))
        if isinstance(self.spec, str):
            object.__setattr__(self, "spec", Path(self.spec))
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"--base-url must start with http:// or https://, got {self.base_url!r}")
        if not self.token:
            raise ValueError("--token is required")
        select(self.family)  # raises on an unknown family
        unknown = [p for p in self.phases if p not in ALL_PHASES]
        if unknown:
            raise ValueError(
                f"unknown phase(s) {', '.join(unknown)}; expected some of {', '.join(ALL_PHASES)}"
            )
        if self.max_examples < 1:
            raise ValueError("--max-examples must be at least 1")
        if self.request_budget is not None and self.request_budget < 1:
            raise ValueError("--request-budget must be at least 1")
        if self.second_token is not None and self.second_token == self.token:
            raise ValueError("--second-token must differ from --token (it stands for another organization)")

    @property
    def families(self) -> tuple[Family, ...]:
        return select(self.family)

    @property
    def prefix(self) -> str:
        """The name prefix of everything this run creates: it marks the data as ours, and as this run's."""
        return f"fct-{self.run_id}-"

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(t for t in (self.token, self.second_token) if t)
