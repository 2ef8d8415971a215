"""Schemathesis over the OpenAPI document (issue 7): every operation, with generated valid and
invalid requests, answers without a server error, with a status, a content type, headers and
a body that its document declares.

One test per operation. Each calls the app in-process on the test database holding a plan,
bins and a report with a photo, with an admin key (which may call every operation); half of
the generated path parameters, and of some queries, name those rows, so that successes are
exercised as well as 404s. Seeded and derandomized: the same cases every run.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.python.asgi import shutdown_lifespans

from api import ApiSettings, create_app
from api.keys import create_key
from optimizer import PlannerSettings, plan_day
from optimizer.reports import file_report

DAY = date.today() + timedelta(days=7)
T = datetime.now(UTC) - timedelta(hours=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
KNOWN = {
    "bin_id": "b0",
    "vehicle_id": "t1",
    "plan_date": DAY.isoformat(),
    "plan_id": 1,
    "report_id": 1,
    "request_id": 1,
}
"""Path parameters naming the rows of `town` (ids restart at 1 in each test's database)."""
QUERIES = {
    "/v1/pickups": {"bin_id": "b0"},
    "/v1/pickups.ics": {"bin_id": "b0"},
    "/v1/collected": {"bin_id": "b0"},
    "/v1/open/stats": {"start": (DAY - timedelta(days=14)).isoformat(), "end": DAY.isoformat()},
}
"""Queries that find something, for the operations whose generated queries rarely do."""
EXAMPLES = 10
"""Generated cases per operation in the fuzzing phase (the coverage phase adds its own)."""
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 7,
        "cache": {"enabled": False},  # no failures replayed from earlier runs: the same cases
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    }
)
AddRow = Callable[..., None]


def _document() -> dict[str, Any]:
    """The app's OpenAPI document, as /openapi.json serves it (no database needed)."""
    return create_app(ApiSettings(database_url="postgresql:///unused")).openapi()


schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """The generated path parameters, or the same naming the rows of `town`."""
    if not path_parameters:
        return st.just(path_parameters)
    named = {name: KNOWN.get(name, value) for name, value in path_parameters.items()}
    return st.sampled_from([path_parameters, named])


@schema.hook
def flatmap_query(
    context: schemathesis.HookContext, query: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """The generated query, or one of `QUERIES`."""
    found = QUERIES.get(context.operation.path) if context.operation else None
    return st.just(query) if found is None else st.sampled_from([query, found])


@pytest.fixture(scope="module")
def app(database_url: str) -> Iterator[FastAPI]:
    """The API on the test database, with a rate limit no fuzzer reaches (the 429 is tested
    in test_limits.py); its lifespan starts with the first call."""
    settings = ApiSettings(database_url=database_url, public_per_minute=1e6, public_burst=10**6)
    yield create_app(settings)
    shutdown_lifespans()


@pytest.fixture
def town(
    db: psycopg.Connection,
    add_depot: AddRow,
    add_vehicle: AddRow,
    add_bin: AddRow,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """Bins b0 to b3 on a plan for `DAY` with trucks t1 and t2, a resident's report with a
    photo, and the headers of an admin key."""
    monkeypatch.setenv("CURBSIDE_TIME_LIMIT_S", "0.5")  # the plans the fuzzer requests
    monkeypatch.setenv("CURBSIDE_SOLUTION_LIMIT", "20")
    add_depot()
    add_vehicle("t1")
    add_vehicle("t2")
    for i in range(4):
        add_bin(f"b{i}", 1.0 + i * 0.5, (-1) ** i * 1.0, [(T, 75.0)], 400.0)
    fast = PlannerSettings(selection="threshold", time_limit_s=1, solution_limit=100)
    assert plan_day(db, DAY, fast).plan_id == KNOWN["plan_id"]
    report = file_report(db, "damaged", 45.01, 7.0, "lid", "b0", (PNG, "image/png"))
    assert report.id == KNOWN["report_id"]
    _, admin = create_key(db, "Schemathesis", "admin")
    return {"Authorization": f"Bearer {admin}"}


@schema.parametrize()
# The rows of `town` are made once per operation, not once per case: the fuzzer's own
# changes (plans, reports) add up within an operation, which is fine.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_answer_is_declared(
    case: schemathesis.Case[Any], app: FastAPI, town: dict[str, str]
) -> None:
    """No server error; each answer's status, content type, headers and body as declared."""
    case.call_and_validate(app=app, headers=town)
