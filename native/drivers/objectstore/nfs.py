"""An object store on an NFS export (`nfs://server/export`), used through a mount point.

The export is mounted with the kernel client on first use, as the NFS storage driver does;
until it is mounted every operation fails with an error saying so, and nothing is ever
written to the bare mount-point directory.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from native.drivers.objectstore.base import ObjectStoreError
from native.drivers.objectstore.local import LocalObjectStore


class NfsObjectStore(LocalObjectStore):
    """A `LocalObjectStore` on the mount point of `server:export` below `mount_root`."""

    provider = "NFS"

    def __init__(self, *, server: str, export: str, mount_root: Path) -> None:
        if not server or not export.startswith("/"):
            raise ObjectStoreError(
                f"Invalid NFS location {server}:{export}: use nfs://server/export"
            )
        self.server = server
        self.export = export
        super().__init__(root=mount_root / server / export.strip("/").replace("/", "_"))

    def _base(self) -> Path:
        if not os.path.ismount(self.root):
            self._mount()
        return self.root

    def _mount(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["mount", "-t", "nfs", "-o", "soft,timeo=100", f"{self.server}:{self.export}",
                 str(self.root)],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            detail = (getattr(exc, "stderr", None) or str(exc)).strip()
            raise ObjectStoreError(
                f"NFS export {self.server}:{self.export} is not mounted at {self.root} and "
                f"cannot be mounted: {detail}"
            ) from None
        if not os.path.ismount(self.root):
            raise ObjectStoreError(
                f"NFS export {self.server}:{self.export} is not mounted at {self.root}"
            )
