"""The TypeScript route: openapi-typescript 7 generates types from the bundled documents, a flow written
with openapi-fetch type-checks under `strict` with TypeScript 5, and the compiled flow runs to the end
against a live mock (both families)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import fanfare_spec

HERE = Path(__file__).resolve().parent

pytestmark = pytest.mark.slow  # a live server, two generator runs and a compile


def test_the_typescript_flow_type_checks_and_runs(node_run: Any, fanfare_live: Any) -> None:
    generated = HERE / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    for name in fanfare_spec.DOCUMENTS:
        done = node_run(
            "openapi-typescript",
            str(fanfare_spec.path_of(name)),
            "-o",
            str(generated / f"{name}.d.ts"),
            cwd=HERE,  # not the root: openapi-typescript would read redocly.yaml's API list instead
        )
        assert done.returncode == 0, done.stdout + done.stderr
    compiled = node_run("tsc", "-p", str(HERE), timeout=600)  # strict; noEmitOnError
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    ran = node_run(
        "node", str(generated / "dist" / "flow" / "flow.js"), fanfare_live.base_url, fanfare_live.key
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.startswith("flow ok: "), ran.stdout
