"""Scenario files: parsed with the line of every value, checked against the published Scenario schema,
and refused with errors that name the file, the line and the problem."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import fanfare_spec
from mock_server.app import create_app
from mock_server.scenarios import ScenarioError, from_data, parse, read, read_file
from mock_server.scenarios.times import resolve

GOOD = """\
scenario: 1
clock: 2025-03-01T00:00:00Z
organizations:
  - key: sk_test_files
    audiences:
      - name: VIP
        type: DYNAMIC
        rules: [{field: totalOrders, operator: GREATER_THAN, values: [5]}]
"""


def problems(text: str, name: str = "world.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        source = parse(text, name)
        create_app(consumers=50, scenarios=[source])
    return str(caught.value).splitlines()


def test_the_schema_is_part_of_the_control_plane_document() -> None:
    document = fanfare_spec.load("mock")
    schemas = document["components"]["schemas"]
    assert {"Scenario", "ScenarioOrganization", "ScenarioAudience", "ScenarioExperience"} <= set(schemas)
    body = document["paths"]["/_mock/scenario"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/Scenario"}
    assert "application/yaml" in body


def test_a_good_file_parses_with_lines() -> None:
    source = parse(GOOD, "good.yaml")
    assert source.data["organizations"][0]["audiences"][0]["name"] == "VIP"
    assert source.line_of(("organizations", 0, "audiences", 0, "type")) == 7
    assert source.line_of(("organizations", 0, "audiences", 0, "rules", 0, "values")) == 8
    assert source.data["clock"] == "2025-03-01T00:00:00Z"  # an instant stays text, as in JSON


def test_a_schema_error_names_file_line_and_problem() -> None:
    text = GOOD.replace("type: DYNAMIC", "type: DYNAMO")
    assert problems(text) == [
        'world.yaml:7: organizations[0].audiences[0].type: "DYNAMO" is not one of "STATIC" or "DYNAMIC"'
    ]


def test_every_schema_error_is_listed() -> None:
    text = GOOD + "    experiences:\n      - name: Drop\n        openAt: +2x\n    bogus: 1\n"
    lines = problems(text)
    assert any(line.startswith("world.yaml:11: organizations[0].experiences[0].openAt:") for line in lines)
    assert any("relative to the clock" in line for line in lines)
    assert any(line.startswith("world.yaml:4: organizations[0]:") and "bogus" in line for line in lines)


def test_broken_yaml_names_the_line() -> None:
    (line,) = problems("organizations:\n  - key: sk_test_x\n    audiences: [\n")
    assert line.startswith("world.yaml:4: not valid YAML")


def test_a_rule_the_admin_api_refuses_is_refused_at_its_line() -> None:
    # The Admin API's own request validator and domain check the entries: an unknown rule field is a 400
    # there, and a scenario error here.
    text = GOOD.replace("field: totalOrders", "field: shoeSize")
    (line,) = problems(text)
    assert line.startswith(
        'world.yaml:8: organizations[0].audiences[0].rules[0].field: "shoeSize" is not valid'
    )
    (line,) = problems(GOOD.replace("values: [5]", "values: [5, 6]"))
    assert line == "world.yaml:8: organizations[0].audiences[0].rules[0].values: [5,6] has more than 1 item"


def test_overlapping_tiers_are_refused_at_the_group() -> None:
    text = GOOD + (
        "    tierGroups:\n"
        "      - groupName: Loyalty\n"
        "        attribute: totalOrders\n"
        "        tiers:\n"
        "          - {name: Bronze, startValue: 0, endValue: 5, order: 1}\n"
        "          - {name: Silver, startValue: 3, order: 2}\n"
    )
    (line,) = problems(text)
    assert line.startswith("world.yaml:10: organizations[0].tierGroups[0]: Invalid loyalty tiers")
    assert "overlaps" in line


def test_a_bad_member_is_refused_at_its_line() -> None:
    text = GOOD + (
        "      - name: Friends\n"
        "        type: STATIC\n"
        "        members:\n"
        "          - ada@example.com\n"
        "          - not-an-email\n"
    )
    (line,) = problems(text)
    assert line == "world.yaml:13: organizations[0].audiences[1].members[1]: Invalid email"


def test_an_unknown_list_is_refused() -> None:
    (line,) = problems(GOOD + "    syncedLists:\n      - {listId: NoSuchList}\n")
    assert line.startswith("world.yaml:10: organizations[0].syncedLists[0].listId: NoSuchList:")


def test_the_same_organization_twice_is_refused() -> None:
    (line,) = problems(GOOD + "  - key: sk_test_files\n")
    assert line.startswith(
        "world.yaml:9: organizations[1]: this organization is already named at organizations[0]"
    )


def test_pinned_keys_cannot_be_lifted() -> None:
    with pytest.raises(
        ScenarioError, match=r"world.yaml:4: organizations\[0\].key: not one of the mock's --keys"
    ):
        create_app(consumers=10, keys=["sk_test_pinned"], scenarios=[parse(GOOD, "world.yaml")])


def test_json_is_a_scenario_too() -> None:
    source = parse('{"scenario": 1, "organizations": [{"key": "sk_test_json"}]}', "world.json")
    assert source.data["organizations"][0]["key"] == "sk_test_json"
    with pytest.raises(ScenarioError, match="a scenario is a mapping"):
        from_data([1, 2], "body")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError, match=rf"{missing}: cannot read the file"):
        read_file(str(missing))


def test_the_demo_scenario_is_valid() -> None:
    source = read("demo")
    assert source.data["organizations"][0]["key"] == "*"


def test_relative_times() -> None:
    now = datetime(2025, 3, 1, tzinfo=UTC)
    assert resolve("+2h", now) == datetime(2025, 3, 1, 2, tzinfo=UTC)
    assert resolve("-1d12h", now) == datetime(2025, 2, 27, 12, tzinfo=UTC)
    assert resolve("+90s", now) == datetime(2025, 3, 1, 0, 1, 30, tzinfo=UTC)
    assert resolve("2025-06-01T00:00:00Z", now) == datetime(2025, 6, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        resolve("2025-06-01T00:00:00", now)
