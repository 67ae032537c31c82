"""Scenario files through the control plane: `GET /_mock/scenario` exports the world as one,
`POST /_mock/scenario` loads one (JSON, or YAML whose errors name the line)."""

from __future__ import annotations

import yaml

from mock_server.domain.kernel import Invalid, Issue
from mock_server.scenarios.export import export_scenario
from mock_server.scenarios.source import ScenarioError, ScenarioSource, dotted, from_data, parse
from mock_server.web.calls import Call, Reply

#: A scenario body is read whole (YAML needs all of it); the Admin API's largest body is a 10 MB CSV.
MAX_SCENARIO_BYTES = 16 * 1024 * 1024


async def export(call: Call) -> Reply:
    scenario = export_scenario(call.state)
    if call.query.get("format") == "yaml":
        return Reply(200, to_yaml(scenario), media_type="application/yaml")
    return Reply(200, scenario)


class _Dumper(yaml.SafeDumper):
    """Multi-line text (a CSV) as a literal block, as a person writes it."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(scenario: object) -> str:
    return yaml.dump(scenario, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


async def load(call: Call) -> Reply:
    state = call.state  # MockState: loading rebuilds organizations and may re-seed the world
    try:
        source = await _source(call)
        loaded = state.scenarios.load(state, source)
    except ScenarioError as error:
        raise _invalid(error) from None
    return Reply(200, loaded.to_json())


async def _source(call: Call) -> ScenarioSource:
    if call.body is not None:  # JSON, already checked against the Scenario schema by the shell
        return from_data(call.body, "request body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in call.receive_chunks():
        size += len(chunk)
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioError("request body", [])  # replaced below by a clear message
        chunks.append(chunk)
    return parse(b"".join(chunks), "request body")


def _invalid(error: ScenarioError) -> Invalid:
    if not error.problems:
        return Invalid(f"A scenario is at most {MAX_SCENARIO_BYTES // (1024 * 1024)} MB")
    issues = tuple(
        Issue(f"line {p.line}: {dotted(p.path)}" if p.line is not None else dotted(p.path), p.message)
        for p in error.problems
    )
    first = error.problems[0].render(error.name)
    return Invalid(f"Invalid scenario: {first}", issues)
