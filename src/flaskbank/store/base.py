"""The store's ports: what the services need from storage, in the bank's words, one port
per aggregate (the ledger, users, sessions and tokens, the audit log, the events), and the
unit of work that makes several of their writes one.

Every write is one atomic step, or joins the unit of work open on the thread. `post` is the
only way money moves: it applies a balanced posting, re-checks the domain's rule for each
leg (ledger.check_leg) on the state it lands on, and records the idempotency key in the same
atomic step, and writes the posting's event (domain.events.transaction_posted) in it too.

Implementations: SqliteStore (embedded default), DynamoStore (production), each a package
with one module per port. Both must pass tests/contract/.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from ..domain.accounts import MAX_ACCOUNTS_PER_CUSTOMER, Account, AccountStatus, User
from ..domain.approvals import ApprovalRequest
from ..domain.compliance import CorrectiveAction
from ..domain.errors import Refusal
from ..domain.events import Event, StoredEvent
from ..domain.holds import Hold, HoldStatus
from ..domain.labels import Label
from ..domain.ledger import (
    Closing,
    Earlier,
    Entry,
    IdempotencyKey,
    Posting,
    PostResult,
    Transaction,
    TransactionType,
    packed,
    replay,
    unpacked,
)
from ..domain.links import EmailLink
from ..domain.mail import Mail
from ..domain.monitoring.checks import RecentEntry
from ..domain.monitoring.model import (
    Alert,
    AlertStatus,
    Backtest,
    RuleChange,
    StoredProfile,
    StoredRuleSet,
)
from ..domain.notes import CustomerNote
from ..domain.payees import Payee
from ..domain.saved_reports import SavedReport
from ..domain.search import HistorySearch
from ..domain.security import ApiToken, AuditAction, AuditEvent, LoginThrottle, WebSession
from ..domain.standing_orders import Run, StandingOrder
from .migrations import SchemaReport

__all__ = [
    "ApiToken",
    "Checkpoint",
    "Earlier",
    "EventPage",
    "Page",
    "PostingInputs",
    "Store",
    "StoreURLError",
    "UnitOfWork",
    "replay",
]

T = TypeVar("T")


class StoreURLError(ValueError):
    """FLASKBANK_STORE names a backend or option we do not know."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None  # opaque; None on the last page
    prev_cursor: str | None = None  # the page before (newer lines); None on the first page


@dataclass(frozen=True, slots=True)
class PostingInputs:
    """What a posting is built from, read in one step: the accounts asked for that exist
    (by id; another customer's too, the service checks the owner), when a client's
    idempotency key was given the (fingerprint, transaction) it already holds, when a
    recipient's email was given the accounts of the user it belongs to, oldest first (empty
    when nobody has it), and when a recipient's account number was given the account with
    that number (empty when there is none)."""

    accounts: dict[str, Account]
    earlier: Earlier | None = None
    recipients: list[Account] | None = None
    profile: StoredProfile | None = None  # the monitoring profile asked for (profile_of)
    rules: StoredRuleSet | None = None  # the live rule set, when asked for (with_rules)


class UnitOfWork(Protocol):
    """Every write a use case makes between `with` and commit() lands together or not at all
    (SQLite: one transaction; DynamoDB: one TransactWriteItems). Reads see the store as it
    is; a write is conditional on what was read, so a stale read fails the commit."""

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc: object) -> None:
        """Roll back (discard the writes) unless commit() was called."""

    def commit(self) -> None: ...


class LedgerPort(Protocol):
    """Accounts and the postings that move money between them."""

    def add_account(self, account: Account, *, max_open: int = MAX_ACCOUNTS_PER_CUSTOMER) -> None:
        """Raises WriteConflict if the account number is already taken, or another account
        of the owner was added meanwhile (caller retries from fresh reads); TooManyAccounts
        when the owner already holds `max_open` accounts that are not closed, or
        MAX_ACCOUNTS_PER_CUSTOMER accounts of any status. Two opened at once cannot both
        pass the count."""

    def rename_account(self, account_id: str, nickname: str) -> None:
        """Set the account's nickname ("" removes it). AccountNotFound for an unknown id."""

    def choose_primary(self, user_id: str, account_id: str) -> None:
        """Make the account the one its owner's email receives into (domain.recipients),
        and no other account of theirs, in one atomic write. AccountNotFound unless the
        account is the user's."""

    def close_account(self, account_id: str, reason: str = "") -> None:
        """Close the account if it is open with nothing in it: AccountNotEmpty when its
        balance or held amount is not zero, AccountNotOpen when it is frozen or closed,
        judged atomically with the write, so that money arriving meanwhile is never shut in."""

    def get_account(self, account_id: str) -> Account | None: ...

    def owners(self, account_ids: Collection[str]) -> dict[str, str]:
        """The owner (user id) of each of these accounts that exists, read together
        (DynamoDB: BatchGetItem, 100 keys a call), for a consumer that maps a batch's legs
        to customers."""

    def find_account_by_number(self, number: str) -> Account | None: ...

    def accounts_of(self, user_id: str) -> list[Account]:
        """The user's accounts, oldest first."""

    def set_account_status(self, account_id: str, status: AccountStatus, reason: str = "") -> None:
        """Raises AccountNotFound for an unknown id."""

    def post(
        self, posting: Posting, *, releasing: Hold | None = None, closing: Closing | None = None
    ) -> PostResult:
        """Apply the posting atomically, or raise and change nothing.

        Raises InsufficientFunds, AccountNotOpen, AccountNotFound, IdempotencyConflict.
        If the posting's idempotency key was seen with the same fingerprint, returns the
        earlier transaction with replayed=True and posts nothing.

        `releasing`: the pending transfer's hold this posting releases, as resolved
        (Hold.resolved): in the same atomic write the hold is closed (HoldNotOpen if it is
        not open any more) and no longer counts against the debit.

        `closing`: an account of the posting that it leaves empty, closed in the same
        atomic write (AccountNotEmpty if a balance or a hold would remain). The posting
        names it too (Posting.closes), which is what its event carries.
        """

    def record_refusal(self, idempotency: IdempotencyKey, error: Refusal, at: str) -> None:
        """Keep a refusal under the request's key, so that a retry is refused alike; does
        nothing if the key already holds an outcome."""

    def read_for_posting(
        self,
        account_ids: Sequence[str],
        *,
        idempotency: tuple[str, str] | None = None,
        recipient_email: str | None = None,
        recipient_number: str | None = None,
        profile_of: str | None = None,
        with_rules: bool = False,
    ) -> PostingInputs:
        """The accounts a posting will touch, what (scope, key) already holds, and the
        accounts of the user with `recipient_email` (any case) or the account with the
        (canonical) `recipient_number`, read together (DynamoDB: one BatchGetItem, and one
        more for an email's accounts), so that a posting costs one read, or two when the
        recipient is named by email, and one write.

        For scoring, the same read also brings the monitoring profile of the user
        `profile_of` (None when they have none yet) and, `with_rules`, the live rule set
        (None before its first save): on DynamoDB they join the same BatchGetItem, so that
        scoring adds no round trip."""

    def get_transaction(self, transaction_id: str) -> Transaction | None: ...

    def history(
        self,
        account_id: str,
        *,
        limit: int,
        cursor: str | None = None,
        since: str | None = None,
        until: str | None = None,
        type: TransactionType | None = None,
        search: HistorySearch | None = None,
    ) -> Page[Entry]:
        """The account's entries newest first, keyset-paginated both ways: next_cursor reads
        the older page, prev_cursor the newer one (store/cursors.py); since/until bound
        created_at (since inclusive, until exclusive); `search` keeps the lines it matches
        (HistorySearch.matches), and every page but the last is still full."""

    def recent(self, account_id: str, *, since: str, limit: int) -> list[RecentEntry]:
        """The account's entries from `since` on, newest first, at most `limit`, in the
        light form monitoring scores with (read on every posting, so kept lean)."""

    def entries_between(self, account_id: str, start: str, end: str) -> list[Entry]:
        """The account's entries with start <= created_at < end, oldest first."""

    def balance_before(self, account_id: str, moment: str) -> Entry | None:
        """The account's last entry before `moment`, whose balance_after opens a period."""

    def feed(self, *, after: str | None, limit: int) -> Page[Transaction]:
        """All transactions in posting order from a position onwards; next_cursor is the
        position to resume from (also when the page is short, so a reader can poll)."""

    def all_accounts(self) -> Iterator[Account]:
        """Every customer account (for verify and reports; never on a request path)."""

    def all_transactions(self) -> Iterator[Transaction]: ...


