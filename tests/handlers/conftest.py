"""Helpers for the end-to-end handler tests: they drive the real app in-process through the fanfare_mock
fixture (strict response validation on, so every reply is also checked against the spec)."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.pytest_plugin import InProcessMock

OTHER_KEY = "sk_test_other_tenant"


def created(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def client(fanfare_mock: InProcessMock) -> Any:
    return fanfare_mock.client


@pytest.fixture
def other(fanfare_mock: InProcessMock) -> Any:
    return fanfare_mock.client_for(OTHER_KEY)
