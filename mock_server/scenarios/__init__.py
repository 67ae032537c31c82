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
#: The key of the organization `serve` furnishes with the demo at start (when no `--keys` pins others),
#: so the dashboard shows data on its first page and the README's first curl has something to list.
DEMO_KEY = "sk_test_fanfare_demo"


def read(name: str) -> ScenarioSource:
    """A built-in scenario by name (`demo`), or a YAML/JSON file by path. Raises ScenarioError."""
    if name in BUILT_IN:
        text = (files("mock_server.scenarios") / f"{name}.yaml").read_bytes()
        return parse(text, f"{name} (built in)")
    return read_file(name)


def demo_organization(key: str = DEMO_KEY) -> ScenarioSource:
    """The demo's every-new-organization template as one organization named by `key`, built at start."""
    demo = read("demo")
    (template,) = (entry for entry in demo.data["organizations"] if entry.get("key") == "*")
    return from_data({"scenario": 1, "organizations": [{**template, "key": key}]}, f"demo ({key})")


__all__ = [
    "BUILT_IN",
    "DEMO_KEY",
    "Loaded",
    "ScenarioBook",
    "ScenarioError",
    "ScenarioSource",
    "demo_organization",
    "export_scenario",
    "from_data",
    "parse",
    "read",
    "read_file",
    "wall_clock",
]
