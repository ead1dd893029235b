"""The `flaskbank` console script, driven through click's runner and, for `serve`, as a real
gunicorn process on a free loopback port."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from flaskbank.cli import gunicorn_settings, main

SECRET = "s" * 40


def run(args: list[str], data_dir: Path, **env: str | None):
    env = {
        "FLASKBANK_DATA_DIR": str(data_dir),
        "FLASKBANK_STORE": None,
        "FLASKBANK_SECRET_KEY": SECRET,
        **env,
    }
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_init_is_safe_to_repeat(tmp_path):
    for says in ("schema created at version", "already at version"):
        result = run(["init"], tmp_path)
        assert result.exit_code == 0, result.output
        assert says in result.output
    assert (tmp_path / "flaskbank.db").exists()


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgres://x", "must start with sqlite:/// or dynamodb://"),
        ("sqlite://", "expected sqlite:///path"),
        ("dynamodb://?endpoint_url=http://127.0.0.1:1", "region is required"),
        ("dynamodb://?region=us-east-1&colour=blue", "unknown option(s) colour"),
    ],
)
def test_a_bad_store_url_is_named_precisely(tmp_path, url, message):
    result = CliRunner().invoke(
        main,
        ["init"],
        catch_exceptions=False,
        env={"FLASKBANK_STORE": url, "FLASKBANK_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: FLASKBANK_STORE") and message in result.output


def test_demo_loads_history_once_and_verify_passes(tmp_path):
    result = run(["demo", "--no-serve"], tmp_path, FLASKBANK_SECRET_KEY=None)
    assert result.exit_code == 0, result.output
    assert "alice@example.com" in result.output and "demo-password-1" in result.output
    assert f"Created a new demo bank in {tmp_path / 'flaskbank.db'}." in result.output
    assert len((tmp_path / "secret_key").read_text()) == 64
    # The demo says where its mail (resets, confirmations, notices) goes.
    assert f"goes to files in {(tmp_path / 'mail').resolve()}." in result.output
    checked = run(["verify"], tmp_path)
    assert checked.exit_code == 0 and "ledger OK" in checked.output
    assert "Trial balance (USD)" in checked.output and "Cash (vault)" in checked.output
    total = next(line for line in checked.output.splitlines() if line.strip().startswith("total"))
    debit, credit = total.split()[1], total.split()[3]  # "total  1,234.00 USD  1,234.00 USD"
    assert debit == credit and debit != "0.00"
    count = checked.output.split(" transactions")[0].split()[-1]
    assert int(count) > 100  # months of history, not a token few
    again = run(["demo", "--no-serve"], tmp_path, FLASKBANK_SECRET_KEY=None)
    assert again.exit_code == 0
    assert f"Reusing the bank already in {tmp_path / 'flaskbank.db'}" in again.output
    assert "Created" not in again.output
    assert run(["verify"], tmp_path).output.startswith(checked.output.splitlines()[0])


def test_verify_fails_loudly_when_a_balance_was_tampered_with(tmp_path):
    run(["demo", "--no-serve"], tmp_path, FLASKBANK_SECRET_KEY=None)
    with sqlite3.connect(tmp_path / "flaskbank.db") as db:
        db.execute("UPDATE accounts SET balance_minor = balance_minor + 1 WHERE rowid = 1")
    result = CliRunner().invoke(main, ["verify"], env={"FLASKBANK_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "BREACH" in result.output and "stored balance" in result.output


def test_serve_refuses_to_start_without_a_secret_key(tmp_path):
    result = run(["serve"], tmp_path, FLASKBANK_SECRET_KEY=None)
    assert result.exit_code != 0 and "FLASKBANK_SECRET_KEY" in result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("threads", ["1", "3"])
def test_serve_runs_gunicorn_on_loopback(tmp_path, threads):
    env = {**os.environ, "FLASKBANK_DATA_DIR": str(tmp_path), "FLASKBANK_SECRET_KEY": SECRET}
    env.pop("FLASKBANK_STORE", None)
    assert run(["init"], tmp_path).exit_code == 0
    port = free_port()
    script = Path(sys.executable).with_name("flaskbank")
    proc = subprocess.Popen(
        [str(script), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        + ["--threads", threads],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/no-such-thing", timeout=2
                ).close()
            except urllib.error.HTTPError as answer:  # the app answered: the server is up
                assert answer.code == 404
                assert answer.headers["Content-Type"] == "application/problem+json"
                assert "gunicorn" in answer.headers.get("Server", "")
                answer.close()
                break
            except OSError:
                assert proc.poll() is None, "server exited early"
                assert time.monotonic() < deadline, "server did not answer in 20 s"
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_serve_settings_pick_the_worker_class_by_threads():
    assert gunicorn_settings("127.0.0.1", 8000, 2, 1)["worker_class"] == "sync"
    threaded = gunicorn_settings("127.0.0.1", 8000, 2, 4)
    assert (threaded["worker_class"], threaded["threads"]) == ("gthread", 4)
    assert threaded["accesslog"] == "-" and threaded["bind"] == "127.0.0.1:8000"
