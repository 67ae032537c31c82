"""Generate a seed's N consumers as columns: Faker pools combined by a seeded numpy Generator.

One base per (seed, N), shared copy-on-write by every organization of that seed (each organization
sees the base's consumers under ids of its own: see `ConsumerTable`'s id mask).

Distributions: about a fifth of consumers never ordered; the rest have a geometric-like order count
with a long tail of heavy buyers; totalOrderValue is orders x a per-consumer lognormal order value;
scores are percentiles (monetary, frequency) and recency (activity). Emails are unique (a unique
number per consumer), about 15% have no phone, and metadata carries vip, favoriteTeam, signupChannel,
birthYear and interests (an array) so `metadata.*` rules have something to match.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
from collections.abc import Callable
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt

from mock_server.domain.consumers import (
    MISSING_TIME,
    NUMERIC_COLUMNS,
    ConsumerColumns,
    MetadataStore,
    to_millis,
)
from mock_server.domain.kernel import DEFAULT_START
from mock_server.seeding.pools import CHANNELS, COUNTRIES, INTERESTS, TEAMS, Pools, pools_for_seed

Progress = Callable[[int, int], None]
_DAY_MS = 86_400_000
_HISTORY_MS = 5 * 365 * _DAY_MS  # consumers joined over the five years before the world starts
_CHUNK = 100_000
INTEREST_SETS: tuple[tuple[str, ...], ...] = tuple((i,) for i in INTERESTS) + tuple(
    combinations(INTERESTS, 2)
)


def consumer_source(seed: int, n: int, progress: Progress | None = None) -> ConsumerColumns:
    """The World's consumer source: generate, then `gc.freeze()` (once per world: its organizations share
    the base).

    Freezing moves everything alive (Faker's tables, the app, the new columns) out of the collector's
    sight, so later gen-2 collections stop walking them (toolchain notes: 333 ms pauses otherwise).
    What is garbage already is collected first: frozen, a cycle in it would never be (organizations
    hold none any more, but the rest of a discarded world may). It lives here, not in the domain,
    because it is a process-wide side effect.
    """
    columns = generate_columns(seed, n, progress)
    gc.collect()
    gc.freeze()
    return columns


def give_back() -> None:
    """Collect what a world swap or reset discarded, frozen or not, then freeze what is left alive again.

    A world that was alive when the last base was frozen (a reseed seeds the new world's pinned
    organizations before the old one is let go; a restore builds beside it) is in the permanent
    generation, where the collector never looks: unfreezing first lets any cycle in it go (a reset needs
    none of this: organizations hold no cycle, see `MockState.reset_steps`)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    trim()


def trim() -> None:
    """Hand the C heap's free pages back to the system (glibc keeps them otherwise: the RSS would stay
    at its peak after a reset); nothing where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _rng(seed: int) -> np.random.Generator:
    entropy = int.from_bytes(hashlib.sha256(f"fanfare-mock/consumers/{seed}".encode()).digest(), "big")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def _next_prime(value: int) -> int:
    candidate = value | 1
    while any(candidate % d == 0 for d in range(3, int(candidate**0.5) + 1, 2)):
        candidate += 2
    return candidate


def _unique_numbers(rng: np.random.Generator, n: int, span: int) -> npt.NDArray[np.int64]:
    """n distinct numbers below about `span`, scattered: an affine permutation modulo a prime."""
    prime = _next_prime(max(span, n + 3))
    a = int(rng.integers(2, prime - 1))
    b = int(rng.integers(0, prime))
    dtype: Any = np.int64 if prime * max(n, 1) < 2**62 else object  # object only for absurd sizes
    numbers: npt.NDArray[np.int64] = (np.arange(n, dtype=dtype) * a + b) % prime
    return numbers


def _zipf_weights(size: int) -> npt.NDArray[np.float64]:
    w = np.asarray(1.0 / (np.arange(size) + 8.0), dtype=np.float64)
    return np.asarray(w / w.sum(), dtype=np.float64)


def _percentile_score(values: npt.NDArray[Any], active: npt.NDArray[np.bool_]) -> npt.NDArray[np.int16]:
    """1..100 by rank among `active` consumers, 0 for the rest."""
    score = np.zeros(len(values), dtype=np.int16)
    idx = np.flatnonzero(active)
    if len(idx):
        ranks = np.empty(len(idx), dtype=np.int64)
        ranks[np.argsort(values[idx], kind="stable")] = np.arange(len(idx))
        score[idx] = (1 + ranks * 99 // max(1, len(idx) - 1)).astype(np.int16)
    return score


def generate_columns(seed: int, n: int, progress: Progress | None = None) -> ConsumerColumns:
    pools = pools_for_seed(seed)
    rng = _rng(seed)
    start = to_millis(DEFAULT_START)
    num: dict[str, npt.NDArray[Any]] = {}

    # identity and time: sort by join time so positions and UUIDv7 ids both follow createdAt
    created = np.sort(start - (_HISTORY_MS * (1 - rng.random(n) ** 0.6)).astype(np.int64) - _DAY_MS)
    hi = (
        (created.astype(np.uint64) << np.uint64(16))
        | np.uint64(0x7000)
        | rng.integers(0, 4096, n, dtype=np.uint64)
    )
    lo = (np.uint64(2) << np.uint64(62)) | rng.integers(0, 1 << 62, n, dtype=np.uint64)
    order = np.argsort(hi, kind="stable")  # ids equal in hi are astronomically rare; lookups scan ties
    num["id_hi"], num["id_lo"], num["created_at"] = hi[order], lo[order], created

    # orders and money
    buyer = rng.random(n) >= 0.22
    orders = np.where(buyer, 1 + rng.negative_binomial(1.2, 0.3, n), 0)
    whale = buyer & (rng.random(n) < 0.02)
    orders = (orders + np.where(whale, rng.integers(20, 300, n), 0)).astype(np.int32)
    order_value = rng.lognormal(np.log(55.0), 0.55, n)
    ltv = np.rint(orders * order_value * 100).astype(np.int64)
    since = (start - created).astype(np.float64)
    last_order = np.where(buyer, created + (since * rng.random(n) ** 0.35).astype(np.int64), MISSING_TIME)
    num["total_orders"], num["ltv_cents"], num["last_order_at"] = orders, ltv, last_order.astype(np.int64)
    num["total_returns"] = rng.binomial(orders, 0.06).astype(np.int32)
    num["updated_at"] = np.maximum(created, np.where(buyer, last_order, created)).astype(np.int64)
    lifetime = ltv // 100 + np.where(buyer, rng.integers(0, 200, n), 0)
    num["loyalty_lifetime_points"] = lifetime.astype(np.int64)
    num["loyalty_balance"] = (lifetime * rng.random(n)).astype(np.int64)

    # scores: percentiles among buyers, and recency of the last order
    num["monetary_score"] = _percentile_score(ltv, buyer)
    num["purchase_frequency_score"] = _percentile_score(orders, buyer)
    recency_days = np.where(buyer, (start - last_order) // _DAY_MS, 10_000)
    num["activity_score"] = np.clip(100 - recency_days * 100 // (2 * 365), 0, 100).astype(np.int16)

    # flags and place
    num["status"] = (rng.random(n) < 0.07).astype(np.uint8)
    num["email_verified"] = rng.random(n) < 0.82
    has_phone = rng.random(n) < 0.85
    num["phone_verified"] = has_phone & (rng.random(n) < 0.65)
    num["sms_opt_out"] = rng.random(n) < 0.12
    country_share = np.array([c[3] for c in COUNTRIES])
    loc_weights = country_share[list(pools.location_country)]
    loc_weights = loc_weights / np.bincount(pools.location_country)[list(pools.location_country)]
    geo = rng.choice(len(pools.locations), n, p=loc_weights / loc_weights.sum()).astype(np.int32)
    num["geo"] = np.where(rng.random(n) < 0.93, geo, -1).astype(np.int32)
    for name, dtype in NUMERIC_COLUMNS.items():
        num[name] = np.ascontiguousarray(num[name], dtype=dtype)
    if progress:
        progress(0, n)

    strings = _strings(rng, pools, n, geo, has_phone, progress)
    metadata = _metadata(rng, n, ltv)
    if progress:
        progress(n, n)
    return ConsumerColumns(numeric=num, strings=strings, locations=list(pools.locations), metadata=metadata)


def _strings(
    rng: np.random.Generator,
    pools: Pools,
    n: int,
    geo: npt.NDArray[np.int32],
    has_phone: npt.NDArray[np.bool_],
    progress: Progress | None,
) -> dict[str, list[str | None]]:
    first = rng.choice(len(pools.first_names), n, p=_zipf_weights(len(pools.first_names)))
    last = rng.choice(len(pools.last_names), n, p=_zipf_weights(len(pools.last_names)))
    domain_weights = np.concatenate([np.full(7, 10.0), np.ones(len(pools.domains) - 7)])
    domain = rng.choice(len(pools.domains), n, p=domain_weights / domain_weights.sum())
    pattern = rng.integers(0, 4, n)
    email_token = _unique_numbers(rng, n, 10 * n + 1_000)
    phone_number = _unique_numbers(rng, n, 999_999_937)
    external_number = _unique_numbers(rng, n, 8_999_999_000)
    has_name = rng.random(n) < 0.95
    has_external = rng.random(n) < 0.55
    codes = [COUNTRIES[c][2] for c in pools.location_country]
    calling = [codes[g] if g >= 0 else "1" for g in geo.tolist()]

    # one lookup per part: pattern 2 uses the first initial, patterns pick the separator
    heads = pools.first_slugs + tuple(s[0] for s in pools.first_slugs)
    head = first + np.where(pattern == 2, len(pools.first_slugs), 0)
    separators = (".", "", "", "_")
    phone_text = (2 + phone_number % 8) * 1_000_000_000 + phone_number % 1_000_000_000
    external_text = 1_000_000_000 + external_number

    out: dict[str, list[str | None]] = {"email": [], "phone": [], "full_name": [], "external_id": []}
    ls, fn, ln, doms = pools.last_slugs, pools.first_names, pools.last_names, pools.domains
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        sl = slice(lo, hi)
        out["email"].extend(
            f"{heads[h]}{separators[p]}{ls[m]}{t}@{doms[d]}"
            for h, p, m, t, d in zip(
                head[sl].tolist(),
                pattern[sl].tolist(),
                last[sl].tolist(),
                email_token[sl].tolist(),
                domain[sl].tolist(),
                strict=True,
            )
        )
        out["full_name"].extend(
            f"{fn[f]} {ln[m]}" if ok else None
            for f, m, ok in zip(first[sl].tolist(), last[sl].tolist(), has_name[sl].tolist(), strict=True)
        )
        out["phone"].extend(
            f"+{c}{x}" if ok else None
            for c, x, ok in zip(calling[lo:hi], phone_text[sl].tolist(), has_phone[sl].tolist(), strict=True)
        )
        out["external_id"].extend(
            f"ext_{x}" if ok else None
            for x, ok in zip(external_text[sl].tolist(), has_external[sl].tolist(), strict=True)
        )
        if progress:
            progress(hi, n)
    return out


def _categorical(
    rng: np.random.Generator, n: int, present: float, size: int, p: Any = None
) -> npt.NDArray[np.int32]:
    codes = rng.choice(size, n, p=p).astype(np.int32)
    return np.where(rng.random(n) < present, codes, -1).astype(np.int32)


def _metadata(rng: np.random.Generator, n: int, ltv: npt.NDArray[np.int64]) -> MetadataStore:
    top = ltv >= np.quantile(ltv, 0.95) if n else np.zeros(0, dtype=bool)
    vip = np.where(top | (rng.random(n) < 0.01), 1, 0)  # pool: [False, True]
    vip = np.where(rng.random(n) < 0.6, vip, np.where(top, 1, -1)).astype(np.int32)
    years = list(range(1950, 2008))
    year_p = np.exp(-(((np.array(years) - 1988) / 12.0) ** 2))
    channel_p = np.array([0.45, 0.2, 0.2, 0.1, 0.05])
    return MetadataStore.from_codes(
        n,
        {
            "vip": (vip, [False, True]),
            "favoriteTeam": (_categorical(rng, n, 0.35, len(TEAMS)), list(TEAMS)),
            "signupChannel": (_categorical(rng, n, 0.8, len(CHANNELS), channel_p), list(CHANNELS)),
            "birthYear": (_categorical(rng, n, 0.45, len(years), year_p / year_p.sum()), years),
            "interests": (_categorical(rng, n, 0.3, len(INTEREST_SETS)), [list(s) for s in INTEREST_SETS]),
        },
    )
