"""The `loads` table: bulk loads' manifests (pk LOAD, sk <load id>) and the labels they
planted (pk LABEL, sk <label id>). bulk.py says how the manifest makes a batch atomic in
effect: marked `writing` (with a digest of the batch) before the batch's first item is
sent, moved to `loaded = n + 1` only after its last one is in."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

from ...domain.errors import StoreError
from ...domain.labels import Label, Pattern
from ..base import BulkBatch
from . import items as di
from .client import CONDITION_FAILED, Dynamo, Refused


def key(load_id: str) -> di.Item:
    return {"pk": "LOAD", "sk": load_id}


def read(db: Dynamo, load_id: str) -> di.Item | None:
    return db.get(db.tables.loads, key(load_id))


def loaded(manifest: di.Item | None) -> int:
    """How many batches the manifest says are in (none without one)."""
    return 0 if manifest is None else int(manifest["loaded"])


def partition(db: Dynamo, pk: str) -> Iterator[di.Item]:
    """Every item of one partition (LOAD or LABEL), strongly consistent."""
    for page in db.pages(
        "query",
        TableName=db.tables.loads,
        ConsistentRead=True,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=di.to_wire({":pk": pk}),
    ):
        yield from map(di.from_wire, page["Items"])


def begin(db: Dynamo, batch: BulkBatch) -> None:
    """Mark the batch as being written (batch 0 makes the manifest), unless it is marked so
    already with the same content: a replay after a crash."""
    digest = _digest(batch)
    values = {":n": batch.number, ":d": digest, ":false": False, ":at": _now()}
    condition = (
        "loaded = :n AND finished = :false AND "
        "(attribute_not_exists(writing) OR (writing = :n AND digest = :d))"
    )
    if batch.number == 0:
        condition = f"attribute_not_exists(pk) OR ({condition})"
    try:
        _update(
            db,
            batch.load_id,
            "SET writing = :n, digest = :d, finished = :false, "
            "loaded = if_not_exists(loaded, :n), started_at = if_not_exists(started_at, :at)",
            condition,
            values,
        )
    except Refused as e:
        manifest = read(db, batch.load_id) or {}
        if manifest.get("writing") == batch.number:
            raise StoreError(
                f"batch {batch.number} of load {batch.load_id} was half-written with other "
                "content: the stream is not deterministic, so the load cannot be resumed"
            ) from e
        raise StoreError(f"another loader moved load {batch.load_id} meanwhile") from e


def commit(db: Dynamo, batch: BulkBatch, last_at: str) -> None:
    """The batch is in: `loaded` moves past it, and `last_at` (its last posting's time) is
    what the next batch may not go back before."""
    try:
        _update(
            db,
            batch.load_id,
            "SET loaded = :next, last_at = :last REMOVE writing, digest",
            "loaded = :n AND writing = :n",
            {":n": batch.number, ":next": batch.number + 1, ":last": last_at},
        )
    except Refused as e:
        manifest = read(db, batch.load_id) or {}
        if manifest.get("loaded") == batch.number + 1 and "writing" not in manifest:
            return  # our own commit, answered late and sent again by botocore's retry
        raise StoreError(f"another loader moved load {batch.load_id} meanwhile") from e


def finish(db: Dynamo, load_id: str) -> None:
    """Mark the load complete; refused while one of its batches is half-written."""
    try:
        _update(
            db,
            load_id,
            "SET finished = :true, finished_at = :at, loaded = if_not_exists(loaded, :zero)",
            "attribute_not_exists(writing)",
            {":true": True, ":at": _now(), ":zero": 0},
        )
    except Refused as e:
        manifest = read(db, load_id) or {}
        raise StoreError(
            f"load {load_id} has batch {manifest.get('writing')} half-written: "
            "replay the load's batches first"
        ) from e


def _update(
    db: Dynamo, load_id: str, update: str, condition: str, values: dict[str, object]
) -> None:
    db.call(
        "update_item",
        expect=CONDITION_FAILED,
        TableName=db.tables.loads,
        Key=di.to_wire(key(load_id)),
        UpdateExpression=update,
        ConditionExpression=condition,
        ExpressionAttributeValues=di.to_wire(values),
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _digest(batch: BulkBatch) -> str:
    """What a replay of the batch must match: its whole content (the dataclasses' repr is
    exact: Decimals, text, ids)."""
    return hashlib.sha256(repr(batch).encode("utf-8", "surrogatepass")).hexdigest()


def label_item(label: Label) -> di.Item:
    return {
        "pk": "LABEL",
        "sk": label.id,
        "pattern": label.pattern.value,
        "user_id": label.user_id,
        "transaction_ids": list(label.transaction_ids),
        "start": label.start,
        "end": label.end,
        "note": label.note,
    }


def to_label(item: di.Item) -> Label:
    return Label(
        item["sk"],
        Pattern(item["pattern"]),
        item["user_id"],
        tuple(item["transaction_ids"]),
        item["start"],
        item["end"],
        item["note"],
    )
