"""Errors as problem details (RFC 9457): `application/problem+json` with `type`, `title`,
`status` and `detail`; a request that fails validation also lists its `errors`. The OpenAPI
document declares them with the `Problem` schema (api/openapi.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

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
        ProblemError(where=".".join(str(part) for part in e["loc"]), problem=e["msg"])
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e.where}: {e.problem}" for e in errors)
    body = problem(422, detail or "the request is not valid", errors=errors)
    return JSONResponse(body, 422, media_type=MEDIA_TYPE)


def install(app: FastAPI, max_body_bytes: int, limiter: RateLimiter) -> None:
    """Answer every error of `app` as problem details; refuse bodies larger than
    `max_body_bytes` (by their Content-Length; one without it is read as usual), and
    public requests beyond the limiter's rate."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)

    @app.middleware("http")
    async def limit_rate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if is_public(request.url.path) and request.client is not None:
            wait_s = limiter.admit(request.client.host)
            if wait_s > 0:
                detail = "too many requests from this address; try again later"
                headers = {"Retry-After": retry_after(wait_s)}
                return JSONResponse(problem(429, detail), 429, headers, media_type=MEDIA_TYPE)
        return await call_next(request)

    @app.middleware("http")
    async def limit_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        raw = request.scope.get("raw_path", b"") + b"?" + request.scope.get("query_string", b"")
        if b"%00" in raw or b"\x00" in raw:  # the database takes no NUL in text
            detail = "a NUL character (%00) is not accepted in a path or query"
            return JSONResponse(problem(422, detail), 422, media_type=MEDIA_TYPE)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_body_bytes:
            detail = f"the body is {length} bytes; at most {max_body_bytes} are accepted"
            return JSONResponse(problem(413, detail), 413, media_type=MEDIA_TYPE)
        return await call_next(request)
