"""A checksum of a generated bank: the same options give the same digest, byte for byte."""

from __future__ import annotations

import hashlib

from ..store.base import BulkBatch


class Digest:
    def __init__(self) -> None:
        self._sha = hashlib.sha256()

    def add(self, batch: BulkBatch) -> None:
        # repr of the frozen dataclasses is exact: Decimals, text, tuples, dicts in the order
        # the generator filled them.
        self._sha.update(repr(batch).encode())

    def hexdigest(self) -> str:
        return self._sha.hexdigest()
