"""Every refusal text the mock can answer on the Admin API (and its upload target) is a documented
example: the texts are found in the source (each `raise` of a domain error, each error class's own
message), rendered as the error table renders them (`NotFound("Audience")` answers `Audience not
found`), and each must appear in some example of the spec, a templated part (`{...}` of an f-string,
an id or a number) matching anything."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fanfare_spec

ROOT = Path(__file__).resolve().parents[2] / "mock_server"
#: Where Admin API refusals are raised: the domain, the handlers, the dialects, the upload target.
SOURCES = [*sorted((ROOT / "domain").rglob("*.py")), *sorted((ROOT / "handlers").rglob("*.py"))]
SOURCES += [*sorted((ROOT / "views").rglob("*.py")), ROOT / "control" / "upload_grants.py"]
ERRORS = {"Invalid", "NotFound", "Conflict", "TooLarge", "Unauthorized", "Forbidden"}

#: Texts that are not refusals of the Admin API, each with the reason.
NOT_ADMIN_REFUSALS = {
    # The control plane's own checks (its 400s are in the mock document's BadRequest description).
    "reads must be 0 or more": "job policy of PUT /_mock/jobs/{kind}/progression",
    "seconds must be 0 or more": "job policy of PUT /_mock/jobs/{kind}/progression",
    "a partial success needs at least one row error": "POST /_mock/jobs/{kind}/outcomes",
    "The virtual clock supports {}": "POST /_mock/clock",
    "Job not found": "a job id of the control plane",
    # The pages: a missing asset of the dashboard or the docs (the mock document's NotFound).
    "Dashboard file not found": "GET /_mock/ui/{asset}",
    "Docs file not found": "GET /docs/{asset}",
    "Organization not found": "the dashboard's /_mock/organizations/{organizationId}",
    "Not a snapshot this mock can restore: {}: {}": "PUT /_mock/state",
    # Guards no Admin API call reaches.
    "{} must be between 1 and {}": "the schema bounds first (1 to 100) on every paged operation",
    "Use either first/after or last/before": "no operation declares last/before (backward paging is unused)",
    "A consumer with this email already exists": "the table's guard: an import updates that email's consumer",
    "{}: cannot {} from {}": "a state machine's guard: the reachable refusals have their own texts (active "
    "experience, sync in progress, import already uploaded)",
    "Sync source not found": "the sync book's lookup of the id an audience holds",
    "Members can only be removed from a static list": "no operation removes members (no caller)",
}


def _text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)  # type: ignore[misc]
    return None


def _class_messages(tree: ast.Module) -> Iterator[tuple[str, str | None]]:
    """Error classes that carry their own message: `self.message = ...` or `super().__init__(...)`."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        message = None
        for inner in ast.walk(node):
            if isinstance(inner, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == "message" for t in inner.targets
            ):
                message = _text(inner.value)
            elif (
                message is None
                and isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Attribute)
                and inner.func.attr == "__init__"
                and inner.args
            ):
                message = _text(inner.args[0])
        yield node.name, message


def refusal_texts() -> dict[str, str]:
    """text -> where it is raised."""
    found: dict[str, str] = {}
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}
    own: dict[str, str] = {}
    for tree in trees.values():
        for name, message in _class_messages(tree):
            if message is not None and any(
                isinstance(b, ast.Name) and b.id in ERRORS | {"IllegalTransition"}
                for node in ast.walk(tree)
                if isinstance(node, ast.ClassDef) and node.name == name
                for b in node.bases
            ):
                own[name] = message
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            if name in own:
                found.setdefault(own[name], where)
            elif name in ERRORS and node.exc.args:
                text = _text(node.exc.args[0])
                if text is None:
                    continue  # a message built elsewhere: its literal is found where it is written
                found.setdefault(f"{text} not found" if name == "NotFound" else text, where)
    return found


def example_strings() -> set[str]:
    strings: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            strings.add(node)

    for name in fanfare_spec.DOCUMENTS:
        document = fanfare_spec.load(name)
        for holder in _examples(document):
            walk(holder)
    return strings


def _examples(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "examples" and isinstance(value, dict):
                yield from (example.get("value") for example in value.values() if isinstance(example, dict))
            elif key == "example":
                yield value
            else:
                yield from _examples(value)
    elif isinstance(node, list):
        for item in node:
            yield from _examples(item)


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(".+".join(re.escape(part) for part in text.split("{}")))


def test_the_scan_finds_the_refusals_it_should() -> None:
    texts = refusal_texts()
    for known in ("Audience not found", "Sync already in progress", "Invalid cursor", "Too many rules"):
        assert known in texts
    assert len(texts) > 40


def test_every_refusal_text_is_in_some_example() -> None:
    documented = example_strings()
    missing = {
        text: where
        for text, where in refusal_texts().items()
        if text not in NOT_ADMIN_REFUSALS and not any(_pattern(text).fullmatch(s) for s in documented)
    }
    assert not missing, f"refusal texts no example shows: {missing}"
