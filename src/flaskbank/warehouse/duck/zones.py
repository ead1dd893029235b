"""The reporting time zone in SQL: the warehouse stores UTC timestamps and counts days and
hours in the bank's reporting zone."""

from __future__ import annotations


def local_time(zone: str, column: str) -> str:
    """An expression for the UTC TIMESTAMP `column` as wall-clock time in `zone`. ICU's
    conversion costs about a microsecond a row (a sixth of loading a batch of the feed),
    so in UTC, the default, there is none."""
    if zone == "UTC":
        return column
    quoted = "'" + zone.replace("'", "''") + "'"
    return f"timezone({quoted}, timezone('UTC', {column}))"
