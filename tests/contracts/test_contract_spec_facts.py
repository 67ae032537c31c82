"""What the suite reads from the spec: operations for concrete paths, documented rejections, pruning."""

from __future__ import annotations

import fanfare_spec
from contracts.engine import prune_spec
from contracts.operations import OperationIndex
from contracts.spec_facts import business_rejections, declared_methods

SPEC = fanfare_spec.load("fanfare")


def test_concrete_paths_find_their_operation_literal_segments_first():
    index = OperationIndex(SPEC)
    found = index.match("GET", "/api/v1/audiences/abc")
    assert found is not None and found.label == "GET /api/v1/audiences/{audienceId}"
    assert found.path_parameters == {"audienceId": "abc"}
    tiers = index.match("POST", "/api/v1/audiences/loyalty-tiers")
    assert tiers is not None and tiers.template == "/api/v1/audiences/loyalty-tiers"
    rule = index.match("PUT", "/api/audiences/a/rules/r")
    assert rule is not None and rule.path_parameters == {"audienceId": "a", "ruleId": "r"}
    assert index.match("GET", "/_mock/health") is None
    assert index.match("PATCH", "/api/v1/audiences/abc") is None


def test_business_rejections_come_from_400_examples_and_skip_plain_validation():
    spec = {
        "paths": {
            "/a": {
                "post": {
                    "responses": {
                        "400": {
                            "content": {
                                "application/json": {
                                    "examples": {
                                        "plain": {"value": {"error": "Validation failed", "details": []}},
                                        "rule": {"value": {"error": "Audience is not a synced list"}},
                                        "tiers": {
                                            "value": {
                                                "error": "Validation failed",
                                                "message": "Invalid tiers",
                                            }
                                        },
                                    }
                                }
                            }
                        }
                    }
                },
                "get": {"responses": {"400": {"$ref": "#/components/responses/Bad"}}},
            }
        },
        "components": {
            "responses": {
                "Bad": {
                    "content": {"application/json": {"example": {"error": "validation_error", "issues": []}}}
                }
            }
        },
    }
    assert business_rejections(spec) == {
        "POST /a": frozenset({"Audience is not a synced list", "Invalid tiers"})
    }
    assert "POST /api/v1/audiences/{audienceId}/sync" in business_rejections(SPEC)


def test_declared_methods_per_path():
    methods = declared_methods(SPEC)
    assert methods["/api/v1/audiences"] == {"GET", "POST"}


def test_pruning_keeps_only_the_focus_and_drops_links_out_of_it():
    keep = {("POST", "/api/v1/audiences"), ("GET", "/api/v1/audiences/{audienceId}")}
    pruned = prune_spec(SPEC, lambda method, path: (method, path) in keep)
    assert set(pruned["paths"]) == {"/api/v1/audiences", "/api/v1/audiences/{audienceId}"}
    assert set(pruned["paths"]["/api/v1/audiences"]) - {"parameters", "summary", "description"} == {"post"}
    links = pruned["paths"]["/api/v1/audiences"]["post"]["responses"]["201"].get("links", {})
    assert {link["operationId"] for link in links.values()} <= {"getV1AudiencesByAudienceId"}
    assert SPEC["paths"]["/api/v1/audiences"]["post"]["responses"]["201"][
        "links"
    ]  # the original is untouched
