"""The drift probes: for each point where the guide and the API reference disagree, the smallest request
that shows the difference on a family, and which style its answer matches."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from contracts.client import Client
from contracts.drift_points import (
    BOTH,
    GUIDE,
    NEITHER,
    REFERENCE,
    UNJUDGED,
    UUID_PATTERN,
    DriftPoint,
    evidence,
    json_of,
)
from contracts.families import API, V1, Family
from contracts.guard import ReadOnlyViolation


class DriftProbe:
    """Probes one target point by point, family by family, and keeps what each answer shows."""

    def __init__(self, client: Client, read_only: bool, prefix: str) -> None:
        self.client = client
        self.read_only = read_only
        self.prefix = prefix
        self.points: list[DriftPoint] = []
        self._n = 0

    def add(
        self, point: str, family: Family, follows: str, observed: str, response: httpx.Response | None
    ) -> None:
        self.points.append(DriftPoint(point, family.prefix, follows, observed, evidence(response)))

    def name(self) -> str:
        self._n += 1
        return f"{self.prefix}drift-{self._n}"

    def safely(self, point: str, family: Family, probe: Callable[[], None]) -> None:
        try:
            probe()
        except ReadOnlyViolation:
            self.add(point, family, UNJUDGED, "needs a write (read-only run)", None)
        except httpx.HTTPError as exc:
            self.add(point, family, UNJUDGED, f"{type(exc).__name__}: {exc}", None)

    def family(self, family: Family) -> None:
        c = self.client
        listing = c.get(family.path("/audiences"))
        body = json_of(listing)
        if isinstance(body, list):
            self.add("list envelope", family, GUIDE, "bare array", listing)
        elif isinstance(body, Mapping) and "data" in body and "pageInfo" in body:
            self.add("list envelope", family, REFERENCE, "{data, pageInfo}", listing)
        else:
            self.add("list envelope", family, NEITHER, f"status {listing.status_code}", listing)
        items = (
            body
            if isinstance(body, list)
            else (body.get("data") if isinstance(body, Mapping) else None) or []
        )

        missing = c.get(family.path(f"/audiences/{self.prefix}missing"))
        missing_body = json_of(missing)
        if (
            missing.status_code == 404
            and isinstance(missing_body, Mapping)
            and missing_body.get("error") == "Audience not found"
        ):
            self.add("unknown id", family, GUIDE, '404 "Audience not found"', missing)
        elif missing.status_code == 404:
            self.add("unknown id", family, NEITHER, "404 with another body", missing)
        else:
            self.add(
                "unknown id",
                family,
                REFERENCE,
                f"{missing.status_code} (the reference documents no 404)",
                missing,
            )

        anonymous = c.as_token(None).get(family.path("/audiences"))
        error = (json_of(anonymous) or {}).get("error") if isinstance(json_of(anonymous), Mapping) else None
        self.add(
            "401 body",
            family,
            BOTH if error == "Authentication required" else NEITHER,
            f"{anonymous.status_code} {error!r}",
            anonymous,
        )

        invalid = None
        if not self.read_only:
            invalid = c.post(family.path("/audiences"), json_body={"type": "DYNAMIC"})
        self._validation(family, invalid)

        created: Mapping[str, Any] | None = None
        if not self.read_only:
            for spelling in ("STATIC", "STATIC_LIST"):
                response = c.post(
                    family.path("/audiences"), json_body={"name": self.name(), "type": spelling}
                )
                self.add(
                    f"accepts type {spelling}",
                    family,
                    (GUIDE if spelling == "STATIC" else REFERENCE)
                    if response.is_success
                    else (REFERENCE if spelling == "STATIC" else GUIDE),
                    "accepted" if response.is_success else f"refused ({response.status_code})",
                    response,
                )
                if response.is_success and isinstance(json_of(response), Mapping):
                    if created is None:
                        created = json_of(response)
                    status = response.status_code
                    self.add(
                        "create status",
                        family,
                        GUIDE if status == 201 else REFERENCE if status == 200 else NEITHER,
                        str(status),
                        response,
                    )
            # A second one, so list paging can be told apart from a short list.
            c.post(family.path("/audiences"), json_body={"name": self.name(), "type": "DYNAMIC"})
        else:
            self.add("create status", family, UNJUDGED, "needs a write (read-only run)", None)
            types = sorted({str(i.get("type")) for i in items if isinstance(i, Mapping)})
            spelled = GUIDE if "STATIC" in types else REFERENCE if "STATIC_LIST" in types else UNJUDGED
            self.add(
                "static type spelling",
                family,
                spelled,
                f"types listed: {', '.join(types) or 'none'}",
                listing,
            )

        self._paging(family)
        sample = created or next(
            (i for i in items if isinstance(i, Mapping) and isinstance(i.get("id"), str)), None
        )
        if sample is None:
            for point in ("id format", "audience carries version", "count carries source", "consumer shape"):
                self.add(point, family, UNJUDGED, "no audience to look at", None)
            return
        audience_id = str(sample["id"])
        if UUID_PATTERN.match(audience_id):
            version = UUID_PATTERN.match(audience_id).group(1)  # type: ignore[union-attr]
            self.add("id format", family, REFERENCE, f"UUID (version {version})", None)
        elif re.match(r"^[a-z]+_[0-9A-Za-z]+$", audience_id):
            self.add("id format", family, GUIDE, f"prefixed ({audience_id.split('_')[0]}_…)", None)
        else:
            self.add("id format", family, NEITHER, audience_id[:40], None)

        single = c.get(family.path(f"/audiences/{audience_id}"))
        body = json_of(single)
        if isinstance(body, Mapping):
            has = "version" in body
            self.add(
                "audience carries version",
                family,
                GUIDE if has else REFERENCE,
                f"version={body.get('version')!r}" if has else "no version field",
                single,
            )
        count = c.get(family.path(f"/audiences/{audience_id}/count"))
        count_body = json_of(count)
        if isinstance(count_body, Mapping):
            has = "source" in count_body
            self.add(
                "count carries source",
                family,
                GUIDE if has else REFERENCE,
                f"source={count_body.get('source')!r}" if has else "no source field",
                count,
            )
        self._consumers(family)
        if created is not None:
            self.safely("import status names", family, lambda: self._import(family, str(created["id"])))
            self.safely("delete answer", family, lambda: self._delete(family, str(created["id"])))

    def _paging(self, family: Family) -> None:
        c = self.client
        full = json_of(c.get(family.path("/audiences")))
        count = (
            len(full if isinstance(full, list) else (full or {}).get("data") or []) if full is not None else 0
        )
        paged = c.get(family.path("/audiences"), params={"first": 1})
        body = json_of(paged)
        items = body if isinstance(body, list) else (body.get("data") if isinstance(body, Mapping) else None)
        if count < 2:
            self.add(
                "list honours first=1",
                family,
                UNJUDGED,
                f"{count} audience(s) listed: too few to tell",
                paged,
            )
        elif paged.status_code == 200 and isinstance(items, list):
            honoured = len(items) <= 1
            self.add(
                "list honours first=1",
                family,
                REFERENCE if honoured else GUIDE,
                "paged" if honoured else f"ignored ({len(items)} items)",
                paged,
            )
        else:
            self.add("list honours first=1", family, NEITHER, f"status {paged.status_code}", paged)

    def _validation(self, family: Family, response: httpx.Response | None) -> None:
        if response is None:
            self.add("validation error", family, UNJUDGED, "needs a write (read-only run)", None)
            return
        body = json_of(response)
        if isinstance(body, Mapping) and body.get("error") == "Validation failed" and "details" in body:
            follows, observed = GUIDE, f'{response.status_code} "Validation failed" + details'
        elif isinstance(body, Mapping) and body.get("error") == "validation_error" and "issues" in body:
            follows, observed = REFERENCE, f'{response.status_code} "validation_error" + issues'
        else:
            follows, observed = NEITHER, f"{response.status_code}"
        self.add("validation error", family, follows, observed, response)

    def _consumers(self, family: Family) -> None:
        c = self.client
        candidates: list[str] = []
        if not self.read_only:
            everyone = {"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [0]}
            made = c.post(
                family.path("/audiences"),
                json_body={"name": self.name(), "type": "DYNAMIC", "rules": [everyone]},
            )
            if made.is_success and isinstance(json_of(made), Mapping):
                candidates.append(str(json_of(made).get("id")))
        listing = json_of(c.get(family.path("/audiences")))
        items = (
            listing
            if isinstance(listing, list)
            else (listing.get("data") if isinstance(listing, Mapping) else None) or []
        )
        candidates += [
            str(i["id"]) for i in items[:10] if isinstance(i, Mapping) and i.get("type") == "DYNAMIC"
        ]
        for audience_id in dict.fromkeys(candidates):
            for _ in range(5):  # a real server materializes in the background
                page = c.get(family.path(f"/audiences/{audience_id}/members"), params={"first": 1})
                data = (json_of(page) or {}).get("data") if isinstance(json_of(page), Mapping) else None
                if data:
                    member = data[0]
                    guide = "totalOrderValue" in member
                    reference = "ltv" in member or "aov" in member
                    follows = (
                        BOTH
                        if guide and reference
                        else GUIDE
                        if guide
                        else REFERENCE
                        if reference
                        else NEITHER
                    )
                    fields = [k for k in ("totalOrderValue", "externalId", "ltv", "aov") if k in member]
                    self.add("consumer shape", family, follows, ", ".join(fields) or "neither's fields", page)
                    return
                if page.status_code != 200:
                    break
        self.add("consumer shape", family, UNJUDGED, "no dynamic audience with members to look at", None)

    def _import(self, family: Family, audience_id: str) -> None:
        c = self.client
        started = c.post(family.path(f"/audiences/{audience_id}/import"))
        body = json_of(started)
        if not (started.is_success and isinstance(body, Mapping) and isinstance(body.get("uploadUrl"), str)):
            self.add(
                "import status names",
                family,
                UNJUDGED,
                f"import not started ({started.status_code})",
                started,
            )
            return
        upload = str(body["uploadUrl"])
        base = urlsplit(str(c.http.base_url))
        target = urlsplit(upload)
        csv = b"email\n" + f"{self.prefix}drift@example.com\n".encode()
        if target.netloc == base.netloc or not target.netloc:
            put = c.request(
                "PUT",
                target.path + (f"?{target.query}" if target.query else ""),
                content=csv,
                headers={"Content-Type": "text/csv"},
            )
        else:
            c.guard.admit("PUT", upload)
            put = httpx.put(upload, content=csv, headers={"Content-Type": "text/csv"}, timeout=30)
        seen: list[str] = [str(body.get("status"))]
        final: httpx.Response | None = put
        for _ in range(20):
            if family is V1:
                # The guide has no read of one import; a job may only progress when it is read, which the
                # reference's GET .../import does (same world). Only the guide's own rendering is judged.
                c.get(API.path(f"/audiences/{audience_id}/import"))
                final = c.get(family.path(f"/audiences/{audience_id}"), params={"include": "imports"})
                imports = (
                    (json_of(final) or {}).get("imports") if isinstance(json_of(final), Mapping) else None
                )
                status = imports[-1].get("status") if imports else None
            else:
                final = c.get(family.path(f"/audiences/{audience_id}/import"))
                status = (json_of(final) or {}).get("status") if isinstance(json_of(final), Mapping) else None
            if status and status not in seen:
                seen.append(str(status))
            if status in ("SUCCESS", "COMPLETED", "FAILED"):
                break
        follows = GUIDE if "SUCCESS" in seen else REFERENCE if "COMPLETED" in seen else UNJUDGED
        self.add("import status names", family, follows, " -> ".join(seen), final)

    def _delete(self, family: Family, audience_id: str) -> None:
        response = self.client.delete(family.path(f"/audiences/{audience_id}"))
        body = json_of(response)
        if response.is_success:
            self.client.guard.ledger.mark_deleted("audience", audience_id)
        if isinstance(body, Mapping) and body.get("archived") is True:
            self.add(
                "delete answer",
                family,
                REFERENCE,
                f"{response.status_code} with the archived entity",
                response,
            )
        elif response.status_code == 204 or not response.content:
            self.add("delete answer", family, GUIDE, f"{response.status_code} without a body", response)
        else:
            self.add("delete answer", family, NEITHER, str(response.status_code), response)
