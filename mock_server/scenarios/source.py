"""Reading a scenario file: YAML or JSON text into plain data, with the line of every value, checked
against the published `Scenario` schema (the control plane's document), errors naming file, line, problem."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from typing import Any

import jsonschema_rs
import yaml
from yaml.constructor import ConstructorError, SafeConstructor

import fanfare_spec

Path = tuple[str | int, ...]

#: At most this many problems are listed for one file.
MAX_PROBLEMS = 20
_SCENARIO_REF = "#/components/schemas/Scenario"


@dataclass(frozen=True, slots=True)
class Problem:
    path: Path
    message: str
    line: int | None = None

    def render(self, name: str) -> str:
        where = f"{name}:{self.line}" if self.line is not None else name
        return f"{where}: {dotted(self.path)}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded: every problem, each with the file's name and its line."""

    def __init__(self, name: str, problems: Sequence[Problem]) -> None:
        self.name = name
        self.problems = tuple(problems)
        super().__init__("\n".join(p.render(name) for p in self.problems))


@dataclass(slots=True)
class ScenarioSource:
    """A parsed scenario: its data, the line each value starts on (by path), and the file's name."""

    name: str
    data: dict[str, Any]
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of the value at `path`, or of its nearest ancestor that has one."""
        while True:
            found = self.lines.get(path)
            if found is not None or not path:
                return found
            path = path[:-1]

    def error(self, path: Path, message: str) -> ScenarioError:
        return ScenarioError(self.name, [Problem(path, message, self.line_of(path))])


def dotted(path: Path) -> str:
    """`organizations[0].audiences[2].rules` (the way the problems name a place)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def parse(text: str | bytes, name: str = "<scenario>") -> ScenarioSource:
    """Parse YAML (JSON is YAML too, but is read as JSON when it looks like it) and check the schema."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ScenarioError(
                name, [Problem((), f"not UTF-8 text ({error.reason} at byte {error.start})")]
            ) from None
    source = _read_yaml(text, name)
    problems = list(islice(_schema_problems(source), MAX_PROBLEMS))
    if problems:
        raise ScenarioError(name, problems)
    return source


def from_data(data: Any, name: str = "<scenario>") -> ScenarioSource:
    """An already parsed scenario (a JSON body): checked against the schema, no lines to name."""
    if not isinstance(data, dict):
        raise ScenarioError(name, [Problem((), "a scenario is a mapping (organizations:, clock:, ...)")])
    source = ScenarioSource(name, data)
    problems = list(islice(_schema_problems(source), MAX_PROBLEMS))
    if problems:
        raise ScenarioError(name, problems)
    return source


def read_file(path: str) -> ScenarioSource:
    try:
        with open(path, "rb") as handle:
            text = handle.read()
    except OSError as error:
        raise ScenarioError(path, [Problem((), f"cannot read the file: {error.strerror}")]) from None
    return parse(text, path)


# ---- YAML with marks ------------------------------------------------------------------------------------


def _read_yaml(text: str, name: str) -> ScenarioSource:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(part for part in (error.context, error.problem) if part) or "not valid YAML"
        raise ScenarioError(name, [Problem((), f"not valid YAML: {message}", line)]) from None
    except yaml.YAMLError as error:
        raise ScenarioError(name, [Problem((), f"not valid YAML: {error}")]) from None
    if node is None:
        raise ScenarioError(name, [Problem((), "the file is empty")])
    lines: dict[Path, int] = {}
    constructor = SafeConstructor()
    data = _value(node, (), lines, constructor, name)
    if not isinstance(data, dict):
        raise ScenarioError(
            name,
            [Problem((), "a scenario is a mapping (organizations:, clock:, ...)", node.start_mark.line + 1)],
        )
    return ScenarioSource(name, data, lines)


def _value(
    node: yaml.Node, path: Path, lines: dict[Path, int], constructor: SafeConstructor, name: str
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ScenarioError(
                    name, [Problem(path, "a key must be plain text", key_node.start_mark.line + 1)]
                )
            key = str(key_node.value)
            if key in result:
                raise ScenarioError(
                    name, [Problem((*path, key), "given twice", key_node.start_mark.line + 1)]
                )
            result[key] = _value(value_node, (*path, key), lines, constructor, name)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _value(item, (*path, index), lines, constructor, name) for index, item in enumerate(node.value)
        ]
    assert isinstance(node, yaml.ScalarNode)
    if node.tag == "tag:yaml.org,2002:timestamp":
        return node.value  # instants stay text, as in JSON: the schema and the loader read ISO-8601
    try:
        return constructor.construct_object(node)
    except ConstructorError as error:
        raise ScenarioError(name, [Problem(path, str(error.problem), node.start_mark.line + 1)]) from None


# ---- the schema ------------------------------------------------------------------------------------------


@cache
def _validator() -> jsonschema_rs.Validator:
    document = fanfare_spec.load("mock")
    registry = jsonschema_rs.Registry(
        [("urn:fanfare-mock:control", document)], draft=jsonschema_rs.Draft202012
    )
    return jsonschema_rs.validator_for(
        {"$ref": f"urn:fanfare-mock:control{_SCENARIO_REF}"},
        registry=registry,
        validate_formats=True,
        ignore_unknown_formats=True,
    )


def _schema_problems(source: ScenarioSource) -> Iterator[Problem]:
    validator = _validator()
    if validator.is_valid(source.data):
        return
    for error in validator.iter_errors(source.data):
        path: Path = tuple(error.instance_path)
        yield Problem(path, _message(error), source.line_of(path))


def _message(error: jsonschema_rs.ValidationError) -> str:
    """jsonschema's message, or for a failed oneOf/anyOf, what the schema there describes."""
    if type(error.kind).__name__ in ("OneOfNotValid", "AnyOf", "OneOfMultipleValid"):
        description = _description_at(tuple(error.schema_path))
        if description:
            expected = description[:1].lower() + description[1:]
            return f"{_short(error.instance)} is not valid here: expected {expected}"
    return str(error.message)[:300]


def _description_at(schema_path: Sequence[str | int]) -> str | None:
    """The `description` of the schema at `schema_path` (a location in the control plane's document)."""
    node: Any = fanfare_spec.load("mock")
    found: str | None = None
    for step in schema_path[:-1]:  # the last step is the failing keyword (oneOf, anyOf)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("description"), str):
            found = node["description"]
    return " ".join(found.split()).rstrip(".") if found else None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
