"""Audience handlers: create, list, get, update, archive, members, status, count, groups and loyalty tiers."""

from __future__ import annotations

import asyncio
from typing import Any

from mock_server.domain.audiences import PageRequest, create_tier_group, update_tier_group
from mock_server.domain.world import Organization
from mock_server.handlers.tenancy import organization
from mock_server.views.dialect import Dialect
from mock_server.views.member_pages import members_page
from mock_server.web.calls import Call, Reply
from mock_server.web.slices import sliced

#: Audiences read per slice of a list (about 5 ms).
_LIST_SLICE = 512


def _page_request(query: dict[str, Any]) -> PageRequest:
    return PageRequest(first=query.get("first"), after=query.get("after"), search=query.get("search"))


async def create(call: Call, d: Dialect) -> Reply:
    data = d.create_input(call.body)
    await sliced(organization(call).ahead.create(data))  # (its rules, a slice at a time)
    org = organization(call)  # (the tenant as it is now: a reset may have come in between)
    audience = org.audiences.create(data)
    if (source := call.body.get("primarySyncSource")) is not None:  # the reference's create may name one
        org.sync.attach(
            audience.id,
            source["syncSource"],
            source["syncSourceId"],
            org.sync_host,
            created_by=org.actor,
            source_data=source.get("sourceData"),
        )
    return Reply(d.created, d.audience(audience, org, "create", call.query))


async def fresh_organization(call: Call, audience_ids: list[str] | None = None) -> Organization:
    """The tenant, its stale dynamic audiences (all, or those named) evaluated ahead a slice at a time."""
    await sliced(organization(call).ahead.reads(audience_ids))  # (nothing stale: no pause at all)
    return organization(call)  # (a reset between the slices may have replaced it)


async def list_all(call: Call, d: Dialect) -> Reply:
    org = await fresh_organization(call)
    ids, audiences = org.audiences.audience_ids(), []
    for start in range(0, len(ids), _LIST_SLICE):  # read, then rendered, a slice at a time
        audiences += org.audiences.live(ids[start : start + _LIST_SLICE])
        await asyncio.sleep(0)
    return Reply(200, await sliced(d.audience_list(audiences, org, call.query)))


async def get(call: Call, d: Dialect) -> Reply:
    org = await fresh_organization(call, [call.path_params["audienceId"]])
    audience = org.audiences.get(call.path_params["audienceId"])
    # Reading an audience reads its imports' status: the guide has no GET .../import, so this is where a
    # guide client watches an import move (an `afterReads` job advances here).
    for record in org.imports.for_audience(audience.id):
        org.imports.observe(record.id)
    return Reply(200, d.audience(audience, org, "get", call.query))


async def update(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    patch = d.patch(call.body or {})  # the reference's PUT body is optional
    audience = org.audiences.update(call.path_params["audienceId"], patch)
    return Reply(200, d.audience(audience, org, "update", call.query))


async def delete(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    audience = org.audiences.archive(call.path_params["audienceId"])  # takes its imports, sync, references
    return Reply(200, d.audience(audience, org, "delete", call.query))


async def members(call: Call, d: Dialect) -> Reply:
    org = await fresh_organization(call, [call.path_params["audienceId"]])
    page = org.members.position_page(call.path_params["audienceId"], _page_request(call.query))
    return Reply(200, members_page(d, org, page))


async def add_members(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    audience_id = call.path_params["audienceId"]
    added = org.members.add(audience_id, call.body["consumerIds"])
    return Reply(200, {"audienceId": audience_id, "addedCount": added})


async def status(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    org.sync.observe(call.path_params["audienceId"], org.sync_host)  # a status read moves a sync job
    return Reply(200, d.status(org.members.status(call.path_params["audienceId"])))


async def count(call: Call, d: Dialect) -> Reply:
    org = await fresh_organization(call, [call.path_params["audienceId"]])
    org.sync.refresh(call.path_params["audienceId"], org.sync_host)
    return Reply(200, d.count(org.members.count(call.path_params["audienceId"])))


async def group(call: Call, d: Dialect) -> Reply:
    org = await fresh_organization(call)
    audiences = org.audiences.group(call.path_params["groupId"])
    return Reply(200, [d.audience(a, org, "group", call.query) for a in audiences])


async def group_members(call: Call, d: Dialect) -> Reply:
    org = await fresh_organization(call)
    page = org.members.group_position_page(
        call.path_params["groupId"], _page_request(call.query), audience_id=call.query.get("audienceId")
    )
    return Reply(200, members_page(d, org, page))


async def delete_group(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    audiences = org.audiences.delete_group(call.path_params["groupId"])
    return Reply(200, [d.audience(a, org, "group_delete", call.query) for a in audiences])


async def create_tiers(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    tiers = create_tier_group(org, d.tier_group_input(call.body))
    return Reply(d.created, d.tier_group(tiers, org, call.query))


async def update_tiers(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    tiers = update_tier_group(org, call.path_params["groupId"], d.tier_group_input(call.body))
    return Reply(200, d.tier_group(tiers, org, call.query))


async def consumer_audiences(call: Call, d: Dialect) -> Reply:
    org = await fresh_organization(call)
    audiences = org.members.audiences_of(call.path_params["id"])
    return Reply(200, [d.audience(a, org, "consumer", call.query) for a in audiences])
