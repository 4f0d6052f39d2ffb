"""End to end in headless Chromium (Debian's package, driven by Playwright): a reviewer opens
the review page of a run with a breaking case, sees the highlighted diff, clicks accept, and
the decision is in the audit log through the API. The case view is kept as a screenshot in
``test-artifacts/`` (or ``$PROMPTCOMPAT_TEST_ARTIFACTS``)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from api_helpers import serve_in_thread
from fastapi import FastAPI
from pgcluster import Backend


@pytest.fixture
def backend() -> Backend:
    # The subject is the page in a browser; the endpoints it calls run on PostgreSQL in
    # test_api_review.py. SQLite alone (CI time).
    return "sqlite"


if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(
    os.environ.get(
        "PROMPTCOMPAT_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"
    )
)


@pytest.fixture(autouse=True)
def _chromium_present() -> None:
    """Skip without the browser, except under ``CI=true``, where a missing browser fails."""
    if CHROMIUM.exists():
        return
    reason = f"needs Debian's chromium at {CHROMIUM} (scripts/test installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread of this process."""
    with serve_in_thread(app) as base_url:
        yield base_url


@contextmanager
def chromium(tmp_path: Path, **options: Any) -> Iterator[BrowserContext]:
    """Headless Chromium with its own profile under ``tmp_path``, closed and removed after."""
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch_persistent_context(
                user_data_dir=str(tmp_path / "chromium-profile"),
                executable_path=str(CHROMIUM),
                headless=True,
                args=FLAGS,
                **options,
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def api_get(url: str, token: str) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_a_reviewer_accepts_a_breaking_case_in_the_browser(
    live_server: str, seeded: object, run_id: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    token = seeded.tokens["reviewer"]  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium(tmp_path, viewport={"width": 1400, "height": 1000}) as browser:
        page = browser.new_page()
        page.goto(f"{live_server}/ui/runs/{run_id}")
        expect(page).to_have_url(f"{live_server}/ui/login?next=/ui/runs/{run_id}")
        page.fill("input[name=token]", token)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{live_server}/ui/runs/{run_id}")
        expect(page.locator("table.matrix").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "review-run.png"), full_page=False)
        page.select_option("select[name=verdict]", "BREAKING")
        page.fill("input[name=rule]", "json.field_removed")  # a renamed field
        page.click("form.filters button")
        breaking = page.locator("tr.row-BREAKING a.case-link").first
        case_id = breaking.inner_text()
        breaking.click()
        expect(page.locator("h1")).to_contain_text(case_id)
        # The changed spans are highlighted on both sides, findings shown as badges.
        marked = page.locator(".pair .chg").first
        expect(marked).to_be_visible()
        assert "company" in marked.inner_text()  # the removed field, not the whole output
        assert page.locator(".findings .badge.sev-ERR").count() >= 1
        assert marked.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
        page.screenshot(path=str(ARTIFACTS / "review-case-view.png"), full_page=True)
        case_result_id = page.url.rsplit("/", 1)[-1]
        page.fill("input[name=reason]", "the new output is what we want")
        page.click("button.accept")
        expect(page.locator(".notice")).to_contain_text("accepted")
        expect(page.locator(".decision-accepted")).to_contain_text("reviewer-1")
        assert page.locator("button.accept").count() == 0
        page.screenshot(path=str(ARTIFACTS / "review-case-accepted.png"), full_page=True)
    audit = api_get(f"{live_server}/api/v1/audit?subject={case_result_id}", token)
    (entry,) = audit["items"]
    assert entry["action"] == "case.accept" and entry["actor"] == "reviewer-1"
    assert entry["reason"] == "the new output is what we want"
    assert (ARTIFACTS / "review-case-view.png").stat().st_size > 10_000


def test_a_login_form_on_another_site_does_not_sign_the_browser_in(
    live_server: str, seeded: object, tmp_path: Path
) -> None:
    """Login CSRF: a page on another site posts the attacker's token to our sign-in form."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from api.pages import COOKIE

    attacker_token = seeded.tokens["viewer"]  # type: ignore[attr-defined]
    lure = (
        f'<form method="post" action="{live_server}/ui/login">'
        f'<input name="token" value="{attacker_token}"><input name="next" value="/ui/runs">'
        "</form><script>document.forms[0].submit()</script>"
    ).encode()

    class Lure(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(lure)))
            self.end_headers()
            self.wfile.write(lure)

        def log_message(self, format: str, *args: object) -> None:
            pass

    evil = ThreadingHTTPServer(("127.0.0.1", 0), Lure)
    Thread(target=evil.serve_forever, daemon=True).start()
    # "localhost" and "127.0.0.1" are different sites to the browser.
    evil_url = f"http://localhost:{evil.server_address[1]}/"
    try:
        with chromium(tmp_path) as browser:
            page = browser.new_page()
            with page.expect_response(f"{live_server}/ui/login") as posted:
                page.goto(evil_url)
            assert posted.value.status == 403
            signed = browser.cookies(f"{live_server}/ui/runs")  # the cookie's path is /ui
            assert COOKIE not in {c["name"] for c in signed}
            page.goto(f"{live_server}/ui/runs")
            assert page.url.startswith(f"{live_server}/ui/login")  # still signed out
    finally:
        evil.shutdown()
        evil.server_close()


def test_a_reviewer_marks_a_verdict_wrong_in_the_browser(
    live_server: str, seeded: object, run_id: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    token = seeded.tokens["reviewer"]  # type: ignore[attr-defined]
    with chromium(tmp_path) as browser:
        page = browser.new_page()
        page.goto(f"{live_server}/ui/runs/{run_id}?verdict=BREAKING")
        page.fill("input[name=token]", token)
        page.click("button[type=submit]")
        page.locator("tr.row-BREAKING a.case-link").first.click()
        case_result_id = page.url.rsplit("/", 1)[-1]
        page.select_option("select[name=right_verdict]", "COMPATIBLE")
        page.fill("form.mark-verdict input[name=reason]", "a harmless rename")
        page.click("button.mark-wrong")
        expect(page.locator(".notice")).to_contain_text("Verdict marked")
        expect(page.locator(".marked")).to_contain_text("reviewer-1")
        expect(page.locator(".marked .right-verdict")).to_have_text("COMPATIBLE")
        expect(page.locator(".marked")).to_contain_text("equivalent")
    audit = api_get(f"{live_server}/api/v1/audit?subject={case_result_id}&action=case.mark", token)
    (entry,) = audit["items"]
    assert entry["actor"] == "reviewer-1" and entry["reason"] == "a harmless rename"
    assert entry["detail"]["right_verdict"] == "COMPATIBLE"


def test_undecided_key_facts_and_the_judges_answers_on_the_case_page(
    live_server: str, seeded: object, run_id: str, api_settings: object, tmp_path: Path
) -> None:
    """A case whose key facts the fact diff left undecided: each is listed with what the judge
    answered (kept as ``compat.judge`` keeps it), or as not asked."""
    from playwright.sync_api import expect
    from sqlmodel import select

    from promptcompat import store
    from promptcompat.compat.judge import (
        FACT_QUESTION_VERSION,
        Answer,
        Trust,
        decide,
        judgement_view,
    )
    from promptcompat.store.tables.core import CaseResult

    def judged(verdict: str, reason: str) -> dict[str, object]:
        answer = Answer("different", (reason,)) if verdict == "d" else Answer("equivalent", ())
        judgement = decide({"baseline_first": [answer], "candidate_first": [answer]}, samples=1)
        trust = Trust(calibrated=False, kappa=None, min_kappa=0.6)
        return judgement_view(
            judgement, judge="openai:gpt-sim-judge", question=FACT_QUESTION_VERSION, trust=trust
        )

    engine = store.open_engine(api_settings.resolved_database_url())  # type: ignore[attr-defined]
    with store.session_scope(engine) as session:
        row = session.exec(select(CaseResult).where(CaseResult.run_id == run_id)).first()
        assert row is not None
        case_result_id = row.id
        coverage = dict(row.structural_diff.get("coverage") or {})
        coverage["undecided_facts"] = ["the outage was partial", "service is back", "we apologised"]
        row.structural_diff = {
            **row.structural_diff,
            "coverage": coverage,
            "judge_facts": {
                "the outage was partial": judged("d", "the answer does not say 'partial'"),
                "service is back": judged("e", ""),
            },
        }
        session.add(row)
    engine.dispose()
    token = seeded.tokens["viewer"]  # type: ignore[attr-defined]
    with chromium(tmp_path) as browser:
        page = browser.new_page()
        page.goto(f"{live_server}/ui/runs/{run_id}/cases/{case_result_id}")
        page.fill("input[name=token]", token)
        page.click("button[type=submit]")
        page.goto(f"{live_server}/ui/runs/{run_id}/cases/{case_result_id}")
        facts = page.locator("section.key-facts li.key-fact")
        expect(facts).to_have_count(3)
        expect(facts.nth(0).locator(".statement")).to_have_text("the outage was partial")
        expect(facts.nth(0).locator(".answer")).to_have_text("missing")
        expect(facts.nth(0)).to_contain_text("judge/fact-1")
        expect(facts.nth(0)).to_contain_text("2/2 answers said missing")
        expect(facts.nth(0)).to_contain_text("the answer does not say 'partial'")
        expect(facts.nth(1).locator(".answer")).to_have_text("conveyed")
        expect(facts.nth(2).locator(".answer")).to_contain_text("no judge asked")
