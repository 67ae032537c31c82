"""An audience and its member set as JSON and back, for world snapshots (the organization composes them).

Members are stored as base64 little-endian int64 positions; a dynamic audience's materialized set is not
stored but recomputed from its rules on restore.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np

from mock_server.domain.audiences.audience import Audience, AudienceType, GroupType
from mock_server.domain.audiences.membership import MemberSet
from mock_server.domain.audiences.rules import Operator, Rule


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def audience_out(a: Audience, members: MemberSet) -> dict[str, Any]:
    """An audience and its member set as JSON; a materialized set is left out (it is recomputed)."""
    listed = a.type is not AudienceType.DYNAMIC or not a.rules
    return {
        "id": a.id,
        "name": a.name,
        "description": a.description,
        "type": a.type.value,
        "iconName": a.icon_name,
        "metadata": None if a.metadata is None else dict(a.metadata),
        "version": a.version,
        "groupId": a.group_id,
        "groupType": None if a.group_type is None else a.group_type.value,
        "groupName": a.group_name,
        "primarySyncSourceId": a.primary_sync_source_id,
        "lastRefreshedAt": _iso(a.last_refreshed_at),
        "refreshIntervalSeconds": a.refresh_interval_seconds,
        "createdAt": _iso(a.created_at),
        "updatedAt": _iso(a.updated_at),
        "createdBy": a.created_by,
        "updatedBy": a.updated_by,
        "archived": a.archived,
        "rules": [
            {
                "id": r.id,
                "field": r.field,
                "operator": r.operator.value,
                "values": list(r.values),
                "groupId": r.group_id,
                "position": r.position,
            }
            for r in a.rules
        ],
        "members": {
            "revision": members.revision,
            "rulesVersion": members.rules_version,
            "tableRevision": members.table_revision,
            "refreshedAt": _iso(members.refreshed_at),
            "positions": base64.b64encode(members.positions.astype("<i8").tobytes()).decode("ascii")
            if listed
            else None,
        },
    }


def members_in(state: Mapping[str, Any]) -> MemberSet:
    """The member set `audience_out` wrote (positions None: the caller recomputes a materialized set)."""
    members = MemberSet()
    members.revision = state["revision"]
    members.rules_version, members.table_revision = state["rulesVersion"], state["tableRevision"]
    members.refreshed_at = _instant(state["refreshedAt"])
    if state["positions"] is not None:
        members.positions = np.frombuffer(base64.b64decode(state["positions"]), dtype="<i8").astype(np.int64)
    return members


def audience_in(item: Mapping[str, Any], organization_id: str) -> Audience:
    audience_id = item["id"]
    return Audience(
        id=audience_id,
        organization_id=organization_id,
        name=item["name"],
        description=item["description"],
        type=AudienceType(item["type"]),
        icon_name=item["iconName"],
        metadata=item["metadata"],
        version=item["version"],
        group_id=item["groupId"],
        group_type=None if item["groupType"] is None else GroupType(item["groupType"]),
        group_name=item["groupName"],
        primary_sync_source_id=item["primarySyncSourceId"],
        last_refreshed_at=_instant(item["lastRefreshedAt"]),
        refresh_interval_seconds=item["refreshIntervalSeconds"],
        created_at=datetime.fromisoformat(item["createdAt"]),
        updated_at=datetime.fromisoformat(item["updatedAt"]),
        created_by=item["createdBy"],
        updated_by=item["updatedBy"],
        archived=item["archived"],
        rules=tuple(
            Rule(
                id=r["id"],
                audience_id=audience_id,
                field=r["field"],
                operator=Operator(r["operator"]),
                values=tuple(r["values"]),
                group_id=r["groupId"],
                position=r["position"],
            )
            for r in item["rules"]
        ),
    )
