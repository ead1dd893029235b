"""The HTTP baseline: a bare Flask endpoint doing the raw SQLite transfer, no auth, no
validation, no services. Served by gunicorn like the real app."""

from __future__ import annotations

import os

import raw_ledger
from flask import Flask, jsonify, request

app = Flask(__name__)
_db = {}


@app.post("/transfers")
def transfers():  # type: ignore[no-untyped-def]
    if "db" not in _db:
        _db["db"] = raw_ledger.connect(os.environ["BENCH_DB"])
    body = request.get_json()
    tid = raw_ledger.transfer(_db["db"], body["src"], body["dst"], body["minor"], body["key"])
    return jsonify({"id": tid}), 201
