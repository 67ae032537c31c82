"""Fixtures for the contract suite's own tests: the stand-in app, and options pointing at it."""

from __future__ import annotations

from typing import Any

import pytest
from contract_standin import SECOND, STANDIN_SCENARIOS, TOKEN, StandIn, standin_spec

from contracts.options import RunOptions


@pytest.fixture(scope="session")
def standin_document() -> dict[str, Any]:
    return standin_spec()


@pytest.fixture
def standin() -> StandIn:
    return StandIn(consumers=45)


@pytest.fixture
def standin_options(standin: StandIn, standin_document: dict[str, Any]) -> RunOptions:
    return RunOptions(
        base_url="http://standin.test",
        token=TOKEN,
        second_token=SECOND,
        family="v1",
        spec=standin_document,
        app=standin,
        max_examples=3,
        seed=7,
        only_scenarios=STANDIN_SCENARIOS,
    )


@pytest.fixture(scope="session")
def mock_app_factory():  # type: ignore[no-untyped-def]
    """Builds a fresh mock (seed 1, 200 consumers per organization) per call (tests may import the mock)."""
    from mock_server.app import create_app

    def build():  # type: ignore[no-untyped-def]
        # the suite reaches it in-process as http://mock.test; its upload URLs must point there too
        return create_app(seed=1, consumers=200, public_url="http://mock.test")

    return build
