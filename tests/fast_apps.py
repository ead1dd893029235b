"""What a new app compiles, compiled once per test process instead of once per app.

Werkzeug's URL builders: each `create_app` binds the app's ~160 rules, and werkzeug compiles
two URL-building functions per rule from a generated syntax tree: 100 of the 115 ms an app
costs. The suite makes an app per test, thousands of times, so this was minutes of CI. The
function werkzeug generates depends only on what the key below holds (the rule's parts,
defaults and converters, and whether unknown arguments go into the query string); it
reaches the rule through its `self` argument, to which `Rule.compile` binds it. A server
makes one app per worker and never needs this, so it stays in the tests.
tests/test_fast_apps.py checks that every rule builds the same URLs through the cache as
without it.

Jinja's templates: each app's environment compiles a template on its first render. The
compiled code is kept by template name and the checksum of its source (Jinja's own
bytecode cache, in memory), so a changed template is compiled afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing.rules import Rule

_uncached = Rule._compile_builder
_builders: dict[Hashable, Callable[..., tuple[str, str]]] = {}


def builder_key(rule: Rule, append_unknown: bool) -> Hashable:
    defaults = sorted((rule.defaults or {}).items(), key=lambda item: str(item[0]))
    return (
        append_unknown,
        rule.rule,
        tuple(rule._trace),
        repr(defaults),
        tuple(sorted((name, type(c).__qualname__) for name, c in rule._converters.items())),
    )


def _compile_builder(self: Rule, append_unknown: bool = True) -> Any:
    key = builder_key(self, append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _uncached(self, append_unknown)
    return builder


class MemoryBytecodeCache(BytecodeCache):
    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


def install() -> None:
    Rule._compile_builder = _compile_builder
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": MemoryBytecodeCache()}
