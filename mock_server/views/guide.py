"""The guide dialect (`/api/v1`): the hand-written docs' shapes, spelled `STATIC`, creates answer 201."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID, uuid5

from mock_server.domain.audiences import Audience, AudienceInput, AudiencePatch, AudienceType, Rule
from mock_server.domain.consumers import ConsumerRecord
from mock_server.domain.imports import AudienceImport
from mock_server.domain.kernel import Steps
from mock_server.domain.sync import SyncSource
from mock_server.domain.world import Organization
from mock_server.views import work
from mock_server.views.dialect import DialectBase
from mock_server.views.wire import given, includes, parse_ts, ts

#: Audiences rendered per slice of a list (about 5 ms).
LIST_SLICE = 256

#: What `include` means when a guide request leaves it out, per purpose (get defaults to rules,imports).
_DEFAULT_INCLUDE = {"get": "rules,imports", "create": "rules", "tier": "rules", "update": "rules"}


class GuideDialect(DialectBase):
    family = "v1"
    created = 201
    static_spelling = "STATIC"

    # ---- reading requests ----------------------------------------------------------------------
    def audience_type(self, text: str) -> AudienceType:
        return AudienceType(text)

    def group_id(self, label: str | None) -> str | None:
        return _group_id(label)

    def create_input(self, body: Mapping[str, Any]) -> AudienceInput:
        return AudienceInput(
            name=body["name"],
            type=self.audience_type(body["type"]),
            description=body.get("description"),
            icon_name=body.get("iconName"),
            metadata=body.get("metadata"),
            rules=self.rule_inputs(body.get("rules") or ()),
        )

    def patch(self, body: Mapping[str, Any]) -> AudiencePatch:
        return AudiencePatch(
            name=given(body, "name"),
            description=given(body, "description"),
            icon_name=given(body, "iconName"),
            metadata=given(body, "metadata"),
            last_refreshed_at=given(body, "lastRefreshedAt", parse_ts),
        )

    def audience(
        self, audience: Audience, org: Organization, purpose: str, query: Mapping[str, Any]
    ) -> dict[str, Any]:
        include = includes(query, _DEFAULT_INCLUDE.get(purpose, ""))
        source = org.sync.source_for(audience.id)
        out: dict[str, Any] = {
            "id": audience.id,
            "organizationId": audience.organization_id,
            "name": audience.name,
            "description": audience.description,
            "type": audience.type.value,
            "iconName": audience.icon_name,
            "metadata": None if audience.metadata is None else dict(audience.metadata),
            "version": audience.version,
            "groupId": audience.group_id,
            "groupType": None if audience.group_type is None else audience.group_type.value,
            "groupName": audience.group_name,
            "primarySyncSourceId": source.id if source is not None else audience.primary_sync_source_id,
            "lastRefreshedAt": ts(audience.last_refreshed_at),
            "refreshIntervalSeconds": audience.refresh_interval_seconds,
            "createdAt": ts(audience.created_at),
            "updatedAt": ts(audience.updated_at),
            "archived": audience.archived,
        }
        if "rules" in include:
            out["rules"] = [self.rule(rule, org) for rule in audience.rules]
        if "imports" in include:
            out["imports"] = [
                self.audience_import(record) for record in org.imports.for_audience(audience.id)
            ]
        if "primarySyncSource" in include:
            out["primarySyncSource"] = None if source is None else self.sync_source(source)
        return out

    def audience_list(
        self, audiences: Sequence[Audience], org: Organization, query: Mapping[str, Any]
    ) -> Steps[Any]:
        """Every audience (the guide's list has no pages), LIST_SLICE a slice."""
        out = []
        for start in range(0, len(audiences), LIST_SLICE):
            out += [self.audience(a, org, "list", query) for a in audiences[start : start + LIST_SLICE]]
            yield
        return out

    def rule(self, rule: Rule, org: Organization) -> dict[str, Any]:
        return {
            "id": rule.id,
            "field": rule.field,
            "operator": rule.operator.value,
            "values": list(rule.values),
            "groupId": rule.group_id,
            "position": rule.position,
        }

    def consumer(self, record: ConsumerRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "email": record.email,
            "phone": record.phone,
            "fullName": record.full_name,
            "totalOrders": record.total_orders,
            "totalOrderValue": record.total_order_value,
            "lastOrderAt": ts(record.last_order_at),
            "createdAt": ts(record.created_at),
            "updatedAt": ts(record.updated_at),
            "externalId": record.external_id,
            "metadata": record.metadata,
        }

    def audience_import(self, record: AudienceImport) -> dict[str, Any]:
        return work.audience_import(record, completed="SUCCESS", reference=False)

    def sync_source(self, source: SyncSource) -> dict[str, Any]:
        return work.sync_source(source, reference=False)


#: Namespace of the ids given to guide group labels that are not UUIDs (`"groupId": "A"`).
_GROUP_LABELS = UUID("6d0c1f3e-2b8a-4c51-9a57-0f4c1e8b7a10")


def _group_id(label: str | None) -> str | None:
    """The guide lets a client name a group with any label; group ids are UUIDs in the one world (the
    reference renders them with `format: uuid`), so a label that is not one maps to a stable UUID:
    the same label always names the same group."""
    if label is None:
        return None
    try:
        return str(UUID(label))
    except ValueError:
        return str(uuid5(_GROUP_LABELS, label))


GUIDE = GuideDialect()
