"""The built wheel carries the spec: an installed copy finds its OpenAPI documents without a checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import fanfare_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = ["wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)]
    subprocess.run(
        [sys.executable, "-m", "pip", *build],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("fanfare_mock-*.whl")
    return built


def test_the_wheel_holds_the_bundled_documents_and_their_sources(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for document in ("fanfare.json", "mock.json", "src/fanfare.yaml", "RECONCILIATION.md"):
        assert f"fanfare_spec/openapi/{document}" in names
    assert any(name.endswith("entry_points.txt") for name in names)


def test_an_unpacked_wheel_loads_its_own_spec(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    probe = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import fanfare_spec; "
        "print(fanfare_spec.path_of('fanfare')); print(len(fanfare_spec.load()['paths']))"
    )
    result = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=True)
    path, paths = result.stdout.split()
    assert Path(path).is_relative_to(tmp_path)
    assert int(paths) == len(fanfare_spec.load()["paths"])
