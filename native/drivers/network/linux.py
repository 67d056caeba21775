"""The Linux network driver: each virtual router really runs on this host (as root).

Router `<name>` is the network namespace `alto-<name>` (see `linux_links`): one veth pair
per interface, plugged into a host bridge (`bridges.guest_bridge()` for guest networks, the
driver's public bridge for public interfaces, `brvlan<vlan>` for VPC private gateways),
IPv4 forwarding, the rendered nftables ruleset and routes, dnsmasq, haproxy when the
router has TCP or HTTP load balancers, and the metadata service on port 80 of each guest
gateway (see `linux_services`). VPNs (strongSwan, xl2tpd) are not supported: a configuration with one
is refused.

Files: the rendered configuration in `<state_dir>/<name>/` (swapped in by one rename, as
the simulated driver does) with `applied.json` recording the generation, so `current()`
answers after a restart of the management server; daemons' pid files, leases and logs in
`<state_dir>/.<name>.run/`; an advisory lock per router (`<state_dir>/.<name>.lock`) makes
concurrent applies take turns.

What is atomic: everything that can be checked is checked before the router is touched
(rendering, the interfaces' plan, `nft -c`, `dnsmasq --test`, `haproxy -c`), so a
configuration that fails them leaves the previous one running, untouched; the nftables
ruleset is replaced in one kernel transaction. What is not: the steps after the checks
(links and addresses, ruleset, routes, files, daemon restarts) run in turn, and one that
fails there (the kernel refusing a link, a daemon that cannot bind) leaves the router
partly on the new configuration. `applied.json` is written last, so then `current()`
still reports the previous generation and applying the failed one again redoes every
step (each is idempotent). dnsmasq is restarted on each apply: DHCP and DNS pause briefly.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from native.drivers.bridges import guest_bridge, vlan_bridge
from native.drivers.file_locks import file_lock
from native.drivers.network import linux_services as services
from native.drivers.network.base import (
    AppliedConfig,
    Interface,
    NetworkDriver,
    NetworkDriverError,
    RouterConfig,
)
from native.drivers.network.linux_links import (
    Link,
    check_device_name,
    delete_namespace,
    devices,
    ensure_namespace,
    host_end,
    namespace_of,
    plug,
    remove_devices,
    set_default_route,
)
from native.drivers.network.render import render_all
from native.drivers.network.render.dnsmasq import MAC

APPLIED = "applied.json"
DEFAULT_PUBLIC_BRIDGE = "altopub0"


class LinuxNetworkDriver(NetworkDriver):
    """Runs each router in a network namespace of this host; needs root, iproute2,
    nftables, dnsmasq and, for load balancers, haproxy."""

    name = "linux"
    capabilities: ClassVar[dict[str, bool]] = {
        "nftables": True,
        "dhcp": True,
        "lb": True,
        "vpn": False,
    }

    def __init__(self, *, state_dir: Path, public_bridge: str = DEFAULT_PUBLIC_BRIDGE) -> None:
        self.state_dir = state_dir
        self.public_bridge = check_device_name(public_bridge)

    @contextlib.contextmanager
    def _locked(self, router_name: str, *, exclusive: bool) -> Iterator[Path]:
        namespace_of(router_name)
        with file_lock(self.state_dir / f".{router_name}.lock", exclusive=exclusive):
            yield self.state_dir / router_name

    def _run_dir(self, router_name: str) -> Path:
        return self.state_dir / f".{router_name}.run"

    def apply(self, config: RouterConfig) -> AppliedConfig:
        with self._locked(config.name, exclusive=True) as target:
            running = _read(target)
            if running is not None and running.generation >= config.generation:
                return running
            files, links = self._plan(config)
            run_dir = self._run_dir(config.name)
            run_dir.mkdir(mode=0o700, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{config.name}.", dir=self.state_dir))
            try:
                for file_name, text in files.items():
                    (staging / file_name).write_text(text)
                _check(staging, run_dir=run_dir, balances=_balances(config))
                self._configure(config, links, rendered=staging)
                if (target / APPLIED).exists():
                    shutil.copy2(target / APPLIED, staging / APPLIED)
                self._swap(config.name, staging=staging, target=target)
                self._start(config, rendered=target, run_dir=run_dir)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            _write_applied(target, generation=config.generation)
            return AppliedConfig(generation=config.generation, files=files)

    def _plan(self, config: RouterConfig) -> tuple[dict[str, str], list[Link]]:
        """The rendered files and the links, or NetworkDriverError for what this driver
        cannot run."""
        if config.remote_access_vpn is not None or config.site_to_site:
            raise NetworkDriverError(
                f"{config.name}: VPNs (strongSwan, xl2tpd) are not supported by the "
                f"{self.name} network driver"
            )
        try:
            files = render_all(config)
        except ValueError as error:
            raise NetworkDriverError(f"{config.name}: {error}") from error
        try:
            links = [self._link(config, interface) for interface in config.interfaces]
        except ValueError as error:
            raise NetworkDriverError(f"{config.name}: {error}") from error
        return files, links

    def _link(self, config: RouterConfig, interface: Interface) -> Link:
        device = check_device_name(interface.name)
        addresses = [_address(interface.address, prefix=interface.prefix)]
        if interface.role == "guest":
            uuids = [g.uuid for g in config.guests if g.interface == interface.name]
            if interface.vlan is None and not uuids:
                raise NetworkDriverError(f"{config.name}: no guest network on {device}")
            bridge = guest_bridge(vlan=interface.vlan, network_uuid=uuids[0] if uuids else "")
        elif interface.role == "public":
            bridge = self.public_bridge
            addresses += [
                _address(public.address, prefix=interface.prefix)
                for public in config.public
                if public.interface == interface.name
            ]
        elif interface.role == "private":
            if interface.vlan is None:
                raise NetworkDriverError(f"{config.name}: private gateway {device} has no VLAN")
            bridge = vlan_bridge(interface.vlan)
        else:
            raise NetworkDriverError(f"{config.name}: unknown interface role {interface.role!r}")
        return Link(
            device=device,
            host_end=host_end(router_name=config.name, device=device),
            bridge=bridge,
            addresses=tuple(dict.fromkeys(addresses)),
            mac=_mac(interface.mac) if interface.mac is not None else None,
        )

    def _configure(self, config: RouterConfig, links: list[Link], *, rendered: Path) -> None:
        """The namespace's links, addresses, default route, ruleset and routes."""
        namespace = namespace_of(config.name)
        ensure_namespace(namespace)
        remove_devices(namespace, keep={link.device for link in links})
        for link in links:
            plug(link, namespace=namespace)
        default = next(
            (i for i in config.interfaces if i.role == "public" and i.gateway is not None), None
        )
        set_default_route(
            namespace,
            gateway=default.gateway if default else None,
            device=default.name if default else None,
        )
        services.load_nftables(rendered / "nftables.conf", namespace=namespace)
        services.load_routes(rendered / "routes.batch", namespace=namespace)

    def _swap(self, router_name: str, *, staging: Path, target: Path) -> None:
        retired = self.state_dir / f".{router_name}.retired"
        shutil.rmtree(retired, ignore_errors=True)
        if target.exists():
            os.rename(target, retired)
        os.rename(staging, target)
        shutil.rmtree(retired, ignore_errors=True)

    @staticmethod
    def _start(config: RouterConfig, *, rendered: Path, run_dir: Path) -> None:
        namespace = namespace_of(config.name)
        services.restart_dnsmasq(
            rendered / "dnsmasq.conf",
            namespace=namespace,
            run_dir=run_dir,
            leases=[(host.mac, host.address) for guest in config.guests for host in guest.hosts],
        )
        if _balances(config):
            services.reload_haproxy(rendered / "haproxy.cfg", namespace=namespace, run_dir=run_dir)
        else:
            services.stop(run_dir / services.HAPROXY_PID)
        services.ensure_metadata(
            rendered / "vm-data.json",
            addresses=[i.address for i in config.interfaces if i.role == "guest"],
            namespace=namespace,
            run_dir=run_dir,
        )

    def current(self, router_name: str) -> AppliedConfig | None:
        with self._locked(router_name, exclusive=False) as target:
            return _read(target)

    def destroy(self, router_name: str) -> None:
        """Stop the router's daemons, delete its namespace (and veths) and its files; the
        bridges stay, since other routers and VMs may use them."""
        with self._locked(router_name, exclusive=True) as target:
            run_dir = self._run_dir(router_name)
            services.stop_all(run_dir)
            namespace = namespace_of(router_name)
            ends = [host_end(router_name=router_name, device=d) for d in devices(namespace)]
            delete_namespace(namespace, host_ends=ends)
            shutil.rmtree(target, ignore_errors=True)
            shutil.rmtree(run_dir, ignore_errors=True)


