"""The serving process's collector policy: what survives a full collection is frozen.

CPython runs a full (gen-2) collection when the objects promoted since the last one exceed a quarter of
those it kept then, and each walks every tracked object alive: with a growing store (48,000 audiences,
about 200,000 objects) one took 100 to 200 ms of event loop, which set the create-audience p99. After
this policy a full collection walks only what was promoted since the previous one (the survivors before
are in the permanent generation), so its pause is that growth, not the whole store.

Frozen objects are still freed by reference counting (a deleted audience, a replaced rule set: none
of them is a cycle); only a cycle that was alive at a freeze and dies later waits. Every path that lets
go of a world or its organizations (reset, reseed, restore) calls `seeding.give_back()`, which unfreezes
and collects first, so what they held is freed. Freezes happen after full collections only, whose
spacing grows with the heap (each is a quarter more), so their number grows with the logarithm of it.
Installed by `fanfare-mock serve` only: a test process or an embedding application keeps its own policy.
"""

from __future__ import annotations

import gc
from typing import Any


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def install_collector_policy() -> None:
    """Freeze the survivors of every full collection from now on (idempotent)."""
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def remove_collector_policy() -> None:
    if _freeze_survivors in gc.callbacks:
        gc.callbacks.remove(_freeze_survivors)
