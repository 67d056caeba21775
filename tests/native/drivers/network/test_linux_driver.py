"""The Linux network driver running real routers on this host: guests in namespaces of their
own, plugged into the router's guest bridge, get their DHCP lease from the router's
dnsmasq, ping their gateway and read their own metadata at 169.254.169.254. Needs root,
iproute2, nftables, dnsmasq, haproxy, curl and busybox (udhcpc, ping)."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from native.drivers.bridges import guest_bridge
from native.drivers.network import linux
from native.drivers.network.base import (
    Backend,
    DhcpHost,
    GuestNetwork,
    Interface,
    LoadBalancer,
    NetworkDriverError,
    PublicAddress,
    RemoteAccessVpn,
    RouterConfig,
    SourceNat,
    TrafficRule,
    VmData,
)
from native.drivers.network.linux import LinuxNetworkDriver
from native.drivers.network.linux_services import (
    DNSMASQ_PID,
    HAPROXY_PID,
    metadata_pid_files,
    prune_leases,
    running,
)
from native.drivers.network.render import render_all

TOOLS = ("ip", "nft", "dnsmasq", "haproxy", "curl", "busybox")
needs_host = pytest.mark.skipif(
    os.geteuid() != 0
    or not all(shutil.which(t) or shutil.which(t, path="/usr/sbin:/sbin") for t in TOOLS),
    reason=f"needs root and {', '.join(TOOLS)} to run routers in network namespaces",
)

GATEWAY = "10.97.1.1"
GUESTS = {
    "02:00:61:00:00:05": ("10.97.1.5", "vm-5", "i-0000000000000a005"),
    "02:00:61:00:00:06": ("10.97.1.6", "vm-6", "i-0000000000000a006"),
}
UDHCPC_SCRIPT = """#!/bin/sh
case "$1" in
  bound|renew)
    ip addr add "$ip/$mask" dev "$interface"
    ip route replace default via "$router" dev "$interface"
    echo "$ip $mask $router $dns $domain" > "$LEASE_FILE"
    ;;
esac
"""


@dataclass(frozen=True)
class Host:
    """One test run's names: the router, its public bridge, its guest network."""

    tag: str
    router: str
    public_bridge: str
    network_uuid: str
    tmp: Path
    vlan_bridges: list[str] = dataclasses.field(default_factory=list)

    @property
    def guest_bridge(self) -> str:
        return guest_bridge(vlan=None, network_uuid=self.network_uuid)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    tag = secrets.token_hex(3)
    names = Host(
        tag=tag,
        router=f"r-t{tag}",
        public_bridge=f"altp{tag}",
        network_uuid=f"{tag}0000-0000-4000-8000-000000000097",
        tmp=tmp_path,
    )
    try:
        yield names
    finally:
        try:
            _driver(names).destroy(names.router)
        finally:
            for index in range(len(GUESTS)):
                _quietly("ip", "netns", "del", f"alto-g{index}-{tag}")
            for bridge in (names.public_bridge, names.guest_bridge, *names.vlan_bridges):
                _quietly("ip", "link", "del", bridge)


def _quietly(*argv: str) -> None:
    """Run a clean-up command whose target may already be gone."""
    subprocess.run(argv, capture_output=True, check=False)


def _driver(host: Host) -> LinuxNetworkDriver:
    return LinuxNetworkDriver(state_dir=host.tmp / "state", public_bridge=host.public_bridge)


def _config(host: Host, *, generation: int, macs: list[str], suffix: str = "") -> RouterConfig:
    """An isolated network's router with the guests of `macs`; `suffix` ends their
    instance ids (to tell generations apart)."""
    guests = [GUESTS[mac] for mac in macs]
    network = GuestNetwork(
        uuid=host.network_uuid,
        name="test-net",
        interface="eth0",
        cidr="10.97.1.0/24",
        gateway=GATEWAY,
        domain="alto.test",
        hosts=tuple(DhcpHost(mac=mac, address=g[0], hostname=g[1]) for mac, g in zip(macs, guests)),
        vm_data=tuple(
            VmData(address=g[0], meta_data=(("instance-id", g[2] + suffix), ("local-ipv4", g[0])))
            for g in guests
        ),
    )
    return RouterConfig(
        name=host.router,
        generation=generation,
        is_vpc=False,
        interfaces=(
            Interface(name="eth0", role="guest", address=GATEWAY, prefix=24),
            Interface(
                name="pub0", role="public", address="100.64.97.10", prefix=24, gateway="100.64.97.1"
            ),
        ),
        guests=(network,),
        public=(
            PublicAddress(address="100.64.97.10", interface="pub0", source_nat=True),
            PublicAddress(
                address="100.64.97.11",
                interface="pub0",
                firewall=(TrafficRule(protocol="tcp", start_port=80, end_port=80),),
            ),
        ),
        source_nat=(SourceNat(address="100.64.97.10", cidr="10.97.1.0/24"),),
        load_balancers=(
            LoadBalancer(
                name="web",
                address="100.64.97.11",
                public_port=80,
                private_port=8080,
                protocol="tcp",
                algorithm="roundrobin",
                backends=tuple(Backend(address=g[0], port=8080) for g in guests),
            ),
        ),
    )