def _address(address: str, *, prefix: int) -> str:
    """`address/prefix` in canonical form, NetworkDriverError when it is not one."""
    try:
        return ipaddress.IPv4Interface(f"{address.strip()}/{prefix}").with_prefixlen
    except ValueError as error:
        raise NetworkDriverError(f"Invalid interface address: {error}") from error


def _mac(mac: str) -> str:
    if not MAC.fullmatch(mac.strip().lower()):
        raise NetworkDriverError(f"Invalid MAC address {mac!r}")
    return mac.strip().lower()


def _balances(config: RouterConfig) -> bool:
    """Whether the router needs haproxy (UDP load balancers are nftables' work)."""
    return any(balancer.protocol != "udp" for balancer in config.load_balancers)


def _check(rendered: Path, *, run_dir: Path, balances: bool) -> None:
    services.check_nftables(rendered / "nftables.conf")
    services.check_dnsmasq(rendered / "dnsmasq.conf", run_dir=run_dir)
    if balances:
        services.check_haproxy(rendered / "haproxy.cfg")


def _read(target: Path) -> AppliedConfig | None:
    try:
        applied = json.loads((target / APPLIED).read_text())
    except FileNotFoundError:
        return None
    files = {
        path.name: path.read_text()
        for path in sorted(target.iterdir())
        if path.name != APPLIED and not path.name.startswith(".")
    }
    return AppliedConfig(generation=int(applied["generation"]), files=files)


def _write_applied(target: Path, *, generation: int) -> None:
    staging = target / f".{APPLIED}.new"
    staging.write_text(json.dumps({"generation": generation}))
    os.replace(staging, target / APPLIED)
