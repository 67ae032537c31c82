"""A Python client generated from `openapi/fanfare.json` by openapi-python-client, unchanged, drives every
operation of both families against a live mock: each reply parses into its declared model, and no model
is left holding a field the spec does not declare (`additional_properties` empty)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import attrs
import httpx
import pytest

import fanfare_spec

pytestmark = pytest.mark.slow  # a live server and a generator run

PACKAGE = "fanfare_admin_client"
CSV = "email,phone,externalId,fullName\nada@example.com,+14155550100,,Ada\nnot-an-email,,,Bad\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("generated")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(fanfare_spec.path_of("fanfare")),
            "--meta",
            "none",
            "--output-path",
            str(out / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    # The one warning it may print is about formatting its output; anything else is a schema it dropped.
    assert "Unable to" not in report and "removal of" not in report, report
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def leftovers(value: Any, where: str) -> Iterator[str]:
    """Every model in a parsed reply that kept a property its schema does not declare."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from leftovers(item, f"{where}[{index}]")
        return
    if not attrs.has(type(value)):
        return
    declared = [f.name for f in attrs.fields(type(value)) if f.name != "additional_properties"]
    extra: dict[str, Any] = getattr(value, "additional_properties", {})
    if declared and extra:
        yield f"{where}: {type(value).__name__} has undeclared {sorted(extra)}"
    for name in declared:
        yield from leftovers(getattr(value, name), f"{where}.{name}")
    if not declared:  # a map schema (metadata, metrics by sequence id): its values are the data
        for key, item in extra.items():
            yield from leftovers(item, f"{where}[{key}]")


class Driver:
    """Calls generated operations by module name, checking status, model and leftovers of each reply."""

    def __init__(self, package: ModuleType, base_url: str, key: str) -> None:
        self.package = package
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.client = package.AuthenticatedClient(base_url=base_url, token=key, timeout=httpx.Timeout(60.0))
        self.anonymous = package.Client(base_url=base_url, timeout=httpx.Timeout(60.0))
        self.called: set[str] = set()

    def __call__(self, operation: str, status: int, model: str, anonymous: bool = False, **kw: Any) -> Any:
        tag, name = operation.split(".")
        module = importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")
        response = module.sync_detailed(client=self.anonymous if anonymous else self.client, **kw)
        assert response.status_code == status, f"{operation}: {response.status_code} {response.content!r}"
        self.called.add(operation)
        parsed = response.parsed
        if model.startswith("list["):
            assert isinstance(parsed, list), f"{operation}: {parsed!r}"
            kind = getattr(self.models, model[5:-1])
            assert all(isinstance(item, kind) for item in parsed), f"{operation}: {parsed!r}"
        else:
            assert isinstance(parsed, getattr(self.models, model)), f"{operation}: {type(parsed)} {parsed!r}"
        problems = list(leftovers(parsed, operation))
        assert not problems, "\n".join(problems)
        return parsed

    def m(self, model: str, /, **kw: Any) -> Any:
        return getattr(self.models, model)(**kw)

    def operations(self, tags: tuple[str, ...]) -> set[str]:
        found = set()
        for tag in tags:
            package = importlib.import_module(f"{PACKAGE}.api.{tag}")
            found |= {f"{tag}.{info.name}" for info in pkgutil.iter_modules(package.__path__)}
        return found


@pytest.fixture
def drive(generated: ModuleType, fanfare_live: Any) -> Iterator[Driver]:
    fanfare_live.jobs.progression("import", "immediate")
    fanfare_live.jobs.progression("sync", "immediate")
    driver = Driver(generated, fanfare_live.base_url, fanfare_live.key)
    with driver.client, driver.anonymous:  # the generated clients close their connections on exit
        yield driver


def upload(url: str, text: str) -> None:
    assert (
        httpx.put(url, content=text.encode(), headers={"content-type": "text/csv"}, timeout=60).status_code
        == 200
    )


