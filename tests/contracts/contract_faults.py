"""The catalogue of deliberately broken servers: the mock wrapped in ASGI middleware that injects ONE defect.

Each row names the defect, the middleware that injects it, the check or scenario that must catch it,
and how to focus the run on it (operations and phases for schemathesis, scenarios) so the whole
catalogue runs in CI in a few minutes. `python tests/contracts/contract_faults.py` regenerates
contracts/FAULTS.md from the rows (a test keeps the file in step).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]],
    Awaitable[None],
]

SECOND_KEY_MARK = "_contract_suite_2"  # the second token of the tests ends with this


@dataclass
class Exchange:
    """One request through the fault middleware; a fault edits the request before and the answer after."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    answered: bool = False  # set by a fault that answers itself (the app is not called)

    def json(self) -> Any:
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    def request_json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.response_body = json.dumps(payload).encode()
        self.response_headers = {"content-type": "application/json", **(headers or {})}
        self.answered = True

    def set_json(self, payload: Any) -> None:
        self.response_body = json.dumps(payload).encode()

    def matches(self, method: str, pattern: str) -> re.Match[str] | None:
        if method != "*" and self.method != method:
            return None
        return re.fullmatch(pattern, self.path)


class Fault:
    """Override `before` (edit or answer the request) and/or `after` (edit the answer)."""

    def __init__(self) -> None:
        self.middleware: FaultMiddleware | None = None

    async def before(self, ex: Exchange) -> None:
        return None

    async def after(self, ex: Exchange) -> None:
        return None

    async def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None, query: str = ""
    ) -> Exchange:
        assert self.middleware is not None
        return await self.middleware.call(method, path, headers, body, query)


class FaultMiddleware:
    def __init__(self, app: ASGIApp, fault: Fault) -> None:
        self.app = app
        self.fault = fault
        fault.middleware = self

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        ex = Exchange(
            method=scope["method"],
            path=scope["path"],
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)),
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            body=body,
        )
        await self.fault.before(ex)
        if not ex.answered:
            await self._forward(ex, scope)
        await self.fault.after(ex)
        headers = {k: v for k, v in ex.response_headers.items() if k.lower() != "content-length"}
        headers["content-length"] = str(len(ex.response_body))
        await send(
            {
                "type": "http.response.start",
                "status": ex.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": ex.response_body})

    async def _forward(self, ex: Exchange, scope: dict[str, Any]) -> None:
        inner = dict(scope)
        inner["path"] = ex.path
        inner["raw_path"] = ex.path.encode()
        inner["query_string"] = urlencode(ex.query).encode()
        inner["headers"] = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in ex.headers.items()]
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": ex.body, "more_body": False}

        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                ex.status = message["status"]
                ex.response_headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])
                }
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, receive, send)
        ex.response_body = b"".join(chunks)

    async def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None, query: str = ""
    ) -> Exchange:
        """A request of the fault's own to the unbroken app (to look something up)."""
        raw = json.dumps(body).encode() if body is not None else b""
        hdrs = {k: v for k, v in headers.items() if k in ("authorization",)}
        if body is not None:
            hdrs["content-type"] = "application/json"
        ex = Exchange(method=method, path=path, query=dict(parse_qsl(query)), headers=hdrs, body=raw)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "server": ("mock", 80),
            "client": ("127.0.0.1", 1),
            "root_path": "",
        }
        await self._forward(ex, scope)
        return ex


# --- the faults -------------------------------------------------------------------------------------

AUD = r"/api(/v1)?/audiences/(?P<id>[^/]+)"
V1_AUD = r"/api/v1/audiences/(?P<id>[^/]+)"


class Func(Fault):
    """A fault from two small functions (most rows need only one of them)."""

    def __init__(
        self,
        before: Callable[[Exchange], None] | None = None,
        after: Callable[[Exchange], None] | None = None,
    ):
        super().__init__()
        self._before, self._after = before, after

    async def before(self, ex: Exchange) -> None:
        if self._before:
            self._before(ex)

    async def after(self, ex: Exchange) -> None:
        if self._after:
            self._after(ex)


def _edit_json(ex: Exchange, edit: Callable[[Any], Any]) -> None:
    body = ex.json()
    if body is not None:
        result = edit(body)
        ex.set_json(body if result is None else result)


