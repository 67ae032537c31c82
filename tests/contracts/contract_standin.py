"""A tiny stand-in implementation of a few /api/v1 audience operations, to test the suite's machinery.

It is NOT the mock: it implements just enough (create, get, update, delete, list, members, count,
status) correctly, with the spec's own schemas, that a run against it passes; the machinery tests
then break it on purpose or watch what the suite sends.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

import fanfare_spec

TOKEN = "sk_test_contract_suite_1"
SECOND = "sk_test_contract_suite_2"
STANDIN_SCENARIOS = (
    "audience_create_get_round_trip",
    "audience_delete_archives",
    "auth_missing_or_invalid_is_401",
    "auth_publishable_key_is_401",
    "error_envelope_not_found",
    "members_first_maximum",
    "members_search_filters",
    "members_walk_matches_count",
    "tenant_isolation",
)


def with_options(options: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(options, **changes)


PATHS = (
    "/api/v1/audiences",
    "/api/v1/audiences/{audienceId}",
    "/api/v1/audiences/{audienceId}/members",
    "/api/v1/audiences/{audienceId}/count",
    "/api/v1/audiences/{audienceId}/status",
)


def standin_spec() -> dict[str, Any]:
    """The real bundled spec cut down to the stand-in's operations."""
    spec = fanfare_spec.load("fanfare")
    spec["paths"] = {path: spec["paths"][path] for path in PATHS}
    for path, item in spec["paths"].items():
        for operation in item.values():
            if isinstance(operation, dict):
                for response in operation.get("responses", {}).values():
                    if isinstance(response, dict):
                        response.pop("links", None)
        if path == "/api/v1/audiences":
            item.pop("delete", None)
        if path == "/api/v1/audiences/{audienceId}/members":
            item.pop("post", None)
    return spec


