"""Bring the running Keel forward when a second launch is refused for the same database.

The refusal itself is the OS file lock in ``app.services.instance``; this only carries a
"show yourself" message over a local socket named after the database path.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket


def server_name(db_path: Path) -> str:
    digest = hashlib.sha256(str(db_path.resolve()).encode()).hexdigest()[:16]
    return f"keel-{digest}"


def ask_running_instance_to_show(db_path: Path, timeout_ms: int = 500) -> bool:
    """True when a running Keel on this database received the request."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(db_path))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(b"show\n")
    socket.flush()
    # flush() usually writes it all at once, and then waitForBytesWritten() has nothing to
    # wait for and says False.
    delivered = socket.bytesToWrite() == 0 or socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return delivered


class InstanceServer(QObject):
    """Listens for "show" from later launches and emits ``show_requested``."""

    show_requested = Signal()

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        name = server_name(db_path)
        QLocalServer.removeServer(name)  # a socket left by a crashed Keel
        self._server.listen(name)
        self._server.newConnection.connect(self._on_connection)

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).strip() == b"show":
            self.show_requested.emit()

    def close(self) -> None:
        self._server.close()
