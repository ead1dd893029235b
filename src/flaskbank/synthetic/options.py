"""What a synthetic bank is made from: the options of `flaskbank generate`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

#: The load's id follows from its options, so that the same command resumes the same load.
_LOADS = uuid.UUID("9a1d7e42-6b3c-4f0e-8c25-1d4b7a9e3f68")
#: A password hash no password matches (werkzeug refuses the form): generated customers
#: cannot log in, except in the demo, which gives them a known password.
LOCKED = "!synthetic"


@dataclass(frozen=True, slots=True)
class Options:
    customers: int
    months: int
    seed: int
    start: date = date(2024, 1, 1)
    #: Multiplies the planted patterns' realistic rates (0: none; 20 for a demo that shows them).
    pattern_rate: float = 1.0
    #: Postings per batch: each batch is one transaction on SQLite. Larger batches write each
    #: index page they touch once for more rows: 25,000 loaded a million transactions half
    #: as fast again as 5,000 (docs/synthetic.md).
    batch_size: int = 25_000
    #: (email, full name) of customers to make first, as salaried ones with no patterns
    #: (the demo's, whose password it prints).
    named: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.customers < 1 or self.months < 1:
            raise ValueError("a synthetic bank needs at least one customer and one month")
        if not 0 <= self.pattern_rate <= 100:
            raise ValueError("--pattern-rate is a multiple of the realistic rates, 0 to 100")

    @property
    def load_id(self) -> str:
        return str(
            uuid.uuid5(
                _LOADS,
                f"{self.customers}:{self.months}:{self.seed}:{self.start.isoformat()}:"
                f"{self.pattern_rate!r}:{self.batch_size}:{self.named!r}",
            )
        )
