"""Host URLs as libvirt URIs."""

from __future__ import annotations

import pytest

from native.drivers.hypervisor.base import HostAccess

pytest.importorskip("libvirt")
from native.drivers.hypervisor.libvirt_connection import libvirt_uri


@pytest.mark.parametrize(
    ("url", "username", "uri"),
    [
        ("qemu:///system", None, "qemu:///system"),
        ("qemu+tcp://h1/system", None, "qemu+tcp://h1/system"),
        ("qemu+ssh://alto@h1/system", None, "qemu+ssh://alto@h1/system"),
        ("test:///default", None, "test:///default"),
        ("http://h1", None, "qemu+ssh://root@h1/system"),
        ("http://10.0.0.5", "alto", "qemu+ssh://alto@10.0.0.5/system"),
        ("http://localhost", None, "qemu:///system"),
        ("http://127.0.0.1", "alto", "qemu:///system"),
    ],
)
def test_host_urls_become_libvirt_uris(url: str, username: str | None, uri: str) -> None:
    assert libvirt_uri(HostAccess(url=url, username=username)) == uri
