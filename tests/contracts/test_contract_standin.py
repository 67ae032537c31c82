"""The suite's machinery end to end against the stand-in: verdicts, safety, cleanup and reports."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from contract_standin import SECOND, TOKEN, StandIn, with_options

from contracts.options import RunOptions
from contracts.results import Status
from contracts.runner import run_suite


def failing(result) -> set[str]:
    return {o.check for o in result.outcomes if o.status in (Status.FAILED, Status.ERROR)}


def test_a_correct_target_conforms_and_is_left_clean(
    standin: StandIn, standin_options: RunOptions, tmp_path: Path
):
    options = with_options(standin_options, junit_xml=tmp_path / "junit.xml", report=tmp_path / "report.md")
    result = run_suite(options)
    assert failing(result) == set(), [p for o in result.outcomes for p in o.problems]
    assert result.conforms and result.exit_code == 0
    assert result.cleaned and not result.leftovers
    for org in standin.orgs.values():
        assert all(a["archived"] for a in org["audiences"].values()), "the run left audiences behind"
    # Everything the run created carries its prefix.
    names = [a["name"] for org in standin.orgs.values() for a in org["audiences"].values()]
    assert names and all(name.startswith(options.prefix) for name in names), names[:5]
    # Every phase ran, and every scenario was judged (passed or skipped, never silently dropped).
    assert {
        "schemathesis:examples",
        "schemathesis:coverage",
        "schemathesis:fuzzing",
        "schemathesis:stateful",
    } <= set(result.timings)
    scenarios = {o.check for o in result.outcomes if o.suite == "scenario"}
    assert scenarios == {f"{name}[v1]" for name in options.only_scenarios or ()}
    # The JUnit file names every test distinctly.
    root = ET.parse(tmp_path / "junit.xml").getroot()
    names_seen = Counter((case.get("classname"), case.get("name")) for case in root.iter("testcase"))
    assert names_seen and max(names_seen.values()) == 1
    assert int(root.get("failures", "0")) == 0 and int(root.get("tests", "0")) == len(names_seen)
    assert ("fanfare.schemathesis.v1", "POST /api/v1/audiences :: status_code_conformance") in names_seen
    assert ("fanfare.scenario.v1", "tenant_isolation[v1]") in names_seen
    assert "CONFORMS" in (tmp_path / "report.md").read_text()


def test_read_only_sends_only_gets_and_lists_what_it_skipped(standin: StandIn, standin_options: RunOptions):
    result = run_suite(
        with_options(standin_options, read_only=True, phases=("coverage", "fuzzing", "stateful"))
    )
    methods = Counter(method for method, _ in standin.requests)
    assert set(methods) == {"GET"}, methods
    skipped = {
        o.check: o.skip_reason
        for o in result.outcomes
        if o.status == Status.SKIPPED and o.suite == "scenario"
    }
    assert "audience_create_get_round_trip[v1]" in skipped
    assert skipped["audience_create_get_round_trip[v1]"] == "writes data (read-only run)"
    passed = {o.check for o in result.outcomes if o.status == Status.PASSED and o.suite == "scenario"}
    assert "auth_missing_or_invalid_is_401[v1]" in passed
    assert not (passed & set(skipped))


def test_the_request_budget_is_respected_and_makes_the_run_incomplete(
    standin: StandIn, standin_options: RunOptions
):
    result = run_suite(with_options(standin_options, request_budget=40))
    admitted = len(standin.requests) - len([1 for _ in result.cleaned])  # cleanup is outside the budget
    assert result.requests_sent <= 60  # probes of one scenario may overshoot a little, never much
    assert admitted <= 60
    assert result.incomplete is not None
    assert result.exit_code == 1
    assert any(o.skip_reason and "budget" in o.skip_reason for o in result.outcomes)


def test_a_broken_target_fails_and_the_check_is_named(standin: StandIn, standin_options: RunOptions):
    original = standin.handle

    async def ignores_auth(request):  # type: ignore[no-untyped-def]
        # Every request is served as the first key's organization, whatever it carries.
        scope = dict(request.scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
        scope["headers"].append((b"authorization", f"Bearer {TOKEN}".encode()))
        from starlette.requests import Request

        return await original(Request(scope, request.receive))

    standin.handle = ignores_auth  # type: ignore[method-assign]
    result = run_suite(with_options(standin_options, phases=("coverage",)))
    assert result.exit_code == 1
    broken = failing(result)
    assert "ignored_auth" in broken
    assert {
        "auth_missing_or_invalid_is_401[v1]",
        "auth_publishable_key_is_401[v1]",
        "tenant_isolation[v1]",
    } <= broken
    problem = next(o for o in result.outcomes if o.check == "tenant_isolation[v1]").problems[0]
    assert problem.title.startswith("Another organization's key can")
    assert problem.curl and SECOND not in problem.curl and TOKEN not in problem.curl
    assert "$FANFARE_SECOND_TOKEN" in problem.curl


def test_ctrl_c_still_cleans_up(standin: StandIn, standin_options: RunOptions, monkeypatch):
    from contracts.scenarios import REGISTRY

    item = REGISTRY["audience_create_get_round_trip"]
    original = item.func

    def create_then_interrupt(ctx):  # type: ignore[no-untyped-def]
        original(ctx)
        raise KeyboardInterrupt

    monkeypatch.setitem(REGISTRY, item.name, dataclasses.replace(item, func=create_then_interrupt))
    result = run_suite(
        with_options(standin_options, phases=(), only_scenarios=("audience_create_get_round_trip",))
    )
    assert result.interrupted and result.exit_code == 1
    assert result.cleaned and not result.leftovers
    assert all(a["archived"] for org in standin.orgs.values() for a in org["audiences"].values())


def test_what_cannot_be_deleted_is_reported_as_left_behind(standin: StandIn, standin_options: RunOptions):
    original = standin.handle

    async def delete_fails(request):  # type: ignore[no-untyped-def]
        if request.method == "DELETE":
            from starlette.responses import JSONResponse

            return JSONResponse({"error": "Internal server error"}, 500)
        return await original(request)

    standin.handle = delete_fails  # type: ignore[method-assign]
    result = run_suite(
        with_options(standin_options, phases=(), only_scenarios=("audience_create_get_round_trip",))
    )
    assert result.exit_code == 1
    assert result.leftovers and all(
        item.cleanup_error and "500" in item.cleanup_error for item in result.leftovers
    )
    assert "LEFT BEHIND" in __import__("contracts.report", fromlist=["summary_text"]).summary_text(result)
