"""The domain core stays pure: no web, HTTP, Faker or openapi-core imports, no wall clock, no global state."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "mock_server" / "domain"
FORBIDDEN_IMPORTS = (
    "starlette",
    "uvicorn",
    "openapi_core",
    "faker",
    "httpx",
    "requests",
    "aiohttp",
    "http",
    "urllib.request",
    "schemathesis",
    "mock_server.web",
    "mock_server.seeding",
    "mock_server.cli",
    "mock_server.serving",
)
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
}
MODULES = sorted(DOMAIN.rglob("*.py"))  # every package of the domain, at any depth


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(DOMAIN).as_posix())
def test_domain_module_imports_nothing_impure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [n for n in _imports(tree) if any(n == f or n.startswith(f + ".") for f in FORBIDDEN_IMPORTS)]
    assert not bad, f"{path.name} imports {bad}: the domain must stay pure"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(DOMAIN).as_posix())
def test_domain_module_never_reads_the_wall_clock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [
        (node.func.value.id, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
    ]
    assert not [c for c in calls if c in WALL_CLOCK], f"{path.name} reads the wall clock: use Clock.now()"


MUTATORS = {
    "append",
    "extend",
    "insert",
    "update",
    "add",
    "setdefault",
    "pop",
    "popitem",
    "clear",
    "remove",
    "discard",
}


def _module_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(DOMAIN).as_posix())
def test_domain_module_holds_no_global_state(path: Path) -> None:
    """Module-level tables are constants (UPPER_CASE, never mutated); state lives in objects passed in."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Global)], f"{path.name} uses `global`"
    problems = []
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        mutable = isinstance(
            value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp
        ) or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in {"list", "dict", "set"}
        )
        for target in targets:
            if mutable and isinstance(target, ast.Name) and not target.id.lstrip("_").isupper():
                problems.append(f"line {node.lineno}: {target.id} is a mutable module-level container")
    module_names = _module_names(tree)
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in module_names
                and node.func.attr in MUTATORS
            ):
                problems.append(f"line {node.lineno}: {func.name} mutates module-level {node.func.value.id}")
            if isinstance(node, ast.Assign | ast.AugAssign):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Name)
                        and target.value.id in module_names
                    ):
                        problems.append(
                            f"line {node.lineno}: {func.name} writes into module-level {target.value.id}"
                        )
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_the_domain_imports_without_the_web_layer() -> None:
    import subprocess
    import sys

    code = (
        "import sys, importlib, pkgutil, mock_server.domain as d\n"
        "for m in pkgutil.walk_packages(d.__path__, 'mock_server.domain.'): importlib.import_module(m.name)\n"
        "web = ('starlette', 'faker', 'openapi_core', 'httpx')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in web]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
