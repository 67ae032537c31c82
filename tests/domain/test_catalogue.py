"""The fake ESP catalogue: deterministic per (seed, organization), vendor id styles, the guide's list ids."""

from __future__ import annotations

import re

import pytest

from mock_server.domain.sync import (
    GUIDE_KLAVIYO_LISTS,
    LISTS_PER_VENDOR,
    MAX_PROFILES,
    MIN_PROFILES,
    Catalogue,
    Vendor,
)

LIST_ID = {
    Vendor.KLAVIYO: re.compile(r"^[A-Za-z0-9]{6}$"),
    Vendor.MAILCHIMP: re.compile(r"^[0-9a-f]{10}$"),
    Vendor.SENDGRID: re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
}
PROFILE_ID = {
    Vendor.KLAVIYO: re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$"),
    Vendor.MAILCHIMP: re.compile(r"^[0-9a-f]{32}$"),
    Vendor.SENDGRID: LIST_ID[Vendor.SENDGRID],
}


@pytest.mark.parametrize(("seed", "org"), [(0, "org-a"), (42, "org-b"), ("text-seed", "org-a")])
def test_the_guide_example_klaviyo_lists_always_exist(seed: int | str, org: str) -> None:
    catalogue = Catalogue(seed, org)
    for list_id, name in GUIDE_KLAVIYO_LISTS:
        found = catalogue.find_list(Vendor.KLAVIYO, list_id)
        assert found is not None and found.name == name


@pytest.mark.parametrize("vendor", list(Vendor))
def test_each_vendor_has_its_own_id_styles_and_modest_lists(vendor: Vendor) -> None:
    catalogue = Catalogue(7, "org-a")
    lists = catalogue.lists(vendor)
    assert len(lists) == LISTS_PER_VENDOR[vendor]
    assert len({item.id for item in lists}) == len(lists) and len({item.name for item in lists}) == len(lists)
    for item in lists:
        assert LIST_ID[vendor].match(item.id), item.id
        profiles = catalogue.profiles(vendor, item.id)
        assert MIN_PROFILES <= len(profiles) == item.profile_count <= MAX_PROFILES
        assert len({p.email for p in profiles}) == len(profiles)
        phones = [p.phone for p in profiles if p.phone]
        assert len(set(phones)) == len(phones) and all(re.match(r"^\+1555\d{7}$", p) for p in phones)
        assert all(PROFILE_ID[vendor].match(p.id) for p in profiles)


def test_mailchimp_member_ids_are_the_md5_of_the_email() -> None:
    import hashlib

    catalogue = Catalogue(7, "org-a")
    profile = catalogue.profiles(Vendor.MAILCHIMP, catalogue.lists(Vendor.MAILCHIMP)[0].id)[0]
    assert profile.id == hashlib.md5(profile.email.encode(), usedforsecurity=False).hexdigest()


def test_same_seed_and_org_give_the_same_catalogue_byte_for_byte() -> None:
    def dump(c: Catalogue) -> list[object]:
        return [(item, c.profiles(v, item.id)) for v in Vendor for item in c.lists(v)]

    assert dump(Catalogue(7, "org-a")) == dump(Catalogue(7, "org-a"))
    assert dump(Catalogue(7, "org-a")) != dump(Catalogue(7, "org-b"))
    assert dump(Catalogue(7, "org-a")) != dump(Catalogue(8, "org-a"))


def test_lists_share_people_so_syncs_overlap() -> None:
    catalogue = Catalogue(7, "org-a")
    klaviyo = {
        p.email
        for item in catalogue.lists(Vendor.KLAVIYO)
        for p in catalogue.profiles(Vendor.KLAVIYO, item.id)
    }
    mailchimp = {
        p.email
        for item in catalogue.lists(Vendor.MAILCHIMP)
        for p in catalogue.profiles(Vendor.MAILCHIMP, item.id)
    }
    assert klaviyo & mailchimp


def test_unknown_lists_have_no_profiles() -> None:
    catalogue = Catalogue(7, "org-a")
    assert catalogue.find_list(Vendor.KLAVIYO, "nope00") is None
    assert catalogue.profiles(Vendor.SENDGRID, "YwxYPP") == ()
    assert Vendor.KLAVIYO.list_source_type == "klaviyo:list"
