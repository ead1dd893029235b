"""Standing orders: customers create, list and cancel them; the worker pays what is due.

A run is postings.transfer with the idempotency key of the order and the date
(StandingOrder.run_key): a worker killed after paying and before moving the order on pays
nothing the second time (the key replays the first payment), and two workers racing on one
order pay once. A run refused by the ledger (no funds, a frozen account) is recorded as
failed and shown; the order goes on to its next date.
"""

from __future__ import annotations

from dataclasses import replace

from ..domain.accounts import normalize_account_number
from ..domain.errors import (
    AccountNotFound,
    BankError,
    StaleRecord,
    StoreError,
    ValidationFailed,
    WriteConflict,
)
from ..domain.events import EventKind
from ..domain.holds import Hold
from ..domain.ledger import new_id
from ..domain.money import parse_amount
from ..domain.standing_orders import (
    OrderStatus,
    Run,
    RunOutcome,
    StandingOrder,
    clean_date,
    clean_day,
    clean_order_memo,
    first_date,
)
from .accounts import owned
from .bank import Bank
from .events import emit
from .postings import transfer

#: How far ahead a first payment may be set (also keeps dates clear of the calendar's end).
MAX_YEARS_AHEAD = 5


def create(
    bank: Bank,
    user_id: str,
    *,
    from_account_id: object,
    to_account_number: object,
    amount: object,
    day_of_month: object,
    start_date: object = None,
    end_date: object = None,
    memo: object = None,
) -> StandingOrder:
    source = owned(
        bank.store.ledger.get_account(from_account_id)
        if isinstance(from_account_id, str)
        else None,
        user_id,
    )
    number = (
        normalize_account_number(to_account_number) if isinstance(to_account_number, str) else None
    )
    if number is None:
        raise ValidationFailed(
            {"to_account_number": "that is not a valid account number; check the digits"}
        )
    if number == source.number:
        raise ValidationFailed({"to_account_number": "choose a different account to pay"})
    money = parse_amount(amount, source.currency, limit=bank.settings.limit(source.currency))
    day = clean_day(day_of_month)
    today = bank.now()[:10]
    start = clean_date(start_date, "start_date", required=False) or today
    if start < today:
        raise ValidationFailed({"start_date": "the first payment cannot be in the past"})
    if start > f"{int(today[:4]) + MAX_YEARS_AHEAD}{today[4:]}":
        raise ValidationFailed(
            {"start_date": f"the first payment must be within {MAX_YEARS_AHEAD} years"}
        )
    end = clean_date(end_date, "end_date", required=False)
    first = first_date(start, day)
    if end is not None and end < first:
        raise ValidationFailed({"end_date": f"the end comes before the first payment ({first})"})
    order = StandingOrder(
        id=new_id(),
        user_id=user_id,
        from_account_id=source.id,
        to_account_number=number,
        amount=str(money.amount),
        memo=clean_order_memo(memo),
        day_of_month=day,
        next_run=first,
        end_date=end,
        status=OrderStatus.ACTIVE,
        created_at=bank.now(),
    )

    def add() -> StandingOrder:
        bank.store.standing_orders.add_order(order)
        emit(
            bank,
            EventKind.STANDING_ORDER_CREATED,
            source.id,
            user_id,
            order_id=order.id,
            to_account_number=number,
            amount=order.amount,
            currency=source.currency,
            day_of_month=day,
            first_run=first,
            end_date=end,
        )
        return order

    return bank.in_unit(add)


def orders_of(bank: Bank, user_id: str) -> list[StandingOrder]:
    return bank.store.standing_orders.orders_of(user_id)


def order_of(bank: Bank, user_id: str, order_id: str) -> tuple[StandingOrder, list[Run]]:
    """The customer's order and its latest runs; another's is not found."""
    order = bank.store.standing_orders.get_order(user_id, order_id)
    if order is None:
        raise AccountNotFound("no such standing order")
    return order, bank.store.standing_orders.runs_of(order.id, limit=24)


def cancel(bank: Bank, user_id: str, order_id: str) -> StandingOrder:
    """Stop the order; what it paid stays paid. Cancelling a finished order is a no-op."""

    def attempt() -> StandingOrder:
        order, _ = order_of(bank, user_id, order_id)
        if order.status is not OrderStatus.ACTIVE:
            return order
        done = replace(order, status=OrderStatus.CANCELLED, version=order.version + 1)
        bank.store.standing_orders.save_order(done)
        emit(
            bank,
            EventKind.STANDING_ORDER_CANCELLED,
            order.from_account_id,
            user_id,
            order_id=order.id,
        )
        return done

    return bank.in_unit(attempt)


def run_due(bank: Bank, *, limit: int = 100) -> int:
    """Pay every run due today or earlier (a worker that was down catches up, one date per
    order per call); returns how many runs were made."""
    today = bank.now()[:10]
    made = 0
    for order in bank.store.standing_orders.due_orders(today, limit=limit):
        run = pay(bank, order, order.next_run)
        bank.store.standing_orders.record_run(run)
        summary = f"{run.outcome.value} {run.on}" + (f": {run.detail}" if run.detail else "")

        def advance(order: StandingOrder = order, run: Run = run, summary: str = summary) -> None:
            bank.store.standing_orders.save_order(order.after_run(run.on, summary))
            emit(
                bank,
                EventKind.STANDING_ORDER_RUN,
                order.from_account_id,
                "system",
                order_id=order.id,
                on=run.on,
                outcome=run.outcome.value,
                transaction_id=run.transaction_id or None,
                detail=run.detail,
            )

        try:
            with bank.store.unit_of_work() as unit:  # once: a stale order was moved on already
                advance()
                unit.commit()
        except StaleRecord:
            continue  # another worker (or a cancel) moved it on first
        made += 1
    return made


def pay(bank: Bank, order: StandingOrder, on: str) -> Run:
    """One run: the transfer under the run's key; retried, it replays the first outcome."""
    try:
        result = transfer(
            bank,
            order.user_id,
            order.from_account_id,
            amount=order.amount,
            to_account_number=order.to_account_number,
            memo=order.memo or "Standing order",
            idempotency_key=order.run_key(on),
        )
    except (WriteConflict, StoreError):
        raise  # the store, not the order: the worker tries again later
    except BankError as refused:
        return Run(order.id, on, RunOutcome.FAILED, bank.now(), detail=refused.message)
    if isinstance(result, Hold):
        return Run(
            order.id, on, RunOutcome.PENDING, bank.now(), detail=f"held for review {result.id}"
        )
    return Run(order.id, on, RunOutcome.PAID, bank.now(), transaction_id=result.transaction.id)
