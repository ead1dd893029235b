"""A month's statement as a PDF to keep or print: the bank's letterhead (a mark, its name and
address), the customer's name and postal address, the account's number and nickname, the
period, the opening balance, every line with its balance after, and the closing balance,
amounts right-aligned as the pages show them (Money.display). The figures are the
statement's own (services.history.statement checks that they add up before any is shown)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from ..domain.accounts import User, format_account_number
from ..domain.personal import postal_lines
from ..services.history import Statement
from .filters import money, when

#: The same fonts, margin and inks as the staff reports' PDFs (staff/report_pdf.py).
FONTS = Path("/usr/share/fonts/truetype/dejavu")
MARGIN = 15.0  # mm
MUTED, INK, RULE = (91, 100, 112), (27, 31, 36), (190, 197, 205)
BANK_NAME = "Flask Bank"
BANK_ADDRESS = "Flask Bank · 1 Ledger Lane · Springfield 01234 · flaskbank.example"
BRAND = (20, 83, 136)  # the mark's blue
#: Column widths in mm (A4 portrait less the margins: 180 mm).
WIDTHS = (33.0, 59.0, 28.0, 30.0, 30.0)
HEADS = ("Date", "Details", "Type", "Amount", "Balance")
ROW = 5.5


class _Statement(FPDF):
    def __init__(self, title: str) -> None:
        # Imported here: importing the staff package registers its routes, which import the
        # API's views, which import this module.
        from .staff.printable import Printable

        super().__init__(unit="mm", format="A4")
        self.title_text = title
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 4)
        self.printable = Printable.for_document(self, FONTS)
        self.set_draw_color(*RULE)
        self.set_line_width(0.15)
        self.set_title(self.printable(title))
        self.set_creator(BANK_NAME)

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font(self.printable.family, "", 8)
        self.set_text_color(*MUTED)
        text = f"{BANK_ADDRESS} · {self.title_text} · page {self.page_no()} of {{nb}}"
        self.cell(0, 5, self.printable(text), align="C")


def statement_pdf(found: Statement, owner: User) -> bytes:
    account = found.account
    title = f"Statement {found.month}, account {format_account_number(account.number)}"
    pdf = _Statement(title)
    pdf.add_page()
    _letterhead(pdf)
    say = pdf.printable
    pdf.set_font(pdf.printable.family, "", 10)
    pdf.set_text_color(*INK)
    for line in postal_lines(owner):
        pdf.cell(0, 5, say(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(pdf.printable.family, "B", 14)
    pdf.cell(0, 8, say(f"Statement for {found.month}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.printable.family, "", 10)
    named = f" ({account.nickname})" if account.nickname else ""
    facts = [
        f"{account.type.value.capitalize()} account {format_account_number(account.number)}"
        f"{named}, {account.currency}",
        f"Period: {found.month}-01 to {found.closes_on}",
    ]
    for line in facts:
        pdf.cell(0, 5, say(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _total(pdf, "Opening balance", money(found.opening_balance))
    pdf.ln(2)
    _lines(pdf, found)
    pdf.ln(2)
    _total(pdf, f"Closing balance on {found.closes_on}", money(found.closing_balance))
    return bytes(pdf.output())


def _letterhead(pdf: _Statement) -> None:
    """A simple mark (a blue square with the bank's initials), the name, the address."""
    top = pdf.get_y()
    pdf.set_fill_color(*BRAND)
    pdf.rect(MARGIN, top, 12, 12, style="F")
    pdf.set_xy(MARGIN, top + 3)
    pdf.set_font(pdf.printable.family, "B", 11)
    pdf.set_text_color(255, 255, 255)
    pdf.cell(12, 6, "FB", align="C")
    pdf.set_xy(MARGIN + 15, top + 1)
    pdf.set_text_color(*BRAND)
    pdf.set_font(pdf.printable.family, "B", 16)
    pdf.cell(0, 7, BANK_NAME, new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(MARGIN + 15)
    pdf.set_font(pdf.printable.family, "", 8)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 4, pdf.printable(BANK_ADDRESS), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(top + 16)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + sum(WIDTHS), pdf.get_y())
    pdf.ln(4)


def _total(pdf: _Statement, label: str, amount: str) -> None:
    pdf.set_font(pdf.printable.family, "B", 10)
    pdf.set_text_color(*INK)
    pdf.cell(sum(WIDTHS[:-1]), 6, pdf.printable(label))
    pdf.cell(WIDTHS[-1], 6, pdf.printable(amount), align="R", new_x="LMARGIN", new_y="NEXT")


def _head(pdf: _Statement) -> None:
    pdf.set_font(pdf.printable.family, "B", 8)
    pdf.set_fill_color(227, 231, 236)
    for head, width in zip(HEADS, WIDTHS, strict=True):
        pdf.cell(width, ROW, head, align="R" if head in HEADS[3:] else "L", fill=True)
    pdf.ln(ROW)


def _lines(pdf: _Statement, found: Statement) -> None:
    if not found.lines:
        pdf.set_font(pdf.printable.family, "", 9)
        pdf.cell(0, 6, f"No transactions in {found.month}.", new_x="LMARGIN", new_y="NEXT")
        return
    _head(pdf)
    say = pdf.printable
    for entry in found.lines:
        if pdf.will_page_break(ROW):
            pdf.add_page()
            _head(pdf)  # a printed page must say what it holds
        pdf.set_font(pdf.printable.family, "", 8)
        details = " – ".join(p for p in (entry.counterparty, entry.memo) if p)
        cells = (
            when(entry.created_at),
            _fitted(pdf, say(details), WIDTHS[1] - 2),
            entry.type.value.capitalize(),
            say(("+" if entry.amount.is_positive() else "") + money(entry.amount)),
            say(money(entry.balance_after)),
        )
        for text, width, head in zip(cells, WIDTHS, HEADS, strict=True):
            pdf.cell(width, ROW, text, align="R" if head in HEADS[3:] else "L")
        pdf.ln(ROW)
        pdf.line(MARGIN, pdf.get_y(), MARGIN + sum(WIDTHS), pdf.get_y())


def _fitted(pdf: _Statement, text: str, room: float) -> str:
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text + "...") > room:
        text = text[:-1]
    return text + "..."
