"""The OpenAPI document declares every answer the API gives, errors included.

FastAPI documents each operation's success and, for an operation with parameters, a 422 in
its own shape. The API answers every error as problem details (api/problems.py), and some
errors come from what an operation is rather than from its handler: every request may be
refused with 422 (a NUL character), a keyed one with 401 or 403, one with a path parameter
with 404 (no such thing, or a value that makes another path), one with a body with 400 (it
cannot be parsed) or 413 (too large), a public one with 429. `with_errors` adds those to each
operation, and turns every error response, these and the ones a route declares itself (e.g.
`responses={409: {"description": ...}}`), into `application/problem+json` with the `Problem`
schema. `install` makes the application serve the document so completed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.problems import MEDIA_TYPE, Problem
from api.ratelimit import is_public

Document = dict[str, Any]

SCHEMAS = "#/components/schemas/"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ERRORS = {
    400: "The body cannot be parsed (JSON that is not UTF-8, a broken form).",
    401: "No API key, or an unknown or revoked one.",
    403: "The key's role may not do this, or it is another vehicle's driver's.",
    404: "Nothing by that name or date.",
    409: "The request conflicts with what is there.",
    413: "The body is larger than the API accepts.",
    415: "The body's media type is not accepted.",
    422: "The request is not valid: `detail` says why, `errors` lists each failing part.",
    429: "Too many requests from this address: try again after `Retry-After` seconds.",
}
"""A default description of each error status (a route's own replaces it)."""
HEADERS = {
    401: {"WWW-Authenticate": "Bearer"},
    429: {"Retry-After": "seconds to wait before the next request"},
}
"""The headers always sent with an error status."""
GEOJSON = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"type": "object"}},
    },
}
"""The schema of a GeoJSON FeatureCollection (RFC 7946), for routes that answer one."""
FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
"""FastAPI's own 422 schemas, unused once every 422 is a problem."""


def error_statuses(path: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses any operation like this one may answer with, whatever its handler
    does: from its path, its security, its parameters and its body."""
    statuses = {422}
    if operation.get("security"):
        statuses |= {401, 403}
    if any(parameter.get("in") == "path" for parameter in operation.get("parameters", [])):
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413}
    if is_public(path):
        statuses.add(429)
    return statuses


def _problem_response(status: int, declared: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": declared.get("description") or ERRORS.get(status, "An error."),
        "content": {MEDIA_TYPE: {"schema": {"$ref": f"{SCHEMAS}Problem"}}},
    }
    headers = {
        name: {"description": text, "required": True, "schema": {"type": "string"}}
        for name, text in HEADERS.get(status, {}).items()
    }
    if headers or "headers" in declared:
        response["headers"] = {**headers, **declared.get("headers", {})}
    return response


def _problem_schemas() -> dict[str, Any]:
    """`Problem` and the models it uses, as component schemas."""
    schema = Problem.model_json_schema(ref_template=SCHEMAS + "{model}")
    nested: dict[str, Any] = schema.pop("$defs", {})
    return {**nested, "Problem": schema}


def with_errors(document: Document) -> Document:
    """A copy of the OpenAPI `document` whose operations declare their errors as problems."""
    completed = copy.deepcopy(document)
    for path, item in completed.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status in error_statuses(path, operation):
                responses.setdefault(str(status), {})
            for key, declared in list(responses.items()):
                if key.isdigit() and int(key) >= 400:
                    responses[key] = _problem_response(int(key), declared)
            operation["responses"] = dict(sorted(responses.items()))
    schemas = completed.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_problem_schemas())
    for name in FASTAPI_VALIDATION:  # HTTPValidationError first: it refers to the other
        if f'"{SCHEMAS}{name}"' not in json.dumps(completed):
            schemas.pop(name, None)
    completed["components"]["schemas"] = dict(sorted(schemas.items()))
    return completed


def install(app: FastAPI) -> None:
    """Serve `app`'s OpenAPI document with its errors declared (built when first asked for,
    and again when FastAPI rebuilds its own)."""
    build: Callable[[], Document] = app.openapi
    cached: list[tuple[Document, Document]] = []

    def openapi() -> Document:
        generated = build()
        if not cached or cached[0][0] is not generated:
            cached[:] = [(generated, with_errors(generated))]
        return cached[0][1]

    app.openapi = openapi  # type: ignore[method-assign]


def answers(
    description: str, *media_types: str, schema: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route whose success is a body in `media_types` rather than JSON, so
    that the document says what it answers (`schema`: a string unless given)."""
    content = {media: {"schema": schema or {"type": "string"}} for media in media_types}
    return {200: {"description": description, "content": content}}
