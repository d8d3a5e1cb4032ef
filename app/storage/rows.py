"""Small helpers for turning rows into values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any, TypeVar

T = TypeVar("T")


def to_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    return date.fromisoformat(str(value))


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def slots_maker(cls: Callable[..., T]) -> Callable[..., T]:
    """A positional constructor for a frozen slots dataclass that fills each slot directly.

    A frozen dataclass's ``__init__`` stores every field through ``object.__setattr__`` (to get
    past its own frozen ``__setattr__``), several times slower than a slot's own setter; for the
    thousands of rows a report reads, that is most of the cost of making them. The object made
    is the same (``==`` to the plain constructor's). Every field must be given, in order (no
    defaults are filled in: pass a fresh value for a ``default_factory`` field). Only for
    classes whose ``__init__`` does nothing else (no ``__post_init__``, every field in
    ``__init__``); anything else gets ``cls`` itself.
    """
    if (
        not is_dataclass(cls)
        or not isinstance(cls, type)
        or hasattr(cls, "__post_init__")
        or any(not f.init for f in fields(cls))
        or any(not hasattr(cls.__dict__.get(f.name), "__set__") for f in fields(cls))
    ):
        return cls
    names = [f.name for f in fields(cls)]
    # The constructor is written out, one slot setter call per field (as ``dataclasses`` writes
    # ``__init__``): a loop over the setters costs as much as the frozen ``__init__`` itself.
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    for n, name in enumerate(names):
        scope[f"_set{n}"] = cls.__dict__[name].__set__
    params = ", ".join(f"v{n}" for n in range(len(names)))
    body = "".join(f"    _set{n}(made, v{n})\n" for n in range(len(names)))
    exec(f"def make({params}):\n    made = _new(_cls)\n{body}    return made\n", scope)
    make: Callable[..., T] = scope["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    return make


# Every supervision type, as the sessions table's CHECK allows them. Naming them changes no
# result, but lets SQLite use the (type, status, session_date) index for a status and a date
# range, instead of scanning every session (1.1 M on the stress database).
EVERY_TYPE = "type IN ('line', 'clinical', 'group')"
