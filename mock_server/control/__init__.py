"""The control plane: what lets a test steer the mock besides the world itself. Fault and latency rules,
the request's `Prefer`, the answers each operation declares, the request journal and its recorder, and
the `/_mock` handlers."""

from __future__ import annotations

from mock_server.control.declared import DeclaredOperation, DeclaredResponses, Example
from mock_server.control.entries import JournalBody, JournalEntry
from mock_server.control.faults import Applied, FaultBook, FaultRule
from mock_server.control.journal import DEFAULT_BODY_LIMIT, DEFAULT_CAPACITY, Journal
from mock_server.control.overrides import overrides
from mock_server.control.prefer import Preference
from mock_server.control.recorder import Log, journal_middleware, recorder

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "DEFAULT_CAPACITY",
    "Applied",
    "DeclaredOperation",
    "DeclaredResponses",
    "Example",
    "FaultBook",
    "FaultRule",
    "Journal",
    "JournalBody",
    "JournalEntry",
    "Log",
    "Preference",
    "journal_middleware",
    "overrides",
    "recorder",
]
