"""Give Prism a copy of our bundle it can load, changed as little as possible, and say what changed and why.

The spec itself is never edited: the copy goes to the benchmark's temporary folder. Each fix below
exists because Prism 5 was seen to fail on the construct it removes; a fix that finds nothing to change
reports nothing, so on a bundle Prism accepts as-is the copy is byte-for-byte the original.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Fix:
    name: str
    why: str
    apply: Callable[[dict[str, Any]], list[str]]  # mutates the document, returns one line per change


FIXES: list[Fix] = []


def prepare(bundle: Path, workdir: Path) -> tuple[Path, list[str]]:
    """Return (path for Prism, list of human-readable changes). No change: the original path, []."""
    document = json.loads(bundle.read_text(encoding="utf-8"))
    report: list[str] = []
    for fix in FIXES:
        changes = fix.apply(document)
        if changes:
            report.append(f"{fix.name} ({len(changes)} place(s)): {fix.why}")
            report.extend(f"    {line}" for line in changes[:8])
            if len(changes) > 8:
                report.append(f"    ... and {len(changes) - 8} more")
    if not report:
        return bundle, []
    target = workdir / f"prism-{bundle.name}"
    target.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return target, report


def copy_as_is(bundle: Path, workdir: Path) -> Path:
    target = workdir / bundle.name
    shutil.copyfile(bundle, target)
    return target
