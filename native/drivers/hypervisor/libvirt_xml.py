"""Libvirt domain and device XML rendered from a `VmSpec` (pure: no libvirt needed).

A domain gets ACPI (so a guest can power itself off), virtio disks named `vda`, `vdb`…
after their device number (files on the host, or files QEMU reaches on an NFS server with
its own client, as root so that exports with `no_root_squash` let it write), one CD-ROM drive (empty unless an ISO is given, so an ISO can be
inserted later), virtio NICs on bridges, a serial console logged to a file, VNC on
127.0.0.1 and a virtio balloon. Each NIC joins its guest network's host bridge
(`bridges.guest_bridge`: one Linux bridge per VLAN or untagged network), the bridge the
network's virtual router is plugged into.

Direct kernel boot: when `details["kernel"]` names a kernel on the host, the domain boots
it (with `details["initrd"]` when given) and `boot_args` as its command line; without a
kernel, `boot_args` is ignored and the domain boots from the CD-ROM (if an ISO is given),
then its first disk.

Live scaling headroom: `details["max_cpu_number"]` and `details["max_memory"]` (MiB), when
larger than the VM's size, become the domain's maximum vCPUs and memory; the VM boots with
its own size (the balloon holds the rest back) and can later be scaled up to the maximum.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from native.drivers.bridges import guest_bridge
from native.drivers.hypervisor.base import DiskSpec, NicSpec, VmSpec

DOMAIN_TYPES = ("qemu", "kvm")
CDROM_TARGET = "sda"
_DISK_FORMATS = {"QCOW2": "qcow2", "RAW": "raw"}


def device_name(device_id: int) -> str:
    """The guest device of disk number `device_id`: 0 → `vda`, 25 → `vdz`, 26 → `vdaa`."""
    letters, number = "", device_id + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"vd{letters}"


def disk_xml(disk: DiskSpec) -> str:
    """The `<disk>` element of one volume, for hot-plugging it."""
    return ET.tostring(_disk(disk), encoding="unicode")


def cdrom_xml(iso_path: str | None) -> str:
    """The CD-ROM `<disk>` element holding `iso_path` (empty when None), for changing media."""
    return ET.tostring(_cdrom(iso_path), encoding="unicode")


def domain_xml(spec: VmSpec, *, domain_type: str, serial_log: Path) -> str:
    """The full `<domain>` of `spec`. `domain_type` is `qemu` (TCG emulation) or `kvm`;
    the serial console is logged to `serial_log` (a path on the host). ValueError for an
    unknown domain type, disk format or VLAN, a uuid that is not one, or a maximum size
    that is not a number.
    """
    if domain_type not in DOMAIN_TYPES:
        raise ValueError(f"Unknown libvirt domain type {domain_type!r}: use qemu or kvm")
    domain = ET.Element("domain", type=domain_type)
    _text(domain, "name", spec.name)
    _text(domain, "uuid", str(uuid.UUID(spec.uuid)))
    max_cpu_number, max_memory = _maximum(spec, "max_cpu_number"), _maximum(spec, "max_memory")
    _text(domain, "memory", str(max(spec.memory, max_memory)), unit="MiB")
    _text(domain, "currentMemory", str(spec.memory), unit="MiB")
    _text(
        domain,
        "vcpu",
        str(max(spec.cpu_number, max_cpu_number)),
        placement="static",
        current=str(spec.cpu_number),
    )
    domain.append(_os(spec))
    features = ET.SubElement(domain, "features")
    ET.SubElement(features, "acpi")
    ET.SubElement(features, "apic")
    if domain_type == "kvm":
        ET.SubElement(domain, "cpu", mode="host-model")
    else:
        cpu = ET.SubElement(domain, "cpu", mode="custom", match="exact")
        _text(cpu, "model", "qemu64", fallback="allow")
    _text(domain, "on_poweroff", "destroy")
    _text(domain, "on_reboot", "restart")
    _text(domain, "on_crash", "destroy")
    devices = ET.SubElement(domain, "devices")
    for disk in sorted(spec.disks, key=lambda d: d.device_id):
        devices.append(_disk(disk))
    devices.append(_cdrom(spec.iso_path))
    for nic in sorted(spec.nics, key=lambda n: n.device_id):
        devices.append(_interface(nic))
    _serial_console(devices, serial_log)
    graphics = ET.SubElement(
        devices, "graphics", type="vnc", port="-1", autoport="yes", listen="127.0.0.1"
    )
    ET.SubElement(graphics, "listen", type="address", address="127.0.0.1")
    ET.SubElement(devices, "memballoon", model="virtio")
    return ET.tostring(domain, encoding="unicode")


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _maximum(spec: VmSpec, key: str) -> int:
    try:
        return int(spec.details.get(key, "0"))
    except ValueError:
        raise ValueError(f"{key} of VM {spec.name} is not a number") from None


def _os(spec: VmSpec) -> ET.Element:
    os_element = ET.Element("os")
    _text(os_element, "type", "hvm")
    kernel = spec.details.get("kernel")
    if kernel:
        _text(os_element, "kernel", kernel)
        if spec.details.get("initrd"):
            _text(os_element, "initrd", spec.details["initrd"])
        if spec.boot_args:
            _text(os_element, "cmdline", spec.boot_args)
        return os_element
    if spec.iso_path:
        ET.SubElement(os_element, "boot", dev="cdrom")
    ET.SubElement(os_element, "boot", dev="hd")
    return os_element


def _disk(disk: DiskSpec) -> ET.Element:
    try:
        disk_format = _DISK_FORMATS[disk.format.upper()]
    except KeyError:
        raise ValueError(
            f"Unsupported disk format {disk.format!r} of volume {disk.volume_uuid}: "
            f"use {' or '.join(_DISK_FORMATS)}"
        ) from None
    if disk.nfs_server is None:
        element = ET.Element("disk", type="file", device="disk")
        ET.SubElement(element, "driver", name="qemu", type=disk_format, cache="none")
        ET.SubElement(element, "source", file=disk.path)
    else:
        element = ET.Element("disk", type="network", device="disk")
        ET.SubElement(element, "driver", name="qemu", type=disk_format, cache="none")
        source = ET.SubElement(element, "source", protocol="nfs", name=disk.path)
        ET.SubElement(source, "host", name=disk.nfs_server)
        ET.SubElement(source, "identity", user="root", group="root")
    ET.SubElement(element, "target", dev=device_name(disk.device_id), bus="virtio")
    _text(element, "serial", disk.volume_uuid.replace("-", "")[:20])
    if disk.read_only:
        ET.SubElement(element, "readonly")
    return element


def _cdrom(iso_path: str | None) -> ET.Element:
    element = ET.Element("disk", type="file", device="cdrom")
    ET.SubElement(element, "driver", name="qemu", type="raw")
    if iso_path:
        ET.SubElement(element, "source", file=iso_path)
    ET.SubElement(element, "target", dev=CDROM_TARGET, bus="sata")
    ET.SubElement(element, "readonly")
    return element


def _interface(nic: NicSpec) -> ET.Element:
    element = ET.Element("interface", type="bridge")
    ET.SubElement(element, "mac", address=nic.mac)
    bridge = guest_bridge(vlan=nic.vlan, network_uuid=nic.network_uuid)
    ET.SubElement(element, "source", bridge=bridge)
    ET.SubElement(element, "model", type="virtio")
    return element


def _serial_console(devices: ET.Element, serial_log: Path) -> None:
    serial = ET.SubElement(devices, "serial", type="pty")
    ET.SubElement(serial, "log", file=str(serial_log), append="off")
    ET.SubElement(serial, "target", port="0")
    console = ET.SubElement(devices, "console", type="pty")
    ET.SubElement(console, "target", type="serial", port="0")
