"""Every setting, its environment variable and its default, declared once.

The README's configuration table is this module in prose; keep them together.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .domain.accounts import MAX_ACCOUNTS_PER_CUSTOMER
from .domain.digits import whole_number
from .domain.money import MINOR_UNITS


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Config:
    data_dir: Path = Path("data")
    store_url: str = ""  # default: sqlite:///<data_dir>/flaskbank.db
    #: The analytics warehouse (docs/analytics.md); default: <data_dir>/warehouse.duckdb
    warehouse_path: str = ""
    #: The IANA time zone whose calendar days, weeks and months the reports count in.
    report_timezone: str = "UTC"
    secret_key: str = ""
    max_transaction: Decimal = Decimal("10000.00")
    #: Transfers of at least this amount wait for staff review on a hold; None: none do.
    #: (Fraud monitoring will decide per transfer; this is the bank's simplest rule.)
    review_threshold: Decimal | None = None
    review_hours: int = 72  # how long a transfer waits for review before it lapses
    #: How many accounts that are not closed one customer may hold (at most the hard cap
    #: domain.accounts.MAX_ACCOUNTS_PER_CUSTOMER, which DynamoDB's transaction size sets).
    max_open_accounts: int = 10
    token_ttl_seconds: int = 3600
    secure_cookies: bool = False
    # -- security (docs/security.md explains each) --
    session_idle_minutes: int = 15
    session_max_hours: int = 12
    lockout_threshold: int = 5
    #: Rate limiting is on unless turned off here; an app built with TESTING=True leaves it
    #: off unless the test turns RATELIMIT_ENABLED on (see web/security.py).
    ratelimit_enabled: bool = True
    #: memory:// counts per process; redis://host:6379 (etc.) shares the counts.
    ratelimit_storage: str = "memory://"
    ratelimit_login: str = "10/minute"
    ratelimit_registration: str = "10/hour"
    ratelimit_tokens: str = "10/minute"
    ratelimit_money: str = "60/minute"
    #: How many reverse proxies (nginx, a load balancer) stand in front of the app and set
    #: X-Forwarded-For/-Proto; 0 trusts no such header.
    proxy_hops: int = 0
    #: The server runs as `flaskbank demo`, whose published staff logins (demo_staff.py) sign
    #: in only then. No environment variable sets it, so no deployment can turn it on by a
    #: stray setting: only the demo command does.
    demo: bool = False
    # -- mail (docs/security.md, "Mail and account recovery") --
    #: smtp://user:pass@host:587?starttls=1 or smtps://...; empty: .eml files in <data_dir>/mail
    smtp_url: str = ""
    mail_from: str = "Flask Bank <no-reply@flaskbank.example>"
    #: Where customers reach the site: the links in mail start with it (never with the Host
    #: header of the request that asked for them, which the client chooses).
    base_url: str = "http://127.0.0.1:8000"
    #: A transfer or withdrawal of at least this amount sends the customer a notice.
    large_transfer: Decimal = Decimal("1000.00")

    @property
    def store(self) -> str:
        return self.store_url or f"sqlite:///{Path(self.data_dir) / 'flaskbank.db'}"

    @property
    def warehouse(self) -> Path:
        return (
            Path(self.warehouse_path) if self.warehouse_path else self.data_dir / "warehouse.duckdb"
        )


#: The ranges each whole-number setting accepts, (lowest, highest): wide enough for any real
#: deployment and narrow enough that no date plus the setting overflows or means "never".
TOKEN_TTL = (60, 30 * 24 * 3600)  # a minute to 30 days, in seconds
SESSION_IDLE = (1, 24 * 60)  # a minute to a day, in minutes
SESSION_MAX = (1, 30 * 24)  # an hour to 30 days, in hours
LOCKOUT = (1, 100)  # failed logins
PROXY_HOPS = (0, 10)
REVIEW_HOURS = (1, 30 * 24)
OPEN_ACCOUNTS = (1, MAX_ACCOUNTS_PER_CUSTOMER)
#: The largest single transaction one may configure; the amount parser takes 15 digits.
MAX_TRANSACTION_CAP = Decimal("1000000000.00")
# Plain decimal notation in ASCII: no sign, exponent, spaces, NaN or Infinity.
_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,15})?")
#: The prefix of limits' asyncio storages, which this synchronous app cannot use.
_ASYNC = "async+"


def _whole(
    env: Mapping[str, str], name: str, default: int, bounds: tuple[int, int], unit: str = ""
) -> int:
    """A whole number (ASCII digits, nothing else) within `bounds`; absent means default."""
    text = env.get(name)
    if text is None:
        return default
    low, high = bounds
    value = whole_number(text, most_digits=12)
    if value is None or not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number{unit} from {low} to {high}; got {text!r}")
    return value


def _max_transaction(env: Mapping[str, str], name: str, default: Decimal) -> Decimal:
    """An amount every currency the bank keeps can hold: plain decimal, at most as many
    decimals as the currency with the fewest, above zero and at most the cap. Otherwise
    every posting would fail, or none would ever be refused."""
    text = env.get(name)
    if text is None:
        return default
    places = min(MINOR_UNITS.values())
    value = Decimal(text) if _DECIMAL.fullmatch(text) else None
    if (
        value is None
        or value != value.quantize(Decimal(1).scaleb(-places))
        or not 0 < value <= MAX_TRANSACTION_CAP
    ):
        raise ConfigError(
            f"{name} must be an amount such as 10000.00: greater than zero, at "
            f"most {MAX_TRANSACTION_CAP:,}, with at most {places} decimal "
            f"places; got {text!r}"
        )
    return value


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    from limits import parse_many

    value = env.get(name, default)
    try:
        items = parse_many(value)
    except ValueError:
        items = []
    if not items or any(item.amount < 1 for item in items):
        raise ConfigError(
            f"{name} must be a rate such as 10/minute or 100/hour (each at least 1); got {value!r}"
        )
    return value


def _storage(env: Mapping[str, str], name: str, default: str) -> str:
    """A `limits` storage URL (memory://, redis://host:6379, ...). An unknown scheme
    would stop the app at its first start; a known one whose client library is missing
    is named when the app is built (web/ratelimits.py)."""
    # limits keeps its registry of schemes in a module it does not declare public.
    from limits.storage import SCHEMES  # type: ignore[attr-defined]

    value = env.get(name, default)
    scheme, sep, _ = value.partition("://")
    if not sep or scheme not in SCHEMES or scheme.startswith(_ASYNC):
        known = ", ".join(f"{s}://" for s in sorted(SCHEMES) if not s.startswith(_ASYNC))
        # Only the scheme is repeated: the rest of the URL may hold a password.
        raise ConfigError(
            f"{name} must be a storage URL starting with one of {known}; "
            f"got one starting with {scheme[:20]!r}"
        )
    return value


def _timezone(env: Mapping[str, str], name: str, default: str) -> str:
    """An IANA time zone name the system knows (Europe/Berlin, America/New_York, UTC)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = env.get(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name} must be an IANA time zone such as UTC or Europe/Berlin; got {value!r}"
        ) from None
    return value