def test_the_guide_family_through_the_generated_client(drive: Driver) -> None:
    m = drive.m
    rule = m(
        "V1AudienceRuleInput",
        field="totalOrders",
        operator=m_enum(drive, "V1RuleOperator", "GREATER_THAN_OR_EQUAL"),
        values=[1.0],
    )
    vip = drive(
        "v1_audiences.post_v1_audiences",
        201,
        "V1Audience",
        body=m(
            "V1CreateAudienceRequest",
            name="VIP",
            type_=m_enum(drive, "V1AudienceType", "DYNAMIC"),
            rules=[rule],
        ),
    )
    drive("v1_audiences.get_v1_audiences", 200, "list[V1AudienceListItem]")
    drive(
        "v1_audiences.get_v1_audiences_by_audience_id",
        200,
        "V1Audience",
        audience_id=vip.id,
        include="imports",
    )
    drive(
        "v1_audiences.put_v1_audiences_by_audience_id",
        200,
        "V1Audience",
        audience_id=vip.id,
        body=m("V1UpdateAudienceRequest", description="Five or more orders"),
    )
    more = m(
        "V1AudienceRuleInput",
        field="email",
        operator=m_enum(drive, "V1RuleOperator", "CONTAINS"),
        values=["@"],
    )
    drive(
        "v1_audiences.post_v1_audiences_by_audience_id_rules",
        201,
        "list[V1AudienceRule]",
        audience_id=vip.id,
        body=[more],
    )

    count = drive(
        "v1_audiences.get_v1_audiences_by_audience_id_count", 200, "V1AudienceCount", audience_id=vip.id
    )
    seen: list[str] = []
    after: Any = drive.package.types.UNSET
    while True:
        page = drive(
            "v1_audiences.get_v1_audiences_by_audience_id_members",
            200,
            "V1MembersPage",
            audience_id=vip.id,
            first=7,
            after=after,
        )
        seen += [member.id for member in page.data]
        if not page.page_info.end_cursor:
            break
        after = page.page_info.end_cursor
    assert len(seen) == len(set(seen)) == count.count > 0
    drive("v1_audiences.get_v1_audiences_by_audience_id_status", 200, "V1AudienceStatus", audience_id=vip.id)

    tiers = m(
        "V1LoyaltyTiersRequest",
        group_name="Spend",
        attribute=m_enum(drive, "V1LoyaltyAttribute", "totalOrderValue"),
        tiers=[
            m("V1LoyaltyTierInput", name="Bronze", start_value=0.0, end_value=100.0, order=1),
            m("V1LoyaltyTierInput", name="Gold", start_value=100.0, order=2),
        ],
    )
    group = drive("v1_audiences.post_v1_audiences_loyalty_tiers", 201, "V1LoyaltyTiersResponse", body=tiers)
    group_id = group.tier_group
    tiers.tiers[1].name = "Silver"
    drive(
        "v1_audiences.put_v1_audiences_loyalty_tiers_by_group_id",
        200,
        "V1LoyaltyTiersResponse",
        group_id=group_id,
        body=tiers,
    )
    drive("v1_audiences.get_v1_audiences_groups_by_group_id", 200, "list[V1Audience]", group_id=group_id)
    drive(
        "v1_audiences.get_v1_audiences_groups_by_group_id_members",
        200,
        "V1MembersPage",
        group_id=group_id,
        first=5,
    )
    drive("v1_audiences.delete_v1_audiences_groups_by_group_id", 200, "list[V1Audience]", group_id=group_id)

    imported = drive(
        "v1_audiences.post_v1_audiences_import_klaviyo",
        200,
        "V1KlaviyoImportResponse",
        body=m("V1KlaviyoImportRequest", list_ids=["YwxYPP", "nope"]),
    )
    synced = next(
        a
        for a in drive("v1_audiences.get_v1_audiences", 200, "list[V1AudienceListItem]")
        if a.primary_sync_source_id == imported.imported[0].sync_source_id
    )
    drive("v1_audiences.post_v1_audiences_by_audience_id_sync", 200, "V1SyncResponse", audience_id=synced.id)

    static = drive(
        "v1_audiences.post_v1_audiences",
        201,
        "V1Audience",
        body=m("V1CreateAudienceRequest", name="Imported", type_=m_enum(drive, "V1AudienceType", "STATIC")),
    )
    started = drive(
        "v1_audiences.post_v1_audiences_by_audience_id_import",
        201,
        "V1AudienceImportCreated",
        audience_id=static.id,
    )
    upload(started.upload_url, CSV)
    after_import = drive(
        "v1_audiences.get_v1_audiences_by_audience_id",
        200,
        "V1Audience",
        audience_id=static.id,
        include="imports",
    )
    assert after_import.imports[0].error_count == 1
    drive(
        "v1_audiences.post_v1_audiences_by_audience_id_members",
        200,
        "V1AddMembersResponse",
        audience_id=static.id,
        body=m("V1AddMembersRequest", consumer_ids=seen[:2]),
    )
    drive("v1_audiences.delete_v1_audiences_by_audience_id", 200, "V1Audience", audience_id=static.id)

    launch = drive(
        "v1_experiences.post_v1_experiences",
        201,
        "V1Experience",
        body=m("V1CreateExperienceRequest", name="Spring drop"),
    )
    drive("v1_experiences.get_v1_experiences", 200, "list[V1ExperienceListItem]")
    drive("v1_experiences.get_v1_experiences_by_id", 200, "V1Experience", id=launch.id, include="metrics")
    drive(
        "v1_experiences.put_v1_experiences_by_id",
        200,
        "V1Experience",
        id=launch.id,
        body=m("V1UpdateExperienceRequest", name="Spring drop 2027"),
    )
    copy = drive(
        "v1_experiences.post_v1_experiences_by_id_duplicate",
        201,
        "V1Experience",
        id=launch.id,
        body=m("V1DuplicateExperienceRequest"),
    )
    assert copy.name == "Copy of Spring drop 2027"
    drive("v1_experiences.delete_v1_experiences_by_id", 200, "V1Experience", id=copy.id)

    # Errors, each parsed into the guide's envelope.
    drive("v1_audiences.get_v1_audiences_by_audience_id", 404, "V1Error", audience_id="nope")
    drive("v1_experiences.get_v1_experiences_by_id", 404, "V1Error", id="nope")
    refused = drive(
        "v1_audiences.post_v1_audiences",
        400,
        "V1ValidationError",
        body=m("V1CreateAudienceRequest", name="", type_=m_enum(drive, "V1AudienceType", "STATIC")),
    )
    assert refused.error == "Validation failed" and refused.details
    drive("v1_audiences.post_v1_audiences_by_audience_id_sync", 400, "V1Error", audience_id=vip.id)
    drive("v1_audiences.get_v1_audiences", 401, "V1Error", anonymous=True)

    missing = drive.operations(("v1_audiences", "v1_experiences")) - drive.called
    assert not missing, f"operations the flow never called: {sorted(missing)}"


