"""The HTML report as a person sees it, in real headless Chromium: it renders offline, the failures are
there with their curl, and the coverage matrix lists every operation of the spec. `--min-coverage` fails
a run below it. The screenshot is kept under reports/ (git-ignored) and its path printed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from contract_faults import FaultMiddleware
from contract_standin import SECOND, TOKEN
from playwright.sync_api import sync_playwright
from test_contract_proxy import HERE, ROOT, ROWS, Served

from contracts.options import RunOptions
from contracts.proxy import ProxyOptions, run_proxy
from contracts.runner import run_suite

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _operations() -> int:
    import fanfare_spec

    spec = fanfare_spec.load("fanfare")
    methods = ("get", "put", "post", "delete", "patch")
    return sum(
        1 for path, item in spec["paths"].items() if path.startswith("/api/") for m in methods if m in item
    )


def test_the_report_reads_right_in_chromium(mock_app_factory: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FANFARE_TOKEN", TOKEN)
    out = ROOT / "reports"
    html = out / "proxy-report.html"
    upstream = Served(FaultMiddleware(mock_app_factory(), ROWS["delete_keeps_audience"].make()))
    try:
        code, _, _ = run_proxy(
            ProxyOptions(
                upstream=upstream.url,
                command=(sys.executable, str(HERE / "proxy_client.py")),
                reports=(html,),
            ),
            lambda _: None,
        )
    finally:
        upstream.stop()
    assert code == 1
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.goto(html.as_uri())
            verdict = page.locator("#verdict")
            assert verdict.is_visible() and "does NOT conform" in verdict.inner_text()
            assert page.locator("header.fail").is_visible()
            group = page.locator("h3.check", has_text="fanfare_delete_then_404")
            assert group.is_visible()
            failures = page.locator(".failure", has_text="A deleted entity is still served")
            assert failures.count() == 2  # one per family
            assert "curl -sS -X GET" in failures.first.inner_text()
            rows = page.locator("table.matrix tbody tr")
            assert rows.count() == _operations()
            listed = {rows.nth(i).get_attribute("data-operation") for i in range(rows.count())}
            assert (
                "DELETE /api/v1/audiences/{audienceId}" in listed
                and "GET /api/consumers/{id}/audiences" in listed
            )
            exercised = page.locator(
                "table.matrix tr[data-operation='DELETE /api/v1/audiences/{audienceId}'] td"
            )
            assert exercised.nth(1).inner_text() == "yes" and "200" in exercised.nth(2).inner_text()
            never = page.locator("table.matrix tr[data-operation='GET /api/consumers/{id}/audiences'] td")
            assert never.nth(1).inner_text() == "no"
            shot = out / "proxy-report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert requests == [html.as_uri()], f"the report fetched something: {requests}"
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


def _small_run(app: Any, minimum: float | None, tmp_path: Path) -> Any:
    return run_suite(
        RunOptions(
            base_url="http://mock.test",
            token=TOKEN,
            second_token=SECOND,
            family="v1",
            app=app,
            phases=(),
            only_scenarios=("audience_create_get_round_trip",),
            min_coverage=minimum,
            report=tmp_path / "run.html",
        )
    )


def test_min_coverage_fails_a_run_below_it(mock_app_factory: Any, tmp_path: Path):
    below = _small_run(mock_app_factory(), 50, tmp_path)
    assert not below.conforms and below.exit_code == 1
    assert any("below --min-coverage 50%" in error for error in below.errors), below.errors
    assert below.coverage is not None and 0 < below.coverage.percent < 50
    page = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert (
        "below --min-coverage 50%" in page and 'data-family="v1"' in page and 'data-family="api"' not in page
    )
    above = _small_run(mock_app_factory(), 5, tmp_path)
    assert above.conforms, above.errors
