"""The dashboard and the docs page in a real headless Chromium: load a scenario, browse members, force a
sync failure and see it, advance the clock and watch an experience go active, add a fault and see the
journal show it, and try an operation from the docs."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow  # a real Chromium per module: about a minute

KEY = "sk_test_browser_tenant"
AUTH = {"Authorization": f"Bearer {KEY}"}

SCENARIO = f"""\
clock: 2025-03-01T00:00:00Z
organizations:
  - key: {KEY}
    progression:
      sync: {{mode: immediate}}
    audiences:
      - name: Weekly digest
        type: STATIC
        members: 25 generated
      - name: VIP
        type: DYNAMIC
        rules: [{{field: totalOrders, operator: GREATER_THAN_OR_EQUAL, values: [5]}}]
    syncedLists:
      - {{listId: YwxYPP}}
    experiences:
      - {{name: Spring drop, openAt: +2h, closeAt: +2d}}
"""


def open_dashboard(page: Any, base: str, fragment: str = "") -> None:
    page.goto(f"{base}/_mock/{fragment}")
    page.wait_for_selector("#clock-now:not(:text('…'))")


def load_scenario(page: Any) -> None:
    page.click("#scenario-box summary")
    page.fill("#scenario-text", SCENARIO)
    page.click("#scenario-load")
    # the first load compiles the Admin API's validators: a minute on a busy machine
    page.wait_for_selector("#scenario-result:has-text('loaded: 1 organization(s)')", timeout=90_000)
    page.wait_for_selector("#audiences tr[data-audience]")


def row(page: Any, table: str, text: str) -> Any:
    return page.locator(f"#{table} tbody tr", has_text=text)


def test_load_a_scenario_and_browse_members(page: Any, served: tuple[Any, str]) -> None:
    _, base = served
    open_dashboard(page, base)
    load_scenario(page)
    assert page.locator("#orgs li").count() == 1
    newsletter = row(page, "audiences", "Weekly digest")
    assert re.search(r"STATIC\s*25\s*ready\s*1", newsletter.inner_text())
    newsletter.click()
    page.wait_for_selector("#members-table tbody tr >> nth=9")
    assert page.locator("#members-table tbody tr").count() == 10
    first_page = page.locator("#members-table tbody tr").first.inner_text()
    page.click("#members-next")
    page.wait_for_selector("#members-page:has-text('page 2')")
    assert page.locator("#members-table tbody tr").first.inner_text() != first_page
    page.click("#members-next")
    page.wait_for_selector("#members-page:has-text('page 3')")
    assert page.locator("#members-table tbody tr").count() == 5  # 25 members, 10 a page
    assert page.locator("#members-next").is_disabled()
    page.click("#members-prev")
    page.wait_for_selector("#members-page:has-text('page 2')")
    email = first_page.split("\t")[0].strip()
    page.fill("#member-search", email)
    page.press("#member-search", "Enter")
    page.wait_for_function("document.querySelectorAll('#members-table tbody tr').length === 1")
    assert email in page.locator("#members-table tbody tr").inner_text()


def test_force_a_sync_failure_and_see_it(page: Any, served: tuple[Any, str]) -> None:
    _, base = served
    open_dashboard(page, base)
    load_scenario(page)
    synced = row(page, "syncs", "YwxYPP")
    assert "SUCCESS" in synced.inner_text()
    page.click("#force-sync-fail")
    page.wait_for_selector("#jobs-box .forced:has-text('1 forced outcome(s) queued')")
    audience_id = page.locator("#audiences tr", has_text="SYNCED_LIST").get_attribute("data-audience")
    # the frontend under development asks for a re-sync; the forced outcome decides it
    assert httpx.post(f"{base}/api/v1/audiences/{audience_id}/sync", headers=AUTH).status_code == 200
    page.wait_for_selector("#syncs tr:has-text('FAILED')")
    assert "the ESP is down" in row(page, "syncs", "YwxYPP").inner_text()
    assert "failed" in page.locator(f"#audiences tr[data-audience='{audience_id}']").inner_text()


def test_advance_the_clock_and_watch_an_experience_go_active(page: Any, served: tuple[Any, str]) -> None:
    _, base = served
    open_dashboard(page, base)
    load_scenario(page)
    assert "scheduled" in row(page, "experiences", "Spring drop").inner_text()
    page.click("[data-advance='3600']")
    page.wait_for_selector("#clock-now:has-text('2025-03-01 01:00:00')")
    assert "scheduled" in row(page, "experiences", "Spring drop").inner_text()
    page.click("[data-advance='3600']")
    page.wait_for_selector("#experiences tr:has-text('active')")
    api = httpx.get(f"{base}/api/v1/experiences", headers=AUTH).json()
    assert [e["status"] for e in api] == ["active"]
    page.fill("#clock-set", "2025-03-05T00:00:00Z")
    page.click("#clock-set-btn")
    page.wait_for_selector("#experiences tr:has-text('completed')")
    page.click("#clock-run")
    page.wait_for_selector("#clock-mode:has-text('running')")
    page.click("#clock-freeze")
    page.wait_for_selector("#clock-mode:has-text('frozen')")


def test_add_a_fault_and_see_the_journal_show_it(page: Any, served: tuple[Any, str]) -> None:
    _, base = served
    open_dashboard(page, base)
    page.fill("#fault-form [name=operationId]", "getV1Audiences")
    page.fill("#fault-form [name=status]", "500")
    page.fill("#fault-form [name=times]", "1")
    page.click("#fault-form button[type=submit]")
    page.wait_for_selector("#faults tr[data-fault]:has-text('getV1Audiences')")
    assert httpx.get(f"{base}/api/v1/audiences", headers=AUTH).status_code == 500
    entry = page.locator("#journal tbody tr[data-seq]", has_text="getV1Audiences")
    entry.wait_for()
    text = entry.inner_text()
    assert "500" in text and "fault #1" in text
    entry.click()
    page.wait_for_selector("#journal tr.detail pre.body:has-text('Internal server error')")
    page.wait_for_selector("#faults td:has-text('No fault rules')")  # times: 1, used up
    page.fill("#f-status", "2xx")
    page.dispatch_event("#f-status", "change")
    page.wait_for_function("!document.querySelector('#journal tbody').textContent.includes('getV1Audiences')")
    assert httpx.get(f"{base}/api/v1/audiences", headers=AUTH).status_code == 200
    page.wait_for_selector("#journal tbody tr:has-text('getV1Audiences')")
    assert "500" not in page.locator("#journal tbody tr", has_text="getV1Audiences").first.inner_text()


def test_the_page_sends_the_credential_it_is_given(page: Any, served: tuple[Any, str]) -> None:
    _, base = served
    sent: list[str | None] = []  # what the browser really sent (control-plane reads are not journaled)
    page.on(
        "request",
        lambda request: (
            sent.append(request.headers.get("authorization"))
            if request.url.endswith("/_mock/clock")
            else None
        ),
    )
    open_dashboard(page, base, "#token=tok_browser_1234")
    assert "token=" not in page.url  # taken out of the address bar
    assert sent and all(value == "Bearer tok_browser_1234" for value in sent), sent


def test_the_docs_render_and_try_it_calls_this_mock(
    page: Any, served: tuple[Any, str], request: pytest.FixtureRequest
) -> None:
    _, base = served
    request.node.full_page = False  # the whole document is 14,000 pixels tall: keep the answer in view
    page.goto(f"{base}/docs")
    page.wait_for_selector(".swagger-ui .info .title:has-text('Fanfare Admin API')")
    page.click(".swagger-ui .btn.authorize")
    page.fill(".modal-ux input[type=text], .modal-ux input[type=password]", KEY)
    page.click(".modal-ux .auth-btn-wrapper .authorize")
    page.click(".modal-ux .close-modal")
    block = page.locator("#operations-v1_audiences-getV1Audiences")
    block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    block.locator(".execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert base in block.locator(".request-url").inner_text()
    block.locator(".live-responses-table").scroll_into_view_if_needed()