def _audiences(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return [a for a in body["data"] if isinstance(a, dict)]
    if isinstance(body, list):
        return [a for a in body if isinstance(a, dict)]
    return [body] if isinstance(body, dict) else []


def server_error_on_search() -> Fault:
    def before(ex: Exchange) -> None:
        if ex.path.endswith("/members") and "search" in ex.query:
            ex.answer(500, {"error": "Internal server error"})

    return Func(before=before)


def undeclared_status_on_count() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("GET", V1_AUD + "/count") and ex.status in (200, 404):
            ex.status = 202

    return Func(after=after)


def create_answers_200() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("POST", r"/api/v1/audiences") and ex.status == 201:
            ex.status = 200

    return Func(after=after)


def missing_required_field() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("POST", r"/api/v1/audiences") and ex.status == 201:
            _edit_json(ex, lambda body: body.pop("version", None) and None)

    return Func(after=after)


def wrong_field_type() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("POST", r"/api/v1/audiences") and ex.status == 201:
            _edit_json(ex, lambda body: body.update(version=str(body.get("version"))))

    return Func(after=after)


def wrong_content_type() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("GET", r"/api/v1/audiences") and ex.status == 200:
            ex.response_headers["content-type"] = "text/plain"

    return Func(after=after)


def accepts_invalid_body() -> Fault:
    """A create that fails validation is answered as if it had worked (with a made-up audience)."""

    class Accepts(Fault):
        async def after(self, ex: Exchange) -> None:
            if ex.matches("POST", r"/api/v1/audiences") and ex.status == 400:
                made = await self.call(
                    "POST", "/api/v1/audiences", ex.headers, {"name": "fct-fault-made", "type": "STATIC"}
                )
                ex.status, ex.response_body = made.status, made.response_body

    return Accepts()


def rejects_valid_first() -> Fault:
    def before(ex: Exchange) -> None:
        if ex.path.endswith("/members") and ex.query.get("first") not in (None, "20"):
            ex.answer(
                400, {"error": "Validation failed", "details": [{"field": "first", "message": "Unsupported"}]}
            )

    return Func(before=before)


def ignores_auth() -> Fault:
    def before(ex: Exchange) -> None:
        if ex.path.startswith("/api/"):
            ex.headers["authorization"] = "Bearer sk_test_contract_suite_1"

    return Func(before=before)


def accepts_publishable_key() -> Fault:
    def before(ex: Exchange) -> None:
        auth = ex.headers.get("authorization", "")
        if auth.startswith("Bearer pk_"):
            ex.headers["authorization"] = "Bearer sk_test_contract_suite_1"

    return Func(before=before)


def cross_tenant_leak() -> Fault:
    def before(ex: Exchange) -> None:
        if ex.headers.get("authorization", "").endswith(SECOND_KEY_MARK):
            ex.headers["authorization"] = "Bearer sk_test_contract_suite_1"

    return Func(before=before)


def method_not_allowed_is_404() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.status == 405:
            ex.status = 404
            ex.response_headers.pop("allow", None)
            ex.set_json({"error": "Not found"})

    return Func(after=after)


def wrong_allow_header() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.method == "OPTIONS" or ex.status == 405:
            ex.response_headers["allow"] = "GET, TRACE"

    return Func(after=after)


class DeleteDoesNotDelete(Fault):
    """DELETE answers 200 with the audience marked archived, but nothing is deleted."""

    async def before(self, ex: Exchange) -> None:
        match = ex.matches("DELETE", AUD)
        if match:
            current = await self.call("GET", ex.path, ex.headers)
            if current.status == 200:
                body = current.json()
                body["archived"] = True
                ex.answer(200, body)


class ReadAfterCreateIs404(Fault):
    async def after(self, ex: Exchange) -> None:
        if ex.matches("GET", V1_AUD + "/count") and ex.status == 200:
            ex.answer(404, {"error": "Audience not found"})


def version_not_bumped() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.status == 200 and (ex.matches("GET", AUD + "/status") or ex.matches("GET", V1_AUD)):
            _edit_json(ex, lambda body: body.update(version=1) if "version" in body else None)

    return Func(after=after)


def round_trip_changes_name() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("GET", AUD) and ex.status == 200:
            _edit_json(ex, lambda body: body.update(name=str(body.get("name", "")).upper()))

    return Func(after=after)


def include_ignored() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("GET", V1_AUD) and ex.status == 200:
            _edit_json(
                ex, lambda body: body.update(rules=body.get("rules", []), imports=body.get("imports", []))
            )

    return Func(after=after)


def reference_shows_guide_spelling() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.path.startswith("/api/audiences") and ex.method == "GET" and ex.status == 200:

            def respell(body: Any) -> None:
                for audience in _audiences(body):
                    if audience.get("type") == "STATIC_LIST":
                        audience["type"] = "STATIC"

            _edit_json(ex, respell)

    return Func(after=after)


def guide_accepts_reference_spelling() -> Fault:
    def before(ex: Exchange) -> None:
        if ex.matches("POST", r"/api/v1/audiences"):
            body = ex.request_json()
            if isinstance(body, dict) and body.get("type") == "STATIC_LIST":
                body["type"] = "STATIC"
                ex.body = json.dumps(body).encode()

    return Func(before=before)


class FamiliesApart(Fault):
    """Audiences made on /api/v1 are invisible on /api (two worlds instead of one)."""

    def __init__(self) -> None:
        super().__init__()
        self.guide_ids: set[str] = set()

    async def before(self, ex: Exchange) -> None:
        match = ex.matches("GET", r"/api/audiences/(?P<id>[^/]+)")
        if match and match.group("id") in self.guide_ids:
            ex.answer(404, {"error": "Audience not found"})

    async def after(self, ex: Exchange) -> None:
        if ex.matches("POST", r"/api/v1/audiences") and ex.status == 201:
            self.guide_ids.add(str(ex.json().get("id")))


class DuplicatePages(Fault):
    """Each next page starts with the previous page's last member (one repeated, one lost)."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, Any] = {}

    async def after(self, ex: Exchange) -> None:
        if not (ex.method == "GET" and ex.path.endswith("/members") and ex.status == 200):
            return
        body = ex.json()
        data = body.get("data") if isinstance(body, dict) else None
        if not data:
            return
        after = ex.query.get("after")
        if after in self.last:
            data[0] = self.last[after]
            ex.set_json(body)
        end = body.get("pageInfo", {}).get("endCursor")
        if end:
            self.last[end] = data[-1]


def first_not_capped() -> Fault:
    def before(ex: Exchange) -> None:
        if (
            ex.path.endswith("/members")
            and ex.query.get("first", "").isdigit()
            and int(ex.query["first"]) > 100
        ):
            ex.query["first"] = "100"

    return Func(before=before)


def page_larger_than_first() -> Fault:
    def before(ex: Exchange) -> None:
        if ex.path.endswith("/members") and ex.method == "GET" and ex.query.get("first", "").isdigit():
            first = int(ex.query["first"])
            if first < 100:
                ex.query["first"] = str(first + 1)

    return Func(before=before)


def search_not_filtering() -> Fault:
    def before(ex: Exchange) -> None:
        if ex.path.endswith("/members") and len(ex.query.get("search", "")) >= 2:
            del ex.query["search"]

    return Func(before=before)


def count_off_by_one() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("GET", AUD + "/count") and ex.status == 200:
            _edit_json(ex, lambda body: body.update(count=body.get("count", 0) + 1))

    return Func(after=after)


def sync_not_refusing() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("POST", AUD + "/sync") and ex.status == 400:
            ex.answer(200, {"success": True, "syncSourceId": "fault-source", "status": "PENDING"})

    return Func(after=after)


def sync_twice() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("POST", AUD + "/sync") and ex.status == 409:
            ex.answer(200, {"success": True, "syncSourceId": "fault-source", "status": "PENDING"})

    return Func(after=after)


def sync_progress_hidden() -> Fault:
    """A synced list's status says `inProgress: false` while its sync is pending (the first wave's bug)."""

    def after(ex: Exchange) -> None:
        if ex.matches("GET", AUD + "/status") and ex.status == 200:
            _edit_json(ex, lambda body: body.update(inProgress=False) if isinstance(body, dict) else None)

    return Func(after=after)


class TiersOverlap(Fault):
    """Every tier after the first also reports the first tier's members (and count)."""

    def __init__(self) -> None:
        super().__init__()
        self.first_of: dict[str, str] = {}

    async def after(self, ex: Exchange) -> None:
        if ex.matches("POST", r"/api(/v1)?/audiences/loyalty-tiers") and ex.status in (200, 201):
            audiences = ex.json().get("audiences") or []
            if len(audiences) > 1:
                for tier in audiences[1:]:
                    self.first_of[str(tier["id"])] = str(audiences[0]["id"])
            return
        match = ex.matches("GET", AUD + r"/(?P<what>members|count)")
        if not match or match.group("id") not in self.first_of or ex.status != 200:
            return
        prefix = ex.path[: ex.path.index("/audiences/")]
        first = self.first_of[match.group("id")]
        what = match.group("what")
        other = await self.call(
            "GET", f"{prefix}/audiences/{first}/{what}", ex.headers, query=urlencode(ex.query)
        )
        mine = ex.json()
        theirs = other.json()
        if what == "count":
            mine["count"] = mine.get("count", 0) + theirs.get("count", 0)
        elif not ex.query.get("after"):
            mine["data"] = theirs.get("data", []) + mine.get("data", [])
        ex.set_json(mine)


