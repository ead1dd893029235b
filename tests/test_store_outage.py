"""The store goes silent under a running server (DynamoDB Local behind a plug this test
pulls): pages and the API answer 503 well before gunicorn's worker timeout, the calls after
the first fail at once, and the server serves again when the store is back."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import new_customer
from flaskbank.bootstrap import bootstrap
from flaskbank.cli import WORKER_TIMEOUT
from flaskbank.config import Config
from flaskbank.store.dynamo import ATTEMPTS, CONNECT_TIMEOUT, READ_TIMEOUT
from flaskbank.store.dynamo.client import OUTAGE_SECONDS
from live_server import running_server
from test_cli import SECRET

pytestmark = pytest.mark.slow


class Plug:
    """A TCP relay to the store that can go silent: it keeps accepting connections and
    reading requests but forwards and answers nothing, like a store behind a dead link."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.silent = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection(self.upstream) as store:
            threading.Thread(target=self._pump, args=(store, client), daemon=True).start()
            self._pump(client, store)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not self.silent.is_set():
                    sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.server.close()


def _get(url: str, token: str | None = None) -> tuple[int, str, str, float]:
    started = time.monotonic()
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=WORKER_TIMEOUT + 10) as answer:
            status, kind, body = answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as answer:
        status, kind, body = answer.code, answer.headers["Content-Type"], answer.read()
    return status, kind, body.decode(), time.monotonic() - started


def test_the_stores_timeouts_give_up_before_gunicorn_kills_the_worker():
    # The backoff between two attempts is at most a second or two.
    assert (CONNECT_TIMEOUT + READ_TIMEOUT) * ATTEMPTS + 5 < WORKER_TIMEOUT


def test_a_silent_store_gets_a_quick_503_and_the_server_recovers(dynamodb_endpoint, tmp_path):
    from dynamodb_local import fresh_dynamo_store

    store = fresh_dynamo_store(dynamodb_endpoint)
    ada = new_customer(bootstrap(Config(), store=store), deposit="10.00")  # scrypt, as served
    host, port = dynamodb_endpoint.removeprefix("http://").split(":")
    plug = Plug((host, int(port)))
    url = store.url.replace(
        dynamodb_endpoint.replace(":", "%3A").replace("/", "%2F"),
        f"http%3A%2F%2F127.0.0.1%3A{plug.port}",
    )
    assert str(plug.port) in url
    env = {**os.environ, "FLASKBANK_STORE": url, "FLASKBANK_SECRET_KEY": SECRET}
    env["FLASKBANK_DATA_DIR"] = str(tmp_path)
    with running_server(env) as base:
        asked = urllib.request.Request(
            f"{base}/api/v1/tokens",
            data=json.dumps({"email": ada.email, "password": ada.password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(asked, timeout=10) as answer:
            token = json.load(answer)["token"]
        assert _get(f"{base}/api/v1/accounts", token)[0] == 200

        plug.silent.set()
        status, kind, body, took = _get(f"{base}/login")
        assert status == 503 and kind.startswith("text/html"), body
        assert "try again" in body and took < WORKER_TIMEOUT / 2
        # The store just failed to answer: the next calls do not wait for it again.
        status, kind, body, took = _get(f"{base}/api/v1/accounts", token)
        assert (status, kind) == (503, "application/problem+json"), body
        assert took < 2

        plug.silent.clear()
        time.sleep(OUTAGE_SECONDS)
        status, _, body, _ = _get(f"{base}/api/v1/accounts", token)
        assert status == 200 and ada.account_number in body
    plug.close()
