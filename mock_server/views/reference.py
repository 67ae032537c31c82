"""The reference dialect (`/api`): the generated reference's shapes, `STATIC_LIST`, creates answer 200."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mock_server.domain.audiences import (
    Audience,
    AudienceInput,
    AudiencePatch,
    AudienceType,
    GroupType,
    Rule,
)
from mock_server.domain.consumers import ConsumerRecord
from mock_server.domain.imports import AudienceImport
from mock_server.domain.kernel import Steps
from mock_server.domain.sync import SyncSource
from mock_server.domain.world import Organization
from mock_server.views import work
from mock_server.views.dialect import DialectBase
from mock_server.views.listing import page_by_id
from mock_server.views.wire import given, parse_ts, ts

_TYPES_IN = {
    "STATIC_LIST": AudienceType.STATIC,
    "DYNAMIC": AudienceType.DYNAMIC,
    "SYNCED_LIST": AudienceType.SYNCED_LIST,
}
_TYPES_OUT = {v: k for k, v in _TYPES_IN.items()}
#: Purposes answered with the bare audience (no rules, imports or primarySyncSource), as the reference does.
_BARE = frozenset({"update", "delete", "group_delete", "consumer"})


class ReferenceDialect(DialectBase):
    family = "api"
    created = 200
    static_spelling = "STATIC_LIST"

    # ---- reading requests ----------------------------------------------------------------------
    def audience_type(self, text: str) -> AudienceType:
        return _TYPES_IN[text]

    def create_input(self, body: Mapping[str, Any]) -> AudienceInput:
        refresh = body.get("refreshIntervalSeconds")
        return AudienceInput(
            name=body["name"],
            type=self.audience_type(body["type"]),
            description=body.get("description"),
            icon_name=body.get("iconName"),
            metadata=body.get("metadata"),
            rules=self.rule_inputs(body.get("rules") or ()),
            group_id=body.get("groupId"),
            group_type=None if body.get("groupType") is None else GroupType(body["groupType"]),
            group_name=body.get("groupName"),
            refresh_interval_seconds=None if refresh is None else refresh,
            last_refreshed_at=parse_ts(body.get("lastRefreshedAt")),
        )

    def patch(self, body: Mapping[str, Any]) -> AudiencePatch:
        return AudiencePatch(
            name=given(body, "name"),
            description=given(body, "description"),
            icon_name=given(body, "iconName"),
            metadata=given(body, "metadata"),
            type=given(body, "type", self.audience_type),
            group_id=given(body, "groupId"),
            group_type=given(body, "groupType", GroupType),
            group_name=given(body, "groupName"),
            refresh_interval_seconds=given(body, "refreshIntervalSeconds"),
            last_refreshed_at=given(body, "lastRefreshedAt", parse_ts),
        )

    def audience(
        self, audience: Audience, org: Organization, purpose: str, query: Mapping[str, Any]
    ) -> dict[str, Any]:
        source = org.sync.source_for(audience.id)
        out: dict[str, Any] = {
            "id": audience.id,
            "organizationId": audience.organization_id,
            "createdAt": ts(audience.created_at),
            "createdBy": audience.created_by,
            "archived": audience.archived,
            "name": audience.name,
            "type": _TYPES_OUT[audience.type],
            "description": audience.description,
            "groupId": audience.group_id,
            "groupName": audience.group_name,
            "groupType": None if audience.group_type is None else audience.group_type.value,
            "iconName": audience.icon_name,
            "lastRefreshedAt": ts(audience.last_refreshed_at),
            "metadata": None if audience.metadata is None else dict(audience.metadata),
            "primaryExternalId": None if source is None else source.external_id,
            "primaryLastSyncedAt": None if source is None else ts(source.last_synced_at),
            "primarySourceVendor": None if source is None or source.vendor is None else source.vendor.value,
            "primarySyncSourceId": source.id if source is not None else audience.primary_sync_source_id,
            "refreshIntervalSeconds": audience.refresh_interval_seconds,
            "updatedAt": ts(audience.updated_at),
            "updatedBy": audience.updated_by,
        }
        if purpose not in _BARE:
            out["rules"] = [self.rule(rule, org) for rule in audience.rules]
            out["imports"] = [
                self.audience_import(record) for record in org.imports.for_audience(audience.id)
            ]
            out["primarySyncSource"] = None if source is None else self.sync_source(source)
        return out

    def audience_list(
        self, audiences: Sequence[Audience], org: Organization, query: Mapping[str, Any]
    ) -> Steps[Any]:
        """One page (at most MAX_PAGE_SIZE audiences: nothing to slice)."""
        yield from ()
        page = page_by_id(audiences, query.get("first"), query.get("after"))
        return {
            "data": [self.audience(a, org, "list", query) for a in page.items],
            "pageInfo": {"startCursor": page.start_cursor, "endCursor": page.end_cursor},
        }

    def rule(self, rule: Rule, org: Organization) -> dict[str, Any]:
        return {
            "id": rule.id,
            "organizationId": org.id,
            "audienceId": rule.audience_id,
            "field": rule.field,
            "operator": rule.operator.value,
            "values": list(rule.values),
            "groupId": rule.group_id,
            "position": rule.position,
        }

    def consumer(self, record: ConsumerRecord) -> dict[str, Any]:
        location = record.location
        return {
            "id": record.id,
            "organizationId": record.organization_id,
            "createdAt": ts(record.created_at),
            "createdBy": "system",
            "archived": False,
            "email": record.email,
            "emailVerified": record.email_verified,
            "phone": record.phone,
            "phoneVerified": record.phone_verified,
            "fullName": record.full_name,
            "status": record.status.value,
            "metadata": record.metadata,
            "primaryExternalId": record.external_id,
            "ltv": record.ltv,
            "aov": record.aov,
            "totalOrders": record.total_orders,
            "totalReturns": record.total_returns,
            "loyaltyBalance": record.loyalty_balance,
            "loyaltyLifetimePoints": record.loyalty_lifetime_points,
            "activityScore": record.activity_score,
            "activityRank": record.activity_rank,
            "monetaryScore": record.monetary_score,
            "monetaryRank": record.monetary_rank,
            "purchaseFrequencyScore": record.purchase_frequency_score,
            "purchaseFrequencyRank": record.purchase_frequency_rank,
            "lastOrderAt": ts(record.last_order_at),
            "lastGeoCity": None if location is None else location.city,
            "lastGeoCountry": None if location is None else location.country,
            "lastGeoRegion": None if location is None else location.region,
            "lastGeoTimezone": None if location is None else location.timezone,
            "smsOptOut": record.sms_opt_out,
            "updatedAt": ts(record.updated_at),
            "updatedBy": None,
        }

    def audience_import(self, record: AudienceImport) -> dict[str, Any]:
        return work.audience_import(record, completed="COMPLETED", reference=True)

    def sync_source(self, source: SyncSource) -> dict[str, Any]:
        return work.sync_source(source, reference=True)


REFERENCE = ReferenceDialect()