def tier_boundaries_overlap() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("POST", r"/api(/v1)?/audiences/loyalty-tiers") and ex.status in (200, 201):

            def widen(body: Any) -> None:
                for audience in body.get("audiences") or []:
                    bounds = (audience.get("metadata") or {}).get("tierBoundaries") or {}
                    if isinstance(bounds.get("max"), int | float):
                        bounds["max"] = bounds["max"] + 1

            _edit_json(ex, widen)

    return Func(after=after)


def experience_status_frozen() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.path.startswith("/api/v1/experiences") and ex.status in (200, 201):

            def freeze(body: Any) -> None:
                for item in body if isinstance(body, list) else [body]:
                    if isinstance(item, dict) and "status" in item:
                        item["status"] = "draft"

            _edit_json(ex, freeze)

    return Func(after=after)


def duplicate_misnamed() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("POST", r"/api/v1/experiences/[^/]+/duplicate") and ex.status == 201:
            _edit_json(
                ex,
                lambda body: body.update(name=str(body.get("name", "")).replace("Copy of ", "") + " (copy)"),
            )

    return Func(after=after)


class DeletesActiveExperience(Fault):
    async def after(self, ex: Exchange) -> None:
        if ex.matches("DELETE", r"/api(/v1)?/experiences/[^/]+") and ex.status == 409:
            current = await self.call("GET", ex.path, ex.headers)
            ex.status, ex.response_body = 200, current.response_body


