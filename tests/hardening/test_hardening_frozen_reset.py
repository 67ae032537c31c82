"""A reset lets go of what it drops even under serve's collector policy (survivors of every full
collection are frozen, `mock_server/web/collector.py`): an Organization holds cycles, so once frozen only
an unfreeze lets the collector free it. Without one, every per-tenant reset (the pytest plugin's, a CI
job's) and every small `reset {}` would keep the old organization for the life of the process."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from mock_server.app import create_app
from mock_server.web.collector import install_collector_policy, remove_collector_policy

KEY = "sk_test_frozen_reset"


@pytest.fixture
def collector_policy() -> Iterator[None]:
    install_collector_policy()
    try:
        yield
    finally:
        remove_collector_policy()
        gc.unfreeze()


def _frozen_organization(state: object) -> weakref.ref[object]:
    org = state.world.organization_for_key(KEY)  # type: ignore[attr-defined]
    ref = weakref.ref(org)
    del org
    gc.collect()  # a full collection: the policy freezes the organization with everything else alive
    assert gc.get_freeze_count() > 0
    return ref


def test_a_tenant_reset_frees_its_frozen_organization(collector_policy: None) -> None:
    state = create_app(consumers=50).state
    ref = _frozen_organization(state)
    state.reset(KEY)
    gc.collect()
    assert ref() is None, "the organization a tenant reset replaced is still alive"


def test_a_small_full_reset_frees_its_frozen_organizations(collector_policy: None) -> None:
    state = create_app(consumers=50).state
    ref = _frozen_organization(state)
    state.reset()
    gc.collect()
    assert ref() is None, "an organization dropped by reset {} is still alive"