def _error(status: int, error: str, details: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": error}
    if details is not None:
        body["details"] = details
    return JSONResponse(body, status)


class StandIn:
    """An ASGI app. `consumers` per organization; every secret key is its own organization."""

    def __init__(self, consumers: int = 30) -> None:
        spec = fanfare_spec.load("fanfare")
        self.components = spec["components"]
        self.create = self._validator("V1CreateAudienceRequest")
        self.update = self._validator("V1UpdateAudienceRequest")
        self.orgs: dict[str, dict[str, Any]] = {}
        self.consumer_count = consumers
        self.requests: list[tuple[str, str]] = []

    def _validator(self, name: str) -> Any:
        return jsonschema_rs.validator_for(
            {"$ref": f"#/components/schemas/{name}", "components": self.components}, validate_formats=True
        )

    def _org(self, key: str) -> dict[str, Any]:
        if key not in self.orgs:
            consumers = [
                {
                    "id": f"c{n:04d}",
                    "email": f"user{n}@example.com",
                    "phone": None,
                    "fullName": f"User Number{n}",
                    "totalOrders": n % 7,
                    "totalOrderValue": float(n * 10),
                }
                for n in range(self.consumer_count)
            ]
            self.orgs[key] = {"audiences": {}, "consumers": consumers}
        return self.orgs[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        self.requests.append((request.method, request.url.path))
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        parts = request.url.path.rstrip("/").split("/")
        if parts[:4] != ["", "api", "v1", "audiences"] or len(parts) > 6:
            return _error(404, "Not found")
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if token.startswith("pk_"):
            return _error(401, "Secret key required")
        if not token.startswith(("sk_test_", "sk_live_")) or len(token) < 9:
            return _error(401, "Authentication required")
        org = self._org(token)
        if len(parts) == 4:
            return await self.collection(request, org)
        audience = org["audiences"].get(parts[4])
        if len(parts) == 5:
            return await self.item(request, org, parts[4])
        allowed = {"members": "GET", "count": "GET", "status": "GET"}
        if parts[5] not in allowed:
            return _error(404, "Not found")
        if request.method != "GET":
            return (
                _error(405, "Method not allowed")
                if False
                else JSONResponse({"error": "Method not allowed"}, 405, headers={"Allow": "GET"})
            )
        if audience is None or audience["archived"]:
            return _error(404, "Audience not found")
        members = self.members_of(org, audience)
        if parts[5] == "count":
            source = "db_list" if audience["type"] == "STATIC" else "valkey_alias"
            return JSONResponse({"audienceId": audience["id"], "count": len(members), "source": source})
        if parts[5] == "status":
            return JSONResponse(
                {
                    "audienceId": audience["id"],
                    "version": audience["version"],
                    "syncStatus": None,
                    "lastSyncedAt": None,
                    "lastRefreshedAt": None,
                    "refreshIntervalSeconds": None,
                    "stale": False,
                    "inProgress": False,
                    "pendingShards": None,
                }
            )
        return self.page(request, members)

    def members_of(self, org: dict[str, Any], audience: dict[str, Any]) -> list[dict[str, Any]]:
        if audience["type"] != "DYNAMIC":
            return []
        return list(org["consumers"])

    def page(self, request: Request, members: list[dict[str, Any]]) -> Response:
        query = request.query_params
        unknown = set(query) - {"first", "after", "search", "include"}
        try:
            first = int(query.get("first", "20"))
        except ValueError:
            return _error(400, "Validation failed", [{"field": "first", "message": "Expected an integer"}])
        if not 1 <= first <= 100 or unknown:
            return _error(400, "Validation failed", [{"field": "first", "message": "Must be 1 to 100"}])
        search = query.get("search")
        if search is not None:
            if not 2 <= len(search) <= 200:
                return _error(
                    400, "Validation failed", [{"field": "search", "message": "2 to 200 characters"}]
                )
            needle = search.casefold()
            members = [
                m for m in members if needle in m["email"].casefold() or needle in m["fullName"].casefold()
            ]
        include = query.get("include")
        if include is not None and (
            len(include) > 200 or not all(p.isalpha() for p in include.split(",") if p)
        ):
            return _error(400, "Validation failed", [{"field": "include", "message": "Invalid"}])
        start = 0
        after = query.get("after")
        if after is not None:
            if len(after) > 512:
                return _error(400, "Validation failed", [{"field": "after", "message": "Too long"}])
            ids = [m["id"] for m in members]
            start = ids.index(after) + 1 if after in ids else 0
        data = members[start : start + first]
        end = data[-1]["id"] if data and start + first < len(members) else None
        return JSONResponse(
            {"data": data, "pageInfo": {"startCursor": data[0]["id"] if data else None, "endCursor": end}}
        )

    async def collection(self, request: Request, org: dict[str, Any]) -> Response:
        if request.method == "GET":
            include = request.query_params.get("include", "")
            if len(include) > 200 or not all(
                p in ("rules", "imports", "primarySyncSource") for p in include.split(",") if p
            ):
                return _error(400, "Validation failed", [{"field": "include", "message": "Invalid"}])
            if set(request.query_params) - {"include"}:
                return _error(400, "Validation failed", [{"field": "query", "message": "Unknown parameter"}])
            return JSONResponse([self.render(a) for a in org["audiences"].values() if not a["archived"]])
        if request.method != "POST":
            return JSONResponse({"error": "Method not allowed"}, 405, headers={"Allow": "GET, POST"})
        body = await self.body(request)
        if isinstance(body, Response):
            return body
        if not self.create.is_valid(body):
            return _error(400, "Validation failed", [{"field": "body", "message": "Invalid"}])
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        audience = {
            "id": str(uuid.uuid4()),
            "organizationId": "org",
            "name": body["name"],
            "description": body.get("description"),
            "type": body["type"],
            "iconName": body.get("iconName"),
            "metadata": body.get("metadata"),
            "version": 1,
            "groupId": None,
            "groupType": None,
            "groupName": None,
            "primarySyncSourceId": None,
            "lastRefreshedAt": None,
            "refreshIntervalSeconds": None,
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
        }
        org["audiences"][audience["id"]] = audience
        return JSONResponse(self.render(audience), 201)

    async def item(self, request: Request, org: dict[str, Any], audience_id: str) -> Response:
        if request.method not in ("GET", "PUT", "DELETE"):
            return JSONResponse({"error": "Method not allowed"}, 405, headers={"Allow": "GET, PUT, DELETE"})
        if request.method == "GET":
            include = request.query_params.get("include", "")
            if len(include) > 200 or not all(
                p in ("rules", "imports", "primarySyncSource") for p in include.split(",") if p
            ):
                return _error(400, "Validation failed", [{"field": "include", "message": "Invalid"}])
        audience = org["audiences"].get(audience_id)
        body = None
        if request.method == "PUT":
            body = await self.body(request)
            if isinstance(body, Response):
                return body
            if not self.update.is_valid(body):
                return _error(400, "Validation failed", [{"field": "body", "message": "Invalid"}])
        if audience is None or audience["archived"]:
            return _error(404, "Audience not found")
        if request.method == "PUT":
            assert isinstance(body, dict)
            audience.update(body)
            audience["updatedAt"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        elif request.method == "DELETE":
            audience["archived"] = True
        return JSONResponse(self.render(audience))

    async def body(self, request: Request) -> Any:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "Unsupported media type")
        raw = await request.body()
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _error(400, "Validation failed", [{"field": "body", "message": "Malformed JSON"}])

    @staticmethod
    def render(audience: dict[str, Any]) -> dict[str, Any]:
        return dict(audience)
