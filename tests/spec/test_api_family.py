"""The `/api` route family against the real generated spec it must agree with.

Every operation of the real generated spec (`tests/fixtures/admin-api.subset.json`) is in the bundled spec
under `/api`, with the same method and operationId; our request schemas accept every body the real ones
accept; and our success responses are no looser than the real ones: whatever ours allows, the real schema
allows too.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import fanfare_spec

# The real generated spec's `/api` operations, carried in the repository (tests/fixtures/README.md).
REAL_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "admin-api.subset.json"

METHODS = ("get", "put", "post", "delete", "patch")
API_TAGS = {"audiences", "consumers", "experiences"}
SPEC_URI = "urn:fanfare-mock:spec"
REQUEST_EXAMPLES = 40
RESPONSE_EXAMPLES = 12
COMPONENT_EXAMPLES = 12  # per named component, so deep shapes are not left to chance
HYPOTHESIS = settings(
    max_examples=REQUEST_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

Schema = dict[str, Any]


@cache
def real() -> dict[str, Any]:
    return orjson.loads(REAL_PATH.read_bytes())  # type: ignore[no-any-return]


@cache
def ours() -> dict[str, Any]:
    return fanfare_spec.load()


def real_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in real()["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def our_operation(method: str, real_path: str) -> dict[str, Any]:
    return ours()["paths"]["/api" + real_path][method]  # type: ignore[no-any-return]


def our_api_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in ours()["paths"].items()
        if path.startswith("/api/") and not path.startswith("/api/v1/")
        for method, operation in item.items()
        if method in METHODS
    ]


def op_id(case: tuple[str, str, dict[str, Any]]) -> str:
    return f"{case[0].upper()} {case[1]}"


REAL_OPS = real_operations()
REAL_BODY_OPS = [case for case in REAL_OPS if "requestBody" in case[2]]


def json_schema_of(container: dict[str, Any]) -> Schema:
    return container["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


# ----- schema plumbing ---------------------------------------------------------------------------------


def nullable_to_null(schema: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` read as "or null" (DESIGN.md section 3), in JSON Schema 2020-12."""
    if isinstance(schema, list):
        return [nullable_to_null(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: nullable_to_null(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def resolve(schema: Any, seen: tuple[str, ...] = ()) -> Any:
    """Our schema with every local `$ref` inlined (the /api schemas are not recursive)."""
    if isinstance(schema, list):
        return [resolve(item, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        pointer = schema["$ref"]
        assert pointer not in seen, f"recursive reference {pointer}"
        target: Any = ours()
        for part in pointer.removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        resolved = resolve(target, (*seen, pointer))
        return {"allOf": [resolved, resolve(siblings, seen)]} if siblings else resolved
    return {key: resolve(value, seen) for key, value in schema.items()}


@cache
def registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(SPEC_URI, ours())])


def pointer_to(*parts: str) -> str:
    """A URI fragment naming one location of the bundle (JSON pointer, percent-encoded)."""
    return "#/" + "/".join(quote(part.replace("~", "~0").replace("/", "~1"), safe="~") for part in parts)


def our_validator(pointer: str) -> jsonschema_rs.Validator:
    """A validator for one schema of the bundle, compiled with the whole bundle as its resource.

    Formats are asserted, as the mock asserts them.
    """
    return jsonschema_rs.validator_for(
        {"$ref": SPEC_URI + pointer}, registry=registry(), validate_formats=True
    )


def real_validator(schema: Schema) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def merge_all_of(branches: list[Schema]) -> Schema:
    """Fold `allOf` branches of object schemas into one (enough for the shapes the /api schemas use)."""
    merged: Schema = {}
    for branch in branches:
        branch = normalize(branch)
        for key, value in branch.items():
            if key == "properties":
                properties = merged.setdefault("properties", {})
                for name, sub in value.items():
                    properties[name] = {"allOf": [properties[name], sub]} if name in properties else sub
            elif key == "required":
                merged["required"] = sorted({*merged.get("required", []), *value})
            elif key in ("description", "default", "examples"):
                continue
            elif key in merged and merged[key] != value:
                raise AssertionError(f"cannot merge {key}: {merged[key]!r} and {value!r}")
            else:
                merged[key] = value
    return merged


def normalize(schema: Schema) -> Schema:
    if "allOf" in schema:
        rest = {key: value for key, value in schema.items() if key != "allOf"}
        return merge_all_of([*schema["allOf"], rest] if rest else schema["allOf"])
    return schema


# ----- a small generator for the schema shapes these documents use -------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=8)
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=6), inner, max_size=2),
    max_leaves=4,
)
FORMATS: dict[str, st.SearchStrategy[str]] = {
    "uuid": st.uuids().map(str),
    "date-time": st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    "email": st.emails(),
    "uri": st.from_regex(r"\Ahttps://example\.com/[a-z0-9]{0,8}\Z"),
}
SIMPLE_KEYWORDS = {"description", "default", "examples", "example", "title", "$defs", "propertyNames"}


