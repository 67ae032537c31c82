"""The scripted scenarios' frame: a registry, a context with the run's clients, and verdicts.

A scenario is a plain function over a `ScenarioContext` that sends a short sequence of requests and
raises `ScenarioFailure` (a title a person understands, the detail, the last exchange) when the
target breaks a rule. Scenarios that write declare it, so a read-only run skips them by rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from contracts.client import Client, Exchange
from contracts.families import Family
from contracts.options import RunOptions

__all__ = [
    "REGISTRY",
    "Scenario",
    "ScenarioContext",
    "ScenarioFailure",
    "ScenarioSkip",
    "scenario",
]


class ScenarioFailure(AssertionError):
    def __init__(self, title: str, message: str = "", exchange: Exchange | None = None) -> None:
        super().__init__(f"{title}: {message}" if message else title)
        self.title = title
        self.message = message
        self.exchange = exchange


class ScenarioSkip(Exception):
    """The scenario cannot judge this target (an operation the spec lacks, no data to work on, ...)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    func: Callable[[ScenarioContext], None]
    families: tuple[str, ...] = ("v1", "api")
    writes: bool = True
    needs_second_token: bool = False
    cross_family: bool = False  # runs once, needs both families

    def test_name(self, family: Family | None) -> str:
        return f"{self.name}[{family.name}]" if family is not None else self.name


REGISTRY: dict[str, Scenario] = {}


def scenario(
    name: str,
    *,
    families: tuple[str, ...] = ("v1", "api"),
    writes: bool = True,
    second_token: bool = False,
    cross_family: bool = False,
) -> Callable[[Callable[[ScenarioContext], None]], Callable[[ScenarioContext], None]]:
    """Register a scenario under a stable name (the name is its JUnit test name: never rename lightly)."""

    def register(func: Callable[[ScenarioContext], None]) -> Callable[[ScenarioContext], None]:
        if name in REGISTRY and REGISTRY[name].func.__module__ != func.__module__:
            raise ValueError(f"scenario {name!r} is registered twice")
        doc = (func.__doc__ or "").strip().splitlines()
        REGISTRY[name] = Scenario(
            name=name,
            description=doc[0] if doc else name,
            func=func,
            families=families,
            writes=writes,
            needs_second_token=second_token,
            cross_family=cross_family,
        )
        return func

    return register


