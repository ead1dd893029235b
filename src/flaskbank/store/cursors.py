"""Opaque pagination cursors: clients pass them back unchanged and cannot forge positions
that our code would misread (a bad cursor is a 422 on the `cursor` field)."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from ..domain.errors import ValidationFailed
from .base import Page

T = TypeVar("T")

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


# History pages go both ways. "Older" carries the position of the last line shown, as it
# always has (so links already handed out keep working); "Newer" carries the position of the
# first line shown, marked {"newer": position}, and the store reads the `limit` lines just
# newer than it. A cursor that names its own direction keeps links short and needs no
# memory of the pages before (a stack of earlier cursors in the link would grow with every
# page), and both stores read it with the same kind of keyset query, only in the other order.


def older_cursor(position: Any) -> str:
    return encode_cursor(position)


def newer_cursor(position: Any) -> str:
    return encode_cursor({"newer": position})


def decode_history_cursor(cursor: str) -> tuple[Any, bool]:
    """(position, newer) of a history cursor; the store checks the position's shape."""
    value = decode_cursor(cursor)
    if isinstance(value, dict):
        if set(value) != {"newer"}:
            decode_cursor("!")  # raises the 422 of any cursor we did not issue
        return value["newer"], True
    return value, False


def history_page(
    items: list[T], positions: list[Any], *, position: Any, newer: bool, more: bool
) -> Page[T]:
    """A page of lines newest first (`positions` theirs, in the same order), read from the
    cursor at `position` (None: the newest page) in its direction, `more` when the read
    found lines beyond the page. Going older, the lines we came from are newer; going newer,
    the page we came from is older. An empty page keeps the way back to where it was read."""
    first, last = (positions[0], positions[-1]) if positions else (position, position)
    older_left = more if not newer else position is not None
    newer_left = more if newer else position is not None
    return Page(
        items,
        older_cursor(last) if older_left and last is not None else None,
        newer_cursor(first) if newer_left and first is not None else None,
    )
