"""Experience handlers: create, list, get, update, delete, duplicate and metrics, for both dialects."""

from __future__ import annotations

from typing import Any

from mock_server.domain.experiences import ExperienceBook, ExperiencePatch, ExperienceSpec
from mock_server.domain.kernel import NotFound
from mock_server.domain.world import Organization
from mock_server.handlers.tenancy import organization
from mock_server.views.experiences import metrics as render_metrics
from mock_server.web.calls import Call, Reply


def _book(call: Call) -> tuple[Organization, ExperienceBook]:
    org = organization(call)
    return org, org.experiences


def _metrics_of(org: Organization, book: ExperienceBook) -> Any:
    def audience_size(audience_id: str) -> int:
        try:
            return org.members.count(audience_id).count
        except NotFound:
            return 0

    return lambda experience_id: book.metrics(experience_id, audience_size)


async def create(call: Call, v: Any) -> Reply:
    org, book = _book(call)
    experience = book.create(ExperienceSpec.parse_request(call.body), created_by=org.actor)
    return Reply(
        v.created,
        v.experience(experience, org.clock.now(), call.query, _metrics_of(org, book), purpose="create"),
    )


async def list_all(call: Call, v: Any) -> Reply:
    org, book = _book(call)
    return Reply(
        200, v.experience_list(book.experiences(), org.clock.now(), call.query, _metrics_of(org, book))
    )


async def get(call: Call, v: Any) -> Reply:
    org, book = _book(call)
    experience = book.get(call.path_params["id"])
    return Reply(200, v.experience(experience, org.clock.now(), call.query, _metrics_of(org, book)))


async def update(call: Call, v: Any) -> Reply:
    org, book = _book(call)
    experience = book.update(
        call.path_params["id"], ExperiencePatch.parse_request(call.body or {}), updated_by=org.actor
    )
    return Reply(200, v.experience(experience, org.clock.now(), call.query))


async def delete(call: Call, v: Any) -> Reply:
    org, book = _book(call)
    experience = book.delete(call.path_params["id"], updated_by=org.actor)
    return Reply(200, v.experience(experience, org.clock.now(), call.query))


async def duplicate(call: Call, v: Any) -> Reply:
    org, book = _book(call)
    name = (call.body or {}).get("name")
    experience = book.duplicate(call.path_params["id"], name=name, created_by=org.actor)
    return Reply(v.created, v.experience(experience, org.clock.now(), call.query, purpose="create"))


async def metrics(call: Call, v: Any) -> Reply:
    org, book = _book(call)

    def audience_name(audience_id: str) -> str | None:
        try:
            return org.audiences.get(audience_id).name
        except NotFound:
            return None

    result = _metrics_of(org, book)(call.path_params["id"])
    return Reply(200, render_metrics(result, audience_name))