def reference_envelope_on_guide() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.path.startswith("/api/v1/") and ex.status == 400:
            ex.set_json({"error": "validation_error", "issues": [{"message": "Invalid input", "path": []}]})

    return Func(after=after)


def guide_envelope_on_reference() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.path.startswith("/api/") and not ex.path.startswith("/api/v1/") and ex.status == 400:
            body = ex.json()
            if isinstance(body, dict) and body.get("error") == "validation_error":
                ex.set_json(
                    {"error": "Validation failed", "details": [{"field": "body", "message": "Invalid"}]}
                )

    return Func(after=after)


def vague_not_found() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("GET", AUD) and ex.status == 404:
            ex.set_json({"error": "Not Found"})

    return Func(after=after)


def lists_archived() -> Fault:
    class Lists(Fault):
        async def after(self, ex: Exchange) -> None:
            if ex.matches("GET", r"/api/v1/audiences") and ex.status == 200:
                body = ex.json()
                if isinstance(body, list):
                    ghost = {"id": "archived-ghost", "name": "fct-ghost", "type": "STATIC", "archived": True}
                    ex.set_json([*body, ghost])

    return Lists()


def answers_for_another_id() -> Fault:
    def after(ex: Exchange) -> None:
        if ex.matches("GET", V1_AUD) and ex.status == 200:
            _edit_json(ex, lambda body: body.update(id=str(body.get("id")) + "-other"))

    return Func(after=after)


def echoes_secret() -> Fault:
    def after(ex: Exchange) -> None:
        auth = ex.headers.get("authorization", "")
        if ex.path.startswith("/api/") and auth.startswith("Bearer sk_"):
            ex.response_headers["x-debug-key"] = auth[7:]

    return Func(after=after)


# --- faults for the documented rules of issue 13 (tiers refusals, groups, rule CRUD, read back) -------

GROUP = r"/api(/v1)?/audiences/groups/(?P<id>[^/]+)"


def tiers_accept_overlap() -> Fault:
    """Overlapping tiers are made adjacent before the mock sees them, so the refusal never comes."""

    def before(ex: Exchange) -> None:
        if not ex.matches("POST", r"/api(/v1)?/audiences/loyalty-tiers"):
            return
        body = ex.request_json()
        tiers = body.get("tiers") if isinstance(body, dict) else None
        if not isinstance(tiers, list) or len(tiers) < 2:
            return
        ordered = sorted(tiers, key=lambda tier: tier.get("startValue", 0))
        for tier, following in itertools.pairwise(ordered):
            if isinstance(tier.get("endValue"), int | float) and tier["endValue"] > following["startValue"]:
                tier["endValue"] = following["startValue"]
        ex.body = json.dumps(body).encode()
        ex.headers["content-length"] = str(len(ex.body))

    return Func(before=before)


