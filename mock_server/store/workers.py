"""`serve --workers N`: uvicorn starts N processes on one socket and each builds its app from the import
string `mock_server.store.workers:worker_app`, with the serve options passed in the environment."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from mock_server.store.log import open_log

_OPTIONS = "FANFARE_MOCK_WORKER_OPTIONS"


def worker_options(options: dict[str, Any]) -> dict[str, str]:
    """The environment that hands `options` (create_app's keyword arguments) to every worker."""
    return {_OPTIONS: json.dumps(options)}


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

    options = json.loads(os.environ[_OPTIONS])
    if options.get("keys") is not None:
        options["keys"] = tuple(options["keys"])
    if options.get("cors_origins") is not None and not isinstance(options["cors_origins"], str):
        options["cors_origins"] = tuple(options["cors_origins"])
    if options.get("control_cors_origins") is not None:
        options["control_cors_origins"] = tuple(options["control_cors_origins"])
    return create_app(**options)
