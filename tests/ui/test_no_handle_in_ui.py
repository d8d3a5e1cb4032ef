"""No module of ``ui`` touches the database handle: screens hold service objects
(``app.services.context.Services``: ``ctx.themes.theme_usage()``), never the open database.

Import-linter (pyproject.toml) keeps ``app.storage`` out of ``ui``; this test closes the other
door — reaching the handle through a service module. In every module of ``ui`` it finds:

* an attribute named ``db``, ``_db`` or ``conn`` (``ctx.db``, ``self._db``, ``db.conn``);
* an import of the handle or of what opens, connects or closes one (``Database``, ``connect``,
  ``open_database``, ``close_database``, ``confirm_checked``, ``wait_for_check``);
* a use of a service *function* whose first parameter is the database (``from
  app.services.themes import theme_usage``, or ``themes.theme_usage`` after ``from
  app.services import themes``): screens call the bound method on the service object instead.

ALLOWED lists modules still allowed to do so, each with why. It may only shrink: an entry
whose module no longer does any of it fails the test, so it is removed when it is fixed.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# module path → why it may still reach the handle. Empty: every module of ui goes through
# service objects (the session form and the record PDF, changed by issue 16 at the same time,
# were changed by one line each).
ALLOWED: dict[str, str] = {}

HANDLE_ATTRIBUTES = {"db", "_db", "conn"}
HANDLE_NAMES = {
    "Database",
    "connect",
    "open_database",
    "close_database",
    "confirm_checked",
    "wait_for_check",
}


def _takes_the_database(module_name: str, name: str) -> bool:
    try:
        value = getattr(importlib.import_module(module_name), name, None)
    except ImportError:
        return False
    if not inspect.isfunction(value):
        return False
    parameters = list(inspect.signature(value).parameters.values())
    if not parameters:
        return False
    annotation = parameters[0].annotation
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return text == "Database" or text.endswith(".Database")


def violations(source: str) -> Iterator[str]:
    """What in ``source`` (a module of ui) reaches the database handle, one line each."""
    tree = ast.parse(source)
    service_modules: dict[str, str] = {}  # local name → app.services module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                local = alias.asname or alias.name
                if node.module == "app.services":
                    service_modules[local] = f"app.services.{alias.name}"
                    continue
                if not node.module.startswith(("app.services", "app.storage")):
                    continue
                if alias.name in HANDLE_NAMES:
                    yield f"line {node.lineno}: imports {alias.name} from {node.module}"
                elif _takes_the_database(node.module, alias.name):
                    yield (
                        f"line {node.lineno}: imports {node.module}.{alias.name}, which takes "
                        "the database: call it on the service object (ctx.…)"
                    )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("app.services") and alias.asname:
                    service_modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr in HANDLE_ATTRIBUTES:
            yield f"line {node.lineno}: .{node.attr}"
        elif (
            isinstance(node.value, ast.Name)
            and node.value.id in service_modules
            and _takes_the_database(service_modules[node.value.id], node.attr)
        ):
            yield (
                f"line {node.lineno}: {node.value.id}.{node.attr} takes the database: call "
                "it on the service object (ctx.…)"
            )


def _ui_modules() -> Iterator[Path]:
    yield from sorted((ROOT / "ui").rglob("*.py"))


def test_no_ui_module_touches_the_database_handle() -> None:
    found: dict[str, list[str]] = {}
    for path in _ui_modules():
        where = path.relative_to(ROOT).as_posix()
        lines = list(violations(path.read_text(encoding="utf-8")))
        if lines and where not in ALLOWED:
            found[where] = lines
    assert found == {}, "\n".join(f"{k}: {'; '.join(v)}" for k, v in sorted(found.items()))


def test_the_allow_list_only_shrinks() -> None:
    clean = [
        where
        for where in ALLOWED
        if not list(violations((ROOT / where).read_text(encoding="utf-8")))
    ]
    assert clean == [], f"no longer reach the handle — remove them from ALLOWED: {clean}"


def test_the_check_finds_each_way_of_reaching_the_handle() -> None:
    probe = (
        "from app.services import governance\n"
        "from app.services.themes import theme_usage, bucket_starts\n"
        "from app.services.database import Database, pending_check\n"
        "def f(ctx):\n"
        "    governance.list_items(ctx.db)\n"
        "    governance.TransitionRefused\n"
        "    theme_usage(self._db)\n"
        "    ctx.themes.theme_usage()\n"
    )
    found = list(violations(probe))
    assert any("theme_usage" in line and "line 2" in line for line in found)
    assert any("Database" in line and "line 3" in line for line in found)
    assert any("governance.list_items" in line for line in found)
    assert any(line == "line 5: .db" for line in found)
    assert any(line == "line 7: ._db" for line in found)
    assert not any("bucket_starts" in line or "pending_check" in line for line in found)
    assert not any("TransitionRefused" in line or "line 8" in line for line in found)
    assert len(found) == 5, found
