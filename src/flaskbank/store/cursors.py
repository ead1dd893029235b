"""Opaque pagination cursors: clients pass them back unchanged and cannot forge positions
that our code would misread (a bad cursor is a 422 on the `cursor` field)."""

from __future__ import annotations

import base64
import json
from typing import Any

from ..domain.errors import ValidationFailed

#: Far longer than any cursor we issue (under 200 characters); a longer one is refused before
#: decoding, so that deep JSON nesting or an oversized key never reaches json or a store.
CURSOR_MAX = 512


def encode_cursor(position: Any) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        if not isinstance(cursor, str) or len(cursor) > CURSOR_MAX:
            raise ValueError(cursor)
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationFailed({"cursor": "cursor is not one this server issued"}) from None
