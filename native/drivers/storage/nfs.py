"""An NFS export (`nfs://server/export`), used through a mount point below `mount_root`.

The export is mounted with the kernel client on first use (as CloudStack's agents do);
where the kernel has no NFS client the mount fails and every operation reports it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from native.drivers.storage.base import StorageError, StoreStats
from native.drivers.storage.local import LocalStore


class NfsStore(LocalStore):
    """A `LocalStore` on the mount point of `server:export`."""

    scheme = "nfs"

    def __init__(self, *, server: str, export: str, mount_root: Path) -> None:
        if not server or not export.startswith("/"):
            raise StorageError(f"Invalid NFS location {server}:{export}: use nfs://server/export")
        self.server = server
        self.export = export
        super().__init__(root=mount_root / server / export.strip("/").replace("/", "_"))

    def _file(self, path: str) -> Path:
        self._ensure_mounted()
        return super()._file(path)

    def _ensure_mounted(self) -> None:
        if os.path.ismount(self.root):
            return
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                [
                    "mount",
                    "-t",
                    "nfs",
                    "-o",
                    "soft,timeo=100",
                    f"{self.server}:{self.export}",
                    str(self.root),
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", None) or str(exc)
            raise StorageError(
                f"Cannot mount NFS export {self.server}:{self.export}: {detail.strip()}"
            ) from None

    def stats(self) -> StoreStats:
        self._ensure_mounted()
        return super().stats()
