"""Deterministic consumer generation for the world (outside the pure domain: it uses Faker).

`consumer_source` is what `World(consumer_source=...)` takes: same seed and size, same columns, byte
for byte (one base per seed, which every organization of the world shares).
"""

from __future__ import annotations

from mock_server.seeding.generator import consumer_source, generate_columns, give_back, trim
from mock_server.seeding.pools import Pools, pools_for_seed

__all__ = ["Pools", "consumer_source", "generate_columns", "give_back", "pools_for_seed", "trim"]