class PayeePort(Protocol):
    """Customers' saved payees (domain/payees.py). Every method is scoped by the owner: a
    payee id of another customer is not found."""

    def add_payee(self, payee: Payee) -> None:
        """ValidationFailed beyond MAX_PAYEES_PER_CUSTOMER."""

    def payees_of(self, user_id: str) -> list[Payee]:
        """Oldest first."""

    def get_payee(self, user_id: str, payee_id: str) -> Payee | None: ...

    def rename_payee(self, user_id: str, payee_id: str, nickname: str) -> Payee:
        """The payee as renamed; PayeeNotFound unless it is the user's."""

    def remove_payee(self, user_id: str, payee_id: str) -> None:
        """PayeeNotFound unless it is the user's."""


class HoldPort(Protocol):
    """Holds on accounts (domain/holds.py). Placing one and resolving one are each one atomic
    write that changes the hold and the account's held amount together."""

    def place(self, hold: Hold, *, idempotency: IdempotencyKey | None = None) -> Hold:
        """Reserve the amount, re-checking the debit rule (domain.chart) on the account as it
        is: raises InsufficientFunds, AccountNotOpen, AccountNotFound. With a key, the key
        answers with this hold from now on."""

    def resolve(self, hold: Hold, status: HoldStatus, *, by: str, at: str) -> Hold:
        """Void, lift or expire an open hold (nothing is posted; a release that posts goes
        through LedgerPort.post). Exactly once: HoldNotOpen when it was resolved already."""

    def get(self, account_id: str, hold_id: str) -> Hold | None: ...

    def find(self, hold_id: str) -> Hold | None:
        """The hold with this id on whichever account it is (staff acting from an alert)."""

    def holds_of(self, account_id: str, *, open_only: bool = False) -> list[Hold]:
        """The account's holds, newest first."""

    def due(self, now: str, *, limit: int) -> list[Hold]:
        """Open holds whose deadline is at or before `now`, earliest first."""

    def all_holds(self) -> Iterator[Hold]:
        """Every hold (for verify; never on a request path)."""


class LeasePort(Protocol):
    """Leases on named jobs, so that two workers never run the same job at once and a
    killed worker's job passes to another once its lease runs out."""

    def acquire(self, name: str, owner: str, *, now: str, until: str) -> bool:
        """Take (or renew) the lease if it is free, expired, or already `owner`'s; atomic."""

    def release(self, name: str, owner: str) -> None:
        """Give the lease up, if `owner` holds it."""

    def holder(self, name: str) -> tuple[str, str] | None:
        """(owner, until) of the lease, expired or not; None if never taken."""


class StandingOrderPort(Protocol):
    """Customers' standing orders and the record of their runs."""

    def add_order(self, order: StandingOrder) -> None:
        """Raises TooManyAccounts-like ValidationFailed beyond MAX_ORDERS_PER_CUSTOMER."""

    def get_order(self, user_id: str, order_id: str) -> StandingOrder | None: ...

    def orders_of(self, user_id: str) -> list[StandingOrder]:
        """Newest first."""

    def save_order(self, order: StandingOrder) -> None:
        """Write the order if it is still at order.version - 1 (the version it was read
        at); StaleRecord otherwise."""

    def due_orders(self, today: str, *, limit: int) -> list[StandingOrder]:
        """Active orders whose next run is on or before `today`, earliest first."""

    def record_run(self, run: Run) -> None:
        """Keep the run's outcome (once per order and date; a repeat is ignored)."""

    def runs_of(self, order_id: str, *, limit: int) -> list[Run]:
        """Newest first."""


