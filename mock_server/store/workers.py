"""`serve --workers N`: uvicorn starts N processes on one socket and each builds its app from the import
string `mock_server.store.workers:worker_app`, with the serve options passed in the environment: every
option `create_app` takes, exactly as one process would get them (the control token, the public URL,
CORS, the clock, the journal's size, the scenarios to found a new world with)."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime
from typing import Any

from mock_server.store.log import open_log

_OPTIONS = "FANFARE_MOCK_WORKER_OPTIONS"


def worker_options(options: dict[str, Any]) -> dict[str, str]:
    """The environment that hands `options` (create_app's keyword arguments) to every worker."""
    document = dict(options)
    if isinstance(document.get("clock_start"), datetime):
        document["clock_start"] = document["clock_start"].isoformat()
    document["scenarios"] = [{"name": s.name, "data": s.data} for s in document.get("scenarios") or ()]
    return {_OPTIONS: json.dumps(document)}


def check_store(target: str) -> None:
    """Reach the store once before starting workers (raises StoreUnavailable with a clear message)."""

    async def probe() -> None:
        log = open_log(target)
        try:
            await log.latest_snapshot()
        finally:
            await log.close()

    asyncio.run(probe())


def worker_app() -> Any:
    from mock_server.app import create_app
    from mock_server.scenarios.source import ScenarioSource

    options = json.loads(os.environ[_OPTIONS])
    for name in ("keys", "cors_origins", "control_cors_origins"):
        if isinstance(options.get(name), list):
            options[name] = tuple(options[name])
    if options.get("clock_start") is not None:
        options["clock_start"] = datetime.fromisoformat(options["clock_start"])
    # checked by the supervisor already; founding the world with them is the first worker's (create_app)
    options["scenarios"] = [ScenarioSource(s["name"], s["data"]) for s in options["scenarios"]]
    return create_app(**options)
