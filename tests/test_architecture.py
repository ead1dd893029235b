"""Dependencies point inward: the domain, the services and the synthetic bank's generator know
nothing of Flask or storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "flaskbank"
FORBIDDEN = {
    "domain": {
        "flask",
        "werkzeug",
        "boto3",
        "botocore",
        "sqlite3",
        "duckdb",
        "flask_wtf",
        "wtforms",
        "email_validator",
        "flaskbank.store",
        "flaskbank.services",
        "flaskbank.web",
    },
    "services": {
        "flask",
        "werkzeug",
        "boto3",
        "botocore",
        "sqlite3",
        "duckdb",
        "flask_wtf",
        "wtforms",
        "flaskbank.web",
        "flaskbank.warehouse.duck",
        # Mail goes through the mailer port (flaskbank.mail.base); SMTP is an adapter.
        "smtplib",
        "flaskbank.mail.smtp",
        "flaskbank.mail.files",
    },
    # The generator makes batches for the bulk port; only loading.py hands them to a store.
    "synthetic": {
        "flask",
        "werkzeug",
        "boto3",
        "botocore",
        "sqlite3",
        "duckdb",
        "flaskbank.web",
        "flaskbank.services",
        "flaskbank.store.sqlite",
        "flaskbank.store.dynamo",
        "flaskbank.store.factory",
    },
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    package = "flaskbank." + ".".join(path.relative_to(SRC).parent.parts)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_outward(layer: str) -> None:
    offenders = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for name in imported_modules(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def _module_of(path: Path) -> str:
    parts = ("flaskbank", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_web_layer_has_no_import_cycles() -> None:
    """Imported at the top or inside a function alike; a package that imports its own views
    to register them on its blueprint (`from . import views`) is not a cycle."""
    paths = sorted((SRC / "web").rglob("*.py"))
    modules = {_module_of(p): p for p in paths}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        own = {m for m in modules if m.startswith(name + ".")} if path.stem == "__init__" else set()
        targets = set()
        for imported in imported_modules(path):
            # `from . import bp` names the package; `from .x import y` the module x.
            while imported not in modules and "." in imported:
                imported = imported.rsplit(".", 1)[0]
            if imported in modules and imported != name and imported not in own:
                targets.add(imported)
        graph[name] = targets
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in trail:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif len(trail) < len(graph):
                visit(nxt, [*trail, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []
