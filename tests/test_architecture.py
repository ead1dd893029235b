"""Dependencies point inward: the domain and the services know nothing of Flask or storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "flaskbank"
FORBIDDEN = {
    "domain": {"flask", "werkzeug", "boto3", "botocore", "sqlite3", "flask_wtf", "wtforms",
               "email_validator", "flaskbank.store", "flaskbank.services", "flaskbank.web"},
    "services": {"flask", "werkzeug", "boto3", "botocore", "sqlite3", "flask_wtf", "wtforms",
                 "flaskbank.web"},
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