def strategy(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    if schema is True or schema == {}:
        return ANY_JSON
    assert isinstance(schema, dict), schema
    schema = normalize(schema)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            rest = {k: v for k, v in schema.items() if k != key}
            branches = [
                strategy(merge_all_of([rest, branch]) if rest else branch, depth) for branch in schema[key]
            ]
            combined = st.one_of(branches)
            if key == "oneOf":
                check = jsonschema_rs.Draft202012Validator(schema)
                combined = combined.filter(check.is_valid)
            return combined
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return st.one_of([strategy({**schema, "type": kind}, depth) for kind in kinds])
    if kinds is None:
        assert set(schema) <= SIMPLE_KEYWORDS, f"unsupported schema {schema}"
        return ANY_JSON
    return _typed(kinds, schema, depth)


def _typed(kind: str, schema: Schema, depth: int) -> st.SearchStrategy[Any]:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum", -(2**40)), schema.get("maximum", 2**40))
    if kind == "number":
        low, high = schema.get("minimum"), schema.get("maximum")
        return st.integers(low, high) | st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(re.compile(schema["pattern"], re.ASCII), fullmatch=True)
        if schema.get("format") in FORMATS:
            return FORMATS[schema["format"]]
        return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 12))
    if kind == "array":
        return st.lists(strategy(schema.get("items", {}), depth + 1), max_size=2 if depth < 4 else 1)
    if kind == "object":
        return _object(schema, depth)
    raise AssertionError(f"unsupported type {kind}")


def _object(schema: Schema, depth: int) -> st.SearchStrategy[Any]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    fixed = st.fixed_dictionaries(
        {name: strategy(sub, depth + 1) for name, sub in properties.items() if name in required},
        optional={name: strategy(sub, depth + 1) for name, sub in properties.items() if name not in required},
    )
    extra_values = schema.get("additionalProperties", True)
    if extra_values is False:
        return fixed
    extra_keys = st.text(min_size=1, max_size=6).filter(lambda key: key not in properties)
    values = JSON_SCALARS if extra_values in (True, {}) else strategy(extra_values, depth + 1)
    extras = st.dictionaries(extra_keys, values, max_size=2 if depth < 3 else 0)
    return st.tuples(fixed, extras).map(lambda pair: {**pair[1], **pair[0]})


def check_all(
    strategy_: st.SearchStrategy[Any],
    validator: jsonschema_rs.Validator,
    examples: int,
    what: str,
    *,
    shrink: bool = True,
) -> None:
    phases = [Phase.generate, Phase.shrink] if shrink else [Phase.generate]

    @settings(HYPOTHESIS, max_examples=examples, phases=phases)
    @given(strategy_)
    def run(instance: Any) -> None:
        errors = [
            f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(instance)
        ]
        assert not errors, f"{what} rejects {orjson.dumps(instance).decode()[:600]}: {errors[:3]}"

    run()


# ----- the operations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REAL_OPS, ids=op_id)
def test_every_real_operation_is_served_under_api(case: tuple[str, str, dict[str, Any]]) -> None:
    method, path, real_operation = case
    assert "/api" + path in ours()["paths"], f"{path} is missing under /api"
    assert method in ours()["paths"]["/api" + path], f"{method.upper()} /api{path} is missing"
    ours_ = our_operation(method, path)
    assert ours_["operationId"] == real_operation["operationId"]
    assert ours_["tags"] and set(ours_["tags"]) <= API_TAGS
    assert ours_.get("summary") and ours_.get("description")


