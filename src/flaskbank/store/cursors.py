"""Opaque pagination cursors: clients pass them back unchanged and cannot forge positions
that our code would misread (a bad cursor is a 422 on the `cursor` field)."""

from __future__ import annotations

import base64
import json
from typing import Any

from ..domain.errors import ValidationFailed


def encode_cursor(position: Any) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed({"cursor": "cursor is not one this server issued"}) from None
