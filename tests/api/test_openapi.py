"""Tests of api/openapi.py: the errors each operation declares, as problem details."""

from typing import Any

import pytest

from api import ApiSettings, create_app
from api.openapi import error_statuses, with_errors
from api.problems import MEDIA_TYPE

Operation = dict[str, Any]
KEYED: Operation = {"security": [{"bearer": []}]}
PATH_PARAMETER: Operation = {"parameters": [{"name": "bin_id", "in": "path", "required": True}]}
QUERY_PARAMETER: Operation = {"parameters": [{"name": "limit", "in": "query"}]}
BODY: Operation = {"requestBody": {"content": {"application/json": {}}}}


@pytest.mark.parametrize(
    ("path", "operation", "statuses"),
    [
        ("/livez", {}, {422}),
        ("/v1/bins", QUERY_PARAMETER, {422}),
        ("/v1/bins/{bin_id}", PATH_PARAMETER, {404, 422}),
        ("/v1/uplinks", {**KEYED, **BODY}, {400, 401, 403, 413, 422}),
        ("/v1/reports/{report_id}", PATH_PARAMETER, {404, 422, 429}),
        ("/open311/v2/requests.json", BODY, {400, 413, 422, 429}),
    ],
)
def test_the_statuses_an_operation_may_answer_with_whatever_its_handler(
    path: str, operation: Operation, statuses: set[int]
) -> None:
    """422 anywhere (a NUL); 401 and 403 with a key; 404 with a path parameter; 400 and 413
    with a body; 429 on the public paths."""
    assert error_statuses(path, operation) == statuses


def test_errors_become_problems_and_a_routes_own_description_stays() -> None:
    document: dict[str, Any] = {
        "paths": {
            "/v1/things/{thing_id}": {
                "put": {
                    **PATH_PARAMETER,
                    **KEYED,
                    "responses": {
                        "200": {"description": "OK"},
                        "409": {"description": "Taken."},
                        "422": {
                            "description": "Validation Error",
                            "content": {"application/json": {"schema": {"$ref": "x"}}},
                        },
                    },
                }
            }
        },
        "components": {"schemas": {"HTTPValidationError": {}, "ValidationError": {}}},
    }
    completed = with_errors(document)
    responses = completed["paths"]["/v1/things/{thing_id}"]["put"]["responses"]
    assert list(responses) == ["200", "401", "403", "404", "409", "422"]
    assert responses["409"]["description"] == "Taken."
    for status in ("401", "403", "404", "409", "422"):
        schema = responses[status]["content"][MEDIA_TYPE]["schema"]
        assert (list(responses[status]["content"]), schema) == (
            [MEDIA_TYPE], {"$ref": "#/components/schemas/Problem"}
        )  # fmt: skip
    assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert set(completed["components"]["schemas"]) == {"Problem", "ProblemError"}
    assert "Problem" not in document["components"]["schemas"]  # the input is left alone


def test_the_served_document_declares_problems_and_media_types() -> None:
    """No FastAPI validation error left; every error a problem; each export's media type."""
    app = create_app(ApiSettings(database_url="postgresql:///unused"))
    document = app.openapi()
    assert app.openapi() is document  # built once
    operations = [op for item in document["paths"].values() for op in item.values()]
    for operation in operations:
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == [MEDIA_TYPE]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    exports = {
        "/v1/plans/{plan_date}/routes/{vehicle_id}.gpx": "application/gpx+xml",
        "/v1/plans/{plan_date}/routes/{vehicle_id}.csv": "text/csv",
        "/v1/plans/{plan_date}/routes/{vehicle_id}/manifest": "text/html",
        "/v1/open/containers.geojson": "application/geo+json",
        "/ngsi-ld/v1/entities": "application/ld+json",
    }
    for path, media_type in exports.items():
        assert list(document["paths"][path]["get"]["responses"]["200"]["content"]) == [media_type]
