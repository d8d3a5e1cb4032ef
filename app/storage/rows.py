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
    setters = tuple(cls.__dict__[f.name].__set__ for f in fields(cls))
    count = len(setters)
    new = object.__new__
    kind: type[Any] = cls

    def make(*values: Any) -> T:
        if len(values) != count:
            raise TypeError(f"{cls.__name__} takes {count} values, got {len(values)}")
        made: T = new(kind)
        for setter, value in zip(setters, values, strict=True):
            setter(made, value)
        return made

    return make
