"""fanfare-contract: a conformance suite for any implementation of Fanfare's Admin API.

It depends on the reconciled spec (through `fanfare_spec`) and talks to the target over HTTP (or to
an ASGI app in-process); it never imports the mock. `contracts.runner.run_suite` is the entry point,
`contracts.cli` the command line and `contracts.pytest_plugin` the pytest route.
"""

from __future__ import annotations

__all__ = ["RunOptions", "run_suite"]

from contracts.options import RunOptions
from contracts.runner import run_suite
