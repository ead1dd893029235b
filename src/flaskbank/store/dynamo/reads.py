"""DynamoStore's read side: an account's history and statements, and the global feed.

Every read is a Query on a key, never a Scan. An account's entries share the partition
ACCT#<id> with sort key <created_at>#<seq>, so a time range is a key condition and newest
first is ScanIndexForward=False. Transaction headers sit in the by_day index under their
UTC day, so the feed walks days forward from its position.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import partial
from typing import Any

from ...domain.ledger import Entry, Transaction, TransactionType
from ...domain.search import HistorySearch
from ..base import Page
from ..cursors import decode_cursor, decode_history_cursor, encode_cursor, history_page
from . import items as di
from .client import CONDITION_FAILED, Dynamo, Refused
from .schema import BY_DAY

#: How many days one feed call walks at most, so a long quiet gap cannot make one call slow;
#: the cursor then moves past the days already seen.
FEED_MAX_DAYS = 366
#: Items one Query reads at least when a type filter discards some (DynamoDB applies Limit
#: before the filter), so that a sparse type fills its page in few round trips.
FILTERED_READ = 100
_PAST_DAY = "~"  # sorts after every created_at of a day: "<day>~" is the end of that day


def _foreign() -> None:
    decode_cursor("!")  # raises the same 422 as any other cursor we did not issue


def _matches(search: HistorySearch, item: di.Item) -> bool:
    return search.matches(item["counterparty"], item["memo"], int(item["amount_minor"]))


def _position(cursor: str) -> Any:
    position = decode_cursor(cursor)
    if position is None:
        _foreign()
    return position


def history(
    db: Dynamo,
    account_id: str,
    *,
    limit: int,
    cursor: str | None,
    since: str | None,
    until: str | None,
    type: TransactionType | None,
    search: HistorySearch | None = None,
) -> Page[Entry]:
    """Newest first. An unfiltered page is one Query (Limit=limit+1 tells whether more
    exist); with a type filter DynamoDB applies Limit before the filter, so a page may take
    more than one Query to fill, and a search (applied here, to the items each Query
    returns: DynamoDB's contains() cannot fold case) reads on until the page is full or the
    range is exhausted."""
    pk = di.entries_pk(account_id)
    query: dict[str, Any] = {"TableName": db.tables.transactions, "ConsistentRead": True}
    if type is not None:
        query |= {
            "FilterExpression": "#type = :type",
            "ExpressionAttributeNames": {"#type": "type"},
        }
    position, newer = decode_history_cursor(cursor) if cursor is not None else (None, False)
    if cursor is not None and position is None:
        _foreign()  # null is no position of ours (None means "from the newest end" below)
    keep = None if not search else partial(_matches, search)
    items, more = keyset_page(
        db,
        query,
        {"pk": pk},
        {"pk": pk},
        di.ENTRY_SK,
        limit=limit,
        position=position,
        newer=newer,
        since=since,
        until=until,
        filters={":type": type.value} if type is not None else {},
        keep=keep,
    )
    return history_page(
        [di.to_entry(i) for i in items],
        [i["sk"] for i in items],
        position=position,
        newer=newer,
        more=more,
    )


def newest_first(
    db: Dynamo,
    query: dict[str, Any],
    partition: dict[str, str],
    base_key: dict[str, str],
    shape: re.Pattern[str],
    *,
    limit: int,
    cursor: str | None,
    since: str | None,
    until: str | None,
    filters: dict[str, Any],
) -> tuple[list[di.Item], bool]:
    """One keyset page of a partition whose sort key `sk` begins with a timestamp: up to
    `limit` items newest first, and whether more exist. `since` (inclusive) and `until`
    (exclusive) bound sk by key condition; the cursor is the sk of the last item shown."""
    return keyset_page(
        db,
        query,
        partition,
        base_key,
        shape,
        limit=limit,
        position=None if cursor is None else _position(cursor),
        newer=False,
        since=since,
        until=until,
        filters=filters,
    )


def keyset_page(
    db: Dynamo,
    query: dict[str, Any],
    partition: dict[str, str],
    base_key: dict[str, str],
    shape: re.Pattern[str],
    *,
    limit: int,
    position: Any,
    newer: bool,
    since: str | None,
    until: str | None,
    filters: dict[str, Any],
    keep: Callable[[di.Item], bool] | None = None,
) -> tuple[list[di.Item], bool]:
    """As newest_first, from the sk `position` (None: the newest end): older items, or with
    `newer` the `limit` items just newer than it (read oldest first, returned newest first),
    and whether more exist that way. `keep` drops items a Query returned."""
    ((name, value),) = partition.items()
    key, values = "#part = :part", {":part": value, **filters}
    if since is not None and until is not None:
        # BETWEEN is inclusive, but no sort key equals `until`: each one has a #suffix
        key += " AND sk BETWEEN :since AND :until"
        values |= {":since": since, ":until": until}
    elif since is not None:
        key, values = key + " AND sk >= :since", values | {":since": since}
    elif until is not None:
        key, values = key + " AND sk < :until", values | {":until": until}
    args = {
        **query,
        "ScanIndexForward": newer,
        "KeyConditionExpression": key,
        "ExpressionAttributeValues": di.to_wire(values),
        "ExpressionAttributeNames": {**query.get("ExpressionAttributeNames", {}), "#part": name},
    }
    if position is not None:
        if not isinstance(position, str) or not shape.fullmatch(position):
            _foreign()
        # A start key outside the key condition is refused, so a cursor beyond the range's
        # far end reads nothing, and one before its near end reads from that end.
        beyond, within = (
            (until is not None and position >= until, since is None or position > since)
            if newer
            else (since is not None and position <= since, until is None or position < until)
        )
        if beyond:
            return [], False
        if within:
            args["ExclusiveStartKey"] = di.to_wire({**base_key, **partition, "sk": position})
    filtered = "FilterExpression" in query or keep is not None
    items: list[di.Item] = []
    while len(items) <= limit:
        wanted = limit + 1 - len(items)
        args["Limit"] = max(wanted, FILTERED_READ) if filtered else wanted
        page = db.call("query", **args)
        read = [di.from_wire(i) for i in page["Items"]]
        items += read if keep is None else [i for i in read if keep(i)]
        if "LastEvaluatedKey" not in page:
            break
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    more = len(items) > limit
    items = items[:limit]
    if newer:
        items.reverse()
    return items, more


def entries_between(db: Dynamo, account_id: str, start: str, end: str) -> list[Entry]:
    """Oldest first in the order they were posted (the account's version), so that each
    line's balance_after follows from the one before even when two postings' clocks were
    read in the other order."""
    items = [
        di.from_wire(i)
        for page in db.pages(
            "query",
            TableName=db.tables.transactions,
            ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :start AND :end",
            ExpressionAttributeValues=di.to_wire(
                {":pk": di.entries_pk(account_id), ":start": start, ":end": end}
            ),
        )
        for i in page["Items"]
    ]
    items.sort(key=lambda i: int(i["seq"]))
    return [di.to_entry(i) for i in items]


def balance_before(db: Dynamo, account_id: str, moment: str) -> Entry | None:
    page = db.call(
        "query",
        TableName=db.tables.transactions,
        ConsistentRead=True,
        Limit=1,
        ScanIndexForward=False,
        KeyConditionExpression="pk = :pk AND sk < :moment",
        ExpressionAttributeValues=di.to_wire({":pk": di.entries_pk(account_id), ":moment": moment}),
    )
    return di.to_entry(di.from_wire(page["Items"][0])) if page["Items"] else None


class FeedRange:
    """The first and last UTC day that hold transactions, kept on one small item so that the
    feed knows where to start and stop walking days. A posting extends the range before it
    writes (a range too wide only costs an empty Query), which takes a write only on the
    first posting of a new day, or one dated before every other."""

    def __init__(self, db: Dynamo) -> None:
        self.db = db
        self._known: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def read(self) -> tuple[str, str] | None:
        item = self.db.get(self.db.tables.transactions, di.FEED_META)
        if item is None or "first_day" not in item:
            return None
        return item["first_day"], item["last_day"]

    def cover(self, day: str) -> None:
        with self._lock:
            known = self._known
        if known is None:
            known = self.read()
        first, last = known if known is not None else (None, None)
        if first is None or day < first:
            self._extend("first_day", day, ">")
            first = day
        if last is None or day > last:
            self._extend("last_day", day, "<")
            last = day
        with self._lock:
            self._known = (first, last)

    def _extend(self, attribute: str, day: str, beyond: str) -> None:
        # A refusal means another writer already extended the range at least this far.
        with contextlib.suppress(Refused):
            self.db.call(
                "update_item",
                expect=CONDITION_FAILED,
                TableName=self.db.tables.transactions,
                Key=di.to_wire(di.FEED_META),
                UpdateExpression=f"SET {attribute} = :day",
                ConditionExpression=f"attribute_not_exists({attribute}) OR "
                f"{attribute} {beyond} :day",
                ExpressionAttributeValues=di.to_wire({":day": day}),
            )


def _next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _day_query(db: Dynamo, day: str, after: str, limit: int | None) -> Iterator[Transaction]:
    key, values = "#day = :day", {":day": day}
    if after > day:
        key, values = key + " AND feed_key > :after", values | {":after": after}
    args: dict[str, Any] = {
        "TableName": db.tables.transactions,
        "IndexName": BY_DAY,
        "KeyConditionExpression": key,
        "ExpressionAttributeNames": {"#day": "day"},
        "ExpressionAttributeValues": di.to_wire(values),
    }
    if limit is not None:
        args["Limit"] = limit
    for page in db.pages("query", **args):
        yield from (di.to_transaction(di.from_wire(i)) for i in page["Items"])


def feed(
    db: Dynamo, span: tuple[str, str] | None, after: str | None, limit: int
) -> Page[Transaction]:
    """Transactions in (created_at, id) order after a position; the cursor is the position
    of the last one returned, or unchanged when nothing is newer, so a reader can poll."""
    position = "" if after is None else decode_cursor(after)
    if not isinstance(position, str) or not di.FEED_POSITION.fullmatch(position):
        _foreign()
    try:
        start = date.fromisoformat(position[:10]).isoformat() if position else None
    except ValueError:
        _foreign()
    if span is None:
        return Page([], encode_cursor(position))
    first, last = span
    day = max(start or first, first)
    items: list[Transaction] = []
    for walked in range(FEED_MAX_DAYS):
        if day > last:
            break
        for txn in _day_query(db, day, position, limit - len(items)):
            items.append(txn)
            if len(items) == limit:
                return Page(items, encode_cursor(items[-1].position))
        if day == last:
            break
        if walked == FEED_MAX_DAYS - 1 and not items:
            # walked the most days one call may: resume after the last day seen, which is
            # before the last day that holds transactions, so nothing can be skipped
            return Page([], encode_cursor(day + _PAST_DAY))
        day = _next_day(day)
    return Page(items, encode_cursor(items[-1].position if items else position))


def all_transactions(db: Dynamo, span: tuple[str, str] | None) -> Iterator[Transaction]:
    if span is None:
        return
    day, last = span
    while True:
        yield from _day_query(db, day, "", None)
        if day >= last:
            return
        day = _next_day(day)
