"""Photos the API accepts: from residents with their reports, from drivers with a stop's."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_PHOTO_BYTES = 5 * 1024 * 1024
BINARY = {"type": "string", "format": "binary"}
PHOTO_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {media: {"schema": BINARY} for media in PHOTO_TYPES},
    }
}
"""`openapi_extra` of a route whose body is the photo itself."""


async def photo_body(request: Request) -> tuple[bytes, str]:
    """The request's body as a photo and its media type: 415 for another type, 413 beyond
    `MAX_PHOTO_BYTES` (read no further), 422 when empty."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in PHOTO_TYPES:
        shown = media_type or "no media type"
        raise HTTPException(415, f"a photo is {', '.join(PHOTO_TYPES)}, not {shown}")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_PHOTO_BYTES:
            raise HTTPException(413, f"a photo is at most {MAX_PHOTO_BYTES // 1024 // 1024} MiB")
    if not data:
        raise HTTPException(422, "the photo is empty")
    return bytes(data), media_type
