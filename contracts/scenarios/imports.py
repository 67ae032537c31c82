"""The CSV import, end to end: upload through `uploadUrl`, then every row accounted for, deduplicated."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from contracts.scenarios.base import ScenarioContext, scenario

# Six data rows: two people, one of them twice (dedup by email), one bad email, one row without any
# identifier. Rows are numbered as a spreadsheet shows them: the header is row 1.
CSV = "email,firstName\n{a},Ann\n{b},Bob\n{a},Ann again\nnot-an-email,Carl\n,Dora\n"
FINISHED = frozenset({"COMPLETED", "SUCCESS", "FAILED"})


def _finished(ctx: ScenarioContext, audience_id: str, import_id: str) -> Mapping[str, Any]:
    path = ctx.fam.path(f"/audiences/{audience_id}/import")
    deadline = time.monotonic() + 20
    while True:
        response = ctx.client.get(path)
        ctx.expect_status(response, 200, "Could not read the import")
        body = ctx.json(response)
        items = body if isinstance(body, list) else [body]
        mine = next((i for i in items if isinstance(i, Mapping) and i.get("id") == import_id), None)
        ctx.expect(mine is not None, "The import is not listed", response.text[:300])
        assert mine is not None
        if mine.get("status") in FINISHED:
            return mine
        if time.monotonic() > deadline:
            raise ctx.fail("The import never finished", f"still {mine.get('status')!r} after 20 s")
        time.sleep(0.2)


@scenario("csv_import_accounts_for_every_row", families=("api",))
def csv_import(ctx: ScenarioContext) -> None:
    """A CSV uploaded to uploadUrl: each row is processed or an error, duplicates are members once."""
    fam = ctx.fam
    ctx.require("get", fam.path("/audiences/{audienceId}/import"))
    audience = ctx.create_audience("static", "csv")
    aid = str(audience["id"])
    response = ctx.client.post(fam.path(f"/audiences/{aid}/import"))
    ctx.expect_status(response, 200, "Could not start an import")
    started = ctx.json(response)
    upload = started.get("uploadUrl")
    ctx.expect(isinstance(upload, str) and bool(upload), "An import has no uploadUrl", response.text[:300])
    tag = ctx.options.run_id
    text = CSV.format(a=f"ann.{tag}@example.com", b=f"bob.{tag}@example.com")
    put = ctx.client.put(str(upload), content=text.encode(), headers={"Content-Type": "text/csv"})
    ctx.expect_status(put, (200, 201, 202, 204), "The upload to uploadUrl was refused")
    done = _finished(ctx, aid, str(started.get("id")))
    total, processed, errors = (
        done.get("totalConsumers"),
        done.get("processedConsumers"),
        done.get("errorCount"),
    )
    ctx.expect(
        total == 5, "The import does not count the file's rows", f"totalConsumers={total!r} for 5 rows"
    )
    ctx.expect(
        isinstance(processed, int) and isinstance(errors, int) and processed + errors == total,
        "A row of the file is neither processed nor an error",
        f"processedConsumers={processed!r} + errorCount={errors!r} for totalConsumers={total!r}",
    )
    rows = sorted(int(e["row"]) for e in done.get("errors") or [] if isinstance(e, Mapping) and "row" in e)
    ctx.expect(
        rows == [5, 6],
        "The import's errors do not name the bad rows",
        f"errors on rows {rows}, expected [5, 6]",
    )
    count = ctx.json(ctx.client.get(fam.path(f"/audiences/{aid}/count"))).get("count")
    ctx.expect(count == 2, "Duplicates were not merged", f"/count is {count!r} after 2 distinct people")
