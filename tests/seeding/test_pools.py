"""The pools a seed draws are Faker's, whether drawn by the process's reused, lightly built Fakers or by
fresh ones with every provider (what the pools were drawn from before)."""

from __future__ import annotations

from faker import Faker

from mock_server.seeding.pools import _faker, draw_pools, pools_for_seed


def _fresh(locale: str, role: str) -> Faker:
    return Faker(locale)  # every provider, found on disk, as `pools_for_seed` once built its Fakers


def test_pools_are_those_of_fresh_full_fakers() -> None:
    for seed in (1, 20261203):
        assert pools_for_seed(seed) == draw_pools(seed, _fresh)


def test_reused_fakers_draw_a_seed_the_same_after_another_seed() -> None:
    first = draw_pools(5, _faker)
    draw_pools(6, _faker)
    assert draw_pools(5, _faker) == first
    assert len(first.first_names) == 400 and len(first.locations) > 100