def test_the_reference_family_through_the_generated_client(drive: Driver) -> None:
    m = drive.m
    rule = m(
        "ApiAudienceRuleInput",
        field="totalOrders",
        operator=m_enum(drive, "ApiRuleOperator", "GREATER_THAN"),
        values=[0.0],
    )
    vip = drive(
        "audiences.post_audiences",
        200,
        "ApiAudience",
        body=m(
            "ApiAudienceCreateRequest",
            name="VIP",
            type_=m_enum(drive, "ApiAudienceType", "DYNAMIC"),
            rules=[rule],
        ),
    )
    listed = drive("audiences.get_audiences", 200, "ApiAudiencePage", first=100)
    assert vip.id in [a.id for a in listed.data]
    drive("audiences.get_audiences_by_audience_id", 200, "ApiAudience", audience_id=vip.id)
    drive(
        "audiences.put_audiences_by_audience_id",
        200,
        "ApiAudienceBare",
        audience_id=vip.id,
        body=m("ApiAudienceUpdateRequest", description="Any order"),
    )
    rules = drive(
        "audiences.get_audiences_by_audience_id_rules", 200, "list[ApiAudienceRule]", audience_id=vip.id
    )
    rule_id = rules[0].id
    drive(
        "audiences.get_audiences_by_audience_id_rules_by_rule_id",
        200,
        "ApiAudienceRule",
        audience_id=vip.id,
        rule_id=rule_id,
    )
    drive(
        "audiences.put_audiences_by_audience_id_rules_by_rule_id",
        200,
        "ApiAudienceRule",
        audience_id=vip.id,
        rule_id=rule_id,
        body=m("ApiAudienceRuleUpdateRequest", values=[1.0]),
    )
    added = drive(
        "audiences.post_audiences_by_audience_id_rules",
        200,
        "ApiAudienceRule",
        audience_id=vip.id,
        body=m(
            "ApiAudienceRuleCreateRequest",
            audience_id=vip.id,
            field="email",
            operator=m_enum(drive, "ApiRuleOperator", "CONTAINS"),
            values=["@"],
        ),
    )
    drive(
        "audiences.delete_audiences_by_audience_id_rules_by_rule_id",
        200,
        "ApiAudienceRule",
        audience_id=vip.id,
        rule_id=added.id,
    )
    drive(
        "audiences.put_audiences_by_audience_id_rules",
        200,
        "list[ApiAudienceRule]",
        audience_id=vip.id,
        body=m(
            "ApiAudienceRulesReplaceRequest",
            rules=[
                m(
                    "ApiAudienceRuleCreateRequest",
                    audience_id=vip.id,
                    field="totalOrders",
                    operator=m_enum(drive, "ApiRuleOperator", "GREATER_THAN_OR_EQUAL"),
                    values=[1.0],
                )
            ],
        ),
    )

    count = drive("audiences.get_audiences_by_audience_id_count", 200, "ApiAudienceCount", audience_id=vip.id)
    seen: list[str] = []
    after: Any = drive.package.types.UNSET
    while True:
        page = drive(
            "audiences.get_audiences_by_audience_id_members",
            200,
            "ApiConsumerPage",
            audience_id=vip.id,
            first=9,
            after=after,
        )
        seen += [str(member.id) for member in page.data]
        if not page.page_info.end_cursor:
            break
        after = page.page_info.end_cursor
    assert len(seen) == len(set(seen)) == count.count > 0
    drive("audiences.get_audiences_by_audience_id_status", 200, "ApiAudienceStatus", audience_id=vip.id)
    drive("consumers.get_consumers_by_id_audiences", 200, "list[ApiAudienceBare]", id=seen[0])

    tiers = m(
        "ApiLoyaltyTiersRequest",
        group_name="Orders",
        attribute=m_enum(drive, "ApiLoyaltyTierAttribute", "totalOrders"),
        tiers=[
            m("ApiLoyaltyTierInput", name="New", start_value=0.0, end_value=3.0, order=1.0),
            m("ApiLoyaltyTierInput", name="Regular", start_value=3.0, order=2.0),
        ],
    )
    group = drive("audiences.post_audiences_loyalty_tiers", 200, "ApiLoyaltyTierGroup", body=tiers)
    group_id = group.tier_group
    drive(
        "audiences.put_audiences_loyalty_tiers_by_group_id",
        200,
        "ApiLoyaltyTierGroup",
        group_id=group_id,
        body=tiers,
    )
    drive("audiences.get_audiences_groups_by_group_id", 200, "list[ApiAudience]", group_id=group_id)
    drive(
        "audiences.get_audiences_groups_by_group_id_members",
        200,
        "ApiConsumerPage",
        group_id=group_id,
        first=5,
    )
    drive("audiences.delete_audiences_groups_by_group_id", 200, "list[ApiAudienceBare]", group_id=group_id)

    for esp in ("klaviyo", "mailchimp", "sendgrid"):
        drive(
            f"audiences.post_audiences_import_{esp}",
            200,
            "ApiListImportResult",
            body=m("ApiListImportRequest", list_ids=["nope"]),
        )
    imported = drive(
        "audiences.post_audiences_import_klaviyo",
        200,
        "ApiListImportResult",
        body=m("ApiListImportRequest", list_ids=["YwxYPP"]),
    )
    synced = next(
        a
        for a in drive("audiences.get_audiences", 200, "ApiAudiencePage", first=100).data
        if a.primary_sync_source_id == imported.imported[0].sync_source_id
    )
    drive(
        "audiences.post_audiences_by_audience_id_sync", 200, "ApiAudienceSyncStarted", audience_id=synced.id
    )

    static = drive(
        "audiences.post_audiences",
        200,
        "ApiAudience",
        body=m(
            "ApiAudienceCreateRequest", name="Imported", type_=m_enum(drive, "ApiAudienceType", "STATIC_LIST")
        ),
    )
    started = drive(
        "audiences.post_audiences_by_audience_id_import",
        200,
        "ApiAudienceImportCreated",
        audience_id=static.id,
    )
    upload(started.upload_url, CSV)
    done = drive(
        "audiences.get_audiences_by_audience_id_import", 200, "ApiAudienceImport", audience_id=static.id
    )
    assert done.error_count == 1
    drive(
        "audiences.post_audiences_by_audience_id_members",
        200,
        "ApiAudienceMembersAdded",
        audience_id=static.id,
        body=m("ApiAudienceMembersAddRequest", consumer_ids=seen[:2]),
    )
    drive("audiences.delete_audiences_by_audience_id", 200, "ApiAudienceBare", audience_id=static.id)

    launch = drive(
        "experiences.post_experiences",
        200,
        "ApiExperience",
        body=m("ApiExperienceCreateRequest", name="Drop"),
    )
    drive("experiences.get_experiences", 200, "ApiExperiencePage", first=10)
    drive("experiences.get_experiences_by_id", 200, "ApiExperienceBare", id=launch.id)
    drive("experiences.get_experiences_by_id_metrics", 200, "ApiExperienceMetrics", id=launch.id)
    drive(
        "experiences.put_experiences_by_id",
        200,
        "ApiExperienceBare",
        id=launch.id,
        body=m("ApiExperienceUpdateRequest", name="Drop 2"),
    )
    drive("experiences.delete_experiences_by_id", 200, "ApiExperienceBare", id=launch.id)

    # Errors, each parsed into the reference's envelopes.
    drive("audiences.get_audiences_by_audience_id", 404, "ApiError", audience_id="nope")
    refused = drive(
        "audiences.post_audiences",
        400,
        "ApiValidationError",
        body=m(
            "ApiAudienceCreateRequest",
            name="x",
            type_=m_enum(drive, "ApiAudienceType", "DYNAMIC"),
            rules=[
                m(
                    "ApiAudienceRuleInput",
                    field="shoeSize",
                    operator=m_enum(drive, "ApiRuleOperator", "EQUALS"),
                    values=[1.0],
                )
            ],
        ),
    )
    assert refused.error == "validation_error" and refused.issues
    drive("audiences.post_audiences_by_audience_id_sync", 400, "ApiError", audience_id=vip.id)
    drive("experiences.get_experiences", 401, "ApiError", anonymous=True)

    missing = drive.operations(("audiences", "consumers", "experiences")) - drive.called
    assert not missing, f"operations the flow never called: {sorted(missing)}"


def m_enum(drive: Driver, name: str, value: str) -> Any:
    return getattr(drive.models, name)(value)
