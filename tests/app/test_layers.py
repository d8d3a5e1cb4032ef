"""Layers hand each other rows, not handles: nothing a service hands the screens, the command
line or the reports is a type defined in app.storage.

Import-linter's contract (pyproject.toml) checks that ``ui``, ``app.cli`` and ``app.commands``
never import ``app.storage`` themselves; this test checks what crosses the boundary: the return
types of every public function and method of ``app.services`` — and, inside them, the fields
of the dataclasses and the arguments of the generics they are made of — are defined outside
``app.storage``. The one exception is the open database itself (``app.services.database``
hands the composition root its handle, which it passes back to services)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Iterator
from typing import Any

import app.services
from app.storage.db import FileInfo

# The handle the composition root (ui.app, app.commands) opens and passes back to services.
HANDLE = {"app.storage.db.Database", "app.storage.db.IntegrityCheck"}


def _modules() -> Iterator[types.ModuleType]:
    for info in pkgutil.walk_packages(app.services.__path__, "app.services."):
        yield importlib.import_module(info.name)


def _callables(module: types.ModuleType) -> Iterator[tuple[str, Any]]:
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            yield f"{module.__name__}.{name}", value
        elif inspect.isclass(value):
            for attr, member in vars(value).items():
                if attr.startswith("_"):
                    continue
                function = member.fget if isinstance(member, property) else member
                if isinstance(function, staticmethod | classmethod):
                    function = function.__func__
                if inspect.isfunction(function):
                    yield f"{module.__name__}.{name}.{attr}", function


def _storage_types(hint: Any, seen: set[int]) -> Iterator[str]:
    if id(hint) in seen:
        return
    seen.add(id(hint))
    origin = typing.get_origin(hint)
    for arg in typing.get_args(hint):
        yield from _storage_types(arg, seen)
    if origin is not None:
        return
    if not isinstance(hint, type):
        return
    name = f"{hint.__module__}.{hint.__qualname__}"
    if hint.__module__.startswith("app.storage") and name not in HANDLE:
        yield name
    if dataclasses.is_dataclass(hint):
        try:
            fields = typing.get_type_hints(hint)
        except Exception:  # a forward reference only a type checker resolves
            return
        for field_hint in fields.values():
            yield from _storage_types(field_hint, seen)


def test_services_hand_out_no_storage_types() -> None:
    found: dict[str, set[str]] = {}
    checked = 0
    for module in _modules():
        for where, function in _callables(module):
            try:
                hints = typing.get_type_hints(function)
            except Exception:  # annotations naming what only type checkers import
                continue
            if "return" not in hints:
                continue
            checked += 1
            bad = set(_storage_types(hints["return"], set()))
            if bad:
                found[where] = bad
    assert checked > 100  # the walk did reach the services
    assert found == {}, "\n".join(f"{k} → {sorted(v)}" for k, v in sorted(found.items()))


@dataclasses.dataclass
class Holder:
    rows: list[FileInfo]


def test_the_check_sees_a_storage_type_inside_a_container() -> None:
    assert list(_storage_types(dict[str, Holder], set())) == ["app.storage.db.FileInfo"]
