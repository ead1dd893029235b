"""Helpers for the browser-UI tests (no tests here): sign a customer in, read a page the way a
person would (flashes, field errors, form values), and post as of a given moment."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from conftest import Customer, new_customer
from flaskbank.services import accounts
from flaskbank.services.bank import Bank

#: The personal details the registration form requires (domain/personal.py).
PERSONAL = {
    "phone": "+44 7700 900123",
    "address": "1 High Street\nLondon SW1A 1AA\nUnited Kingdom",
    "date_of_birth": "1990-05-17",
}

# Amounts a form must refuse, with (part of) the message shown next to the field.
BAD_AMOUNTS = [
    ("", "positive number"),
    ("0", "greater than zero"),
    ("0.00", "greater than zero"),
    ("-1", "positive number"),
    ("1.234", "at most 2 decimal places"),
    ("abc", "positive number"),
    ("1e3", "positive number"),
    ("1,00", "positive number"),  # commas only between groups of three are thousands
    ("1.000,00", "positive number"),
    ("NaN", "positive number"),
    ("10000.01", "may not exceed 10,000.00 USD"),
    (" ", "positive number"),
]


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)


VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Collector(HTMLParser):
    """Every element with its attributes and its text content, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                break

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


class Page:
    """A rendered page, read by what a person sees on it."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        parser = _Collector()
        parser.feed(self.html)
        self.elements = parser.elements

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag)
            and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Element | None:
        found = self.find(id=element_id)
        return found[0] if found else None

    def text_of(self, css_class: str) -> list[str]:
        return [
            " ".join(e.text.split())
            for e in self.elements
            if css_class in e.attrs.get("class", "").split()
        ]

    @property
    def flashes(self) -> list[str]:
        return self.text_of("flash")

    @property
    def form_errors(self) -> list[str]:
        return self.text_of("form-errors")

    def error(self, field_name: str) -> str:
        """The message shown next to a field ('' when none)."""
        element = self.by_id(f"{field_name}-error")
        return " ".join(element.text.split()) if element else ""

    def value(self, field_name: str) -> str:
        element = self.by_id(field_name)
        assert element is not None, f"no field {field_name}"
        if element.tag == "select":
            options = []
            for e in self.elements[self.elements.index(element) + 1 :]:
                if e.tag != "option":
                    break
                options.append(e)
            chosen = [e for e in options if "selected" in e.attrs] or options[:1]
            return chosen[0].attrs.get("value", "") if chosen else ""
        return element.attrs.get("value", "")

    @property
    def text(self) -> str:
        body = self.find("main")
        return " ".join(body[0].text.split()) if body else ""

    def rows(self) -> list[dict[str, str]]:
        """The history lines on the page: {data-label: text} per table row."""
        out: list[dict[str, str]] = []
        row: dict[str, str] | None = None
        for e in self.elements:
            if e.tag == "tr":
                row = {}
                out.append(row)
            elif e.tag == "td" and row is not None:
                row[e.attrs.get("data-label", "")] = " ".join(e.text.split())
        return [r for r in out if r]

    def link(self, text: str) -> str | None:
        for e in self.find("a"):
            if " ".join(e.text.split()) == text:
                return e.attrs["href"]
        return None


def sign_in(client: Any, who: Customer) -> Any:
    response = client.post("/login", data={"email": who.email, "password": who.password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def customer_client(
    app: Any,
    bank: Bank,
    name: str = "Ada Lovelace",
    deposit: str | None = None,
    currency: str | None = None,
    client: Any = None,
    opened: datetime | None = None,
) -> tuple[Customer, Any]:
    """A new customer with one checking account (opened now, or `opened`), and a test client
    signed in as them."""
    who = new_customer(bank, name, deposit=deposit, currency=currency, opened=opened)
    return who, sign_in(client or app.test_client(), who)


def balance(bank: Bank, who: Customer, account_id: str | None = None) -> str:
    return str(accounts.account_of(bank, who.user_id, account_id or who.account_id).balance)


def token_of(client: Any, path: str) -> str:
    """The one-time token of the form rendered at `path`."""
    page = Page(client.get(path))
    assert page.status == 200, page.html
    return page.value("token")


def assert_controls_labelled(page: Page) -> None:
    """Ids are unique, every form control has a label, and its described-by messages exist
    once (an invalid control points at its error)."""
    path = page.response.request.path
    ids = Counter(e.attrs["id"] for e in page.elements if "id" in e.attrs)
    assert [i for i, n in ids.items() if n > 1] == [], path
    labelled = {e.attrs.get("for") for e in page.find("label")}
    for control in page.elements:
        if control.tag not in ("input", "select", "textarea"):
            continue
        if control.attrs.get("type") in ("hidden", "submit"):
            continue
        assert control.attrs.get("id") in labelled, (path, control)
        for described in control.attrs.get("aria-describedby", "").split():
            assert ids[described] == 1, (path, described)
        if control.attrs.get("aria-invalid") == "true":
            assert control.attrs["aria-describedby"].endswith("-error")


def review_fields(review: Page) -> dict[str, str]:
    """What a transfer's review page sends when its confirm button is pressed."""
    return {
        i.attrs["name"]: i.attrs.get("value", "")
        for i in review.find("input")
        if i.attrs.get("type") == "hidden"
    }
