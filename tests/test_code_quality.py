"""Lint, strict typing, the import contracts and the size of modules and domain classes are part of the
suite, so CI keeps them (ruff, mypy --strict, import-linter, DESIGN.md section 6)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREES = ("mock_server", "contracts")


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes() -> None:
    result = run("mypy")  # packages and strictness come from pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold() -> None:
    """The layers of ARCHITECTURE.md and the domain's package boundaries (`.importlinter`)."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


#: Modules allowed past MAX_MODULE_LINES, each with why (the list only shrinks).
LONG_MODULES: dict[str, str] = {}
MAX_MODULE_LINES = 400

#: Domain classes allowed past MAX_PUBLIC_METHODS, each with why (the list only shrinks).
WIDE_CLASSES: dict[str, str] = {}
MAX_PUBLIC_METHODS = 20


def _modules(*trees: str) -> list[Path]:
    return sorted(p for tree in trees for p in (ROOT / tree).rglob("*.py"))


def test_no_module_is_past_about_400_lines() -> None:
    """Past about 400 lines a module is split by concept (DESIGN.md section 6), in both trees."""
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text().splitlines()) for p in _modules(*TREES)}
    long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES and name not in LONG_MODULES}
    assert long == {}, f"split these by concept (or list them in LONG_MODULES with the reason): {long}"
    healed = [name for name in LONG_MODULES if sizes.get(name, 0) <= MAX_MODULE_LINES]
    assert healed == [], f"no longer long: drop them from LONG_MODULES: {healed}"


def test_no_domain_class_has_more_than_20_public_methods() -> None:
    """Each domain class small enough to read (issue 9): at most 20 public methods (properties count)."""
    counts = {}
    for path in _modules("mock_server/domain"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                public = [
                    f
                    for f in node.body
                    if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and not f.name.startswith("_")
                ]
                counts[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = len(public)
    wide = {name: n for name, n in counts.items() if n > MAX_PUBLIC_METHODS and name not in WIDE_CLASSES}
    assert wide == {}, f"split these classes (or list them in WIDE_CLASSES with the reason): {wide}"
    healed = [name for name in WIDE_CLASSES if counts.get(name, 0) <= MAX_PUBLIC_METHODS]
    assert healed == [], f"no longer wide: drop them from WIDE_CLASSES: {healed}"
