"""A live server (the real `flaskbank serve`, gunicorn on a free loopback port) and Debian's
chromium driven by playwright. Never `playwright install`: it would download a browser."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data: Path) -> dict[str, str]:
    """The environment of a `flaskbank` command on the store in `data`."""
    env = {**os.environ, "FLASKBANK_DATA_DIR": str(data), "FLASKBANK_SECRET_KEY": "k" * 40}
    env.pop("FLASKBANK_STORE", None)
    return env


def flaskbank_command() -> str:
    return str(Path(sys.executable).with_name("flaskbank"))


@contextlib.contextmanager
def serving(data: Path) -> Iterator[str]:
    """`flaskbank serve` on a fresh store in `data`; yields its URL."""
    env = server_env(data)
    flaskbank = flaskbank_command()
    subprocess.run([flaskbank, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = _free_port()
    proc = subprocess.Popen(
        [flaskbank, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/login", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the live server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


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