def test_the_api_family_is_exactly_the_real_operations() -> None:
    real_ids = {(method, "/api" + path, op["operationId"]) for method, path, op in REAL_OPS}
    our_ids = {(method, path, op["operationId"]) for method, path, op in our_api_operations()}
    assert our_ids == real_ids


@pytest.mark.parametrize("case", our_api_operations(), ids=op_id)
def test_error_statuses(case: tuple[str, str, dict[str, Any]]) -> None:
    _method, path, operation = case
    statuses = set(operation["responses"])
    assert {"200", "400", "401", "403", "500"} <= statuses
    parameters = [
        resolve(p) for p in [*ours()["paths"][path].get("parameters", []), *operation.get("parameters", [])]
    ]
    path_parameters = [p for p in parameters if p["in"] == "path"]
    assert ("404" in statuses) == bool(path_parameters), "404 exactly where there is a path parameter (D8)"
    for parameter in path_parameters:
        assert parameter["schema"] == {"type": "string"}, "path parameters are plain strings (D3)"
    assert ({"413", "415"} <= statuses) == ("requestBody" in operation), "413 and 415 with a body (D10)"
    assert "security" not in operation, "the global SecretKeyAuth applies"
    for status, response in operation["responses"].items():
        if status == "200":
            continue
        schema = resolve(json_schema_of(resolve(response)))
        if status == "400":
            assert schema == {
                "anyOf": [resolve(_component("ApiValidationError")), resolve(_component("ApiError"))]
            }
        else:
            assert schema == resolve(_component("ApiError")), f"{status} uses the {{error}} envelope"


