"""Handlers for an audience's outside sources: CSV imports (create, read, the upload target) and list sync
(ESP list imports, re-sync)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any, Protocol

from mock_server.control.upload_grants import UploadGrants
from mock_server.domain.audiences import AudienceType
from mock_server.domain.imports import check_declared_size
from mock_server.domain.kernel import Clock, NotFound
from mock_server.domain.sync import Vendor
from mock_server.domain.world import key_hash
from mock_server.handlers.tenancy import Served, organization
from mock_server.views import work
from mock_server.views.dialect import Dialect
from mock_server.web.calls import Call, Reply
from mock_server.web.slices import sliced


class Uploading(Served, Protocol):
    """What the import handlers also read: the clock, the mock's public URL and the upload grants."""

    @property
    def clock(self) -> Clock: ...
    @property
    def public_url(self) -> str: ...
    @property
    def uploads(self) -> UploadGrants: ...


#: Upload bodies are spooled to disk past this size, so memory stays flat whatever the file size.
_SPOOL_IN_MEMORY = 1024 * 1024
_CHUNK = 64 * 1024


def upload_url(state: Uploading, import_id: str, tenant_hash: str) -> str:
    """The import's capability URL, on the mock's own address (never a request's Host or X-Forwarded-*)."""
    signature = state.uploads.issue(import_id, tenant_hash, state.clock.now())
    return f"{state.public_url}/_mock/uploads/{import_id}?signature={signature}"


async def create_import(call: Call, d: Dialect) -> Reply:
    record = organization(call).create_import(call.path_params["audienceId"])
    body = d.audience_import(record)
    body["uploadUrl"] = upload_url(call.state, record.id, key_hash(call.secret_key or ""))
    return Reply(d.created, body)


async def get_import(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    audience = org.audiences.get(call.path_params["audienceId"])
    imports = org.imports
    latest = imports.latest_for(audience.id)
    if latest is None:
        raise NotFound("Import", audience.id)
    return Reply(200, d.audience_import(imports.observe(latest.id)))


async def upload(call: Call) -> Reply:
    """PUT of the CSV to an import's `uploadUrl` (the mock's stand-in for a pre-signed S3 URL: no key,
    its signature is the credential)."""
    state: Uploading = call.state
    import_id = call.path_params["importId"]
    tenant_hash = state.uploads.check(import_id, call.query["signature"], state.clock.now())
    org = dict(state.world.organizations()).get(tenant_hash)
    if org is None:  # the tenant was reset away since
        raise NotFound("Import", import_id)
    declared = call.headers.get("content-length")
    if declared is not None and declared.isdigit():
        check_declared_size(int(declared))  # refuse before reading a byte
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        size = 0
        async for chunk in call.receive_chunks():
            size += len(chunk)
            check_declared_size(size)  # a chunked upload has no length to declare: stop at the limit
            spool.write(chunk)
        record = await sliced(org.upload_import_steps(import_id, lambda: _replay(spool)))
    return Reply(200, work.audience_import(record, completed="COMPLETED", reference=True))


def _replay(spool: IO[bytes]) -> Iterator[bytes]:
    spool.seek(0)
    while chunk := spool.read(_CHUNK):
        yield chunk


async def resync(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    audience = org.audiences.get(call.path_params["audienceId"])
    source = org.sync.resync(
        audience.id,
        is_synced_list=audience.type is AudienceType.SYNCED_LIST,
        host=org.sync_host,
        updated_by=org.actor,
    )
    return Reply(200, d.sync_started(source))


def list_import(vendor: Vendor) -> Any:
    async def handler(call: Call, d: Dialect) -> Reply:
        org = organization(call)
        result = org.sync.import_lists(vendor, call.body["listIds"], org.sync_host, created_by=org.actor)
        return Reply(200, d.list_import(result))

    handler.__name__ = f"import_{vendor.value}_lists"
    return handler
