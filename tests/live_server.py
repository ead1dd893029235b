"""The real `flaskbank serve` (gunicorn) on a free loopback port, for tests that drive it
from outside: stopped when the test is done."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flaskbank_command() -> str:
    return str(Path(sys.executable).with_name("flaskbank"))


@contextlib.contextmanager
def running_server(env: dict[str, str]) -> Iterator[str]:
    """`flaskbank serve` with one worker on the store `env` names; yields its URL once the
    login page answers."""
    port = free_port()
    proc = subprocess.Popen(
        [flaskbank_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", "1"],
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
