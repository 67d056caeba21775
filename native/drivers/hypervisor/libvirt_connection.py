"""Reaching a KVM host's libvirt: the URI of a host URL, and one connection per call.

A host URL is a libvirt URI used as is (`qemu:///system`, `qemu+tcp://h/system`,
`qemu+ssh://root@h/system`, `test:///default`), or CloudStack's `http://HOST`, which means
`qemu+ssh://USERNAME@HOST/system` (USERNAME defaults to root) and `qemu:///system` for
localhost. A password, when given, answers libvirt's authentication (for example SASL over
`qemu+tcp://`); SSH hosts authenticate with keys.

Each caller opens its own connection and closes it, so a host that restarted is simply
reached again and the callers are thread-safe.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import libvirt

from native.drivers.hypervisor.base import DriverError, HostAccess

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_URI_SCHEMES = re.compile(r"^(qemu(\+[a-z]+)?|test)$")


def _quiet(_context: object, _error: object) -> None:
    """Libvirt's default handler prints every error; the drivers raise them instead."""


libvirt.registerErrorHandler(_quiet, None)


def libvirt_uri(host: HostAccess) -> str:
    """The libvirt URI of a host URL (see the module docstring); DriverError if it has none."""
    parts = urlsplit(host.url)
    if parts.scheme in ("http", "https") and parts.hostname:
        if parts.hostname in LOCAL_HOSTS:
            return "qemu:///system"
        address = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return f"qemu+ssh://{host.username or 'root'}@{address}/system"
    if _URI_SCHEMES.match(parts.scheme):
        return host.url
    raise DriverError(
        f"Invalid KVM host URL {host.url!r}: expected http://HOST or a libvirt URI "
        "such as qemu:///system or qemu+ssh://root@HOST/system",
        retryable=False,
    )


def open_connection(host: HostAccess) -> Any:
    """A new connection to the host's libvirt, which the caller closes. DriverError for a
    URL with no libvirt URI; libvirt.libvirtError when libvirt refuses."""
    uri = libvirt_uri(host)
    if host.password is None:
        return libvirt.open(uri)

    def answer(credentials: list[list[Any]], _: object) -> int:
        for credential in credentials:
            if credential[0] == libvirt.VIR_CRED_AUTHNAME:
                credential[4] = host.username or "root"
            elif credential[0] == libvirt.VIR_CRED_PASSPHRASE:
                credential[4] = host.password
        return 0

    kinds = [libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE]
    return libvirt.openAuth(uri, [kinds, answer, None], 0)


@contextlib.contextmanager
def closing(conn: Any) -> Iterator[Any]:
    """Use the connection for the block and close it after, whatever libvirt says then."""
    try:
        yield conn
    finally:
        with contextlib.suppress(libvirt.libvirtError):
            conn.close()
