"""The NFS object store says clearly when its export is not mounted, and writes nothing
into the bare mount-point directory."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from native.drivers.objectstore import ObjectStoreError, open_store


def test_an_unmountable_export_is_a_clear_error(tmp_path: Path) -> None:
    store = open_store(
        provider="NFS",
        url="nfs://nfs.example.invalid/export/objects",
        details={},
        mount_root=tmp_path,
    )
    for operation in (
        store.stats,
        lambda: store.create_container(container="c"),
        lambda: store.put(container="c", path="p", source=io.BytesIO(b"x")),
        lambda: store.exists(container="c", path="p"),
    ):
        with pytest.raises(
            ObjectStoreError, match="nfs.example.invalid:/export/objects is not mounted"
        ):
            operation()
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


@pytest.mark.parametrize("url", ["nfs:///export", "nfs://server", "nfs://:2049/export"])
def test_bad_nfs_urls(tmp_path: Path, url: str) -> None:
    with pytest.raises(ObjectStoreError):
        open_store(provider="NFS", url=url, details={}, mount_root=tmp_path)
