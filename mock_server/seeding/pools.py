"""Value pools drawn from Faker once per seed: names, email domains, places. Combining them is numpy's job."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from mock_server.domain.consumers import Location

#: (country, Faker locale for its regions, E.164 calling code, share of consumers)
COUNTRIES: tuple[tuple[str, str, str, float], ...] = (
    ("US", "en_US", "1", 0.52),
    ("GB", "en_GB", "44", 0.12),
    ("CA", "en_CA", "1", 0.07),
    ("AU", "en_AU", "61", 0.06),
    ("DE", "de_DE", "49", 0.07),
    ("FR", "fr_FR", "33", 0.06),
    ("ES", "es_ES", "34", 0.04),
    ("IT", "it_IT", "39", 0.03),
    ("MX", "es_MX", "52", 0.03),
)
COMMON_DOMAINS = (
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "aol.com",
    "proton.me",
)
TEAMS = (
    "Lakers", "Celtics", "Warriors", "Bulls", "Knicks", "Heat", "Yankees", "Dodgers", "Red Sox", "Cubs",
    "Cowboys", "Packers", "Chiefs", "Eagles", "Arsenal", "Liverpool", "Manchester United", "Chelsea",
    "Real Madrid", "Barcelona", "Bayern Munich", "Juventus", "PSG", "Maple Leafs", "Canadiens",
)  # fmt: skip
CHANNELS = ("web", "ios", "android", "store", "referral")
INTERESTS = ("sneakers", "streetwear", "music", "gaming", "sports", "art", "collectibles", "tech")
PLACES_PER_COUNTRY = 40


@dataclass(frozen=True, slots=True)
class Pools:
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    first_slugs: tuple[str, ...]  # email-safe spellings of the names above
    last_slugs: tuple[str, ...]
    domains: tuple[str, ...]  # common providers first
    locations: tuple[Location, ...]
    location_country: tuple[int, ...]  # index into COUNTRIES per location


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z]", "", ascii_name) or "user"


def _distinct(draw: object, count: int) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for _ in range(count * 4):
        seen.setdefault(draw(), None)  # type: ignore[operator]
        if len(seen) == count:
            break
    return tuple(seen)


#: The Faker providers the pools draw from (the names, domains, places and regions below). A Faker built
#: with every provider spends most of its construction finding each one's locale modules on disk.
_PROVIDERS = frozenset(
    f"faker.providers.{name}" for name in ("address", "company", "geo", "internet", "person")
)


@cache
def _faker(locale: str, role: str) -> Any:
    """One Faker per (locale, role) for the process, built with only the providers the pools use and
    reseeded for every draw: what it draws for a seed is the same as a fresh `Faker(locale)`'s (the
    tests compare), in a fraction of the time. `role` keeps the names Faker apart from a region one of
    the same locale, whose draws interleave."""
    from faker import Faker  # imported here: it costs about 0.3 s, and a server with no tenant yet needs none
    from faker.config import PROVIDERS

    return Faker(locale, providers=[p for p in PROVIDERS if p in _PROVIDERS])


@lru_cache(maxsize=4)
def pools_for_seed(seed: int) -> Pools:
    """Draw every pool from Faker once for a seed (a few hundred calls, tens of milliseconds once the
    Fakers exist; `fanfare-mock serve` draws its seed's before it serves)."""
    return draw_pools(seed, _faker)


def draw_pools(seed: int, faker: Callable[[str, str], Any]) -> Pools:
    """The pools for a seed from the Fakers `faker(locale, role)` gives (reseeded here)."""
    fake = faker("en_US", "names")
    fake.seed_instance(seed)
    first = _distinct(fake.first_name, 400)
    last = _distinct(fake.last_name, 600)
    domains = COMMON_DOMAINS + _distinct(fake.free_email_domain, 6) + _distinct(fake.domain_name, 30)
    locations: list[Location] = []
    countries: list[int] = []
    for c, (country, locale, _code, _share) in enumerate(COUNTRIES):
        local = faker(locale, "regions")
        local.seed_instance(seed * 1_000 + c)
        for _ in range(PLACES_PER_COUNTRY):
            place = fake.local_latlng(country_code=country)
            if place is None:
                continue
            region = local.administrative_unit() if hasattr(local, "administrative_unit") else None
            location = Location(city=place[2], region=region, country=country, timezone=place[4])
            if location not in locations:
                locations.append(location)
                countries.append(c)
    return Pools(
        first_names=first,
        last_names=last,
        first_slugs=tuple(_slug(n) for n in first),
        last_slugs=tuple(_slug(n) for n in last),
        domains=tuple(dict.fromkeys(domains)),
        locations=tuple(locations),
        location_country=tuple(countries),
    )
