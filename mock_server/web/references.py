"""Local `$ref` resolution inside one OpenAPI document, and JSON pointers into it.

The shell compiles validators from locations in the document (never from copies), so every schema is
named by the document's URI plus a JSON pointer; this module walks and spells those pointers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

__all__ = ["UnresolvableReference", "escape", "pointer_uri", "resolve", "resolve_ref", "unescape"]


class UnresolvableReference(ValueError):
    """A `$ref` that does not point anywhere in the document."""


def escape(token: str) -> str:
    """One JSON pointer token (RFC 6901): `~` becomes `~0`, `/` becomes `~1`."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer_uri(base_uri: str, pointer: str) -> str:
    """`base#pointer`, percent-encoding what a URI fragment cannot hold (`{id}` in path keys)."""
    return f"{base_uri}#{quote(pointer, safe='/~!$&()*+,;=:@-._')}"


def resolve_ref(document: dict[str, Any], ref: str) -> tuple[str, Any]:
    """Follow one local `$ref` (`#/components/...`); returns the target's pointer and value."""
    if not ref.startswith("#"):
        raise UnresolvableReference(f"only local references are supported, not {ref!r}")
    pointer = ref[1:]
    node: Any = document
    for raw in pointer.split("/")[1:] if pointer else ():
        token = unescape(raw)
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise UnresolvableReference(f"unresolvable reference {ref!r}") from None
    return pointer, node


def resolve(document: dict[str, Any], pointer: str, node: Any) -> tuple[str, Any]:
    """Follow `$ref` chains from `node` (found at `pointer`); returns the final pointer and value."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            raise UnresolvableReference(f"circular reference {ref!r}")
        seen.add(ref)
        pointer, node = resolve_ref(document, ref)
    return pointer, node
