"""The serving process's collector policy: a full collection's survivors are frozen, and what a reset or
reseed lets go of is still freed (give_back unfreezes before it collects)."""

from __future__ import annotations

import gc
import weakref

from mock_server.seeding import give_back
from mock_server.web.collector import install_collector_policy, remove_collector_policy


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector can free it


def test_survivors_are_frozen_and_a_given_back_cycle_is_freed() -> None:
    install_collector_policy()
    install_collector_policy()  # idempotent
    try:
        node = _Node()
        ref = weakref.ref(node)
        gc.collect()
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert ref() is not None  # frozen: full collections no longer walk it
        give_back()
        assert ref() is None
    finally:
        remove_collector_policy()
        gc.unfreeze()
    assert (
        len([cb for cb in gc.callbacks if getattr(cb, "__module__", "") == "mock_server.web.collector"]) == 0
    )
