"""The one interface both dialects implement, so a handler is written once for both route families."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from mock_server.domain.audiences import (
    Audience,
    AudienceCount,
    AudienceInput,
    AudiencePatch,
    AudienceStatus,
    AudienceType,
    Rule,
    RuleInput,
    TierGroup,
    TierGroupInput,
    TierInput,
)
from mock_server.domain.consumers import ConsumerRecord
from mock_server.domain.imports import AudienceImport
from mock_server.domain.kernel import Steps
from mock_server.domain.sync import ListImportResult, SyncSource
from mock_server.domain.world import Organization
from mock_server.views.wire import ts


class Dialect(Protocol):
    family: str
    created: int  # the status a create answers with
    static_spelling: str

    def audience_type(self, text: str) -> AudienceType: ...
    def rule_inputs(self, items: Sequence[Mapping[str, Any]]) -> tuple[RuleInput, ...]: ...
    def create_input(self, body: Mapping[str, Any]) -> AudienceInput: ...
    def patch(self, body: Mapping[str, Any]) -> AudiencePatch: ...
    def tier_group_input(self, body: Mapping[str, Any]) -> TierGroupInput: ...

    def audience(
        self, audience: Audience, org: Organization, purpose: str, query: Mapping[str, Any]
    ) -> dict[str, Any]: ...
    def audience_list(
        self, audiences: Sequence[Audience], org: Organization, query: Mapping[str, Any]
    ) -> Steps[Any]: ...
    def rule(self, rule: Rule, org: Organization) -> dict[str, Any]: ...
    def consumer(self, record: ConsumerRecord) -> dict[str, Any]: ...
    def status(self, status: AudienceStatus) -> dict[str, Any]: ...
    def count(self, count: AudienceCount) -> dict[str, Any]: ...
    def tier_group(self, group: TierGroup, org: Organization, query: Mapping[str, Any]) -> dict[str, Any]: ...
    def audience_import(self, record: AudienceImport) -> dict[str, Any]: ...
    def sync_source(self, source: SyncSource) -> dict[str, Any]: ...
    def sync_started(self, source: SyncSource) -> dict[str, Any]: ...
    def list_import(self, result: ListImportResult) -> dict[str, Any]: ...


class DialectBase:
    """The shapes both dialects render alike (and read alike: rules, the tier request), written once."""

    def group_id(self, label: str | None) -> str | None:
        """A rule's `groupId` as the world stores it (the guide maps free labels to UUIDs)."""
        return label

    def rule_inputs(self, items: Sequence[Mapping[str, Any]]) -> tuple[RuleInput, ...]:
        return tuple(
            RuleInput(
                field=item["field"],
                operator=item["operator"],
                values=tuple(item["values"]),
                group_id=self.group_id(item.get("groupId")),
                position=None if item.get("position") is None else int(item["position"]),
            )
            for item in items
        )

    def tier_group_input(self, body: Mapping[str, Any]) -> TierGroupInput:
        return TierGroupInput(
            group_name=body["groupName"],
            attribute=body["attribute"],
            tiers=tuple(
                TierInput(
                    name=t["name"],
                    start_value=t["startValue"],
                    order=int(t["order"]),
                    end_value=t.get("endValue"),
                    icon_name=t.get("iconName"),
                )
                for t in body["tiers"]
            ),
        )

    def audience(
        self, audience: Audience, org: Organization, purpose: str, query: Mapping[str, Any]
    ) -> dict[str, Any]:
        raise NotImplementedError

    def status(self, status: AudienceStatus) -> dict[str, Any]:
        return {
            "audienceId": status.audience_id,
            "version": status.version,
            "syncStatus": None if status.sync_status is None else status.sync_status.value,
            "lastSyncedAt": ts(status.last_synced_at),
            "lastRefreshedAt": ts(status.last_refreshed_at),
            "refreshIntervalSeconds": status.refresh_interval_seconds,
            "stale": status.stale,
            "inProgress": status.in_progress,
            "pendingShards": status.pending_shards,
        }

    def count(self, count: AudienceCount) -> dict[str, Any]:
        return {"audienceId": count.audience_id, "count": count.count, "source": count.source.value}

    def tier_group(self, group: TierGroup, org: Organization, query: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "tierGroup": group.tier_group,
            "audiences": [self.audience(a, org, "tier", query) for a in group.audiences],
        }

    def sync_started(self, source: SyncSource) -> dict[str, Any]:
        return {"success": True, "syncSourceId": source.id, "status": "PENDING"}

    def list_import(self, result: ListImportResult) -> dict[str, Any]:
        return {
            "imported": [
                {"listId": i.list_id, "syncSourceId": i.sync_source_id, "status": "PENDING"}
                for i in result.imported
            ],
            "skipped": [
                {"listId": s.list_id, "reason": s.reason, "existingAudienceId": s.existing_audience_id}
                for s in result.skipped
            ],
        }
