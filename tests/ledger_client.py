"""A separate-process client for the concurrency and crash tests.

usage: python ledger_client.py STORE_URL USER_IDS ACCOUNT_IDS COUNT SEED [--forever]

Posts random transfers (or, with --forever, deposits until killed) through the services and
prints the id of every acknowledged transaction, flushed at once, so the parent knows exactly
what was acknowledged before it killed us.
"""

from __future__ import annotations

import random
import sys

from flaskbank.domain.errors import InsufficientFunds
from flaskbank.domain.holds import Hold
from flaskbank.passwords import FastHasher
from flaskbank.services import postings
from flaskbank.services.bank import Bank
from flaskbank.store import open_store


def main() -> None:
    url, users, accounts, count, seed = sys.argv[1:6]
    owners = dict(zip(accounts.split(","), users.split(","), strict=True))
    bank = Bank(open_store(url), FastHasher())
    rng = random.Random(int(seed))
    ids = list(owners)
    numbers = {a: bank.store.ledger.get_account(a).number for a in ids}
    n = 0
    while "--forever" in sys.argv or n < int(count):
        n += 1
        source = rng.choice(ids)
        amount = f"{rng.randrange(1, 30000) / 100:.2f}"
        try:
            if "--forever" in sys.argv:
                result = postings.deposit(bank, owners[source], source, amount=amount)
            else:
                target = rng.choice([a for a in ids if a != source])
                result = postings.transfer(
                    bank,
                    owners[source],
                    source,
                    amount=amount,
                    to_account_number=numbers[target],
                    idempotency_key=f"{seed}-{n}",
                )
        except InsufficientFunds:
            continue
        if isinstance(result, Hold):  # monitoring sent it to review: reserved, not moved
            print(f"held:{result.id}", flush=True)
        else:
            print(result.transaction.id, flush=True)
    bank.store.close()


if __name__ == "__main__":
    main()
