"""contracts/ uses schemathesis only through its public API; everything else goes through one adapter.

The rule: outside `contracts/schemathesis_adapter.py`, a module may import `schemathesis` and use the
public names below, and nothing of `schemathesis.core`, `.engine`, `.config`, ... ; no private name of
a schemathesis object and no private name of another contracts module is reached either.
"""

from __future__ import annotations

import ast
from pathlib import Path

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
ADAPTER = CONTRACTS / "schemathesis_adapter.py"
# The documented surface: custom checks and hooks, the OpenAPI loaders, the config object, the types.
PUBLIC = frozenset({"check", "hook", "openapi", "pytest", "Config", "Case", "Response", "CheckContext"})
# Internals reached through an object rather than a module path (the engine's case metadata, the app).
PRIVATE_ATTRIBUTES = frozenset({"meta", "is_negative_at", "_unique_key", "recorder", "failure_info"})


def _modules() -> list[Path]:
    return sorted(p for p in CONTRACTS.rglob("*.py") if p != ADAPTER)


def _violations(path: Path, root: Path = CONTRACTS.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(root)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] == "schemathesis" and (len(parts) > 1 and parts[1] not in PUBLIC):
                found.append(f"{where}:{node.lineno} from {node.module} import ...")
            if parts[0] == "schemathesis" and len(parts) == 1:
                found += [
                    f"{where}:{node.lineno} from schemathesis import {a.name}"
                    for a in node.names
                    if a.name not in PUBLIC
                ]
            if parts[0] == "contracts":
                found += [
                    f"{where}:{node.lineno} imports the private {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
        elif isinstance(node, ast.Import):
            found += [
                f"{where}:{node.lineno} import {a.name}"
                for a in node.names
                if a.name.startswith("schemathesis.") and a.name.split(".")[1] not in PUBLIC
            ]
        elif isinstance(node, ast.Attribute):
            named = isinstance(node.value, ast.Name) and node.value.id == "schemathesis"
            if named and node.attr not in PUBLIC:
                found.append(f"{where}:{node.lineno} schemathesis.{node.attr}")
            if node.attr in PRIVATE_ATTRIBUTES:
                found.append(f"{where}:{node.lineno} .{node.attr}")
            schema_like = isinstance(node.value, ast.Name) and "schema" in node.value.id
            if node.attr == "app" and schema_like and isinstance(node.ctx, ast.Store):
                found.append(f"{where}:{node.lineno} assigns .app on a schema")
    return found


def test_only_the_adapter_reaches_into_schemathesis():
    problems = [line for path in _modules() for line in _violations(path)]
    assert not problems, "route these through contracts/schemathesis_adapter.py:\n" + "\n".join(problems)


def test_the_rule_sees_what_it_forbids(tmp_path: Path):
    # The scanner itself: each forbidden form is caught (so the test above cannot pass vacuously).
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import schemathesis\n"
        "from schemathesis.core.failures import Failure\n"
        "from schemathesis.engine import events\n"
        "import schemathesis.config\n"
        "from contracts.runner import _finish\n"
        "x = schemathesis.engine\n"
        "case.meta.is_negative_at(1)\n"
        "schema.app = 1\n"
        "schemathesis.openapi.from_dict({})\n"
        "@schemathesis.check\n"
        "def f(): ...\n",
        encoding="utf-8",
    )
    found = _violations(sample, tmp_path)
    assert len(found) == 8, found
    assert not any("openapi" in line or "check" in line for line in found)


def test_the_adapter_is_where_the_internals_are():
    text = ADAPTER.read_text(encoding="utf-8")
    for name in ("schemathesis.core", "schemathesis.engine", "is_negative_at", "_unique_key", "schema.app"):
        assert name in text, name
