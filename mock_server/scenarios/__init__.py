"""Scenario files: a declarative world (YAML or JSON) checked against the published `Scenario` schema,
built through the Admin API's own domain calls, and the world exported as one. `read` names a scenario
the way `serve --scenario` does: a file, or the built-in `demo`."""

from __future__ import annotations

from importlib.resources import files

from mock_server.scenarios.book import Loaded, ScenarioBook, wall_clock
from mock_server.scenarios.export import export_scenario
from mock_server.scenarios.source import ScenarioError, ScenarioSource, from_data, parse, read_file

#: The built-in scenarios, by the name `--scenario` takes.
BUILT_IN = ("demo",)


def read(name: str) -> ScenarioSource:
    """A built-in scenario by name (`demo`), or a YAML/JSON file by path. Raises ScenarioError."""
    if name in BUILT_IN:
        text = (files("mock_server.scenarios") / f"{name}.yaml").read_bytes()
        return parse(text, f"{name} (built in)")
    return read_file(name)


__all__ = [
    "BUILT_IN",
    "Loaded",
    "ScenarioBook",
    "ScenarioError",
    "ScenarioSource",
    "export_scenario",
    "from_data",
    "parse",
    "read",
    "read_file",
    "wall_clock",
]
