"""A deterministic fake ESP catalogue (Klaviyo, Mailchimp, SendGrid lists and profiles) per seed and org.

Pure Python and a seeded `random.Random` only: the same (seed, organization) gives the same lists, names
and profiles, byte for byte. The guide's example Klaviyo list ids always exist.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from types import MappingProxyType
from uuid import UUID


class Vendor(Enum):
    KLAVIYO = "klaviyo"
    MAILCHIMP = "mailchimp"
    SENDGRID = "sendgrid"

    @property
    def list_source_type(self) -> str:
        """The SyncSource `syncSource` string for this vendor's lists (`klaviyo:list` on the Klaviyo page)."""
        return f"{self.value}:list"

    @property
    def title(self) -> str:
        return {"klaviyo": "Klaviyo", "mailchimp": "Mailchimp", "sendgrid": "SendGrid"}[self.value]


#: The guide's example list ids (seed 000, Klaviyo import): they exist in every catalogue, with fixed names.
GUIDE_KLAVIYO_LISTS: tuple[tuple[str, str], ...] = (
    ("YwxYPP", "Newsletter Subscribers"),
    ("AbCdEf", "VIP Customers"),
    ("XyZaBc", "Early Access"),
)

LISTS_PER_VENDOR = MappingProxyType({Vendor.KLAVIYO: 8, Vendor.MAILCHIMP: 5, Vendor.SENDGRID: 5})
MIN_PROFILES, MAX_PROFILES = 20, 300
#: Lists draw their members from one pool of people per organization, so the same person shows up on
#: several lists (and vendors): syncing two lists exercises the email de-duplication.
POOL_SIZE = 900

_LIST_NAMES = (
    "Newsletter Subscribers", "VIP Customers", "Early Access", "Holiday Shoppers", "Sneaker Drops",
    "Abandoned Cart", "Loyalty Members", "Waitlist", "Restock Alerts", "Store Events", "SMS Subscribers",
    "Past Purchasers", "Win-Back", "Launch Day", "Members Only", "Product Updates",
)  # fmt: skip
_FIRST = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kira", "Liam",
    "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Ximena",
    "Yusuf", "Zoe",
)  # fmt: skip
_LAST = (
    "Adams", "Bauer", "Costa", "Diallo", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski",
    "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quint", "Rossi", "Silva", "Tanaka", "Usman", "Varga",
    "Weber", "Xu", "Young", "Zimmer",
)  # fmt: skip
_DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "shop.example")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True, slots=True)
class CatalogueList:
    vendor: Vendor
    id: str  # the vendor's own list id: what `listIds` carry and what a SyncSource calls `syncSourceId`
    name: str
    profile_count: int


@dataclass(frozen=True, slots=True)
class Profile:
    """One person on a vendor list, in the vendor's terms (`id` is the vendor's profile id)."""

    id: str
    email: str
    phone: str | None
    first_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        return _full_name(self.first_name, self.last_name)


@dataclass(frozen=True, slots=True)
class _Person:
    email: str
    phone: str | None
    first_name: str
    last_name: str


@dataclass(slots=True)
class Catalogue:
    """One organization's view of the fake ESPs. Lists are cheap metadata; profiles are built on demand."""

    seed: int | str
    organization: str
    _lists: dict[Vendor, tuple[CatalogueList, ...]] = field(default_factory=dict)

    def lists(self, vendor: Vendor) -> tuple[CatalogueList, ...]:
        if vendor not in self._lists:
            self._lists[vendor] = self._make_lists(vendor)
        return self._lists[vendor]

    def find_list(self, vendor: Vendor, list_id: str) -> CatalogueList | None:
        return next((item for item in self.lists(vendor) if item.id == list_id), None)

    def profiles(self, vendor: Vendor, list_id: str) -> tuple[Profile, ...]:
        """The list's members, in a stable order; empty for an unknown list.

        Made afresh on each call, not kept: a sync reads them once, and kept they would be most of what
        an organization costs (the people pool alone is about 150 KB)."""
        found = self.find_list(vendor, list_id)
        return () if found is None else self._make_profiles(found)

    # -- generation ----------------------------------------------------------------------------------

    def _rng(self, *parts: str) -> random.Random:
        # String seeds are hashed with SHA-512 by `random`, independent of PYTHONHASHSEED: stable across runs.
        return random.Random(":".join(("catalogue", str(self.seed), self.organization, *parts)))

    def _make_lists(self, vendor: Vendor) -> tuple[CatalogueList, ...]:
        rng = self._rng(vendor.value, "lists")
        fixed = GUIDE_KLAVIYO_LISTS if vendor is Vendor.KLAVIYO else ()
        names = [n for n in _LIST_NAMES if n not in {name for _, name in fixed}]
        rng.shuffle(names)
        made = [(list_id, name) for list_id, name in fixed]
        taken = {list_id for list_id, _ in fixed}
        while len(made) < LISTS_PER_VENDOR[vendor]:
            list_id = _list_id(vendor, rng)
            if list_id not in taken:
                taken.add(list_id)
                made.append((list_id, names.pop()))
        return tuple(
            CatalogueList(vendor, list_id, name, rng.randint(MIN_PROFILES, MAX_PROFILES))
            for list_id, name in made
        )

    def _people(self) -> tuple[_Person, ...]:
        rng = self._rng("people")
        people = []
        # Distinct phones: two people sharing one would be merged by the phone de-duplication.
        phones = iter(rng.sample(range(10**7), POOL_SIZE))
        for n in range(POOL_SIZE):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            # The running number keeps emails unique in the pool; one in five people has no phone.
            email = f"{first.lower()}.{last.lower()}{n}@{rng.choice(_DOMAINS)}"
            phone = f"+1555{next(phones):07d}"
            people.append(_Person(email, None if rng.random() < 0.2 else phone, first, last))
        return tuple(people)

    def _make_profiles(self, found: CatalogueList) -> tuple[Profile, ...]:
        rng = self._rng(found.vendor.value, found.id, "members")
        chosen = rng.sample(range(POOL_SIZE), found.profile_count)
        pool = self._people()
        return tuple(
            Profile(
                _profile_id(found.vendor, self.organization, pool[i].email, str(self.seed)),
                pool[i].email,
                pool[i].phone,
                pool[i].first_name,
                pool[i].last_name,
            )
            for i in chosen
        )


@cache
def _full_name(first: str, last: str) -> str:
    """One string per name (26 x 26 of them), shared by every organization's synced consumers."""
    return f"{first} {last}"


def _list_id(vendor: Vendor, rng: random.Random) -> str:
    if vendor is Vendor.KLAVIYO:
        return "".join(rng.choice(_ALNUM) for _ in range(6))  # like `YwxYPP`: six letters and digits
    if vendor is Vendor.MAILCHIMP:
        return f"{rng.getrandbits(40):010x}"  # Mailchimp audience ids: ten lowercase hex digits
    return str(UUID(int=rng.getrandbits(128), version=4))  # SendGrid list ids are UUIDs


def _profile_id(vendor: Vendor, organization: str, email: str, seed: str) -> str:
    digest = hashlib.sha256(f"{seed}:{organization}:{vendor.value}:{email}".encode()).digest()
    if vendor is Vendor.KLAVIYO:  # 26 Crockford base-32 characters, like Klaviyo's ULID-style profile ids
        value = int.from_bytes(digest[:17], "big")
        return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))
    if vendor is Vendor.MAILCHIMP:  # Mailchimp's member id is the MD5 of the lowercased email
        return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()
    return str(UUID(bytes=digest[:16], version=4))  # SendGrid contact ids are UUIDs
