"""Errors as problem details (RFC 9457): `application/problem+json` with `type`, `title`,
`status` and `detail`; a request that fails validation also lists its `errors`. The OpenAPI
document declares them with the `Problem` schema (api/openapi.py)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from api.ratelimit import RateLimiter, is_public, retry_after

MEDIA_TYPE = "application/problem+json"


class ProblemError(BaseModel):
    where: str
    """The part of the request, e.g. "query.lat" or "body.bin_ids"."""
    problem: str


class Problem(BaseModel):
    """An error as problem details (RFC 9457), served as `application/problem+json`."""

    type: str
    """"about:blank": the status says it all."""
    title: str
    """The status's phrase, e.g. "Not Found"."""
    status: int
    detail: str
    """What went wrong with this request."""
    errors: list[ProblemError] | None = None
    """Only when the request failed validation (422): each part that failed, and how."""


def problem(status: int, detail: str, errors: list[ProblemError] | None = None) -> dict[str, Any]:
    body = Problem(
        type="about:blank", title=HTTPStatus(status).phrase, status=status, detail=detail,
        errors=errors,
    )  # fmt: skip
    return body.model_dump(exclude_none=True)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    body = problem(exc.status_code, str(exc.detail))
    return JSONResponse(body, exc.status_code, headers=exc.headers, media_type=MEDIA_TYPE)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        ProblemError(where=".".join(str(part) for part in e["loc"]), problem=_problem(e))
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e.where}: {e.problem}" for e in errors)
    body = problem(422, detail or "the request is not valid", errors=errors)
    return JSONResponse(body, 422, media_type=MEDIA_TYPE)


def _problem(error: Any) -> str:
    """What a validation error says; a validator's own message without Pydantic's "Value
    error, " before it."""
    if error.get("type") == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return str(error["msg"])


class Gate:
    """Refuses, before routing, what no endpoint should see: a NUL character in the path
    or query (422), a body larger than `max_body_bytes` by its Content-Length (413; one
    without it is read as usual), and public requests beyond the limiter's rate (429).

    A plain ASGI middleware: FastAPI's `@app.middleware("http")` wraps every request and
    response in extra tasks and streams, a cost each request pays even when it passes.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, limiter: RateLimiter) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(scope) if scope["type"] == "http" else None
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            await refusal(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        raw = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
        if b"%00" in raw or b"\x00" in raw:  # the database takes no NUL in text
            detail = "a NUL character (%00) is not accepted in a path or query"
            return JSONResponse(problem(422, detail), 422, media_type=MEDIA_TYPE)
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            detail = f"the body is {length} bytes; at most {self.max_body_bytes} are accepted"
            return JSONResponse(problem(413, detail), 413, media_type=MEDIA_TYPE)
        client = scope.get("client")
        if client and is_public(scope["path"]):
            wait_s = self.limiter.admit(client[0])
            if wait_s > 0:
                detail = "too many requests from this address; try again later"
                headers = {"Retry-After": retry_after(wait_s)}
                return JSONResponse(problem(429, detail), 429, headers, media_type=MEDIA_TYPE)
        return None


def install(app: FastAPI, max_body_bytes: int, limiter: RateLimiter) -> None:
    """Answer every error of `app` as problem details, and put the `Gate` before it."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_middleware(Gate, max_body_bytes=max_body_bytes, limiter=limiter)
