"""The review pages without a browser: sign-in, roles, CSRF, escaping, security headers."""

from __future__ import annotations

import re

from api_helpers import first_case
from fastapi.testclient import TestClient

from api.pages import COOKIE


def sign_in(client: TestClient, token: str) -> None:
    answer = client.post(
        "/ui/login", data={"token": token, "next": "/ui/runs"}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/runs"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie


def test_pages_send_a_browser_without_a_token_to_sign_in(client: TestClient, run_id: str) -> None:
    answer = client.get(f"/ui/runs/{run_id}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/ui/login?next=/ui/runs/{run_id}"
    wrong = client.post("/ui/login", data={"token": "pct_nope"})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    evil = client.post(
        "/ui/login", data={"token": "x", "next": "//evil.example/"}, follow_redirects=False
    )
    assert "evil" not in evil.text.split('name="next"')[1][:60]


def test_a_viewer_sees_the_run_and_the_case_but_no_decision_buttons(
    client: TestClient, seeded: object, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    sign_in(client, seeded.tokens["viewer"])  # type: ignore[attr-defined]
    run = client.get(f"/ui/runs/{run_id}")
    assert run.status_code == 200 and "Compatibility matrix" in run.text
    for header in ("content-security-policy", "x-content-type-options", "referrer-policy"):
        assert header in run.headers
    case = first_case(client, run_id, auth["viewer"], verdict="BREAKING")
    page = client.get(f"/ui/runs/{run_id}/cases/{case['id']}")
    assert page.status_code == 200
    assert case["case_id"] in page.text and 'class="chg"' in page.text
    assert "Accept as new baseline" not in page.text
    csrf = "0" * 64
    refused = client.post(
        f"/ui/runs/{run_id}/cases/{case['id']}/decision",
        data={"action": "accept", "csrf": csrf},
    )
    assert refused.status_code == 403


def test_a_reviewer_decides_through_the_form_only_with_its_csrf_field(
    client: TestClient, seeded: object, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    sign_in(client, seeded.tokens["reviewer"])  # type: ignore[attr-defined]
    case = first_case(client, run_id, auth["reviewer"], verdict="BREAKING")
    page = client.get(f"/ui/runs/{run_id}/cases/{case['id']}").text
    match = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert match and "Accept as new baseline" in page
    path = f"/ui/runs/{run_id}/cases/{case['id']}/decision"
    forged = client.post(path, data={"action": "reject", "csrf": "f" * 64})
    assert forged.status_code == 403 and "stale" in forged.text
    done = client.post(
        path,
        data={"action": "reject", "csrf": match[1], "reason": "<script>alert(1)</script>"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "Rejected by" in shown.text and "reviewer-1" in shown.text
    assert "<script>alert(1)</script>" not in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    audit = client.get(
        "/api/v1/audit", params={"subject": case["id"]}, headers=auth["reviewer"]
    ).json()
    assert [e["action"] for e in audit["items"]] == ["case.reject"]


def test_unknown_objects_render_an_error_page_and_sign_out_clears_the_cookie(
    client: TestClient, seeded: object, run_id: str
) -> None:
    sign_in(client, seeded.tokens["viewer"])  # type: ignore[attr-defined]
    missing = client.get(f"/ui/runs/{run_id}/cases/{'0' * 32}")
    assert missing.status_code == 404 and "Error 404" in missing.text
    assert client.get("/ui/runs").status_code == 200
    out = client.post("/ui/logout", follow_redirects=False)
    assert out.status_code == 303 and f'{COOKIE}=""' in out.headers["set-cookie"]
