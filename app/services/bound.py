"""Service objects over one open database, for the screens.

The services are functions that take the open database first (the command line and the
reports call them so). A screen never holds that handle: it holds service objects
(``app.services.context.Services``), each made of the same functions with the database
already given — ``bound(theme_usage)`` on a ``BoundService`` is ``theme_usage`` without its
first argument. tests/ui/test_no_handle_in_ui.py checks that no module of ``ui`` reaches the
handle itself.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

if TYPE_CHECKING:
    from app.storage.db import Database

P = ParamSpec("P")
R = TypeVar("R")


class BoundService:
    """A set of service functions with the open database given (see ``bound``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class bound(Generic[P, R]):
    """``function(db, ...)`` as a method ``service.function(...)`` of a ``BoundService``."""

    def __init__(self, function: Callable[Concatenate[Database, P], R]) -> None:
        self._function = function
        functools.update_wrapper(self, function)  # type: ignore[arg-type]

    @overload
    def __get__(self, service: None, owner: type[Any]) -> bound[P, R]: ...

    @overload
    def __get__(self, service: BoundService, owner: type[Any]) -> Callable[P, R]: ...

    def __get__(
        self, service: BoundService | None, owner: type[Any]
    ) -> bound[P, R] | Callable[P, R]:
        if service is None:
            return self
        module, name, db = (
            sys.modules[self._function.__module__],
            self._function.__name__,
            service._db,
        )

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            # Looked up at each call, so the service module's function is the one that runs
            # (a test that replaces it replaces it for the screens too).
            function: Callable[Concatenate[Database, P], R] = getattr(module, name)
            return function(db, *args, **kwargs)

        return call