def group_filter_ignored() -> Fault:
    def before(ex: Exchange) -> None:
        if ex.matches("GET", GROUP + "/members"):
            ex.query.pop("audienceId", None)

    return Func(before=before)


class GroupDeleteKeepsAudiences(Fault):
    """DELETE of a group answers its audiences archived, but deletes nothing."""

    async def before(self, ex: Exchange) -> None:
        if ex.matches("DELETE", GROUP):
            current = await self.call("GET", ex.path, ex.headers)
            if current.status == 200 and isinstance(current.json(), list):
                ex.answer(200, [{**audience, "archived": True} for audience in current.json()])


class WriteAnswersButKeeps(Fault):
    """A PUT answers the entity with the change applied, but the change is never stored."""

    def __init__(self, pattern: str) -> None:
        super().__init__()
        self.pattern = pattern

    async def before(self, ex: Exchange) -> None:
        if ex.matches("PUT", self.pattern):
            current = await self.call("GET", ex.path, ex.headers)
            change = ex.request_json()
            if current.status == 200 and isinstance(change, dict):
                ex.answer(200, {**current.json(), **change})


def rule_update_not_stored() -> Fault:
    return WriteAnswersButKeeps(r"/api/audiences/[^/]+/rules/[^/]+")


def experience_update_not_stored() -> Fault:
    return WriteAnswersButKeeps(r"/api(/v1)?/experiences/[^/]+")


def import_hides_errors() -> Fault:
    """A finished import reports no errors: the bad rows are neither processed nor counted anywhere."""

    def after(ex: Exchange) -> None:
        if ex.matches("GET", AUD + "/import") and ex.status == 200:

            def hide(body: Any) -> None:
                for item in body if isinstance(body, list) else [body]:
                    if isinstance(item, dict) and item.get("errorCount"):
                        item.update(errorCount=0, errors=[])

            _edit_json(ex, hide)

    return Func(after=after)


@dataclass(frozen=True)
class FaultRow:
    name: str
    defect: str
    make: Callable[[], Fault]
    expected: str  # the check (schemathesis) or scenario name that must fail
    kind: str  # "built-in check" | "Fanfare check" | "scenario"
    operations: tuple[str, ...] = ()  # schemathesis focus (empty: schemathesis not run)
    phases: tuple[str, ...] = ("coverage", "fuzzing")
    scenarios: tuple[str, ...] = ()
    family: str = "v1"


MEMBERS_V1 = "GET /api/v1/audiences/{audienceId}/members"
AUDIENCE_V1 = "GET /api/v1/audiences/{audienceId}"
CREATE_V1 = "POST /api/v1/audiences"

