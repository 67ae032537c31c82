"""Every operation of the bundled spec follows the house rules: operationId by RECONCILIATION D1, a
summary and a declared tag, a JSON success response, the error statuses D7 to D10 require, the security
requirement, and every `{param}` of its path declared as a required path parameter."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

import fanfare_spec

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SPEC = fanfare_spec.load()
OPERATIONS = [
    (method, path, item, item[method])
    for path, item in SPEC["paths"].items()
    for method in METHODS
    if method in item
]


def expected_operation_id(method: str, path: str) -> str:
    """D1: the method, then the path below `/api` (below `/` elsewhere) in PascalCase, `{x}` as `ByX`."""
    below = path.removeprefix("/api") if path == "/api" or path.startswith("/api/") else path
    words = []
    for segment in below.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1]
            words.append("By" + name[:1].upper() + name[1:])
        else:
            words.extend(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", segment) if part)
    if path.endswith("/"):
        words.append(
            "Index"
        )  # a folder's index page: `/_mock/` is getMockIndex, `/_mock` getMock, `/` getIndex
    return method + "".join(words)


def test_the_d1_rule_on_known_ids() -> None:
    assert expected_operation_id("get", "/api/v1/audiences/{audienceId}") == "getV1AudiencesByAudienceId"
    assert expected_operation_id("get", "/api/audiences/{audienceId}") == "getAudiencesByAudienceId"
    assert (
        expected_operation_id("post", "/api/v1/experiences/{id}/duplicate")
        == "postV1ExperiencesByIdDuplicate"
    )
    assert expected_operation_id("put", "/api/v1/audiences/loyalty-tiers/{groupId}") == (
        "putV1AudiencesLoyaltyTiersByGroupId"
    )
    assert expected_operation_id("post", "/_mock/reset") == "postMockReset"
    assert expected_operation_id("get", "/_mock/") == "getMockIndex"
    assert expected_operation_id("get", "/") == "getIndex"


def resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def label(case: tuple[str, str, dict[str, Any], dict[str, Any]]) -> str:
    return f"{case[0].upper()} {case[1]}"


@pytest.fixture(params=OPERATIONS, ids=[label(case) for case in OPERATIONS])
def operation(request: pytest.FixtureRequest) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    return request.param  # type: ignore[no-any-return]


def test_there_are_operations_of_both_families() -> None:
    paths = {path for _, path, _, _ in OPERATIONS}
    assert any(path.startswith("/api/v1/") for path in paths)
    assert any(path.startswith("/api/") and not path.startswith("/api/v1/") for path in paths)


def test_operation_id_follows_d1(operation: tuple[str, str, dict[str, Any], dict[str, Any]]) -> None:
    method, path, _, op = operation
    assert op.get("operationId") == expected_operation_id(method, path)


def test_operation_ids_are_unique() -> None:
    counts = Counter(op.get("operationId") for _, _, _, op in OPERATIONS)
    assert [name for name, count in counts.items() if count > 1] == []


def test_summary_and_tag(operation: tuple[str, str, dict[str, Any], dict[str, Any]]) -> None:
    op = operation[3]
    assert isinstance(op.get("summary"), str) and op["summary"].strip()
    declared = {tag["name"] for tag in SPEC.get("tags", [])}
    assert op.get("tags"), "no tag"
    assert set(op["tags"]) <= declared, f"undeclared tags {set(op['tags']) - declared}"


def test_success_response_has_a_json_schema(
    operation: tuple[str, str, dict[str, Any], dict[str, Any]],
) -> None:
    responses = operation[3]["responses"]
    successes = sorted(code for code in responses if code.startswith("2"))
    assert successes, "no 2xx response"
    for code in successes:
        schema = resolve(responses[code]).get("content", {}).get("application/json", {}).get("schema")
        assert isinstance(schema, dict) and schema, f"{code} has no application/json schema"


def _path_parameters(item: dict[str, Any], op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    params = {}
    for param in [*item.get("parameters", []), *op.get("parameters", [])]:
        param = resolve(param)
        if param.get("in") == "path":
            params[param["name"]] = param
    return params


def test_error_statuses(operation: tuple[str, str, dict[str, Any], dict[str, Any]]) -> None:
    _, path, _, op = operation
    statuses = set(op["responses"])
    required = {"400", "401", "500"}
    if "{" in path:
        required.add("404")  # D8: an unknown id must be answered
    if "requestBody" in op:
        required |= {"413", "415"}  # D10
    assert required <= statuses, f"missing {sorted(required - statuses)}"
    for status in required:
        content = resolve(op["responses"][status]).get("content", {})
        assert "application/json" in content, f"{status} has no JSON error body"


def test_security_requirement(operation: tuple[str, str, dict[str, Any], dict[str, Any]]) -> None:
    security = operation[3].get("security", SPEC.get("security"))
    assert security, "no security requirement"
    schemes = set(SPEC.get("components", {}).get("securitySchemes", {}))
    for requirement in security:
        assert requirement, "an empty requirement would make the key optional"
        assert set(requirement) <= schemes


def test_path_parameters_are_declared(operation: tuple[str, str, dict[str, Any], dict[str, Any]]) -> None:
    _, path, item, op = operation
    in_template = re.findall(r"\{([^}]+)\}", path)
    declared = _path_parameters(item, op)
    assert sorted(declared) == sorted(in_template)
    for name in in_template:
        assert declared[name].get("required") is True, f"{name} is not required"
        assert resolve(declared[name].get("schema", {})).get("type") == "string", (
            f"{name} is not a plain string (D3)"
        )


def _closed(node: Any, where: str, found: list[str]) -> None:
    if isinstance(node, dict):
        if "$ref" in node:
            # Each component is walked once, below, not again through every reference to it.
            return
        if node.get("additionalProperties") is False or node.get("unevaluatedProperties") is False:
            found.append(where)
        for key, value in node.items():
            _closed(value, f"{where}/{key}", found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _closed(value, f"{where}/{index}", found)


def _response_components() -> set[str]:
    """Names of the schema components some response reaches, directly or through other components."""
    pending: list[Any] = []
    for _, _, _, op in OPERATIONS:
        for response in op["responses"].values():
            pending.append(resolve(response).get("content", {}))
    reached: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in reached:
                    reached.add(name)
                    pending.append(SPEC["components"]["schemas"][name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return reached


def test_response_schemas_stay_open() -> None:
    """DESIGN section 3: a closed response schema would fail a correct server that sends more fields."""
    found: list[str] = []
    for _, path, _, op in OPERATIONS:
        for status, response in op["responses"].items():
            _closed(resolve(response).get("content", {}), f"{path} {status}", found)
    for name in _response_components():
        _closed(SPEC["components"]["schemas"][name], f"components/schemas/{name}", found)
    assert found == []


def test_links_name_existing_operations_and_parameters() -> None:
    by_id = {op["operationId"]: (path, item, op) for _, path, item, op in OPERATIONS}
    count = 0
    for _, _, _, op in OPERATIONS:
        for response in op["responses"].values():
            for name, link in resolve(response).get("links", {}).items():
                count += 1
                assert link.get("operationId") in by_id, f"link {name} names no operation"
                _, item, target = by_id[link["operationId"]]
                names = {
                    resolve(p)["name"] for p in [*item.get("parameters", []), *target.get("parameters", [])]
                }
                for parameter in link.get("parameters", {}):
                    assert parameter.split(".")[-1] in names, f"link {name}: {parameter} is not a parameter"
    assert count > 0


def test_mock_document_operation_ids_follow_d1() -> None:
    mock = fanfare_spec.load("mock")
    for path, item in mock.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                assert item[method].get("operationId") == expected_operation_id(method, path)
