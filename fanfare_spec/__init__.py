"""Where the reconciled OpenAPI documents live, and how to read them.

This is the only module that knows the location of `openapi/`; the mock server, the contract suite,
the tests and the benchmarks all load the spec through it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["DOCUMENTS", "bundle", "load", "path_of", "source_dir", "spec_dir"]

#: The documents we ship: the Admin API (both route families) and the mock's own endpoints.
DOCUMENTS = ("fanfare", "mock")


@cache
def spec_dir() -> Path:
    """The `openapi/` folder: inside the installed wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "openapi", here.parent / "openapi"):
        if (candidate / "fanfare.json").is_file() or (candidate / "src").is_dir():
            return candidate
    raise FileNotFoundError(
        f"the OpenAPI documents are missing: looked in {here / 'openapi'} and {here.parent / 'openapi'}"
    )


def source_dir() -> Path:
    """The hand-written YAML sources the bundled JSON documents are built from."""
    return spec_dir() / "src"


def path_of(name: str = "fanfare") -> Path:
    """The bundled single-file JSON document, the file to give other tools (Prism, schemathesis)."""
    if name not in DOCUMENTS:
        raise ValueError(f"unknown document {name!r}; expected one of {', '.join(DOCUMENTS)}")
    return spec_dir() / f"{name}.json"


def load(name: str = "fanfare") -> dict[str, Any]:
    """A fresh copy of one bundled document (callers may mutate it)."""
    return json.loads(_text(name))  # type: ignore[no-any-return]


@cache
def _text(name: str) -> str:
    return path_of(name).read_text(encoding="utf-8")


def bundle(name: str = "fanfare", *, recorded: bool = True) -> dict[str, Any]:
    """Build one document from its YAML sources.

    A root file `src/<name>.yaml` may list part files under `x-parts`; each part holds `paths` and
    `components` that are merged into the root. A name defined twice with different content is an error,
    so parts cannot silently shadow each other. `x-examples` names the file of recorded success examples
    (`fanfare-mock spec --record-examples`): its section `<name>` holds, by operationId, status and media
    type, named examples that are added to those responses (`recorded=False` leaves them out: the
    recorder's own starting point). An example name is unique per operation.
    """
    import yaml  # only needed when bundling, never when serving

    src = source_dir()
    root: dict[str, Any] = yaml.safe_load((src / f"{name}.yaml").read_text(encoding="utf-8"))
    parts = root.pop("x-parts", [])
    examples = root.pop("x-examples", None)
    for part_name in parts:
        part = yaml.safe_load((src / part_name).read_text(encoding="utf-8"))
        _merge(root, part, part_name)
    if examples is not None and recorded:
        book = yaml.safe_load((src / examples).read_text(encoding="utf-8")) or {}
        _add_examples(root, book.get(name) or {}, examples)
    return root


def _add_examples(root: dict[str, Any], recorded: dict[str, Any], origin: str) -> None:
    operations = {
        operation["operationId"]: operation
        for item in root.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for operation_id, statuses in recorded.items():
        operation = operations.get(operation_id)
        if operation is None:
            raise ValueError(f"{origin}: no operation {operation_id}")
        taken = {
            example
            for response in operation.get("responses", {}).values()
            for media in _content(root, response).values()
            for example in media.get("examples") or {}
        }
        for status, media_types in statuses.items():
            response = operation.get("responses", {}).get(str(status))
            if response is None or "$ref" in response:
                raise ValueError(f"{origin}: {operation_id} has no inline response {status}")
            for media_type, examples in media_types.items():
                media = response.get("content", {}).get(media_type)
                if media is None:
                    raise ValueError(f"{origin}: {operation_id} {status} declares no {media_type}")
                for example_name, example in examples.items():
                    if example_name in taken:
                        raise ValueError(f"{origin}: {operation_id} already has an example {example_name!r}")
                    taken.add(example_name)
                    media.setdefault("examples", {})[example_name] = example


def _content(root: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """A response's content, through one `#/components/responses/...` reference."""
    reference = response.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/components/responses/"):
        response = root.get("components", {}).get("responses", {}).get(reference.rsplit("/", 1)[1], {})
    return response.get("content") or {}


def _merge(root: dict[str, Any], part: dict[str, Any], origin: str) -> None:
    unknown = set(part) - {"paths", "components"}
    if unknown:
        raise ValueError(f"{origin}: a part may only hold paths and components, not {sorted(unknown)}")
    sections: list[tuple[dict[str, Any], dict[str, Any], str]] = [
        (root.setdefault("paths", {}), part.get("paths") or {}, "paths")
    ]
    for kind, entries in (part.get("components") or {}).items():
        sections.append(
            (root.setdefault("components", {}).setdefault(kind, {}), entries, f"components/{kind}")
        )
    for target, entries, where in sections:
        for key, value in entries.items():
            if key in target and target[key] != value:
                raise ValueError(f"{origin}: {where}/{key} is already defined differently")
            target[key] = value
