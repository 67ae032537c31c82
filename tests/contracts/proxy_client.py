"""A scripted client of the Admin API, as a frontend's end-to-end tests would be: the proxy's traffic.

`drive(base_url, token)` walks audiences, members, counts, experiences and tiers on both families,
with one invalid create and one read after a delete. Run as a script it reads `$FANFARE_BASE_URL`
(the proxy sets it for `-- COMMAND`) and `$FANFARE_TOKEN`, and exits non-zero if a step cannot go on.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import httpx

TIERS = [
    {"name": "Bronze", "startValue": 1, "endValue": 3, "order": 0},
    {"name": "Silver", "startValue": 3, "endValue": 6, "order": 1},
    {"name": "Gold", "startValue": 6, "order": 2},
]


def drive(base_url: str, token: str) -> list[int]:
    """Send the script; returns the statuses answered, in order."""
    statuses: list[int] = []
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:

        def call(method: str, path: str, body: Any = None, **params: str) -> Any:
            response = http.request(method, path, json=body, params=params or None)
            statuses.append(response.status_code)
            try:
                return response.json()
            except ValueError:
                return None

        for prefix, static in (("/api/v1", "STATIC"), ("/api", "STATIC_LIST")):
            created = call("POST", f"{prefix}/audiences", {"name": "proxy-walk", "type": static})
            audience = created["id"]
            call("GET", f"{prefix}/audiences/{audience}")
            call("PUT", f"{prefix}/audiences/{audience}", {"name": "proxy-walk-renamed"})
            call("GET", f"{prefix}/audiences/{audience}")
            call("GET", f"{prefix}/audiences", first="5")
            call("GET", f"{prefix}/audiences/{audience}/count")
            call("POST", f"{prefix}/audiences", {"name": 5, "type": "NOPE"})
            dynamic = call(
                "POST",
                f"{prefix}/audiences",
                {
                    "name": "proxy-dynamic",
                    "type": "DYNAMIC",
                    "rules": [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [0]}],
                },
            )
            call("GET", f"{prefix}/audiences/{dynamic['id']}/members", first="5")
            call("GET", f"{prefix}/audiences/{dynamic['id']}/members", first="5", search="an")
            call(
                "POST",
                f"{prefix}/audiences/loyalty-tiers",
                {"groupName": "proxy-tiers", "attribute": "totalOrders", "tiers": TIERS},
            )
            experience = call("POST", f"{prefix}/experiences", {"name": "proxy-experience"})
            call("GET", f"{prefix}/experiences/{experience['id']}")
            call("DELETE", f"{prefix}/audiences/{audience}")
            call("GET", f"{prefix}/audiences/{audience}")
            call("GET", f"{prefix}/audiences")
    return statuses


if __name__ == "__main__":
    seen = drive(os.environ["FANFARE_BASE_URL"], os.environ.get("FANFARE_TOKEN", "sk_test_proxy_client_1"))
    print(f"proxy client: {len(seen)} requests, statuses {sorted(set(seen))}")
    sys.exit(0 if all(status < 500 for status in seen) else 1)
