"""The pinned Node tools (tests/ecosystem/package.json): installed with `npm ci` when missing or stale."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NODE_MODULES = HERE / "node_modules"

# No telemetry, no update notices, no funding banners: a test run talks to the registry only for `npm ci`.
NODE_ENV = {
    **os.environ,
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_UPDATE_NOTIFIER": "1",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
}


def _installed_lock() -> Path:
    return NODE_MODULES / ".package-lock.json"


@pytest.fixture(scope="session")
def node_bin() -> Path:
    """`node_modules/.bin` of the pinned tools, after `npm ci` if the lock file changed since the install."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("node and npm are required for the ecosystem tests (CI installs them)")
    lock = HERE / "package-lock.json"
    if not _installed_lock().is_file() or _installed_lock().stat().st_mtime < lock.stat().st_mtime:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            env=NODE_ENV,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return NODE_MODULES / ".bin"


Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="session")
def node_run(node_bin: Path) -> Run:
    """Run one of the pinned tools by name (`redocly`, `openapi-typescript`, `tsc`), or `node`."""

    def run(
        tool: str, *args: str, cwd: Path = ROOT, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        command = tool if tool == "node" else str(node_bin / tool)
        return subprocess.run(
            [command, *args], cwd=cwd, env=NODE_ENV, capture_output=True, text=True, timeout=timeout
        )

    return run
