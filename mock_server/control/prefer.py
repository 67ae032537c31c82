"""Prism's per-request `Prefer` header: `code=404` and `example=<name>` (RFC 7240 syntax: preferences
separated by commas, parameters by semicolons; names are case-insensitive, unknown ones ignored)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Preference"]


@dataclass(frozen=True, slots=True)
class Preference:
    """The preferences the mock acts on. `code` stays text so a malformed one can be reported as sent."""

    code: str | None = None
    example: str | None = None

    @property
    def overrides(self) -> bool:
        return self.code is not None or self.example is not None

    @property
    def status(self) -> int | None:
        """The code as a status, or None when it is not one (`abc`, `99`, `700`)."""
        code = self.code
        if code is None or len(code) != 3 or not code.isdigit() or not 100 <= int(code) <= 599:
            return None
        return int(code)

    def describe(self) -> str:
        parts = [f"code={self.code}"] if self.code is not None else []
        if self.example is not None:
            parts.append(f"example={self.example}")
        return ", ".join(parts)

    @classmethod
    def parse(cls, header: str) -> Preference:
        code: str | None = None
        example: str | None = None
        for token in header.replace(";", ",").split(","):
            name, _, value = token.partition("=")
            name = name.strip().lower()
            value = value.strip().strip('"').strip()
            if name == "code" and code is None:
                code = value
            elif name == "example" and example is None and value:
                example = value
        return cls(code, example)
