"""`flaskbank events tail` on every store, through click's runner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import new_customer, store_url
from flaskbank import cli
from flaskbank.services import postings


def tail(store, *args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(
        cli.main,
        ["events", "tail", *args],
        env={"FLASKBANK_STORE": store_url(store), "FLASKBANK_SECRET_KEY": None},
        catch_exceptions=False,
    )
    return result


def test_tail_prints_one_line_per_event_and_where_to_go_on(bank, store):
    ada = new_customer(bank, deposit="12.34")
    result = tail(store)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    kinds = [line.split()[2] for line in lines]
    assert kinds == ["user_registered", "account_opened", "transaction_posted"]
    position, at, kind, subject, payload = lines[-1].split(maxsplit=4)
    assert subject == ada.account_id and at.startswith("20") and position
    assert '"amount":"12.34"' in payload
    (go_on,) = result.stderr.splitlines()
    checkpoint = go_on.removeprefix("go on with: --after ").strip("'")
    assert tail(store, "--after", checkpoint).stdout == ""  # nothing new


def test_tail_stops_at_the_limit_and_goes_on_from_there(bank, store):
    new_customer(bank, deposit="1.00")
    first = tail(store, "--limit", "2")
    assert len(first.stdout.splitlines()) == 2
    checkpoint = first.stderr.split("--after ")[1].strip().strip("'")
    rest = tail(store, "--after", checkpoint)
    assert [line.split()[2] for line in rest.stdout.splitlines()] == ["transaction_posted"]


def test_tail_follow_prints_what_is_written_while_it_waits(bank, store, monkeypatch):
    ada = new_customer(bank)
    waits = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:
            postings.deposit(bank, ada.user_id, ada.account_id, amount="5.00")
        else:
            raise KeyboardInterrupt  # Ctrl-C ends it, with the checkpoint to go on from

    monkeypatch.setattr(cli, "_sleep", sleep)
    result = tail(store, "--follow", "--interval", "0.5")
    assert result.exit_code == 0, result.output
    kinds = [line.split()[2] for line in result.stdout.splitlines()]
    assert kinds == ["user_registered", "account_opened", "transaction_posted"]
    assert waits == [0.5, 0.5] and "--after" in result.stderr


@pytest.mark.parametrize("after", ["not-a-checkpoint", "-5"])
def test_tail_refuses_a_checkpoint_it_did_not_print(store, after):
    result = tail(store, "--after", after)
    assert result.exit_code == 1 and "Error" in result.output