def _component(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def test_the_documented_conflicts_and_query_parameters() -> None:
    paths = ours()["paths"]
    assert "409" in paths["/api/audiences/{audienceId}/sync"]["post"]["responses"]
    assert "409" in paths["/api/experiences/{id}"]["delete"]["responses"]

    def query(path: str) -> dict[str, Schema]:
        parameters = [resolve(p) for p in paths[path]["get"].get("parameters", [])]
        return {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}

    paging = {
        "first": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        "after": {"type": "string", "maxLength": 512},
    }
    search = {"type": "string", "minLength": 2, "maxLength": 200}
    assert query("/api/audiences") == paging
    assert query("/api/experiences") == paging
    assert query("/api/audiences/{audienceId}/members") == {**paging, "search": search}
    assert query("/api/audiences/groups/{groupId}/members") == {
        **paging,
        "search": search,
        "audienceId": {"type": "string"},
    }


def test_links_name_real_operations_and_parameters() -> None:
    by_id = {op["operationId"]: (path, op) for _method, path, op in our_api_operations()}
    expected = {
        "postAudiences": {
            "getAudiencesByAudienceId",
            "putAudiencesByAudienceId",
            "deleteAudiencesByAudienceId",
            "getAudiencesByAudienceIdMembers",
            "getAudiencesByAudienceIdStatus",
            "getAudiencesByAudienceIdCount",
            "getAudiencesByAudienceIdRules",
            "postAudiencesByAudienceIdRules",
            "postAudiencesByAudienceIdImport",
            "getAudiencesByAudienceIdImport",
        },
        "postAudiencesLoyaltyTiers": {
            "getAudiencesGroupsByGroupId",
            "getAudiencesGroupsByGroupIdMembers",
            "putAudiencesLoyaltyTiersByGroupId",
        },
        "postAudiencesByAudienceIdRules": {
            "getAudiencesByAudienceIdRulesByRuleId",
            "putAudiencesByAudienceIdRulesByRuleId",
            "deleteAudiencesByAudienceIdRulesByRuleId",
        },
        "postExperiences": {
            "getExperiencesById",
            "putExperiencesById",
            "deleteExperiencesById",
            "getExperiencesByIdMetrics",
        },
    }
    for source, targets in expected.items():
        links = by_id[source][1]["responses"]["200"]["links"]
        assert {link["operationId"] for link in links.values()} == targets
        for link in links.values():
            path, target = by_id[link["operationId"]]
            names = {
                resolve(p)["name"]
                for p in [*ours()["paths"][path].get("parameters", []), *target.get("parameters", [])]
            }
            assert set(link["parameters"]) <= names, f"{link['operationId']}: unknown {link['parameters']}"
            assert all(str(value).startswith("$response.body#/") for value in link["parameters"].values())


def test_every_api_schema_compiles_with_the_bundle_as_its_resource() -> None:
    names = [
        name for part in ("api-audiences.yaml", "api-experiences.yaml") for name in _part_components(part)
    ]
    assert names and all(name.startswith("Api") for name in names)
    for name in names:
        our_validator(pointer_to("components", "schemas", name))


@cache
def _part_components(part: str) -> list[str]:
    import yaml

    document = yaml.safe_load((fanfare_spec.source_dir() / part).read_text(encoding="utf-8"))
    return list(document.get("components", {}).get("schemas", {}))


def test_response_schemas_stay_open() -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            assert node.get("additionalProperties") is not False, f"closed schema at {where}"
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    for method, path, operation in our_api_operations():
        for status, response in operation["responses"].items():
            walk(resolve(json_schema_of(resolve(response))), f"{method.upper()} {path} {status}")


@pytest.mark.parametrize("case", REAL_BODY_OPS, ids=op_id)
def test_our_request_schema_accepts_what_the_real_one_accepts(case: tuple[str, str, dict[str, Any]]) -> None:
    method, path, real_operation = case
    real_schema = nullable_to_null(json_schema_of(real_operation["requestBody"]))
    ours_ = our_operation(method, path)
    assert "requestBody" in ours_
    validator = our_validator(
        pointer_to("paths", "/api" + path, method, "requestBody", "content", "application/json", "schema")
    )
    check_all(strategy(real_schema), validator, REQUEST_EXAMPLES, f"our {method.upper()} /api{path} body")


@pytest.mark.parametrize("case", REAL_OPS, ids=op_id)
def test_our_success_response_is_no_looser_than_the_real_one(case: tuple[str, str, dict[str, Any]]) -> None:
    method, path, real_operation = case
    real_schema = json_schema_of(real_operation["responses"]["200"])
    ours_schema = resolve(json_schema_of(our_operation(method, path)["responses"]["200"]))
    validator = real_validator(copy.deepcopy(real_schema))
    check_all(
        strategy(ours_schema), validator, RESPONSE_EXAMPLES, f"the real {method.upper()} {path} response"
    )


# Where each named component of ours sits in the real spec: (real path, method, pointer below the schema).
# The deep ones are rarely reached from a whole response, so each is also checked on its own.
RESPONSE_COMPONENTS = {
    "ApiAudience": ("/audiences/{audienceId}", "get", ""),
    "ApiAudienceBare": ("/audiences/{audienceId}", "put", ""),
    "ApiAudienceRule": ("/audiences/{audienceId}/rules/{ruleId}", "get", ""),
    "ApiAudienceImport": ("/audiences/{audienceId}/import", "get", ""),
    "ApiSyncSource": ("/audiences/{audienceId}", "get", "/properties/primarySyncSource/anyOf/0"),
    "ApiConsumer": ("/audiences/{audienceId}/members", "get", "/properties/data/items"),
    "ApiExperience": ("/experiences", "post", ""),
    "ApiExperienceBare": ("/experiences/{id}", "get", ""),
    "ApiExperienceProduct": ("/experiences/{id}", "get", "/properties/products/anyOf/0/items"),
    "ApiProduct": (
        "/experiences/{id}",
        "get",
        "/properties/products/anyOf/0/items/properties/product/anyOf/0",
    ),
    "ApiProductVariant": (
        "/experiences/{id}",
        "get",
        "/properties/products/anyOf/0/items/properties/productVariant/anyOf/0",
    ),
    "ApiProductMediaAsset": (
        "/experiences/{id}",
        "get",
        "/properties/products/anyOf/0/items/properties/product/anyOf/0/properties/productMediaAssets/anyOf/0/items",
    ),
    "ApiTheme": ("/experiences/{id}", "get", "/properties/theme/anyOf/0"),
    "ApiSequence": ("/experiences", "post", "/properties/sequences/anyOf/0/items"),
    **{
        name: ("/experiences", "post", f"/properties/sequences/anyOf/0/items/properties/{key}/anyOf/0/items")
        for name, key in (
            ("ApiAnnouncement", "announcements"),
            ("ApiQueue", "queues"),
            ("ApiDraw", "draws"),
            ("ApiAuction", "auctions"),
            ("ApiAppointment", "appointments"),
            ("ApiTimedRelease", "timedReleases"),
        )
    },
    "ApiWaitlist": (
        "/experiences",
        "post",
        "/properties/sequences/anyOf/0/items/properties/waitlist/anyOf/0",
    ),
    "ApiCreativeDocument": (
        "/experiences",
        "post",
        "/properties/sequences/anyOf/0/items/properties/announcements/anyOf/0/items/properties/creativeDocument/anyOf/0",
    ),
    "ApiSequenceMetrics": ("/experiences/{id}/metrics", "get", "/properties/sequences/additionalProperties"),
}
REQUEST_COMPONENTS = {
    "ApiAudienceRuleInput": ("/audiences", "post", "/properties/rules/items"),
    "ApiSyncSourceInput": ("/audiences", "post", "/properties/primarySyncSource"),
    "ApiLoyaltyTierInput": ("/audiences/loyalty-tiers", "post", "/properties/tiers/items"),
    "ApiSequenceInput": ("/experiences", "post", "/properties/sequence"),
    **{
        name: ("/experiences", "post", f"/properties/sequence/properties/{key}/items")
        for name, key in (
            ("ApiQueueInput", "queues"),
            ("ApiDrawInput", "draws"),
            ("ApiAuctionInput", "auctions"),
            ("ApiAppointmentInput", "appointments"),
            ("ApiTimedReleaseInput", "timedReleases"),
            ("ApiSequenceProductInput", "sequenceProducts"),
        )
    },
    "ApiExperienceProductInput": ("/experiences", "post", "/properties/products/items"),
    "ApiThemeInput": ("/experiences", "post", "/properties/theme"),
}


def real_at(path: str, method: str, pointer: str, *, request: bool) -> Schema:
    operation = real()["paths"][path][method]
    node: Any = json_schema_of(operation["requestBody"] if request else operation["responses"]["200"])
    for part in filter(None, pointer.split("/")):
        node = node[int(part)] if isinstance(node, list) else node[part]
    # The component is the non-null part of the real subschema.
    node = {key: value for key, value in node.items() if key != "nullable"}
    return nullable_to_null(node) if request else node  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", RESPONSE_COMPONENTS)
def test_our_response_component_is_no_looser_than_the_real_subschema(name: str) -> None:
    real_schema = real_at(*RESPONSE_COMPONENTS[name], request=False)
    ours_schema = resolve(_component(name))
    check_all(strategy(ours_schema), real_validator(real_schema), COMPONENT_EXAMPLES, f"the real {name}")


@pytest.mark.parametrize("name", REQUEST_COMPONENTS)
def test_our_request_component_accepts_what_the_real_subschema_accepts(name: str) -> None:
    real_schema = real_at(*REQUEST_COMPONENTS[name], request=True)
    validator = our_validator(pointer_to("components", "schemas", name))
    check_all(strategy(real_schema), validator, COMPONENT_EXAMPLES * 2, f"our {name}")


def test_the_generator_finds_a_looser_response() -> None:
    """The response check has teeth: a schema that drops a required field is caught."""
    real_schema = json_schema_of(real()["paths"]["/audiences/{audienceId}/count"]["get"]["responses"]["200"])
    looser = copy.deepcopy(real_schema)
    looser["required"] = ["audienceId"]
    with pytest.raises(AssertionError, match="rejects"):
        check_all(
            strategy(looser),
            real_validator(real_schema),
            RESPONSE_EXAMPLES,
            "the real count response",
            shrink=False,
        )


def test_the_generator_finds_a_tighter_request() -> None:
    """The request check has teeth: a schema that forbids null where the real one allows it is caught."""
    real_schema = nullable_to_null(json_schema_of(real()["paths"]["/audiences"]["post"]["requestBody"]))
    tighter = copy.deepcopy(real_schema)
    tighter["properties"]["description"] = {"type": "string"}
    with pytest.raises(AssertionError, match="rejects"):
        check_all(
            strategy(real_schema),
            real_validator(tighter),
            REQUEST_EXAMPLES,
            "a tighter audience body",
            shrink=False,
        )
