"""Seeded consumers: deterministic byte for byte, unique emails, plausible distributions, progress."""

from __future__ import annotations

import numpy as np

from mock_server.domain.consumers import NUMERIC_COLUMNS, MetadataStore
from mock_server.seeding import consumer_source, generate_columns

N = 20_000


def fingerprint(seed: int, n: int = N) -> bytes:
    columns = generate_columns(seed, n)
    parts = [columns.numeric[name].tobytes() for name in NUMERIC_COLUMNS]
    parts += [
        "\x00".join(v or "\x01" for v in columns.strings[name]).encode() for name in sorted(columns.strings)
    ]
    parts += [repr(columns.locations).encode(), _metadata_bytes(columns.metadata, n)]
    return b"|".join(parts)


def _metadata_bytes(store: MetadataStore, n: int) -> bytes:
    return repr([store.record(i) for i in range(0, n, 97)]).encode()


def test_the_same_seed_gives_the_same_columns_byte_for_byte() -> None:
    assert fingerprint(3) == fingerprint(3)
    assert fingerprint(3) != fingerprint(4)  # (organizations share their seed's columns: see the World)


def test_identity_columns() -> None:
    columns = generate_columns(5, N)
    emails = columns.strings["email"]
    assert len(set(emails)) == N and all(e and e == e.casefold() and "@" in e for e in emails)
    phones = [p for p in columns.strings["phone"] if p]
    assert 0.8 * N < len(phones) < 0.9 * N and len(set(phones)) == len(phones)
    assert all(p.startswith("+") and p[1:].isdigit() for p in phones)
    hi = columns.numeric["id_hi"]
    assert np.all(hi[1:] >= hi[:-1])  # ids follow positions, so an id lookup is a binary search
    assert np.all(np.diff(columns.numeric["created_at"]) >= 0)


def test_distributions_are_plausible() -> None:
    columns = generate_columns(5, N)
    orders = columns.numeric["total_orders"]
    ltv = columns.numeric["ltv_cents"]
    assert 0.15 < np.mean(orders == 0) < 0.3  # some never ordered
    assert np.median(orders[orders > 0]) <= 6 and orders.max() > 50  # a few, with a long tail
    assert np.corrcoef(orders, ltv)[0, 1] > 0.5  # value follows orders
    assert np.all((ltv == 0) == (orders == 0))
    missing_last_order = columns.numeric["last_order_at"] == np.iinfo(np.int64).min
    assert np.array_equal(missing_last_order, orders == 0)
    vip = columns.metadata.column("vip")
    team = columns.metadata.column("favoriteTeam")
    assert vip is not None and team is not None
    assert 0.01 < np.mean(vip[0] == 1) < 0.15 and 0.25 < np.mean(team[0] >= 0) < 0.45


def test_progress_is_reported_up_to_the_total() -> None:
    seen: list[tuple[int, int]] = []
    consumer_source(1, 250_000, lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 250_000) and seen[-1] == (250_000, 250_000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 3
