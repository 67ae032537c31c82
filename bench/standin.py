"""A bare Starlette-on-uvicorn stand-in for `fanfare-mock serve`, to develop and calibrate the benchmark.

It answers only what bench/throughput.py sends (list, create and get an audience, a members page), with
no spec validation at all: it is the "bare Starlette" ceiling of DESIGN section 7, not a mock.
"""

from __future__ import annotations

import argparse
import itertools
import random

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

JSON = "application/json"


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)


def build_app(consumers: int, seed: int) -> Starlette:
    rng = random.Random(seed)
    orders = [rng.randint(0, 20) for _ in range(consumers)]
    people: list[dict[str, object]] = [
        {
            "id": f"cons_{i:08d}",
            "email": f"person{i}@example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "totalOrders": orders[i],
        }
        for i in range(consumers)
    ]
    audiences: dict[str, dict[str, object]] = {}
    thresholds: dict[str, int] = {}
    members: dict[str, list[dict[str, object]]] = {}  # materialized on the first members page, then cached
    counter = itertools.count(1)

    def authorized(request: Request) -> bool:
        return request.headers.get("authorization", "").startswith("Bearer sk_")

    async def audiences_route(request: Request) -> Response:
        if not authorized(request):
            return _json({"error": "Authentication required"}, 401)
        if request.method == "GET":
            return _json(list(audiences.values())[:20])
        body = orjson.loads(await request.body())
        audience_id = f"aud_{next(counter):016d}"
        audience = {
            "id": audience_id,
            "name": body["name"],
            "type": body["type"],
            "rules": body.get("rules", []),
        }
        audiences[audience_id] = audience
        thresholds[audience_id] = body["rules"][0]["values"][0] if body.get("rules") else 0
        return _json(audience, 201)

    async def audience_route(request: Request) -> Response:
        if not authorized(request):
            return _json({"error": "Authentication required"}, 401)
        audience = audiences.get(request.path_params["audience_id"])
        if audience is None:
            return _json({"error": "Audience not found"}, 404)
        return _json(audience)

    async def members_route(request: Request) -> Response:
        if not authorized(request):
            return _json({"error": "Authentication required"}, 401)
        audience_id = request.path_params["audience_id"]
        if audience_id not in thresholds:
            return _json({"error": "Audience not found"}, 404)
        page = members.get(audience_id)
        if page is None:
            threshold = thresholds[audience_id]
            page = members[audience_id] = [p for p, n in zip(people, orders, strict=True) if n >= threshold]
        first = int(request.query_params.get("first", "20"))
        data = page[:first]
        end = data[-1]["id"] if data else None
        return _json({"data": data, "pageInfo": {"startCursor": None, "endCursor": end}})

    return Starlette(
        routes=[
            Route("/api/v1/audiences", audiences_route, methods=["GET", "POST"]),
            Route("/api/v1/audiences/{audience_id}", audience_route, methods=["GET"]),
            Route("/api/v1/audiences/{audience_id}/members", members_route, methods=["GET"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--consumers", type=int, default=10_000)
    args = parser.parse_args()
    app = build_app(args.consumers, args.seed)
    print(f"stand-in serving on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
