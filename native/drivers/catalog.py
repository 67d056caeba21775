"""The drivers of one management server: hypervisor drivers by type, storage drivers by URL."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from native.drivers.hypervisor.base import DriverError, HostAccess, HypervisorDriver
from native.drivers.hypervisor.simulator import SimulatorDriver
from native.drivers.network.base import NetworkDriver
from native.drivers.network.linux import LinuxNetworkDriver
from native.drivers.network.simulator import SimulatedNetworkDriver
from native.drivers.storage.base import StorageDriver, StorageError
from native.drivers.storage.local import LocalStore
from native.drivers.storage.nfs import NfsStore
from native.drivers.storage.s3 import S3Store


def _optional_driver(
    module: str, name: str, *, needs: str, **options: Any
) -> HypervisorDriver | None:
    """The driver class `name` of `native.drivers.hypervisor.<module>` built with
    `options`, or None where its Python binding (top-level module `needs`) is missing."""
    try:
        loaded = importlib.import_module(f"native.drivers.hypervisor.{module}")
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".")[0] != needs:
            raise
        return None
    driver: HypervisorDriver = getattr(loaded, name)(**options)
    return driver


def _network_driver(name: str, *, state_dir: Path) -> NetworkDriver:
    if name == "simulated":
        return SimulatedNetworkDriver(state_dir=state_dir / "network")
    if name == "linux":
        return LinuxNetworkDriver(state_dir=state_dir / "routers")
    raise ValueError(f"Unknown network driver {name!r}: use simulated or linux")


class DriverCatalog:
    """Hypervisor drivers (one instance per type), storage drivers (one per store URL) and
    the network driver that runs virtual routers. The libvirt driver (`KVM`) is there when
    libvirt-python is installed, the VMware skeleton (`VMware`) when pyvmomi is.

    `state_dir` is where drivers keep what must survive a restart (the simulator's hosts,
    NFS mount points). `network_driver` is `simulated` (routers' configurations are only
    written out) or `linux` (routers run in network namespaces of this host, as root).
    `libvirt_domain_type` is the libvirt driver's `domain_type` (`auto`, `kvm` or `qemu`).
    """

    def __init__(
        self,
        *,
        state_dir: Path,
        network_driver: str = "simulated",
        libvirt_domain_type: str = "auto",
    ) -> None:
        self.state_dir = state_dir
        simulator = SimulatorDriver(state_dir=state_dir / "simulator")
        self._hypervisors: dict[str, HypervisorDriver] = {
            driver.hypervisor_type.lower(): driver
            for driver in (
                simulator,
                _optional_driver(
                    "libvirt",
                    "LibvirtDriver",
                    needs="libvirt",
                    state_dir=state_dir / "libvirt",
                    domain_type=libvirt_domain_type,
                ),
                _optional_driver("vmware", "VmwareDriver", needs="pyVim"),
            )
            if driver is not None
        }
        self.network: NetworkDriver = _network_driver(network_driver, state_dir=state_dir)

    @property
    def hypervisor_types(self) -> list[str]:
        return sorted(driver.hypervisor_type for driver in self._hypervisors.values())

    def hypervisor(self, hypervisor_type: str) -> HypervisorDriver:
        """The driver for a cluster's hypervisor type; DriverError if there is none."""
        try:
            return self._hypervisors[hypervisor_type.lower()]
        except KeyError:
            raise DriverError(
                f"Unsupported hypervisor type {hypervisor_type}; supported: "
                f"{', '.join(self.hypervisor_types)}",
                retryable=False,
            ) from None

    def host_pool(self, *, host: HostAccess, root: str) -> StorageDriver | None:
        """The driver of a KVM host's pool directory `root`, worked on through the host's
        libvirt (`LibvirtPoolStore`); None where libvirt-python is not installed."""
        if "kvm" not in self._hypervisors:
            return None
        from native.drivers.storage.libvirt_pool import LibvirtPoolStore

        return LibvirtPoolStore(host=host, root=root)

    def storage(self, url: str, *, details: Mapping[str, str] | None = None) -> StorageDriver:
        """The driver for a store's URL (`file://`, `nfs://`, `s3://`); StorageError otherwise."""
        parts = urlsplit(url)
        if parts.scheme == "file":
            return LocalStore(root=Path(parts.path))
        if parts.scheme == "nfs":
            return NfsStore(url=url)
        if parts.scheme == "s3":
            return S3Store.from_url(url, details=details or {})
        raise StorageError(f"Unsupported storage URL scheme in {url}: use file://, nfs:// or s3://")
