"""tests/fast_apps.py gives each rule of a new app the URL builders werkzeug would compile
for it (the same code, defaults and names, for both of its builders), and a new app's
templates the code Jinja compiled for the same source."""

from __future__ import annotations

import secrets
from pathlib import Path

import fast_apps
from flaskbank.config import Config
from flaskbank.passwords import FastHasher
from flaskbank.store.sqlite import SqliteStore
from flaskbank.web import create_app


def _code(fn):  # type: ignore[no-untyped-def]
    code = fn.__code__
    return (code.co_code, code.co_consts, code.co_names, code.co_varnames, fn.__defaults__)


def test_every_rule_of_a_second_app_builds_with_the_code_werkzeug_compiles(tmp_path: Path):
    store = SqliteStore(tmp_path / "bank.db")
    store.init_schema()
    config = Config(data_dir=tmp_path, secret_key=secrets.token_hex(32))
    create_app(config, store=store, passwords=FastHasher())
    app = create_app(config, store=store, passwords=FastHasher())
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    for rule in rules:
        for append_unknown, built in ((False, rule._build), (True, rule._build_unknown)):
            assert built.__self__ is rule
            fresh = fast_apps._uncached(rule, append_unknown)
            assert _code(built.__func__) == _code(fresh), rule.rule
    with app.test_request_context():
        from flask import url_for

        assert url_for("static", filename="app.css", v="2") == "/static/app.css?v=2"


def test_a_second_app_renders_its_pages_from_the_compiled_templates(tmp_path: Path):
    store = SqliteStore(tmp_path / "bank.db")
    store.init_schema()
    config = Config(data_dir=tmp_path, secret_key=secrets.token_hex(32))
    overrides = {"TESTING": True, "WTF_CSRF_ENABLED": False}
    first, second = (
        create_app(config, overrides=overrides, store=store, passwords=FastHasher())
        for _ in range(2)
    )
    cache = first.jinja_env.bytecode_cache
    assert isinstance(cache, fast_apps.MemoryBytecodeCache) and cache is (
        second.jinja_env.bytecode_cache
    )
    page = first.test_client().get("/login").get_data(as_text=True)
    compiled = dict(cache.compiled)
    assert len(compiled) >= 2  # the page and the layout it extends
    assert second.test_client().get("/login").get_data(as_text=True) == page
    assert cache.compiled == compiled  # nothing compiled again
