"""A live server (the real `flaskbank serve`, gunicorn on a free loopback port) and Debian's
chromium driven by playwright. Never `playwright install`: it would download a browser."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_server import flaskbank_command, running_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def server_env(data: Path) -> dict[str, str]:
    """The environment of a `flaskbank` command on the store in `data`."""
    env = {**os.environ, "FLASKBANK_DATA_DIR": str(data), "FLASKBANK_SECRET_KEY": "k" * 40}
    env.pop("FLASKBANK_STORE", None)
    return env


@contextlib.contextmanager
def serving(data: Path, **settings: str) -> Iterator[str]:
    """`flaskbank serve` on a fresh store in `data`, with `settings` (FLASKBANK_... variables)
    added to its environment; yields its URL."""
    env = {**server_env(data), **settings}
    subprocess.run([flaskbank_command(), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    with running_server(env) as url:
        yield url


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("live")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            "Debian's chromium is missing: `./dev test` installs it (apt-get install "
            "chromium, as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
