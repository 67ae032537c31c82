"""The control plane: what lets a test steer the mock besides the world itself. Fault and latency rules,
the request's `Prefer`, the answers each operation declares, the request journal and its recorder, and
the `/_mock` handlers. Its two value types, `Fault` and `JournalQuery`, are what every layer passes.

Names load on first use, so the pytest plugin can take the value types without the web shell."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_server.control.declared import DeclaredOperation, DeclaredResponses, Example
    from mock_server.control.entries import JournalBody, JournalEntry
    from mock_server.control.fault import Fault
    from mock_server.control.faults import Applied, FaultBook, FaultRule
    from mock_server.control.handlers import ControlState
    from mock_server.control.journal import DEFAULT_BODY_LIMIT, DEFAULT_CAPACITY, Journal
    from mock_server.control.journal_query import JournalQuery
    from mock_server.control.overrides import override_hook
    from mock_server.control.prefer import Preference
    from mock_server.control.recorder import Log, journal_middleware, journal_recorder

#: Each public name and the module that holds it.
_HOMES = {
    "Applied": "faults",
    "ControlState": "handlers",
    "DEFAULT_BODY_LIMIT": "journal",
    "DEFAULT_CAPACITY": "journal",
    "DeclaredOperation": "declared",
    "DeclaredResponses": "declared",
    "Example": "declared",
    "Fault": "fault",
    "FaultBook": "faults",
    "FaultRule": "faults",
    "Journal": "journal",
    "JournalBody": "entries",
    "JournalEntry": "entries",
    "JournalQuery": "journal_query",
    "Log": "recorder",
    "Preference": "prefer",
    "journal_middleware": "recorder",
    "journal_recorder": "recorder",
    "override_hook": "overrides",
}

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "DEFAULT_CAPACITY",
    "Applied",
    "ControlState",
    "DeclaredOperation",
    "DeclaredResponses",
    "Example",
    "Fault",
    "FaultBook",
    "FaultRule",
    "Journal",
    "JournalBody",
    "JournalEntry",
    "JournalQuery",
    "Log",
    "Preference",
    "journal_middleware",
    "journal_recorder",
    "override_hook",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
