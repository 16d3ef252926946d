"""Shapes shared by every API operation: the error body and the error codes it may answer with."""

from typing import Any

from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError
from pydantic import BaseModel


class ErrorOut(Schema):
    detail: Any


def with_errors(ok: dict[int, Any] | Any, *codes: int) -> dict[int, Any]:
    """Declare the success shape together with the error codes an operation can answer with."""
    responses: dict[int, Any] = dict(ok) if isinstance(ok, dict) else {200: ok}
    for code in (401, 403, 422, *codes):
        responses[code] = ErrorOut
    return responses


def refuse_odd_parameters(request: HttpRequest, model: type[BaseModel]) -> None:
    """A 422 for a query parameter the operation does not know or one given twice: a misspelt
    filter would otherwise be ignored (a whole list, or the wrong year's report, in its place), and
    of a repeated one only the last would count, by chance."""
    known = {field.alias or name for name, field in model.model_fields.items()}
    unknown = sorted(set(request.GET) - known)
    if unknown:
        raise HttpError(422, f"{unknown[0][:40]}: not a parameter of this operation")
    twice = sorted(k for k in request.GET if len(request.GET.getlist(k)) > 1)
    if twice:
        raise HttpError(422, f"{twice[0][:40]}: given more than once")
