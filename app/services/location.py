"""Warnings for risky places to keep a database or backups: synced folders and network paths.

Sync clients (OneDrive, Dropbox, Google Drive, iCloud) copy a file while SQLite is writing it
and can leave a damaged or conflicting copy; network shares may not honour file locks.
"""

from __future__ import annotations

import os
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


def location_warning(
    path: Path, *, what: str = "database", mounts_file: Path = Path("/proc/mounts")
) -> str | None:
    """A sentence explaining the risk of keeping the ``what`` at ``path``, or None when fine."""
    text = str(path)
    lowered = text.replace("\\", "/").casefold()
    for marker, service in SYNC_MARKERS.items():
        if f"/{marker}" in lowered:
            return (
                f"The {what} is inside a {service} folder ({text}). Sync services can copy the "
                "file while Keel is writing it and leave a damaged or conflicting copy. Keep the "
                f"{what} in a local folder and make encrypted backups instead."
            )
    if text.startswith("\\\\") or PureWindowsPath(text).drive.startswith("\\\\"):
        return (
            f"The {what} is on a network path ({text}). If the network drops while Keel writes, "
            f"the {what} can be damaged. Keep it on this computer's own disk."
        )
    if os.name == "posix":
        fs = _mount_type(path, mounts_file)
        if fs is not None and fs in NETWORK_FS:
            return (
                f"The {what} is on a network share ({fs}: {text}). If the network drops while "
                f"Keel writes, the {what} can be damaged. Keep it on this computer's own disk."
            )
    return None
