"""The pages a browser gets: the dashboard at `/_mock/` (and its files) and the API docs at `/docs`
(Swagger UI from the installed `swagger-ui-py` package, over the documents with this mock as server)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import fanfare_spec
from mock_server.domain.kernel import NotFound
from mock_server.web.calls import Call, Reply

_DASHBOARD_FILES = {"app.js": "text/javascript", "app.css": "text/css", "icon.svg": "image/svg+xml"}
_SWAGGER_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
_DOCUMENTS = {"fanfare.json": "fanfare", "mock.json": "mock"}


def _dashboard_dir() -> Traversable:
    return files("mock_server") / "dashboard"


@cache
def _read(folder: str, name: str) -> bytes:
    base = _dashboard_dir() if folder == "dashboard" else files("swagger_ui") / "static"
    return (base / name).read_bytes()


def wants_html(call: Call) -> bool:
    """A browser's navigation asks for text/html first; fetch() and curl do not."""
    accept = call.headers.get("accept") or ""
    return "text/html" in accept.split(",", 1)[0] or accept.startswith("text/html")


async def dashboard(call: Call) -> Reply:
    if wants_html(call):
        return Reply(200, _read("dashboard", "index.html"), media_type="text/html", headers=_NO_CACHE)
    return Reply(200, _description())


async def description(call: Call) -> Reply:
    """`GET /` and `GET /_mock`: what this mock serves, for anyone who asks."""
    return Reply(200, _description())


@cache
def _description() -> dict[str, object]:
    """Where things are: the two families, the documents, the pages and the control plane's operations."""
    document = fanfare_spec.load("mock")
    return {
        "name": "fanfare-mock",
        "version": version("fanfare-mock"),
        "families": [
            {
                "name": "guide",
                "basePath": "/api/v1",
                "description": "The developer guide's dialect: bare-array lists, STATIC, creates answer 201",
            },
            {
                "name": "reference",
                "basePath": "/api",
                "description": (
                    "The API reference's dialect: {data, pageInfo} lists, STATIC_LIST, creates answer 200"
                ),
            },
        ],
        "openapi": {"adminApi": "/openapi.json", "controlPlane": "/_mock/openapi.json"},
        "docs": "/docs",
        "dashboard": "/_mock/",
        "operations": [
            {
                "method": method.upper(),
                "path": path,
                "operationId": op["operationId"],
                "summary": op.get("summary"),
            }
            for path, item in document["paths"].items()
            for method, op in item.items()
        ],
    }


async def dashboard_asset(call: Call) -> Reply:
    name = call.path_params["asset"]
    media_type = _DASHBOARD_FILES.get(name)
    if media_type is None:
        raise NotFound("Dashboard file", name)
    return Reply(200, _read("dashboard", name), media_type=media_type, headers=_NO_CACHE)


async def docs(call: Call) -> Reply:
    return Reply(200, _read("dashboard", "docs.html"), media_type="text/html")


async def docs_asset(call: Call) -> Reply:
    name = call.path_params["asset"]
    document = _DOCUMENTS.get(name)
    if document is not None:
        return Reply(200, _served_by(fanfare_spec.load(document), call))
    media_type = _SWAGGER_FILES.get(name)
    if media_type is None:
        raise NotFound("Docs file", name)
    return Reply(200, _read("swagger", name), media_type=media_type)


#: The dashboard's files change with the package; a browser must not keep an old script.
_NO_CACHE = {"Cache-Control": "no-cache"}


def _served_by(document: dict[str, Any], call: Call) -> dict[str, Any]:
    """The document with the mock that serves it as its first server, so "Try it out" calls this mock."""
    host = call.headers.get("host") or "127.0.0.1:4010"
    scheme = call.headers.get("x-forwarded-proto") or "http"
    here = {"url": f"{scheme}://{host}", "description": "this mock"}
    servers = [
        s for s in document.get("servers") or [] if isinstance(s, dict) and s.get("url") != here["url"]
    ]
    document["servers"] = [here, *servers]
    return document
