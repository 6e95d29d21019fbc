"""Invariants of the code base that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

from govops.core.settings import Settings
from govops.web.app import create_app

SOURCE = Path(__file__).resolve().parents[1] / "src" / "govops"
DOMAINS = ["core", "catalog", "datastore", "security", "demo"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_domain_package_imports_the_web_package():
    offenders = [
        str(path.relative_to(SOURCE))
        for domain in DOMAINS
        for path in (SOURCE / domain).rglob("*.py")
        if any(name.startswith("govops.web") for name in imported_modules(path))
    ]
    assert offenders == []


def test_every_api_route_is_documented_and_declares_its_problem_answers(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'a.sqlite'}"))
    operations = [
        (path, method, operation)
        for path, methods in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method, operation in methods.items()
    ]
    assert len(operations) >= 10
    for path, method, operation in operations:
        assert operation.get("description") or operation.get("summary"), (method, path)
        assert "400" in operation["responses"], (method, path)


def test_only_the_settings_module_reads_the_environment():
    readers = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8")
        or "getenv(" in path.read_text(encoding="utf-8")
    ]
    assert readers == []
