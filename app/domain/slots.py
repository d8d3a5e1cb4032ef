"""Fast constructors for the frozen slots dataclasses made by the thousand (schedule rows,
report lines): one helper, used by the engine, the loaders and the reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")


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
