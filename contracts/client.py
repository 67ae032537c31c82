"""The HTTP client the scripted scenarios (and drift, and cleanup) use: one guard, one journal.

Each request is admitted by the run's `RunGuard` (read-only, budget, rate), written to a journal so a
failure can show the exchange and a reproducing curl, and read for created ids (the ledger).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from contracts.curl import curl_command
from contracts.guard import RunGuard

__all__ = ["Client", "Exchange", "make_http_client"]


@dataclass(slots=True)
class Exchange:
    """One request and its response, as a failure report shows them."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_body: bytes

    def curl(self, secrets: tuple[str, ...]) -> str:
        return curl_command(self.method, self.url, self.request_headers, self.request_body, secrets=secrets)

    def snippet(self, limit: int = 300) -> str:
        text = self.response_body.decode("utf-8", errors="replace")
        return text if len(text) <= limit else text[:limit] + "…"


def make_http_client(base_url: str, *, app: Any = None, timeout: float = 30.0) -> httpx.Client:
    """An httpx client for a URL, or for an ASGI app called in-process (no network, no port)."""
    if app is not None:
        from contracts.asgi import SyncASGITransport

        return httpx.Client(base_url=base_url.rstrip("/"), transport=SyncASGITransport(app), timeout=timeout)
    return httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, follow_redirects=False)


class Client:
    """Sends requests as one secret key (or none), through the run's guard."""

    def __init__(
        self,
        http: httpx.Client,
        guard: RunGuard,
        *,
        token: str | None,
        secrets: tuple[str, ...] = (),
        journal: list[Exchange] | None = None,
        observer: Callable[[httpx.Response, Mapping[str, str], bytes | None], None] | None = None,
    ) -> None:
        self.http = http
        self.guard = guard
        self.token = token
        self.secrets = secrets
        self.journal: list[Exchange] = journal if journal is not None else []
        #: Sees every response (the runner's Judge applies the registered checks to it).
        self.observer = observer

    def as_token(self, token: str | None) -> Client:
        """The same client speaking as another key (None: no Authorization header at all)."""
        return Client(
            self.http,
            self.guard,
            token=token,
            secrets=self.secrets,
            journal=self.journal,
            observer=self.observer,
        )

    @property
    def last(self) -> Exchange | None:
        return self.journal[-1] if self.journal else None

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        self.guard.admit(method, path)
        sent_headers = {"Accept": "application/json"}
        if self.token is not None:
            sent_headers["Authorization"] = f"Bearer {self.token}"
        body = content
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent_headers["Content-Type"] = "application/json"
        sent_headers.update(headers or {})
        response = self.http.request(method, path, params=params, content=body, headers=sent_headers)
        self.journal.append(
            Exchange(
                method=method.upper(),
                url=str(response.request.url),
                request_headers=sent_headers,
                request_body=body,
                status=response.status_code,
                response_body=response.content,
            )
        )
        if self.observer is not None:
            self.observer(response, sent_headers, body)
        if method.upper() in {"POST", "PUT", "PATCH"} and response.is_success:
            try:
                payload = response.json()
            except ValueError:
                payload = None
            # Whatever a key the suite does not hold created (an auth bug) is swept by its name prefix.
            owner = self.secrets.index(self.token) if self.token in self.secrets else 0
            self.guard.ledger.record_response(
                method, response.request.url.path, response.status_code, payload, owner=owner
            )
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)
