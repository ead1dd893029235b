"""Ids and account numbers that follow from the seed and a counter (never uuid4, never the
clock), so that the same seed names everything the same way.

Transactions and events are named in time order (`timed`: a UUID 7 whose time is when they
happened, its random part from the seed and the counter): the load inserts them in time
order, so each unique index on their ids grows at its end instead of taking each new id on a
random page (a UUID 5 per posting had a 10M load rewrite pages all over those indexes)."""

from __future__ import annotations

import hashlib
import uuid

from ..domain.accounts import account_id_for, luhn_check_digit

_ROOT = uuid.UUID("3f6c2a51-9d4e-4b8a-a0c7-5e1f2b7d9c60")
#: Account numbers step through 11-digit bodies by a stride coprime to their range, so that
#: no two accounts of a load share one and they do not look sequential.
_BODIES = 9 * 10**10
_STRIDE = 7_919_000_003
#: RFC 4122's variant bits (10xx) over the top hex digit of byte 8.
_VARIANT = {f"{n:x}": f"{(n & 0x3) | 0x8:x}" for n in range(16)}


class Ids:
    def __init__(self, seed: int) -> None:
        self.namespace = uuid.uuid5(_ROOT, f"seed:{seed}")
        self._prefix = self.namespace.bytes
        self.counter = 0
        self.accounts = 0
        self.offset = (seed * 104_729) % _BODIES

    def next(self, kind: str) -> str:
        """uuid5(namespace, "kind:counter"), spelled out: the same text as uuid.uuid5 gives
        (a test checks it) without building a UUID object, a third of generating a posting."""
        self.counter += 1
        h = hashlib.sha1(self._prefix + f"{kind}:{self.counter}".encode(), usedforsecurity=False)
        x = h.hexdigest()
        return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"

    def timed(self, kind: str, unix_us: int) -> str:
        """A UUID 7 (RFC 9562) of `unix_us`: 48 bits of milliseconds, the microseconds within
        the millisecond in the next 10 (its "extra clock precision"), then 64 bits of the
        hash of the seed and "kind:counter", so that the text sorts as the time does."""
        self.counter += 1
        h = hashlib.sha1(self._prefix + f"{kind}:{self.counter}".encode(), usedforsecurity=False)
        x = h.hexdigest()
        ms, us = divmod(unix_us, 1000)
        t = f"{ms:012x}"
        return (
            f"{t[:8]}-{t[8:]}-7{us << 2 | int(x[0], 16) & 3:03x}-{_VARIANT[x[1]]}{x[2:5]}-{x[5:17]}"
        )

    def account(self) -> tuple[str, str]:
        """(id, number) of a new account: the id derived from the number, as the bank does."""
        self.accounts += 1
        body = str(10**10 + (self.offset + self.accounts * _STRIDE) % _BODIES)
        number = body + luhn_check_digit(body)
        return account_id_for(number), number