class UserPort(Protocol):
    """Users: profiles (written field by field, conditional on the version read), staff
    lookups, and the atomic steps of two-factor authentication."""

    def add_user(self, user: User) -> None:
        """Raises EmailTaken when the email (case-insensitive) is in use."""

    def get_user(self, user_id: str) -> User | None: ...

    def find_user_by_email(self, email: str) -> User | None: ...

    def update_user(self, user_id: str, *, version: int, changes: Mapping[str, object]) -> User:
        """Write only the changed fields (domain.accounts.USER_FIELDS), if the user is still at
        `version`; returns the user as written (version + 1). Raises StaleRecord when someone
        else wrote it since, AccountNotFound for an unknown id, EmailTaken if a new email is
        in use. On DynamoDB a new name is copied onto the owner's accounts in the same write."""

    def remove_user(self, user_id: str, *, version: int) -> None:
        """Delete a user who holds no accounts (their profile, the lock on their email and
        their saved payees) if still at `version`; their sessions and API tokens find no user
        from then on (a store may delete them too). Raises StaleRecord or AccountNotFound as
        update_user does, and NotPermitted for a user with accounts, whom the ledger names
        for good."""

    def count_users(self) -> int: ...

    def search_users(self, text: str, *, limit: int) -> list[User]:
        """Users whose email or name starts with `text` (case-insensitive), or who own the
        account with that number; for staff only."""

    def list_users(self, *, limit: int, cursor: str | None = None) -> Page[User]:
        """Every user, oldest first (admin user management)."""

    def record_totp_step(self, user_id: str, step: int) -> bool:
        """Atomically accept a TOTP time step if it is later than the last one accepted;
        False means the code was already used (a replay)."""

    def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        """Atomically remove one unused recovery code; False if it was not there."""


class SessionPort(Protocol):
    """How people stay signed in: browser sessions, API tokens, and login throttles."""

    def add_session(self, session: WebSession) -> None: ...

    def save_session(self, session: WebSession) -> WebSession | None:
        """Write the session's user, data and last_seen_at if it is still at its version;
        returns it as written (version + 1), None when it has ended (never recreated), and
        raises StaleRecord when another request saved it since."""

    def get_session(self, id_hash: str) -> WebSession | None: ...

    def delete_session(self, id_hash: str) -> None: ...

    def delete_sessions_of(self, user_id: str, *, keep: str | None = None) -> int:
        """End every session of the user but `keep` (a session hash); returns how many."""

    def sessions_of(self, user_id: str) -> list[WebSession]:
        """The user's stored sessions, oldest first (expired ones too, until a load deletes
        them: the caller judges expiry). DynamoDB's index may trail a session begun a
        moment ago."""

    def add_token(self, token: ApiToken) -> None: ...

    def get_token(self, token_hash: str) -> ApiToken | None: ...

    def get_token_with_user(
        self, token_hash: str, user_id: str | None = None
    ) -> tuple[ApiToken, User | None] | None:
        """The token and its user's profile (None if gone), read together for every API
        request: `user_id` is the user the token says it belongs to, so that a store that
        reads by key can fetch both at once; when it is missing or wrong, the token's own
        user is read after it. None when no such token exists."""

    def revoke_token(self, token_hash: str) -> None: ...

    def tokens_of(self, user_id: str) -> list[ApiToken]:
        """The user's tokens, newest first (revoked and expired ones too)."""

    def revoke_tokens_of(self, user_id: str) -> int:
        """Revoke every token of the user; returns how many were live."""

    def login_throttle(self, email_key: str) -> LoginThrottle: ...

    def record_login_failure(self, email_key: str) -> int:
        """Atomically count one more failure; returns the count."""

    def lock_login(self, email_key: str, until: str) -> None: ...

    def clear_login_failures(self, email_key: str) -> None: ...


class LinkPort(Protocol):
    """Emailed one-time links (domain/links.py), kept by their token's hash only, and the
    addresses customers have confirmed. Writes join the unit of work open on the thread."""

    def add_link(self, link: EmailLink) -> None: ...

    def get_link(self, token_hash: str) -> EmailLink | None:
        """The link, expired or not (the service judges); None once used."""

    def use_link(self, link: EmailLink) -> None:
        """Remove the link; LinkNotValid when it is gone already, so that of two uses at
        once only one commits (with the change it allows, in the same unit of work)."""

    def confirm_email(self, user_id: str, email: str, at: str) -> None:
        """Record that the user confirmed `email` (compared by identity.email_key); a repeat
        keeps the first time."""

    def email_confirmed_at(self, user_id: str, email: str) -> str | None:
        """When the user confirmed this address; None if never."""


