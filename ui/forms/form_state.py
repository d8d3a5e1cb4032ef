"""A session form's state as plain JSON values, so a draft restores every field exactly.

The form's state is the record it holds: every field a user can touch lives in
``SessionRecord``. The conversion follows the dataclasses' own type hints (dates as ISO
strings, enums as their stored values, nested records as objects), so a field added to the
record later is kept in drafts without changes here.
"""

from __future__ import annotations

import enum
import types
import typing
from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any

from app.domain.records import SessionRecord

STATE_VERSION = 1


def to_json(value: Any) -> Any:
    """Dates, enums, dataclasses, lists and dicts → JSON values."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def from_json(hint: Any, value: Any) -> Any:
    """The inverse of ``to_json`` for a value of type ``hint``."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return from_json(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item,) = typing.get_args(hint)
        return [from_json(item, v) for v in value]
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return tuple(from_json(item, v) for v in value)
    if origin is dict:
        _key, item = typing.get_args(hint)
        return {str(k): from_json(item, v) for k, v in value.items()}
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return hint(value)
        if issubclass(hint, date):
            return date.fromisoformat(value)
        if is_dataclass(hint):
            return _dataclass_from_json(hint, value)
        if hint is bool:
            return bool(value)
    return value


def _dataclass_from_json(cls: type, data: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    kwargs = {k: from_json(hints[k], v) for k, v in data.items() if k in known}
    return cls(**kwargs)


def record_to_state(record: SessionRecord) -> dict[str, Any]:
    """Everything the form holds, as JSON-serialisable values."""
    state: dict[str, Any] = to_json(record)
    state["version"] = STATE_VERSION
    return state


def record_from_state(data: dict[str, Any]) -> SessionRecord:
    """The record a saved state describes (the inverse of ``record_to_state``)."""
    record: SessionRecord = _dataclass_from_json(SessionRecord, data)
    return record
