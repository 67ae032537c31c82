"""The route table: every operationId of both documents bound to its handler (and, for the Admin API, the
dialect of its family). The shell refuses to start if this table and the documents disagree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mock_server.control import handlers as control
from mock_server.domain.sync import Vendor
from mock_server.handlers import audiences, experiences, lists, organizations, pages, rules, scenarios
from mock_server.views.dialect import Dialect
from mock_server.views.experiences import GUIDE_EXPERIENCES, REFERENCE_EXPERIENCES
from mock_server.views.guide import GUIDE
from mock_server.views.reference import REFERENCE
from mock_server.web.calls import Call, Handler, Reply

DialectHandler = Callable[[Call, Dialect], Awaitable[Reply]]

#: (guide operationId or None, reference operationId or None, handler)
ADMIN_ROUTES: tuple[tuple[str | None, str | None, DialectHandler], ...] = (
    ("postV1Audiences", "postAudiences", audiences.create),
    ("getV1Audiences", "getAudiences", audiences.list_all),
    ("getV1AudiencesByAudienceId", "getAudiencesByAudienceId", audiences.get),
    ("putV1AudiencesByAudienceId", "putAudiencesByAudienceId", audiences.update),
    ("deleteV1AudiencesByAudienceId", "deleteAudiencesByAudienceId", audiences.delete),
    ("getV1AudiencesByAudienceIdMembers", "getAudiencesByAudienceIdMembers", audiences.members),
    ("postV1AudiencesByAudienceIdMembers", "postAudiencesByAudienceIdMembers", audiences.add_members),
    ("getV1AudiencesByAudienceIdStatus", "getAudiencesByAudienceIdStatus", audiences.status),
    ("getV1AudiencesByAudienceIdCount", "getAudiencesByAudienceIdCount", audiences.count),
    ("getV1AudiencesGroupsByGroupId", "getAudiencesGroupsByGroupId", audiences.group),
    ("getV1AudiencesGroupsByGroupIdMembers", "getAudiencesGroupsByGroupIdMembers", audiences.group_members),
    ("deleteV1AudiencesGroupsByGroupId", "deleteAudiencesGroupsByGroupId", audiences.delete_group),
    ("postV1AudiencesLoyaltyTiers", "postAudiencesLoyaltyTiers", audiences.create_tiers),
    ("putV1AudiencesLoyaltyTiersByGroupId", "putAudiencesLoyaltyTiersByGroupId", audiences.update_tiers),
    (None, "getConsumersByIdAudiences", audiences.consumer_audiences),
    ("postV1AudiencesByAudienceIdRules", None, rules.add_many),
    (None, "postAudiencesByAudienceIdRules", rules.add_one),
    (None, "getAudiencesByAudienceIdRules", rules.list_all),
    (None, "putAudiencesByAudienceIdRules", rules.replace_all),
    (None, "getAudiencesByAudienceIdRulesByRuleId", rules.get_one),
    (None, "putAudiencesByAudienceIdRulesByRuleId", rules.update_one),
    (None, "deleteAudiencesByAudienceIdRulesByRuleId", rules.delete_one),
    ("postV1AudiencesByAudienceIdImport", "postAudiencesByAudienceIdImport", lists.create_import),
    (None, "getAudiencesByAudienceIdImport", lists.get_import),
    ("postV1AudiencesByAudienceIdSync", "postAudiencesByAudienceIdSync", lists.resync),
    ("postV1AudiencesImportKlaviyo", "postAudiencesImportKlaviyo", lists.list_import(Vendor.KLAVIYO)),
    (None, "postAudiencesImportMailchimp", lists.list_import(Vendor.MAILCHIMP)),
    (None, "postAudiencesImportSendgrid", lists.list_import(Vendor.SENDGRID)),
)

#: Experiences have dialects of their own (GUIDE_EXPERIENCES, REFERENCE_EXPERIENCES).
EXPERIENCE_ROUTES: tuple[tuple[str | None, str | None, Callable[..., Awaitable[Reply]]], ...] = (
    ("postV1Experiences", "postExperiences", experiences.create),
    ("getV1Experiences", "getExperiences", experiences.list_all),
    ("getV1ExperiencesById", "getExperiencesById", experiences.get),
    ("putV1ExperiencesById", "putExperiencesById", experiences.update),
    ("deleteV1ExperiencesById", "deleteExperiencesById", experiences.delete),
    ("postV1ExperiencesByIdDuplicate", None, experiences.duplicate),
    (None, "getExperiencesByIdMetrics", experiences.metrics),
)

CONTROL_ROUTES: dict[str, Handler] = {
    "getMockHealth": control.health,
    "getMockLogin": control.login,
    "postMockReset": control.reset,
    "postMockSeed": control.seed,
    "getMockClock": control.get_clock,
    "postMockClock": control.set_clock,
    "getMockState": control.export_state,
    "putMockState": control.import_state,
    "getOpenapiJson": control.admin_document,
    "getMockOpenapiJson": control.mock_document,
    "putMockUploadsByImportId": lists.upload,
    "putMockJobsByKindProgression": control.set_progression,
    "postMockJobsByKindOutcomes": control.force_outcome,
    "postMockFaults": control.add_fault,
    "getMockFaults": control.list_faults,
    "deleteMockFaults": control.clear_faults,
    "deleteMockFaultsByFaultId": control.remove_fault,
    "getMockJournal": control.query_journal,
    "deleteMockJournal": control.clear_journal,
    "getMockIndex": pages.dashboard,
    "getIndex": pages.description,
    "getMock": pages.description,
    "getMockUiByAsset": pages.dashboard_asset,
    "getDocs": pages.docs,
    "getDocsByAsset": pages.docs_asset,
    "getMockOrganizations": organizations.list_organizations,
    "getMockOrganizationsByOrganizationId": organizations.organization,
    "getMockOrganizationsByOrganizationIdAudiencesByAudienceIdMembers": organizations.members,
    "postMockOrganizationsByOrganizationIdJobsByKindOutcomes": organizations.force_outcome,
    "getMockScenario": scenarios.export,
    "postMockScenario": scenarios.load,
}


def handlers() -> dict[str, Handler]:
    table: dict[str, Handler] = dict(CONTROL_ROUTES)
    for guide_id, reference_id, handler in ADMIN_ROUTES:
        for operation_id, dialect in ((guide_id, GUIDE), (reference_id, REFERENCE)):
            if operation_id is not None:
                table[operation_id] = _bind(handler, dialect)
    for guide_id, reference_id, handler in EXPERIENCE_ROUTES:
        for operation_id, view in ((guide_id, GUIDE_EXPERIENCES), (reference_id, REFERENCE_EXPERIENCES)):
            if operation_id is not None:
                table[operation_id] = _bind(handler, view)
    return table


def _bind(handler: Callable[[Call, Any], Awaitable[Reply]], dialect: Any) -> Handler:
    async def bound(call: Call) -> Reply:
        return await handler(call, dialect)

    bound.__name__ = f"{handler.__module__.rsplit('.', 1)[-1]}.{handler.__name__}"
    return bound
