"""The published OpenAPI schema, fuzzed in-process with schemathesis on every operation:
no 5xx, and no answer (status, content type, headers, body) that contradicts the schema.

Path parameters name the seeded run and one of its breaking cases, so the fuzzer reads real
reports and pages and sends real (fuzzed) decisions instead of meeting 404s; unknown ids are
covered by the endpoint tests. Runs submitted by the fuzzer execute for real against the
simulator, held small by the run size cap. ``positive_data_acceptance`` is left out on
purpose: a body can match the schema and still name a prompt, case or target the server does
not have, which is a 422.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from pgcluster import Backend
from schemathesis import BaseSchema, Case
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlmodel import Session

from api import create_app
from promptcompat.config import Settings
from promptcompat.report import results


@pytest.fixture
def backend() -> Backend:
    # The fuzzer's subject is the HTTP contract (status, content type, schema); the store's
    # queries behind each endpoint run on PostgreSQL in the endpoint tests. SQLite alone (CI time).
    return "sqlite"


MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    missing_required_header,
    unsupported_method,
]


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32 renames subtests through Node._nodeid, which pytest 9 no longer has.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def fuzzed_app(api_settings: Settings) -> FastAPI:
    # Small runs only: a fuzzed POST /runs executes on the simulator.
    return create_app(api_settings.model_copy(update={"api_max_run_calls": 60}))


@pytest.fixture
def api_schema(fuzzed_app: FastAPI, run_id: str) -> BaseSchema:
    with Session(fuzzed_app.state.pc.engine) as session:
        (case,) = results.case_page(
            session=session, run_id=run_id, limit=1, verdict="BREAKING"
        ).items
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzzed_app)
    schema.config.seed = 1
    schema.config.parameters = {"path.run_id": run_id, "path.case_result_id": case["id"]}
    # The token comes from the test, so auth is not a parameter to generate or to mutate.
    schema.config.generation.update(
        max_examples=MAX_EXAMPLES, deterministic=True, with_security_parameters=False
    )
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_published_schema(
    case: Case, auth: dict[str, dict[str, str]], fuzzed_app: FastAPI
) -> None:
    case.call_and_validate(headers=auth["admin"], checks=CHECKS)
