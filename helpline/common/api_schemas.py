"""Shapes shared by every API operation: the error body and the error codes it may answer with."""

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    detail: Any


def with_errors(ok: dict[int, Any] | Any, *codes: int) -> dict[int, Any]:
    """Declare the success shape together with the error codes an operation can answer with."""
    responses: dict[int, Any] = dict(ok) if isinstance(ok, dict) else {200: ok}
    for code in (401, 403, 422, *codes):
        responses[code] = ErrorOut
    return responses
