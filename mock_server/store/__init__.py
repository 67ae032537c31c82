"""One world that outlives the process and outgrows it: every acknowledged change is a command in an
existing engine's log (SQLite for `--state-file`, a Redis Stream for `--store`), applied in order by
every worker to its own in-memory world. `open_log` names the engine; `Replica` applies the log."""

from __future__ import annotations

from mock_server.store.log import Log, StoreUnavailable, open_log
from mock_server.store.replica import Replica

__all__ = ["Log", "Replica", "StoreUnavailable", "open_log"]
