"""The synthetic bank (issue 10): customers of several segments with years of activity,
security events and labelled fraud and compliance patterns, made deterministically from a
seed as a stream of BulkBatches for a store's bulk path. Pure: no store, no Flask, no clock.

Modules: options (what to make), people (customers, segments, fates, the social graph),
clock (the calendar and the rhythms of the week and day), behaviour (each segment's month),
security (logins, password and email changes), patterns (the planted ones and their
definitions), plan (actions and drafts of labels), books (carrying actions out against
balances, cutting batches), stream (the month loop), digest (the checksum).
"""

from .digest import Digest
from .options import LOCKED, Options
from .stream import generate

__all__ = ["LOCKED", "Digest", "Options", "generate"]
