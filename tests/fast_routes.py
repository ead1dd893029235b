"""Werkzeug's URL builders, compiled once per test process instead of once per app.

Each `create_app` binds the app's ~160 rules, and werkzeug compiles two URL-building
functions per rule from a generated syntax tree: 100 of the 115 ms an app costs. The suite
makes an app per test, thousands of times, so this was minutes of CI. The function werkzeug
generates depends only on what the key below holds (the rule's parts, defaults and
converters, and whether unknown arguments go into the query string); it reaches the rule
through its `self` argument, to which `Rule.compile` binds it. A server makes one app per
worker and never needs this, so it stays in the tests. tests/test_fast_routes.py checks that
every rule builds the same URLs through the cache as without it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

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


def install() -> None:
    Rule._compile_builder = _compile_builder


def uninstall() -> None:
    Rule._compile_builder = _uncached