def _smtp_url(env: Mapping[str, str], name: str) -> str:
    from .mail.smtp import parse_smtp_url

    value = env.get(name, "")
    if value:
        try:
            parse_smtp_url(value)
        except ValueError as e:
            # Only the reason: the URL itself may hold a password.
            raise ConfigError(f"{name} {e}, e.g. smtp://user:pass@host:587?starttls=1") from None
    return value


def _mail_from(env: Mapping[str, str], name: str, default: str) -> str:
    from email.headerregistry import Address
    from email.utils import parseaddr

    value = env.get(name, default)
    wrong = ConfigError(f"{name} must be an address such as Bank <no-reply@bank.example>")
    _, address = parseaddr(value)
    if "@" not in address or any(ch in value for ch in "\r\n"):
        raise wrong
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        raise wrong from None
    return value


def _base_url(env: Mapping[str, str], name: str, default: str) -> str:
    from urllib.parse import urlsplit

    value = env.get(name, default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"{name} must be the site's address, such as https://bank.example")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "1" if default else "0")
    if value not in ("0", "1"):
        raise ConfigError(f"{name} must be 0 or 1; got {value!r}")
    return value == "1"


def from_env(env: Mapping[str, str] | None = None, *, require_secret: bool = True) -> Config:
    """Every setting, each checked here so that a bad one stops the app at start with a
    message naming it, rather than breaking requests later."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("FLASKBANK_DATA_DIR", "data"))
    secret = env.get("FLASKBANK_SECRET_KEY", "")
    if require_secret and len(secret) < 32:
        raise ConfigError(
            "FLASKBANK_SECRET_KEY must be set to a random string of at least 32 characters, "
            "e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    d = Config()  # the defaults, declared once on the dataclass
    return Config(
        data_dir=data_dir,
        store_url=env.get("FLASKBANK_STORE", ""),
        warehouse_path=env.get("FLASKBANK_WAREHOUSE", ""),
        report_timezone=_timezone(env, "FLASKBANK_REPORT_TIMEZONE", d.report_timezone),
        secret_key=secret,
        max_transaction=_max_transaction(env, "FLASKBANK_MAX_TRANSACTION", d.max_transaction),
        review_threshold=(
            _max_transaction(env, "FLASKBANK_REVIEW_THRESHOLD", Decimal(0))
            if env.get("FLASKBANK_REVIEW_THRESHOLD")
            else None
        ),
        review_hours=_whole(
            env, "FLASKBANK_REVIEW_HOURS", d.review_hours, REVIEW_HOURS, " of hours"
        ),
        max_open_accounts=_whole(
            env, "FLASKBANK_MAX_OPEN_ACCOUNTS", d.max_open_accounts, OPEN_ACCOUNTS, " of accounts"
        ),
        token_ttl_seconds=_whole(
            env, "FLASKBANK_TOKEN_TTL", d.token_ttl_seconds, TOKEN_TTL, " of seconds"
        ),
        secure_cookies=_flag(env, "FLASKBANK_SECURE_COOKIES", d.secure_cookies),
        session_idle_minutes=_whole(
            env,
            "FLASKBANK_SESSION_IDLE_MINUTES",
            d.session_idle_minutes,
            SESSION_IDLE,
            " of minutes",
        ),
        session_max_hours=_whole(
            env, "FLASKBANK_SESSION_MAX_HOURS", d.session_max_hours, SESSION_MAX, " of hours"
        ),
        lockout_threshold=_whole(env, "FLASKBANK_LOCKOUT_THRESHOLD", d.lockout_threshold, LOCKOUT),
        ratelimit_enabled=_flag(env, "FLASKBANK_RATELIMIT_ENABLED", d.ratelimit_enabled),
        ratelimit_storage=_storage(env, "FLASKBANK_RATELIMIT_STORAGE", d.ratelimit_storage),
        ratelimit_login=_rate(env, "FLASKBANK_RATELIMIT_LOGIN", d.ratelimit_login),
        ratelimit_registration=_rate(
            env, "FLASKBANK_RATELIMIT_REGISTRATION", d.ratelimit_registration
        ),
        ratelimit_tokens=_rate(env, "FLASKBANK_RATELIMIT_TOKENS", d.ratelimit_tokens),
        ratelimit_money=_rate(env, "FLASKBANK_RATELIMIT_MONEY", d.ratelimit_money),
        proxy_hops=_whole(env, "FLASKBANK_PROXY_HOPS", d.proxy_hops, PROXY_HOPS),
        smtp_url=_smtp_url(env, "FLASKBANK_SMTP_URL"),
        mail_from=_mail_from(env, "FLASKBANK_MAIL_FROM", d.mail_from),
        base_url=_base_url(env, "FLASKBANK_BASE_URL", d.base_url),
        large_transfer=_max_transaction(env, "FLASKBANK_LARGE_TRANSFER", d.large_transfer),
    )
