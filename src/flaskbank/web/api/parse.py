"""Reading a request body: one JSON object whose fields are strings.

The rules, as the OpenAPI document states them:
- a POST or PATCH must say `Content-Type: application/json` (or a `+json` type): anything
  else, or no type at all, is a 415;
- a body that is not JSON (including the non-standard NaN and Infinity), or JSON that is not
  an object, is a 400;
- fields we do not know are ignored, so that a client written against a later version still
  works; a retry is matched on the known fields only;
- every field we read is a string: another JSON type is a 422 naming the field, so services
  only ever see `str` or `None`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from ...domain.errors import ValidationFailed

AMOUNT_HINT = 'must be a string such as "12.34", not a JSON number'


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_object() -> dict[str, Any]:
    """The body as a dict, or a 415/400 raised as an HTTPException (answered as problem+json)."""
    if not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    try:
        body = json.loads(request.get_data(cache=True), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _text(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode()  # a lone surrogate ("\ud800") is valid JSON but not storable text
    except UnicodeEncodeError:
        return False
    return True


def fields(
    body: dict[str, Any], *, required: Iterable[str] = (), optional: Iterable[str] = ()
) -> dict[str, str | None]:
    """The named fields as strings. A required field must be present and a string; an
    optional one may be absent or null (both read as None). All problems are reported at once
    as a ValidationFailed (422) keyed by field."""
    values: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for name, needed in [(n, True) for n in required] + [(n, False) for n in optional]:
        value = body.get(name)
        if value is None:
            if needed:
                errors[name] = f"{name} is required"
            values[name] = None
        elif _text(value):
            values[name] = value
        else:
            errors[name] = (
                f"{name} {AMOUNT_HINT}"
                if name == "amount"
                else (f"{name} must be a string of valid Unicode text")
            )
    if errors:
        raise ValidationFailed(errors)
    return values


def idempotency_key() -> str | None:
    """The Idempotency-Key header; the service checks its length."""
    return request.headers.get("Idempotency-Key")
