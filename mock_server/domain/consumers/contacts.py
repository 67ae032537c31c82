"""Email addresses and phone numbers as identifiers: what makes one valid, and its normal form."""

from __future__ import annotations

import re

EMAIL_PATTERN = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+$")
# E.164: a plus, a country code that does not start with 0, at most 15 digits in all. We ask for at least
# 7 digits so that `+12` is refused; spaces, dashes, dots and brackets are removed first (people type them).
PHONE_PATTERN = re.compile(r"^\+[1-9]\d{6,14}$")
PHONE_NOISE = re.compile(r"[\s\-().]")
#: Longer addresses are refused (the SMTP limit).
MAX_EMAIL = 254


def normalise_email(value: str) -> str | None:
    email = value.strip().lower()
    return email if len(email) <= MAX_EMAIL and EMAIL_PATTERN.match(email) else None


def normalise_phone(value: str) -> str | None:
    # Most cells are already E.164: the same test as the pattern, without a regex (str.isdecimal is the
    # pattern's \d, Unicode category Nd, and a string of such digits holds no noise to remove).
    if 8 <= len(value) <= 16 and value[0] == "+" and "1" <= value[1] <= "9" and value[2:].isdecimal():
        return value
    phone = PHONE_NOISE.sub("", value)
    return phone if PHONE_PATTERN.match(phone) else None


def looks_like_identifier(cell: str) -> bool:
    """An email or a phone number as typed (what a header cell is not)."""
    return bool(EMAIL_PATTERN.match(cell) or PHONE_PATTERN.match(PHONE_NOISE.sub("", cell)))
