"""Work-arounds for defects in the Qt binding, each checked before it is applied.

PySide6 6.12.0 returns ``True`` from ``SignalInstance.emit()`` without taking a reference to
it, so every signal emitted from Python lowers ``True``'s reference count by one. On Python
3.11 (where ``True`` is not immortal) the process dies with "Fatal Python error: bool_dealloc"
after a few thousand emits, or at exit. ``apply()`` measures whether the running binding has
the defect and, only then, wraps ``emit`` to give back the missing reference, so a fixed
PySide6 (or Python ≥ 3.12) is left alone. Call it once, before any signal is emitted.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

_PROBES = 64


class _Probe(QObject):
    fired = Signal()


class _State:
    checked = False
    patched = False


def emit_leaks_a_reference() -> bool:
    """True when ``emit()`` on this binding drops a reference it does not own."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.fired.emit()
    leaked = before - sys.getrefcount(True)
    # Repair what the probe itself took, whatever the outcome.
    for _ in range(max(0, leaked)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return leaked >= _PROBES // 2


def apply() -> bool:
    """Install the work-arounds this binding needs (idempotent). True when ``emit`` is wrapped."""
    if _State.checked:
        return _State.patched
    _State.checked = True
    if emit_leaks_a_reference():
        original = SignalInstance.emit

        def emit(self: SignalInstance, *args: Any) -> Any:
            result = original(self, *args)
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
            return result

        SignalInstance.emit = emit  # type: ignore[method-assign]
        _State.patched = True
    return _State.patched


apply()
