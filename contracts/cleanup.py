"""Deleting what the run created, and only that: the ledger's entities, then a sweep by the run prefix.

Runs at the end of every run that may have written (also after a failure or Ctrl-C), outside the
request budget: leaving data behind on staging is worse than a few extra requests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from contracts.client import Client
from contracts.families import FAMILIES, V1, Family
from contracts.ledger import Created, Ledger

__all__ = ["clean_up"]


def _delete(client: Client, item: Created) -> httpx.Response:
    family = FAMILIES[item.family]
    if item.kind == "experience":
        path = family.path(f"/experiences/{item.id}")
        response = client.delete(path)
        if response.status_code == 409:
            # An active experience cannot be deleted: unschedule it (guide family) and try again.
            client.put(V1.path(f"/experiences/{item.id}"), json_body={"openAt": None, "closeAt": None})
            response = client.delete(path)
        return response
    if item.kind == "group":
        return client.delete(family.path(f"/audiences/groups/{item.id}"))
    return client.delete(family.path(f"/audiences/{item.id}"))


def _listing(client: Client, family: Family, resource: str, cap: int = 5000) -> list[Mapping[str, Any]]:
    """Every entity a list shows: a bare array (guide) or pages of {data, pageInfo} (reference)."""
    items: list[Mapping[str, Any]] = []
    after: str | None = None
    while len(items) <= cap:
        params: dict[str, Any] = {} if family is V1 else {"first": 100}
        if after:
            params["after"] = after
        response = client.get(family.path(f"/{resource}"), params=params or None)
        if response.status_code != 200:
            return items
        try:
            body = response.json()
        except ValueError:
            return items
        if isinstance(body, list):
            return items + [i for i in body if isinstance(i, Mapping)]
        if not isinstance(body, Mapping):
            return items
        items.extend(i for i in body.get("data") or [] if isinstance(i, Mapping))
        after = (body.get("pageInfo") or {}).get("endCursor")
        if not after or not body.get("data"):
            return items
    return items


def clean_up(
    ledger: Ledger,
    clients: list[Client],
    families: tuple[Family, ...],
    prefix: str,
    progress: Callable[[str], None],
) -> tuple[list[Created], list[Created]]:
    """(cleaned, left behind). `clients[i]` speaks as the key that created owner-i entities."""
    cleaned: list[Created] = []
    leftovers: list[Created] = []

    def settle(item: Created, response: httpx.Response | None, error: str | None = None) -> None:
        if response is not None and (response.is_success or response.status_code == 404):
            # A 404 is fine too: already gone (a group's deletion took its tier audiences along).
            ledger.mark_deleted(item.kind, item.id)
            cleaned.append(item)
        else:
            item.cleanup_error = error or (
                f"DELETE answered {response.status_code}: {response.text[:200]}"
                if response is not None
                else "not sent"
            )
            leftovers.append(item)

    # Audiences a list import created are found through their sync source (their ids were never returned).
    sources = {item.id: item for item in ledger.items("sync_source")}
    if sources:
        for family in families:
            for audience in _listing(clients[0], family, "audiences"):
                if audience.get("primarySyncSourceId") in sources and isinstance(audience.get("id"), str):
                    owner = sources[str(audience["primarySyncSourceId"])].owner
                    ledger.add(
                        "audience", str(audience["id"]), family.name, name=audience.get("name"), owner=owner
                    )

    pending = ledger.to_clean()
    if pending:
        progress(f"cleanup: deleting {len(pending)} entities this run created…")
    for item in pending:
        try:
            settle(item, _delete(clients[min(item.owner, len(clients) - 1)], item))
        except httpx.HTTPError as exc:
            settle(item, None, f"{type(exc).__name__}: {exc}")

    # Anything carrying this run's prefix that the ledger missed (a create whose answer was lost, a
    # create through a probe): the prefix is unique to this run, so it is ours.
    known = {item.id for item in ledger.items()}
    for owner, client in enumerate(clients):
        for family in families:
            for resource, kind in (("experiences", "experience"), ("audiences", "audience")):
                for entity in _listing(client, family, resource):
                    name, entity_id = entity.get("name"), entity.get("id")
                    if not (isinstance(name, str) and isinstance(entity_id, str)):
                        continue
                    ours = name.startswith(prefix) or name.startswith(f"Copy of {prefix}")
                    if ours and entity_id not in known and not entity.get("archived"):
                        item = ledger.add(
                            kind, entity_id, family.name, name=name, via="found by prefix", owner=owner
                        )
                        known.add(entity_id)
                        try:
                            settle(item, _delete(client, item))
                        except httpx.HTTPError as exc:
                            settle(item, None, f"{type(exc).__name__}: {exc}")
    if pending or leftovers:
        progress(f"cleanup: {len(cleaned)} deleted, {len(leftovers)} left behind")
    return cleaned, leftovers
