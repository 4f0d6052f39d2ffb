"""Forms of the review page only count when the page itself sent them: no login CSRF (an
attacker's site signing the victim in as the attacker), no forged sign-out or decision.

Browsers tell where a request comes from (``Sec-Fetch-Site``, and ``Origin`` in older ones);
the headers are set here as a browser sets them, and ``test_api_review_page`` checks one real
Chromium against a real cross-site page."""

from __future__ import annotations

import re

import pytest
from api_helpers import first_case
from fastapi.testclient import TestClient

from api.pages import COOKIE

# Headers decide here, not the database: one store is enough (the forms' effects on both
# databases are tested in test_api_review.py and test_api_pages.py).
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

CROSS_SITE: list[dict[str, str]] = [
    {"sec-fetch-site": "cross-site", "origin": "http://evil.example"},
    {"sec-fetch-site": "same-site", "origin": "http://evil.testserver"},  # a sibling host
    {"origin": "http://evil.example"},  # a browser without Fetch Metadata
    {"origin": "null"},  # a sandboxed frame or a data: page
    {"origin": "https://testserver.evil.example"},
]
SAME_ORIGIN: list[dict[str, str]] = [
    {"sec-fetch-site": "same-origin", "origin": "http://testserver"},
    {"sec-fetch-site": "none"},  # the user's own navigation
    {"origin": "http://testserver"},
    {},  # not a browser (curl): it carries no victim's cookie to abuse
]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_a_login_posted_from_another_site_is_refused(
    client: TestClient, seeded: object, headers: dict[str, str]
) -> None:
    token = seeded.tokens["viewer"]  # type: ignore[attr-defined]
    answer = client.post(
        "/ui/login",
        data={"token": token, "next": "/ui/runs"},
        headers=headers,
        follow_redirects=False,
    )
    assert answer.status_code == 403, answer.text
    assert "set-cookie" not in answer.headers
    assert "another site" in answer.json()["detail"]
    assert COOKIE not in client.cookies


@pytest.mark.parametrize("headers", SAME_ORIGIN)
def test_a_login_from_the_page_itself_signs_in(
    client: TestClient, seeded: object, headers: dict[str, str]
) -> None:
    token = seeded.tokens["viewer"]  # type: ignore[attr-defined]
    answer = client.post(
        "/ui/login",
        data={"token": token, "next": "/ui/runs"},
        headers=headers,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert f"{COOKIE}=" in answer.headers["set-cookie"]


def test_sign_out_and_decisions_from_another_site_are_refused(
    client: TestClient, seeded: object, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    signed_in = client.post(
        "/ui/login",
        data={"token": seeded.tokens["reviewer"], "next": "/ui/runs"},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    case = first_case(client, run_id, auth["reviewer"], verdict="BREAKING")
    page = client.get(f"/ui/runs/{run_id}/cases/{case['id']}").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert csrf is not None
    cross = CROSS_SITE[0]
    # Even with the right form field (a page of ours the attacker framed or read), the
    # browser says the post came from elsewhere.
    decided = client.post(
        f"/ui/runs/{run_id}/cases/{case['id']}/decision",
        data={"action": "accept", "csrf": csrf[1]},
        headers=cross,
        follow_redirects=False,
    )
    assert decided.status_code == 403
    out = client.post("/ui/logout", headers=cross, follow_redirects=False)
    assert out.status_code == 403 and "set-cookie" not in out.headers
    detail = client.get(f"/api/v1/runs/{run_id}/cases/{case['id']}", headers=auth["viewer"])
    assert detail.json()["review"] is None  # nothing was decided


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/runs", {"GET", "POST"}),
        ("/api/v1/tokens", {"GET", "POST"}),
        ("/api/v1/releases", {"GET", "POST"}),
        ("/api/v1/health", {"GET"}),
        ("/ui/login", {"GET", "POST"}),
    ],
)
def test_405_names_every_method_the_path_serves(
    client: TestClient, path: str, allowed: set[str]
) -> None:
    answer = client.put(path, json={})
    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"
    assert set(answer.headers["allow"].split(", ")) == allowed
