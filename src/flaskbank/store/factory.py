"""Pick the store from one config string; the only place that knows every backend."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .base import Store, StoreURLError


def open_store(url: str) -> Store:
    """`sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, or
    `dynamodb://?region=...&endpoint_url=...&table_prefix=...`."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path or parts.query:
            raise StoreURLError(f"{url!r}: expected sqlite:///path/to/file.db")
        from .sqlite import SqliteStore

        return SqliteStore(Path(path))
    if parts.scheme == "dynamodb":
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"region", "endpoint_url", "table_prefix", "billing"}
        if unknown:
            raise StoreURLError(f"{url!r}: unknown option(s) {', '.join(sorted(unknown))}")
        if "region" not in query:
            raise StoreURLError(f"{url!r}: region is required, e.g. ?region=us-east-1")
        try:
            from .dynamo import DynamoStore
        except ImportError as e:
            raise StoreURLError("the DynamoDB store is not available in this build") from e
        return DynamoStore(**query)
    raise StoreURLError(f"{url!r}: must start with sqlite:/// or dynamodb://")