def _guest(host: Host, index: int, mac: str) -> str:
    """A guest namespace whose eth0 (MAC `mac`) is plugged into the guest bridge."""
    namespace = f"alto-g{index}-{host.tag}"
    plug = f"g{index}{host.tag}"
    _ip("netns", "add", namespace)
    _ip("link", "add", plug, "type", "veth", "peer", "name", "eth0", "netns", namespace)
    _ip("link", "set", plug, "master", host.guest_bridge, "up")
    _ip("-n", namespace, "link", "set", "eth0", "address", mac, "up")
    _ip("-n", namespace, "link", "set", "lo", "up")
    return namespace


def _lease(host: Host, namespace: str) -> list[str]:
    """The lease udhcpc gets in `namespace`: [ip, mask, router, dns, domain] ([] if none)."""
    script = host.tmp / "udhcpc.sh"
    script.write_text(UDHCPC_SCRIPT)
    script.chmod(0o755)
    lease = host.tmp / f"{namespace}.lease"
    lease.unlink(missing_ok=True)
    subprocess.run(
        ["ip", "netns", "exec", namespace, "busybox", "udhcpc", "-f", "-q", "-n"]
        + ["-i", "eth0", "-t", "4", "-T", "1", "-s", str(script)],
        env={**os.environ, "LEASE_FILE": str(lease)},
        capture_output=True,
        timeout=30,
        check=False,
    )
    return lease.read_text().split() if lease.exists() else []


