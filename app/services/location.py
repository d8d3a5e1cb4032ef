"""Warnings for risky places to keep a database or backups: synced folders and network paths.

Sync clients (OneDrive, Dropbox, Google Drive, iCloud) copy a file while SQLite is writing it
and can leave a damaged or conflicting copy; network shares may not honour file locks.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path, PureWindowsPath

SYNC_MARKERS = {
    "onedrive": "OneDrive",
    "dropbox": "Dropbox",
    "google drive": "Google Drive",
    "googledrive": "Google Drive",
    "my drive": "Google Drive",
    "icloud drive": "iCloud",
    "iclouddrive": "iCloud",
    "mobile documents": "iCloud",
    "com~apple~clouddocs": "iCloud",
    "library/cloudstorage": "cloud storage",
    "box sync": "Box",
}
NETWORK_FS = {"cifs", "smb", "smb2", "smbfs", "nfs", "nfs4", "afpfs", "sshfs", "fuse.sshfs", "9p"}


def _mount_type(path: Path, mounts_file: Path = Path("/proc/mounts")) -> str | None:
    """The filesystem type of the mount holding ``path`` (Linux), else None."""
    try:
        lines = mounts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    best, best_type = "", None
    target = str(path.resolve() if path.exists() else path.parent.resolve())
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and len(
            mount_point
        ) > len(best):
            best, best_type = mount_point, parts[2]
    return best_type


def _sync_service(path: Path) -> str | None:
    """The sync service whose folder holds ``path`` (checked as given and as resolved)."""
    texts = {str(path)}
    with contextlib.suppress(OSError, RuntimeError):
        texts.add(str(path.resolve()))
    for text in texts:
        lowered = "/" + text.replace("\\", "/").casefold().lstrip("/")
        for marker, service in SYNC_MARKERS.items():
            if f"/{marker}" in lowered:
                return service
    return None


def _is_windows_network_drive(path: Path) -> bool:
    """A mapped network drive (``Z:``) on Windows."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        drive = PureWindowsPath(str(path.absolute())).drive
        if drive and not drive.startswith("\\\\"):
            drive_remote = 4
            return bool(ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == drive_remote)
    return False


def _network_kind(path: Path, mounts_file: Path) -> str | None:
    """ "a network path" / "a network share (nfs)" when ``path`` is on one, else None."""
    text = str(path)
    if (
        text.startswith(("\\\\", "//"))
        or PureWindowsPath(text).drive.startswith("\\\\")
        or _is_windows_network_drive(path)
    ):
        return "a network path"
    if os.name == "posix":
        fs = _mount_type(path, mounts_file)
        if fs is not None and fs in NETWORK_FS:
            return f"a network share ({fs})"
    return None


def location_warning(
    path: Path, *, what: str = "database", mounts_file: Path = Path("/proc/mounts")
) -> str | None:
    """A sentence explaining the risk of keeping the ``what`` at ``path``, or None when fine.

    ``what`` is "database" or "backup folder" (the risks and the advice differ).
    """
    backups = "backup" in what
    service = _sync_service(path)
    if service is not None:
        if backups:
            return (
                f"The {what} is inside a {service} folder ({path}): every backup is copied to "
                "that service, and a plain backup holds confidential supervision records. Make "
                "encrypted backups there, or choose a local folder or a USB stick."
            )
        return (
            f"The {what} is inside a {service} folder ({path}). Sync services can copy the "
            "file while Keel is writing it and leave a damaged or conflicting copy. Keep the "
            f"{what} in a local folder and make encrypted backups instead."
        )
    network = _network_kind(path, mounts_file)
    if network is not None:
        if backups:
            return (
                f"The {what} is on {network} ({path}). When the share is not connected no "
                "backup is made, and a dropped connection can stop a backup half-way (Keel "
                "then keeps the earlier ones). Check the date of the last backup now and then."
            )
        return (
            f"The {what} is on {network} ({path}). If the network drops while Keel writes, "
            f"the {what} can be damaged, and file locks may not protect it. Keep it on this "
            "computer's own disk."
        )
    return None
