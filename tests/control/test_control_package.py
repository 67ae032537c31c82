"""The control plane's package surface and its two value types: a `Fault` and a `JournalQuery` are each
defined once, parsed from a request by the handler, built from the same fields by the pytest handles,
and never show a secret key."""

from __future__ import annotations

import inspect
import pkgutil
import subprocess
import sys
from typing import Any

import pytest

import mock_server.control as control
from mock_server.control import Fault, JournalQuery
from mock_server.pytest_plugin import Faults, Journal

KEY = "sk_test_value_types_1234"


def test_every_public_name_resolves_and_nothing_else_does() -> None:
    submodules = {module.name for module in pkgutil.iter_modules(control.__path__)}
    # A submodule, once imported, is an attribute of the package: a public name equal to one would be
    # the module, not the function, depending on import order.
    assert not submodules & set(control.__all__)
    for name in control.__all__:
        value = getattr(control, name)
        assert getattr(value, "__module__", None) != "builtins" and not inspect.ismodule(value), name
    with pytest.raises(AttributeError, match="no attribute 'scrub_bytes'"):
        control.scrub_bytes  # noqa: B018 (a submodule's own helper is not the package's)


def test_the_pytest_plugin_loads_the_value_types_without_the_shell_or_the_domain() -> None:
    probe = (
        "import sys, mock_server.pytest_plugin\n"
        "heavy = sorted(m for m in sys.modules if m.startswith(('mock_server.web', 'mock_server.domain',"
        " 'numpy', 'starlette')))\n"
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_fault_from_the_request_body_is_the_fault_the_handle_builds() -> None:
    body = {
        "operationId": "getV1Audiences",
        "status": 503,
        "error": "Down",
        "latencyMs": 20,
        "times": 2,
        "secretKey": KEY,
    }
    asked = Fault("getV1Audiences", status=503, error="Down", latency_ms=20, times=2, key=KEY)
    assert Fault.from_request(body) == asked
    assert Fault.from_request({"example": "notSynced"}) == Fault(example="notSynced")


def test_a_journal_query_from_the_request_is_the_query_the_handle_builds() -> None:
    query = {"operationId": "getV1Audiences", "status": "4xx", "secretKey": KEY, "forced": True, "after": 3}
    assert JournalQuery.from_request(query) == JournalQuery(
        "getV1Audiences", status="4xx", key=KEY, forced=True, after=3, limit=100
    )
    assert JournalQuery.from_request({}).limit == 100, "the document's default page"
    assert JournalQuery().limit is None, "a test's query is unbounded"


@pytest.mark.parametrize(
    ("method", "value_type"),
    [(Faults.add, Fault), (Journal.entries, JournalQuery), (Journal.last, JournalQuery)],
)
def test_the_handles_take_exactly_the_value_types_fields(method: Any, value_type: type) -> None:
    taken = list(inspect.signature(method).parameters.values())[1:]
    assert taken == list(inspect.signature(value_type).parameters.values())


def test_an_unknown_field_is_refused_by_the_handle(fanfare_mock: Any) -> None:
    with pytest.raises(TypeError, match="statuss"):
        fanfare_mock.faults.add("getV1Audiences", statuss=500)
    with pytest.raises(TypeError, match="operation"):
        fanfare_mock.journal.entries(operation="getV1Audiences")


def test_neither_value_shows_its_key() -> None:
    assert KEY not in repr(Fault(status=500, key=KEY))
    assert KEY not in repr(JournalQuery(key=KEY))


def test_a_missing_entry_names_the_filters_asked_for(fanfare_mock: Any) -> None:
    with pytest.raises(LookupError, match=r"matching operation_id='getV1Audiences', status='5xx'$"):
        fanfare_mock.journal.last("getV1Audiences", status="5xx")