def _in(namespace: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", namespace, *argv],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _instance_id(namespace: str) -> str:
    url = "http://169.254.169.254/latest/meta-data/instance-id"
    deadline = time.monotonic() + 15
    while True:
        answer = _in(namespace, "curl", "-sS", "--fail", "--max-time", "5", url)
        if answer.returncode not in (7, 28) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert answer.returncode == 0, answer.stderr
    return answer.stdout


def _pids(host: Host) -> dict[str, int | None]:
    """The router's daemons by pid file name (dnsmasq, haproxy, metadata services)."""
    run_dir = host.tmp / "state" / f".{host.router}.run"
    pid_files = [run_dir / DNSMASQ_PID, run_dir / HAPROXY_PID, *metadata_pid_files(run_dir)]
    return {pid_file.name: running(pid_file) for pid_file in pid_files}


@needs_host
def test_guests_get_their_lease_ping_the_gateway_and_read_their_own_metadata(
    host: Host,
) -> None:
    macs = list(GUESTS)
    applied = _driver(host).apply(_config(host, generation=1, macs=macs))
    assert applied.generation == 1
    assert all(_pids(host).values())
    for index, mac in enumerate(macs):
        namespace = _guest(host, index, mac)
        address, _, instance_id = GUESTS[mac]
        assert _lease(host, namespace) == [address, "24", GATEWAY, GATEWAY, "alto.test"]
        assert _in(namespace, "busybox", "ping", "-c", "1", "-W", "2", GATEWAY).returncode == 0
        assert _instance_id(namespace) == instance_id
    restarted = _driver(host).current(host.router)
    assert restarted is not None and restarted.generation == 1
    assert restarted.files == applied.files


@needs_host
def test_the_address_of_a_removed_vm_is_leased_to_the_nic_given_it_next(host: Host) -> None:
    old_mac, new_mac = list(GUESTS)
    address = GUESTS[old_mac][0]
    driver = _driver(host)
    driver.apply(_config(host, generation=1, macs=[old_mac]))
    first = _guest(host, 0, old_mac)
    assert _lease(host, first)[:1] == [address]
    _ip("netns", "del", first)  # its VM is gone; its lease, which never expires, stays
    config = _config(host, generation=2, macs=[old_mac])
    [network] = config.guests
    moved = dataclasses.replace(
        network, hosts=(DhcpHost(mac=new_mac, address=address, hostname="vm-next"),)
    )
    driver.apply(dataclasses.replace(config, guests=(moved,)))

    second = _guest(host, 1, new_mac)

    assert _lease(host, second)[:1] == [address]


def test_pruning_keeps_only_the_leases_given_out(tmp_path: Path) -> None:
    leases = tmp_path / "dnsmasq.leases"
    leases.write_text(
        "0 02:00:61:00:00:05 10.97.1.5 vm-5 01:02:00:61:00:00:05\n"
        "0 02:00:61:00:00:06 10.97.1.6 vm-6 *\n"
        "0 02:00:61:00:00:07 10.97.1.6 vm-7 *\n"
    )
    prune_leases(
        leases, keep=[("02:00:61:00:00:05", "10.97.1.5"), ("02:00:61:00:00:07", "10.97.1.6")]
    )
    assert leases.read_text() == (
        "0 02:00:61:00:00:05 10.97.1.5 vm-5 01:02:00:61:00:00:05\n"
        "0 02:00:61:00:00:07 10.97.1.6 vm-7 *\n"
    )
    prune_leases(tmp_path / "missing.leases", keep=[])
    assert not (tmp_path / "missing.leases").exists()


@needs_host
def test_newer_generations_are_served_older_ignored_invalid_ones_leave_the_previous(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = list(GUESTS)
    driver = _driver(host)
    driver.apply(_config(host, generation=1, macs=[first]))
    one = _guest(host, 0, first)
    two = _guest(host, 1, second)
    assert _lease(host, one)[0] == GUESTS[first][0]
    assert _instance_id(one) == GUESTS[first][2]
    assert _lease(host, two) == []

    driver.apply(_config(host, generation=2, macs=[first, second], suffix="-2"))
    assert _lease(host, two)[0] == GUESTS[second][0]
    assert _instance_id(one) == GUESTS[first][2] + "-2"
    assert _instance_id(two) == GUESTS[second][2] + "-2"

    assert driver.apply(_config(host, generation=1, macs=[first])).generation == 2
    assert _instance_id(two) == GUESTS[second][2] + "-2"

    pids = _pids(host)
    for broken, line in (("nftables.conf", "table ip alto { nonsense }"), ("dnsmasq.conf", "x=y")):

        def render_broken(
            config: RouterConfig, name: str = broken, text: str = line
        ) -> dict[str, str]:
            files = render_all(config)
            return {**files, name: files[name] + text + "\n"}

        monkeypatch.setattr(linux, "render_all", render_broken)
        with pytest.raises(NetworkDriverError):
            driver.apply(_config(host, generation=3, macs=[first], suffix="-3"))
        current = driver.current(host.router)
        assert current is not None and current.generation == 2
    assert _pids(host) == pids
    assert _instance_id(one) == GUESTS[first][2] + "-2"
    assert _instance_id(two) == GUESTS[second][2] + "-2"


@needs_host
def test_destroy_stops_the_daemons_and_removes_the_namespace(host: Host) -> None:
    driver = _driver(host)
    driver.apply(_config(host, generation=1, macs=list(GUESTS)))
    pids = [pid for pid in _pids(host).values() if pid is not None]
    assert len(pids) == 3
    driver.destroy(host.router)
    assert not Path(f"/run/netns/alto-{host.router}").exists()
    assert all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in pids)
    assert driver.current(host.router) is None
    assert not (host.tmp / "state" / host.router).exists()
    driver.destroy(host.router)
    assert Path(f"/sys/class/net/{host.guest_bridge}").exists()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except FileNotFoundError:
        return True


@needs_host
def test_a_private_gateway_is_plugged_into_its_vlan_bridge_and_dropped_when_gone(
    host: Host,
) -> None:
    vlan = next(v for v in range(3900, 4095) if not Path(f"/sys/class/net/brvlan{v}").exists())
    host.vlan_bridges.append(f"brvlan{vlan}")
    driver = _driver(host)
    config = _config(host, generation=1, macs=[])
    private = Interface(name="eth2", role="private", address="10.97.3.2", prefix=24, vlan=vlan)
    driver.apply(dataclasses.replace(config, interfaces=(*config.interfaces, private)))
    namespace = f"alto-{host.router}"
    shown = _in(namespace, "ip", "-br", "addr", "show", "dev", "eth2").stdout
    assert "10.97.3.2/24" in shown and "UP" in shown
    assert os.listdir(f"/sys/class/net/brvlan{vlan}/brif")
    assert "default via 100.64.97.1 dev pub0" in _in(namespace, "ip", "route").stdout
    driver.apply(dataclasses.replace(config, generation=2))
    assert _in(namespace, "ip", "link", "show", "eth2").returncode != 0
    assert not os.listdir(f"/sys/class/net/brvlan{vlan}/brif")


@needs_host
def test_a_vpn_is_refused_before_anything_runs(host: Host) -> None:
    vpn = RemoteAccessVpn(
        address="100.64.97.10",
        ip_range="10.97.2.1-10.97.2.8",
        local_ip="10.97.2.254",
        preshared_key="k",
    )
    config = dataclasses.replace(_config(host, generation=1, macs=[]), remote_access_vpn=vpn)
    with pytest.raises(NetworkDriverError, match="VPN"):
        _driver(host).apply(config)
    assert not Path(f"/run/netns/alto-{host.router}").exists()