@dataclass
class ScenarioContext:
    family: Family | None
    client: Client
    second: Client | None
    options: RunOptions
    spec: dict[str, Any]
    _counter: list[int] = field(default_factory=lambda: [0])
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def fam(self) -> Family:
        if self.family is None:
            raise RuntimeError("this scenario runs across families; name one explicitly")
        return self.family

    @property
    def read_only(self) -> bool:
        return self.options.read_only

    def anonymous(self) -> Client:
        return self.client.as_token(None)

    def name(self, label: str) -> str:
        """A run-unique name with the run prefix: everything a scenario creates is recognisably ours."""
        self._counter[0] += 1
        return f"{self.options.prefix}{label}-{self._counter[0]}"

    # --- the spec ---------------------------------------------------------------------------------

    def has_operation(self, method: str, path: str) -> bool:
        return method.lower() in (self.spec.get("paths", {}).get(path) or {})

    def require(self, method: str, path: str) -> None:
        if not self.has_operation(method, path):
            raise ScenarioSkip(f"the spec has no {method.upper()} {path}")

    # --- verdicts ---------------------------------------------------------------------------------

    def fail(self, title: str, message: str = "") -> ScenarioFailure:
        return ScenarioFailure(title, message, self.client.last)

    def expect(self, condition: bool, title: str, message: str = "") -> None:
        if not condition:
            raise self.fail(title, message)

    def expect_status(self, response: httpx.Response, expected: int | Iterable[int], title: str) -> None:
        wanted = {expected} if isinstance(expected, int) else set(expected)
        if response.status_code not in wanted:
            shown = " or ".join(str(code) for code in sorted(wanted))
            raise self.fail(
                title,
                f"{response.request.method} {response.request.url.path} answered {response.status_code}, "
                f"expected {shown}: {_snippet(response)}",
            )

    def json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self.fail(
                "Response is not JSON",
                f"{response.request.method} {response.request.url.path} answered {response.status_code} "
                f"with {_snippet(response)}",
            ) from None

    # --- shared steps -----------------------------------------------------------------------------

    def audience_body(
        self, kind: str, label: str, rules: list[dict[str, Any]] | None = None, family: Family | None = None
    ) -> dict[str, Any]:
        family = family or self.fam
        type_ = {"static": family.static_type, "dynamic": "DYNAMIC", "synced": "SYNCED_LIST"}[kind]
        body: dict[str, Any] = {
            "name": self.name(label),
            "type": type_,
            "description": "fanfare-contract test data",
        }
        if rules:
            body["rules"] = rules
        return body

    def create_audience(
        self,
        kind: str,
        label: str,
        rules: list[dict[str, Any]] | None = None,
        *,
        family: Family | None = None,
        client: Client | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        family = family or self.fam
        client = client or self.client
        body = {**self.audience_body(kind, label, rules, family), **extra}
        response = client.post(family.path("/audiences"), json_body=body)
        self.expect_status(response, family.create_status, "Could not create an audience")
        audience = self.json(response)
        self.expect(
            isinstance(audience, Mapping) and isinstance(audience.get("id"), str),
            "Created audience has no id",
            _snippet(response),
        )
        return dict(audience)

    def wait_materialized(
        self, audience_id: str, *, family: Family | None = None, timeout: float = 15.0
    ) -> None:
        """Until /status stops reporting `inProgress` (a real server materializes in the background)."""
        family = family or self.fam
        deadline = time.monotonic() + timeout
        while True:
            response = self.client.get(family.path(f"/audiences/{audience_id}/status"))
            if response.status_code != 200:
                return
            body = self.json(response)
            if not (isinstance(body, Mapping) and body.get("inProgress")) or time.monotonic() > deadline:
                return
            time.sleep(0.2)

    def walk_members(
        self, path: str, *, first: int = 100, cap: int | None = None, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every member of a paged list, following endCursor (at most `cap` members, then a skip)."""
        cap = cap if cap is not None else self.options.walk_cap
        members: list[dict[str, Any]] = []
        after: str | None = None
        cursors: set[str] = set()
        while True:
            query: dict[str, Any] = {"first": first, **(params or {})}
            if after is not None:
                query["after"] = after
            response = self.client.get(path, params=query)
            self.expect_status(response, 200, "Could not read a page of members")
            page = self.json(response)
            self.expect(
                isinstance(page, Mapping)
                and isinstance(page.get("data"), list)
                and isinstance(page.get("pageInfo"), Mapping),
                "Members page is not {data, pageInfo}",
                _snippet(response),
            )
            members.extend(dict(item) for item in page["data"] if isinstance(item, Mapping))
            after = page["pageInfo"].get("endCursor")
            if after is None or not page["data"]:
                return members
            if after in cursors:
                raise self.fail("Paging loops", f"endCursor {after!r} came back twice while walking {path}")
            cursors.add(after)
            if len(members) > cap:
                raise ScenarioSkip(f"more than {cap} members to walk (raise --walk-cap to judge)")

    def consumer_ids(self, n: int) -> list[str]:
        """Ids of up to `n` existing consumers, read from a dynamic audience of everyone (created once)."""
        cached = self._cache.get("consumers")
        if cached is None or len(cached) < n:
            family = self.fam
            audience = self.create_audience(
                "dynamic",
                "everyone",
                [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [0]}],
            )
            self.wait_materialized(audience["id"])
            response = self.client.get(
                family.path(f"/audiences/{audience['id']}/members"), params={"first": 100}
            )
            self.expect_status(response, 200, "Could not read members")
            page = self.json(response)
            cached = [m["id"] for m in (page.get("data") or []) if isinstance(m, Mapping) and "id" in m]
            self._cache["consumers"] = cached
        if not cached:
            raise ScenarioSkip("the organization has no consumers to work with")
        return list(cached[:n])


def _snippet(response: httpx.Response, limit: int = 300) -> str:
    text = response.text
    return text if len(text) <= limit else text[:limit] + "…"
