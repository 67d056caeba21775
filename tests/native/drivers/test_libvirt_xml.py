"""Libvirt domain XML rendered from a VmSpec (pure: runs without libvirt)."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from native.drivers.bridges import guest_bridge
from native.drivers.hypervisor.base import DiskSpec, NicSpec, VmSpec
from native.drivers.hypervisor.libvirt_xml import (
    cdrom_xml,
    device_name,
    disk_xml,
    domain_xml,
)

LOG = Path("/var/lib/alto/libvirt/i-2-7-VM.log")


SPEC = VmSpec(
    name="i-2-7-VM",
    uuid="0d4f6c1e-8a52-4a43-9d6e-3f1d2a9c7b10",
    cpu_number=2,
    cpu_speed=1000,
    memory=512,
    disks=(
        DiskSpec(volume_uuid="data-1", path="/pool/data-1", device_id=1, size=1 << 30),
        DiskSpec(
            volume_uuid="root-1", path="/pool/root-1", device_id=0, size=1 << 30, format="RAW"
        ),
    ),
    nics=(
        NicSpec(mac="02:00:11:22:33:44", address="10.1.1.5", device_id=0, network_uuid="n1"),
        NicSpec(
            mac="02:00:11:22:33:55",
            address=None,
            device_id=1,
            network_uuid="n2",
            vlan=120,
            bridge_label="guestbr",
        ),
    ),
)


def _spec(**changes: Any) -> VmSpec:
    return dataclasses.replace(SPEC, **changes)


def _get(element: ET.Element, path: str, attribute: str) -> str | None:
    found = element.find(path)
    assert found is not None, path
    return found.get(attribute)


def _render(spec: VmSpec, *, domain_type: str = "qemu") -> ET.Element:
    return ET.fromstring(domain_xml(spec, domain_type=domain_type, serial_log=LOG))


def test_domain_has_identity_size_and_power_behaviour() -> None:
    domain = _render(_spec())
    assert domain.get("type") == "qemu"
    assert (domain.findtext("name"), domain.findtext("uuid")) == (
        "i-2-7-VM",
        "0d4f6c1e-8a52-4a43-9d6e-3f1d2a9c7b10",
    )
    for tag in ("memory", "currentMemory"):
        element = domain.find(tag)
        assert element is not None
        assert (element.text, element.get("unit")) == ("512", "MiB")
    vcpu = domain.find("vcpu")
    assert vcpu is not None and (vcpu.text, vcpu.get("current")) == ("2", "2")
    assert domain.find("features/acpi") is not None
    assert domain.find("features/apic") is not None
    assert domain.findtext("on_poweroff") == "destroy"
    assert [b.get("dev") for b in domain.iterfind("os/boot")] == ["hd"]


def test_cpu_model_follows_the_domain_type() -> None:
    tcg = _render(_spec()).find("cpu")
    assert tcg is not None and tcg.findtext("model") == "qemu64"
    kvm = _render(_spec(), domain_type="kvm")
    assert kvm.get("type") == "kvm"
    assert kvm.find("cpu[@mode='host-model']") is not None


def test_disks_are_virtio_named_by_device_number() -> None:
    disks = _render(_spec()).findall("devices/disk[@device='disk']")
    rendered = [
        (_get(d, "target", "dev"), _get(d, "driver", "type"), _get(d, "source", "file"))
        for d in disks
    ]
    assert rendered == [("vda", "raw", "/pool/root-1"), ("vdb", "qcow2", "/pool/data-1")]
    assert {_get(d, "target", "bus") for d in disks} == {"virtio"}
    assert all(d.find("readonly") is None for d in disks)


def test_read_only_disk_and_device_names() -> None:
    disk = ET.fromstring(
        disk_xml(DiskSpec(volume_uuid="v", path="/p", device_id=4, size=1, read_only=True))
    )
    assert disk.find("readonly") is not None
    assert _get(disk, "target", "dev") == "vde"
    assert [device_name(n) for n in (0, 1, 25, 26, 27)] == ["vda", "vdb", "vdz", "vdaa", "vdab"]


def test_a_disk_on_nfs_is_reached_by_qemu_as_root() -> None:
    disk = ET.fromstring(
        disk_xml(
            DiskSpec(
                volume_uuid="v", path="/export/volumes/v", device_id=0, size=1,
                nfs_server="10.0.0.5",
            )
        )
    )  # fmt: skip
    assert disk.get("type") == "network" and _get(disk, "driver", "type") == "qcow2"
    source = disk.find("source")
    assert source is not None
    assert source.get("protocol") == "nfs" and source.get("name") == "/export/volumes/v"
    assert _get(source, "host", "name") == "10.0.0.5"
    assert (_get(source, "identity", "user"), _get(source, "identity", "group")) == ("root",) * 2


def test_cdrom_is_always_there_and_boots_first_with_an_iso() -> None:
    empty = _render(_spec()).find("devices/disk[@device='cdrom']")
    assert empty is not None and empty.find("source") is None
    assert _get(empty, "target", "bus") in ("sata", "ide")
    domain = _render(_spec(iso_path="/isos/boot.iso"))
    cdrom = domain.find("devices/disk[@device='cdrom']")
    assert cdrom is not None and _get(cdrom, "source", "file") == "/isos/boot.iso"
    assert [b.get("dev") for b in domain.iterfind("os/boot")] == ["cdrom", "hd"]
    ejected = ET.fromstring(cdrom_xml(None))
    assert ejected.find("source") is None
    assert _get(ejected, "target", "dev") == _get(cdrom, "target", "dev")


def test_nics_are_virtio_on_their_networks_bridges_with_their_mac() -> None:
    nics = _render(_spec()).findall("devices/interface")
    assert [n.get("type") for n in nics] == ["bridge", "bridge"]
    assert [_get(n, "mac", "address") for n in nics] == [
        "02:00:11:22:33:44",
        "02:00:11:22:33:55",
    ]
    bridges = [_get(n, "source", "bridge") for n in nics]
    assert bridges == [guest_bridge(vlan=None, network_uuid="n1"), "brvlan120"]
    assert {_get(n, "model", "type") for n in nics} == {"virtio"}
    assert all(n.find("vlan") is None for n in nics)


def test_console_graphics_and_balloon() -> None:
    devices = _render(_spec()).find("devices")
    assert devices is not None
    log = devices.find("serial/log")
    assert log is not None and log.get("file") == str(LOG)
    assert _get(devices, "console/target", "type") == "serial"
    graphics = devices.find("graphics")
    assert graphics is not None
    assert (graphics.get("type"), graphics.get("listen"), graphics.get("autoport")) == (
        "vnc",
        "127.0.0.1",
        "yes",
    )
    assert _get(devices, "memballoon", "model") == "virtio"


def test_direct_kernel_boot() -> None:
    domain = _render(
        _spec(
            boot_args="console=ttyS0 root=/dev/vda",
            details={"kernel": "/boot/vmlinuz", "initrd": "/boot/initrd.img"},
        )
    )
    assert (
        domain.findtext("os/kernel"),
        domain.findtext("os/initrd"),
        domain.findtext("os/cmdline"),
    ) == ("/boot/vmlinuz", "/boot/initrd.img", "console=ttyS0 root=/dev/vda")
    assert domain.find("os/boot") is None
    without_kernel = _render(_spec(boot_args="console=ttyS0"))
    assert without_kernel.find("os/cmdline") is None


def test_maxima_give_room_to_scale_up() -> None:
    domain = _render(_spec(details={"max_cpu_number": "8", "max_memory": "4096"}))
    vcpu = domain.find("vcpu")
    assert vcpu is not None and (vcpu.text, vcpu.get("current")) == ("8", "2")
    assert (domain.findtext("memory"), domain.findtext("currentMemory")) == ("4096", "512")


@pytest.mark.parametrize(
    ("changes", "domain_type"),
    [
        ({}, "xen"),
        (
            {"disks": (DiskSpec(volume_uuid="v", path="/p", device_id=0, size=1, format="VHD"),)},
            "qemu",
        ),
        ({"details": {"max_memory": "lots"}}, "qemu"),
        ({"uuid": "uuid-i-2-7-VM"}, "qemu"),
    ],
)
def test_invalid_specs_are_refused(changes: dict[str, object], domain_type: str) -> None:
    with pytest.raises(ValueError):
        _render(_spec(**changes), domain_type=domain_type)
