"""The README's pytest-plugin examples, run as written from a project outside this repository.

The blocks are copied out of README.md into an empty folder and run with this environment's pytest, so
only the installed package's `pytest11` plugin is in play (no conftest, no ini file of this repository).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def plugin_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The pytest plugin") : text.index("## The contract suite")]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_the_readme_shows_the_examples_this_test_runs() -> None:
    tests = [name for block in plugin_blocks() for name in re.findall(r"^def (test_\w+)", block, re.M)]
    assert {"test_my_client_sends_the_right_request", "test_a_bigger_world_on_a_real_port"} <= set(tests)
    assert len(tests) == 6, tests


def test_every_readme_example_passes_in_a_project_of_its_own(tmp_path: Path) -> None:
    blocks = plugin_blocks()
    for number, block in enumerate(blocks):
        (tmp_path / f"test_readme_{number}.py").write_text(block, encoding="utf-8")
    expected = sum(len(re.findall(r"^def test_", block, re.M)) for block in blocks)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"{expected} passed" in output and "skipped" not in output, output
    assert f"rootdir: {tmp_path}" in output, "the run must not pick up this repository's configuration"