class MailPort(Protocol):
    """The mail outbox (domain/mail.py): mail waits here until the worker's send job has
    handed it to the mailer, so that no request waits for a mail server and none is lost;
    and the devices each customer has signed in from, which new-device notices compare to."""

    def queue_mail(self, mail: Mail) -> None:
        """Add it; a mail with the same id already queued (an event applied again) is left
        as it is, outside a unit of work. Inside one, the id must be new."""

    def get_mail(self, mail_id: str) -> Mail | None: ...

    def due_mail(self, now: str, *, limit: int) -> list[Mail]:
        """Unsent mail whose next_at is at or before `now` and not given up, earliest first."""

    def mail_sent(self, mail: Mail, at: str, *, body: str) -> None:
        """Mark it sent (keeping `body`: emptied for a message that carried a link); nothing
        when it was marked sent already."""

    def mail_failed(self, mail: Mail, error: str, next_at: str) -> None:
        """Count a failed attempt and when to try next, if nobody has since (StaleRecord
        otherwise)."""

    def devices_of(self, user_id: str) -> list[str]:
        """The devices the user has signed in from (their names, domain.security)."""

    def add_device(self, user_id: str, device: str, at: str) -> None:
        """Remember the device; a known one is left as it is."""


class AuditPort(Protocol):
    """The append-only audit log."""

    def append_audit(self, event: AuditEvent) -> None: ...

    def audit_log(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        action: AuditAction | None = None,
        actor_email: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Page[AuditEvent]:
        """Newest first; since inclusive, until exclusive."""


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[Event]
    checkpoint: str  # pass it back as `after` to read on; unchanged when nothing was new


@dataclass(frozen=True)
class StoredEventPage:
    events: list[StoredEvent]
    checkpoint: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where a consumer has read up to: None before its first save, at version 0."""

    consumer: str
    position: str | None = None
    version: int = 0


class EventPort(Protocol):
    """The event outbox: every change's events, in one feed that consumers read from their
    checkpoints, and the checkpoints themselves."""

    def append(self, event: Event) -> None:
        """Store the event at once, or, inside a unit of work on this thread, at its commit
        together with the change it describes; it then gets its position in the feed."""

    def read(self, *, after: str | None, limit: int) -> EventPage:
        """Up to `limit` events after the checkpoint `after` (None: from the start), in
        feed order, with the checkpoint to resume from. A reader that resumes from each
        checkpoint it is given sees every event exactly once, also when the events commit
        while it reads (SQLite and DynamoDB each prove it in their module). A checkpoint
        that this store did not issue raises ValidationFailed."""

    def read_stored(self, *, after: str | None, limit: int) -> StoredEventPage:
        """The same page as `read`, each event as stored (its payload JSON text, unparsed),
        for a consumer that reads the whole feed in bulk (the warehouse's sync)."""

    def checkpoint(self, consumer: str) -> Checkpoint:
        """The consumer's saved checkpoint (read strongly consistent)."""

    def save_checkpoint(self, consumer: str, position: str, *, version: int) -> Checkpoint:
        """Move the consumer's checkpoint, if it is still at `version`, and return it at
        version + 1; raises StaleRecord when another instance moved it since, so that two
        instances of a consumer cannot both advance. Joins the unit of work open on the
        thread (a consumer writing to this store can commit its effect with its checkpoint)."""


class MonitoringPort(Protocol):
    """What real-time monitoring keeps (domain/monitoring): customers' profiles, the live
    rule set and every version of each rule, alerts, and backtests. A posting reads the
    profile and the rule set with its accounts (LedgerPort.read_for_posting: profile_of,
    with_rules), so that scoring costs no extra round trip for them."""

    def profile(self, user_id: str) -> StoredProfile | None: ...

    def save_profile(self, profile: StoredProfile) -> StoredProfile:
        """Write the profile if it is still at profile.version (0: new), and return it at
        version + 1; StaleRecord otherwise. Joins the unit of work open on the thread."""

    def profiles(self, user_ids: Collection[str]) -> dict[str, StoredProfile]:
        """The profiles of these users that exist, by user id, read together (DynamoDB:
        BatchGetItem, 100 keys a call; SQLite: one query), for a consumer applying a batch."""

    def save_profiles(self, profiles: Sequence[StoredProfile]) -> set[str]:
        """Write each profile if it is still at its version (0: new), as save_profile does,
        but each on its own rather than all or none: returns the user ids whose profile had
        moved meanwhile (nothing of theirs written), for the caller to read again. Not in a
        unit of work (RuntimeError)."""

    def rule_set(self) -> StoredRuleSet | None:
        """The live rule set; None before the first save (the service then seeds defaults)."""

    def save_rule_set(self, rules: StoredRuleSet, changes: Sequence[RuleChange]) -> StoredRuleSet:
        """Replace the live rule set if it is still at rules.version, keeping each change
        for good, in one atomic write; returns it at version + 1; StaleRecord otherwise."""

    def rule_history(self, rule_id: str) -> list[RuleChange]:
        """Every version of the rule, newest first."""

    def add_alert(self, alert: Alert) -> None:
        """Joins the unit of work open on the thread (an alert commits with its posting,
        hold or recorded attempt)."""

    def add_alerts(self, alerts: Sequence[Alert]) -> set[str]:
        """Add each alert whose id is not taken yet, each on its own, and return the ids
        added; an alert already there is left as it is (whatever analysts did to it), so
        adding a batch again adds nothing. Not in a unit of work (RuntimeError)."""

    def get_alert(self, alert_id: str) -> Alert | None: ...

    def save_alert(self, alert: Alert) -> Alert:
        """Write the alert if it is still at alert.version - 1; StaleRecord otherwise, so
        that two analysts acting at once cannot both resolve it."""

    def alerts(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        status: AlertStatus | None = None,
        rule: str | None = None,
        since: str | None = None,
        until: str | None = None,
        customer_id: str | None = None,
    ) -> Page[Alert]:
        """Newest first; since inclusive, until exclusive; `rule` keeps alerts where that
        rule fired."""

    def add_backtest(self, backtest: Backtest) -> None: ...

    def get_backtest(self, backtest_id: str) -> Backtest | None: ...

    def save_backtest(self, backtest: Backtest) -> Backtest:
        """Conditional on backtest.version - 1, like save_alert."""


class SavedReportPort(Protocol):
    """Reports saved under a name (domain/saved_reports.py), kept in the operational store
    so that every app server sees them. Names are unique per bank, compared by name_key.
    Writes join the unit of work open on the thread (a save commits with its audit entry)."""

    def add_saved_report(self, saved: SavedReport) -> None:
        """ReportNameTaken if another saved report has the same name_key."""

    def get_saved_report(self, report_id: str) -> SavedReport | None: ...

    def saved_reports(self) -> list[SavedReport]:
        """Every saved report, by name."""

    def remove_saved_report(self, saved: SavedReport) -> None:
        """Remove it and free its name; ReportNotFound if it is gone already."""


class NotePort(Protocol):
    """Staff's internal notes on customers (domain/notes.py): append-only, never updated or
    deleted. add_note joins the unit of work open on the thread (a note commits with its
    audit entry)."""

    def add_note(self, note: CustomerNote) -> None: ...

    def notes_of(self, customer_id: str, *, limit: int) -> list[CustomerNote]:
        """The customer's notes, newest first, at most `limit`."""


class CorrectiveActionPort(Protocol):
    """Corrective actions recorded against compliance findings (domain/compliance.py):
    append-only, never updated or deleted. add_action joins the unit of work open on the
    thread (an action commits with its audit entry)."""

    def add_action(self, action: CorrectiveAction) -> None: ...

    def actions_on(self, findings: Sequence[str]) -> dict[str, list[CorrectiveAction]]:
        """Each of the findings' actions, oldest first; a finding without any is left out."""


class ApprovalPort(Protocol):
    """Requests for two-person approval (domain/approvals.py). Writes join the unit of work
    open on the thread, so that a decision commits with the action it runs and its audit
    entries."""

    def add_request(self, request: ApprovalRequest) -> None: ...

    def get_request(self, request_id: str) -> ApprovalRequest | None: ...

    def save_request(self, request: ApprovalRequest) -> None:
        """Write the request if it is still at request.version - 1; StaleRecord otherwise,
        so that of two staff deciding at once only one decision (and one run) lands."""

    def pending_requests(self, *, limit: int) -> list[ApprovalRequest]:
        """Undecided requests, lapsed ones included (the caller tells them apart), oldest
        first."""


@dataclass(frozen=True, slots=True)
class BulkBatch:
    """One step of a bulk load (`flaskbank generate`), applied whole or not at all.

    Batches of a load are numbered from 0 and applied in that order. Users and accounts are
    new (accounts open at a zero balance). Postings come in time order, each balanced (the
    Posting checks that), and the store applies them as `post` would: each customer leg
    judged by `chart.check_leg` on the balance it lands on, an exact `balance_after` on every
    entry, the account's stored balance moved, the posting's own event written
    (`events.transaction_posted`). Only per-request work is skipped: no idempotency keys,
    no per-posting transaction or re-read. `events` are the other events of the batch
    (logins, password and email changes, accounts opened, accounts closed), stored as they
    are; an account_status_changed event also sets its account's status once the batch's
    postings are in, a closing judged as `close_account` judges it (the account open, left
    empty and unheld: AccountNotEmpty, AccountNotOpen); `labels` the patterns the generator
    planted."""

    load_id: str
    number: int
    users: tuple[User, ...] = ()
    accounts: tuple[Account, ...] = ()
    postings: tuple[Posting, ...] = ()
    events: tuple[Event, ...] = ()
    labels: tuple[Label, ...] = ()

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled with its postings packed (domain.ledger.packed): a large load's batches
        cross from the generating process to the loading one."""
        fields = (self.users, self.accounts, packed(self.postings), self.events, self.labels)
        return (_unpickled_batch, (self.load_id, self.number, *fields))


def _unpickled_batch(
    load_id: str,
    number: int,
    users: tuple[User, ...],
    accounts: tuple[Account, ...],
    postings: tuple[list[Any], ...],
    events: tuple[Event, ...],
    labels: tuple[Label, ...],
) -> BulkBatch:
    return BulkBatch(load_id, number, users, accounts, unpacked(postings), events, labels)


class BulkLoadPort(Protocol):
    """Loading a large bank at once, without giving up what the ledger promises."""

    def load(self, batch: BulkBatch) -> None:
        """Apply the batch whole or not at all. A leg the rules refuse refuses the whole
        batch (the Refusal is raised, nothing of the batch is kept). A batch whose number is
        below `loaded(load_id)` is skipped, so that a killed load resumes by replaying its
        (deterministic) stream; one above it raises BulkLoadOutOfOrder."""

    def loaded(self, load_id: str) -> int:
        """How many batches of this load are in: the number of the next one to apply."""

    def unfinished_loads(self) -> list[str]:
        """Loads begun and not marked finished (verify and serve name them)."""

    def finish(self, load_id: str) -> None:
        """Mark the load complete."""

    def labels(self) -> Iterator[Label]:
        """Every stored label."""


class Store(Protocol):
    """A store: its ports and their lifecycle."""

    @property
    def ledger(self) -> LedgerPort: ...

    @property
    def users(self) -> UserPort: ...

    @property
    def sessions(self) -> SessionPort: ...

    @property
    def audit(self) -> AuditPort: ...

    @property
    def holds(self) -> HoldPort: ...

    @property
    def leases(self) -> LeasePort: ...

    @property
    def standing_orders(self) -> StandingOrderPort: ...

    @property
    def events(self) -> EventPort: ...

    @property
    def bulk(self) -> BulkLoadPort: ...

    @property
    def monitoring(self) -> MonitoringPort: ...

    @property
    def saved_reports(self) -> SavedReportPort: ...

    @property
    def links(self) -> LinkPort: ...

    @property
    def mail(self) -> MailPort: ...

    @property
    def payees(self) -> PayeePort: ...

    @property
    def notes(self) -> NotePort: ...

    @property
    def approvals(self) -> ApprovalPort: ...

    @property
    def corrective_actions(self) -> CorrectiveActionPort: ...

    def init_schema(self) -> SchemaReport:
        """Make the tables and indexes, or migrate them to this code's schema version (see
        store/migrations.py); safe to repeat, also by two processes at once. Raises
        SchemaTooNew for a store that a newer release migrated."""

    def check_schema(self) -> None:
        """Raise SchemaBehind unless the store is at this code's schema version (SchemaTooNew
        if it is past it): the web server and `verify` run on a migrated store only."""

    def close(self) -> None: ...

    def unit_of_work(self) -> UnitOfWork:
        """The store's methods called inside `with store.unit_of_work() as uow:` on this
        thread join it; their writes take effect at uow.commit()."""

    def copies_out_of_step(self) -> Iterator[str]:
        """Where what the store keeps twice, so that a request reads less, disagrees with
        itself (for verify; never on a request path). SQLite keeps nothing twice."""