CATALOGUE: tuple[FaultRow, ...] = (
    # schemathesis' built-in failure classes
    FaultRow(
        "server_error",
        "500 on a members search",
        server_error_on_search,
        "not_a_server_error",
        "built-in check",
        (MEMBERS_V1,),
    ),
    FaultRow(
        "undeclared_status",
        "/count answers 202, a status the spec does not declare",
        undeclared_status_on_count,
        "status_code_conformance",
        "built-in check",
        ("GET /api/v1/audiences/{audienceId}/count",),
    ),
    FaultRow(
        "wrong_create_status",
        "guide create answers 200 instead of 201",
        create_answers_200,
        "status_code_conformance",
        "built-in check",
        (CREATE_V1,),
    ),
    FaultRow(
        "missing_required_field",
        "a created guide audience without `version`",
        missing_required_field,
        "response_schema_conformance",
        "built-in check",
        (CREATE_V1,),
    ),
    FaultRow(
        "wrong_field_type",
        "`version` sent as a string",
        wrong_field_type,
        "response_schema_conformance",
        "built-in check",
        (CREATE_V1,),
    ),
    FaultRow(
        "wrong_content_type",
        "the audience list answered as text/plain",
        wrong_content_type,
        "content_type_conformance",
        "built-in check",
        ("GET /api/v1/audiences",),
    ),
    FaultRow(
        "accepts_invalid_body",
        "an invalid create is accepted",
        accepts_invalid_body,
        "negative_data_rejection",
        "built-in check",
        (CREATE_V1,),
        ("coverage",),
    ),
    FaultRow(
        "rejects_valid_input",
        "a valid `first` is refused",
        rejects_valid_first,
        "positive_data_acceptance",
        "built-in check",
        (MEMBERS_V1,),
        ("coverage",),
    ),
    FaultRow(
        "ignored_auth",
        "requests without a key are served",
        ignores_auth,
        "ignored_auth",
        "built-in check",
        ("GET /api/v1/audiences",),
        ("coverage",),
    ),
    FaultRow(
        "unsupported_method_404",
        "undeclared methods answer 404 instead of 405",
        method_not_allowed_is_404,
        "unsupported_method",
        "built-in check",
        ("GET /api/v1/audiences",),
        ("coverage",),
    ),
    FaultRow(
        "wrong_allow_header",
        "`Allow` lists the wrong methods",
        wrong_allow_header,
        "allow_header_conformance",
        "built-in check",
        ("GET /api/v1/audiences", CREATE_V1),
        ("coverage",),
    ),
    FaultRow(
        "use_after_free",
        "DELETE answers 200 but the audience stays readable",
        DeleteDoesNotDelete,
        "use_after_free",
        "built-in check",
        (CREATE_V1, AUDIENCE_V1, "DELETE /api/v1/audiences/{audienceId}"),
        ("stateful",),
    ),
    FaultRow(
        "resource_unavailable",
        "a created audience's /count is a 404",
        ReadAfterCreateIs404,
        "ensure_resource_availability",
        "built-in check",
        (CREATE_V1, "GET /api/v1/audiences/{audienceId}/count"),
        ("stateful",),
    ),
    # Fanfare's registered checks
    FaultRow(
        "wrong_envelope_guide",
        "guide 400s in the reference envelope",
        reference_envelope_on_guide,
        "fanfare_error_envelope",
        "Fanfare check",
        (CREATE_V1,),
        ("coverage",),
        ("error_envelope_validation",),
    ),
    FaultRow(
        "wrong_envelope_reference",
        "reference 400s in the guide envelope",
        guide_envelope_on_reference,
        "fanfare_error_envelope",
        "Fanfare check",
        ("POST /api/audiences",),
        ("coverage",),
        ("error_envelope_validation",),
        "api",
    ),
    FaultRow(
        "reference_shows_static",
        "/api renders the guide spelling STATIC",
        reference_shows_guide_spelling,
        "fanfare_type_spelling",
        "Fanfare check",
        (),
        (),
        ("audience_create_get_round_trip",),
        "api",
    ),
    FaultRow(
        "page_too_large",
        "a members page holds one more than `first`",
        page_larger_than_first,
        "fanfare_page_size",
        "Fanfare check",
        (),
        (),
        ("members_walk_matches_count",),
    ),
    FaultRow(
        "search_ignored_check",
        "`search` returns every member",
        search_not_filtering,
        "fanfare_search_filters",
        "Fanfare check",
        (),
        (),
        ("members_search_filters",),
    ),
    FaultRow(
        "answers_for_another_id",
        "GET by id answers with another id",
        answers_for_another_id,
        "fanfare_resource_identity",
        "Fanfare check",
        (),
        (),
        ("audience_create_get_round_trip",),
    ),
    FaultRow(
        "status_ignores_schedule",
        "experiences always say draft",
        experience_status_frozen,
        "fanfare_experience_status",
        "Fanfare check",
        ("POST /api/v1/experiences",),
        ("examples",),
    ),
    FaultRow(
        "tier_bounds_overlap",
        "tier boundaries in the answer overlap",
        tier_boundaries_overlap,
        "fanfare_tiers_disjoint",
        "Fanfare check",
        (),
        (),
        ("tiers_partition_consumers",),
    ),
    FaultRow(
        "lists_archived",
        "the list shows a deleted audience",
        lists_archived,
        "fanfare_archived_hidden",
        "Fanfare check",
        (),
        (),
        ("audience_delete_archives",),
    ),
    FaultRow(
        "echoes_secret",
        "the secret key comes back in a header",
        echoes_secret,
        "fanfare_no_secret_echo",
        "Fanfare check",
        ("GET /api/v1/audiences",),
        ("fuzzing",),
    ),
    # scenarios
    FaultRow(
        "round_trip_changes_name",
        "GET returns the name upper-cased",
        round_trip_changes_name,
        "audience_create_get_round_trip",
        "scenario",
        scenarios=("audience_create_get_round_trip",),
    ),
    FaultRow(
        "version_not_bumped",
        "a rule change leaves version at 1",
        version_not_bumped,
        "audience_update_bumps_version",
        "scenario",
        scenarios=("audience_update_bumps_version",),
    ),
    FaultRow(
        "delete_keeps_audience",
        "DELETE does not hide the audience",
        DeleteDoesNotDelete,
        "audience_delete_archives",
        "scenario",
        scenarios=("audience_delete_archives",),
    ),
    FaultRow(
        "include_ignored",
        "relations are sent whatever `include` says",
        include_ignored,
        "audience_include_relations",
        "scenario",
        scenarios=("audience_include_relations",),
    ),
    FaultRow(
        "guide_accepts_static_list",
        "/api/v1 accepts STATIC_LIST",
        guide_accepts_reference_spelling,
        "audience_type_spelling",
        "scenario",
        scenarios=("audience_type_spelling",),
    ),
    FaultRow(
        "families_apart",
        "/api cannot see what /api/v1 made",
        FamiliesApart,
        "cross_family_visibility",
        "scenario",
        scenarios=("cross_family_visibility",),
        family="both",
    ),
    FaultRow(
        "duplicate_pages",
        "paging repeats a member",
        DuplicatePages,
        "members_walk_matches_count",
        "scenario",
        scenarios=("members_walk_matches_count",),
    ),
    FaultRow(
        "count_off_by_one",
        "/count says one more than the members",
        count_off_by_one,
        "members_walk_matches_count",
        "scenario",
        scenarios=("members_walk_matches_count",),
    ),
    FaultRow(
        "first_not_capped",
        "first=101 is served (as 100)",
        first_not_capped,
        "members_first_maximum",
        "scenario",
        scenarios=("members_first_maximum",),
    ),
    FaultRow(
        "search_not_filtering",
        "`search` returns every member",
        search_not_filtering,
        "members_search_filters",
        "scenario",
        scenarios=("members_search_filters",),
    ),
    FaultRow(
        "sync_not_refusing",
        "syncing a static list is accepted",
        sync_not_refusing,
        "sync_not_synced_is_400",
        "scenario",
        scenarios=("sync_not_synced_is_400",),
    ),
    FaultRow(
        "sync_twice",
        "a second sync while one is pending is accepted",
        sync_twice,
        "sync_in_progress_is_409",
        "scenario",
        scenarios=("sync_in_progress_is_409",),
        family="both",
    ),
    FaultRow(
        "sync_progress_hidden",
        "the status says not in progress while a sync is pending",
        sync_progress_hidden,
        "sync_in_progress_is_409",
        "scenario",
        scenarios=("sync_in_progress_is_409",),
        family="both",
    ),
    FaultRow(
        "tiers_overlap",
        "later tiers also hold the first tier's members",
        TiersOverlap,
        "tiers_partition_consumers",
        "scenario",
        scenarios=("tiers_partition_consumers",),
    ),
    FaultRow(
        "experience_status_frozen",
        "experiences always say draft",
        experience_status_frozen,
        "experience_status_follows_schedule",
        "scenario",
        scenarios=("experience_status_follows_schedule",),
    ),
    FaultRow(
        "duplicate_misnamed",
        "a duplicate is named `<name> (copy)`",
        duplicate_misnamed,
        "experience_duplicate_defaults",
        "scenario",
        scenarios=("experience_duplicate_defaults",),
    ),
    FaultRow(
        "deletes_active_experience",
        "an active experience can be deleted",
        DeletesActiveExperience,
        "experience_delete_active_is_409",
        "scenario",
        scenarios=("experience_delete_active_is_409",),
    ),
    FaultRow(
        "ignores_auth",
        "requests without a key are served",
        ignores_auth,
        "auth_missing_or_invalid_is_401",
        "scenario",
        scenarios=("auth_missing_or_invalid_is_401",),
    ),
    FaultRow(
        "accepts_publishable_key",
        "a pk_ key is served as a secret key",
        accepts_publishable_key,
        "auth_publishable_key_is_401",
        "scenario",
        scenarios=("auth_publishable_key_is_401",),
    ),
    FaultRow(
        "cross_tenant_leak",
        "the second key sees the first key's data",
        cross_tenant_leak,
        "tenant_isolation",
        "scenario",
        scenarios=("tenant_isolation",),
    ),
    FaultRow(
        "wrong_envelope",
        "guide 400s in the reference envelope",
        reference_envelope_on_guide,
        "error_envelope_validation",
        "scenario",
        scenarios=("error_envelope_validation",),
    ),
    FaultRow(
        "vague_not_found",
        "404 says `Not Found`",
        vague_not_found,
        "error_envelope_not_found",
        "scenario",
        scenarios=("error_envelope_not_found",),
    ),
    FaultRow(
        "tiers_accept_overlap",
        "overlapping loyalty tiers are accepted",
        tiers_accept_overlap,
        "tiers_refuse_invalid_groups",
        "scenario",
        scenarios=("tiers_refuse_invalid_groups",),
    ),
    FaultRow(
        "group_filter_ignored",
        "group members ignore `audienceId`",
        group_filter_ignored,
        "group_members_by_audience",
        "scenario",
        scenarios=("group_members_by_audience",),
    ),
    FaultRow(
        "group_delete_keeps_audiences",
        "a group delete answers but deletes nothing",
        GroupDeleteKeepsAudiences,
        "group_delete_archives_every_audience",
        "scenario",
        scenarios=("group_delete_archives_every_audience",),
    ),
    FaultRow(
        "rule_update_not_stored",
        "PUT of a rule on /api answers the change but keeps the old rule",
        rule_update_not_stored,
        "rules_crud_reference",
        "scenario",
        scenarios=("rules_crud_reference",),
        family="api",
    ),
    FaultRow(
        "experience_update_not_stored",
        "an experience update answers the change but keeps the old one",
        experience_update_not_stored,
        "writes_read_back",
        "scenario",
        scenarios=("writes_read_back",),
    ),
    FaultRow(
        "read_disagrees_with_write",
        "an experience update answers the change but keeps the old one",
        experience_update_not_stored,
        "fanfare_write_then_read",
        "Fanfare check",
        scenarios=("writes_read_back",),
    ),
    FaultRow(
        "deleted_still_served",
        "DELETE answers 200 but the audience stays readable",
        DeleteDoesNotDelete,
        "fanfare_delete_then_404",
        "Fanfare check",
        scenarios=("audience_delete_archives",),
    ),
    FaultRow(
        "import_hides_errors",
        "a finished CSV import reports no errors for its bad rows",
        import_hides_errors,
        "csv_import_accounts_for_every_row",
        "scenario",
        scenarios=("csv_import_accounts_for_every_row",),
        family="api",
    ),
)

