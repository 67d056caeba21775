"""QCOW2 images on a filesystem: reading their header, and the `qemu-img` work on them.

A root volume made from a QCOW2 template is a copy-on-write overlay whose backing file is
the template's copy on the same pool, named by a path relative to the overlay's directory
so that the pool can be mounted anywhere. An image leaving its pool (a snapshot, a copy to
another pool, a template made from a volume) is flattened first, so that no copy anywhere
depends on a file it cannot see.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from native.drivers.storage.base import StorageError

MAGIC = b"QFI\xfb"
HEADER_SIZE = 32
TIMEOUT = 600.0


@dataclass(frozen=True, kw_only=True)
class Header:
    """The fields of a qcow2 header Alto reads: whether a backing file is named, and the
    virtual size in bytes."""

    has_backing_file: bool
    virtual_size: int


def parse_header(data: bytes) -> Header | None:
    """The header at the start of `data`; None if `data` does not start a qcow2 image."""
    if len(data) < HEADER_SIZE or data[:4] != MAGIC:
        return None
    return Header(
        has_backing_file=int.from_bytes(data[8:16], "big") != 0,
        virtual_size=int.from_bytes(data[24:32], "big"),
    )


def read_header(path: Path) -> Header | None:
    """The qcow2 header of the file at `path`; None for any other file. StorageError if it
    cannot be read."""
    try:
        with open(path, "rb") as handle:
            return parse_header(handle.read(HEADER_SIZE))
    except OSError as exc:
        raise StorageError(f"Cannot read {path.name}: {exc.strerror}") from None


def qemu_img() -> str | None:
    """The `qemu-img` tool on this server, if installed (Debian package qemu-utils)."""
    return shutil.which("qemu-img")


def create_overlay(*, base: Path | str, overlay: Path | str, backing: str | None = None) -> None:
    """Make `overlay` (a file, or a URL QEMU opens) a new qcow2 image backed by the qcow2
    image `base` (same virtual size), naming `base` as `backing`, by default its path
    relative to `overlay`'s directory. On failure a local `overlay` is absent."""
    if backing is None:
        backing = os.path.relpath(base, Path(overlay).parent)
    _run(
        ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", backing, str(overlay)],
        what=f"create a copy-on-write image over {posixpath.basename(str(base))}",
        leaves=overlay,
    )


def create_image(*, path: Path | str, size: int) -> None:
    """Make `path` (a file, or a URL QEMU opens) a new empty qcow2 image of `size` virtual
    bytes. On failure a local `path` is absent."""
    _run(
        ["create", "-q", "-f", "qcow2", str(path), str(size)],
        what=f"create qcow2 image {posixpath.basename(str(path))}",
        leaves=path,
    )


def flatten(*, source: Path | str, target: Path | str) -> None:
    """Write `source` with its whole backing chain folded in as the standalone qcow2 image
    `target` (files, or URLs QEMU opens); `source` may be in use by a running VM. On failure
    a local `target` is absent."""
    _run(
        ["convert", "-U", "-q", "-f", "qcow2", "-O", "qcow2", str(source), str(target)],
        what=f"flatten {posixpath.basename(str(source))}",
        leaves=target,
    )


def resize(*, path: Path | str, size: int) -> None:
    """Set the virtual size of the qcow2 image at `path`, a file or a URL QEMU opens
    (shrinking allowed)."""
    _run(
        ["resize", "-q", "--shrink", "-f", "qcow2", str(path), str(size)],
        what=f"resize {posixpath.basename(str(path))}",
    )


def _run(arguments: list[str], *, what: str, leaves: Path | str | None = None) -> None:
    tool = qemu_img()
    if tool is None:
        raise StorageError(f"Cannot {what}: it needs qemu-img (Debian package qemu-utils)")
    try:
        subprocess.run([tool, *arguments], check=True, capture_output=True, timeout=TIMEOUT)
    except subprocess.CalledProcessError as exc:
        _discard(leaves)
        message = exc.stderr.decode(errors="replace").strip() or f"exit status {exc.returncode}"
        raise StorageError(f"qemu-img could not {what}: {message}") from None
    except subprocess.TimeoutExpired:
        _discard(leaves)
        raise StorageError(f"qemu-img did not {what} within {TIMEOUT:.0f} s") from None


def _discard(path: Path | str | None) -> None:
    if isinstance(path, Path):
        path.unlink(missing_ok=True)
