"""Jinja filters: money and account numbers are formatted only here, at the edge."""

from __future__ import annotations

from flask import Flask

from ..domain.accounts import format_account_number
from ..domain.money import Money


def money(value: Money | None) -> str:
    return "" if value is None else value.display()


def when(iso: str) -> str:
    """2026-01-31T14:05:09.123456Z -> 2026-01-31 14:05 UTC"""
    return f"{iso[:10]} {iso[11:16]} UTC" if iso else ""


def register(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(format_account_number, "account_number")
    app.add_template_filter(when, "when")