NOT_APPLICABLE = {
    "response_headers_conformance": "the spec declares no response headers",
    "missing_required_header": "the spec declares no required header parameters",
    "object_level_authorization": "needs schemathesis' WFC multi-identity auth; tenant_isolation covers it",
    "max_response_time": "off unless a limit is configured",
}


def markdown(results: dict[str, tuple[bool, str]] | None = None) -> str:
    """The catalogue as a Markdown table (with the measured verdicts when `results` is given)."""
    lines = [
        "# Faults the contract suite must catch",
        "",
        "Each row wraps the mock (`create_app(seed=1, consumers=200)`) in ASGI middleware that injects ONE",
        "defect, runs the suite focused on it, and requires the named check or scenario to fail. A Fanfare",
        "check focused on a scenario judges the scenario's traffic (every scenario response is judged by",
        "the same registered checks as schemathesis' cases).",
        "Generated from `tests/contracts/contract_faults.py` (`python tests/contracts/contract_faults.py`);",
        "`tests/contracts/test_contract_faults.py` runs every row.",
        "",
        "| Fault | Defect injected | Kind | Must fail | Focus |" + (" Caught |" if results else ""),
        "|---|---|---|---|---|" + ("---|" if results else ""),
    ]
    for row in CATALOGUE:
        focus = ", ".join(
            [
                *(f"`{op}` ({'+'.join(row.phases)})" for op in row.operations),
                *(f"`{s}`" for s in row.scenarios),
            ]
        )
        line = f"| `{row.name}` | {row.defect} | {row.kind} | `{row.expected}` | {focus} |"
        if results:
            caught, detail = results.get(row.name, (False, "not run"))
            line += f" {'yes' if caught else 'NO'}: {detail} |"
        lines.append(line)
    lines += ["", "Built-in checks with no row, and why:", ""]
    lines += [f"- `{name}`: {why}" for name, why in NOT_APPLICABLE.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import pathlib

    target = pathlib.Path(__file__).resolve().parents[2] / "contracts" / "FAULTS.md"
    target.write_text(markdown(), encoding="utf-8")
    print(f"wrote {target}")


def broken_mock(name: str) -> FaultMiddleware:
    """The mock with row `name`'s fault wired in (`--fanfare-app "contract_faults:broken_mock('NAME')"`)."""
    from mock_server.app import create_app

    row = next(row for row in CATALOGUE if row.name == name)
    return FaultMiddleware(create_app(seed=1, consumers=200), row.make())
