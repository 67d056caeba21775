"""Whether KVM really runs guests on a libvirt host: a probe guest tells.

`/dev/kvm` can exist, and libvirt can offer `kvm` domains, on hosts where a KVM guest never
gets past its first instructions (nested or paravirtualised set-ups). So the probe boots a
guest: one 512-byte boot sector that prints a marker on its serial port and halts. Under
working KVM the marker appears within milliseconds; the probe waits `PROBE_TIMEOUT`
seconds. The guest's disk and serial log are files of the management server, so the boot
probe runs on the local host only; a remote host gets `kvm` when libvirt offers it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import libvirt

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 10.0
MARKER = b"ALTO-KVM-OK"

# cld; xor ax,ax; mov ds,ax; mov dx,0x3f8; mov si,message
# next: lodsb; test al,al; jz done; out dx,al; jmp next
# done: cli; hlt; jmp done
_CODE = bytes.fromhex("fc31c08ed8baf803be177cac84c07403eeebf8faf4ebfd")
BOOT_SECTOR = (_CODE + MARKER + b"\r\n\0").ljust(510, b"\0") + b"\x55\xaa"


def libvirt_offers_kvm(conn: Any) -> bool:
    """Whether the host's libvirt can define `kvm` domains at all."""
    try:
        conn.getDomainCapabilities(None, "x86_64", None, "kvm", 0)
    except libvirt.libvirtError:
        return False
    return True


def probe_domain_xml(*, domain_type: str, name: str, disk: Path, serial_log: Path) -> str:
    """The probe guest: 16 MiB, the boot sector on an IDE disk, COM1 logged to a file."""
    domain = ET.Element("domain", type=domain_type)
    ET.SubElement(domain, "name").text = name
    ET.SubElement(domain, "memory", unit="MiB").text = "16"
    ET.SubElement(domain, "vcpu").text = "1"
    os_element = ET.SubElement(domain, "os")
    ET.SubElement(os_element, "type", arch="x86_64").text = "hvm"
    ET.SubElement(os_element, "boot", dev="hd")
    devices = ET.SubElement(domain, "devices")
    drive = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(drive, "driver", name="qemu", type="raw")
    ET.SubElement(drive, "source", file=str(disk))
    ET.SubElement(drive, "target", dev="hda", bus="ide")
    serial = ET.SubElement(devices, "serial", type="file")
    ET.SubElement(serial, "source", path=str(serial_log))
    ET.SubElement(serial, "target", port="0")
    return ET.tostring(domain, encoding="unicode")


def boots_a_guest(conn: Any, *, domain_type: str = "kvm", timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether a probe guest of `domain_type` (`kvm`, or `qemu` for TCG) on this
    connection's (local) host prints its marker within `timeout` seconds; the guest and
    its files are gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="alto-kvm-probe-", dir="/var/tmp") as work:
        root = Path(work)
        os.chmod(root, 0o755)
        disk, serial_log = root / "probe.img", root / "serial.log"
        disk.write_bytes(BOOT_SECTOR)
        disk.chmod(0o644)
        name = f"alto-kvm-probe-{uuid.uuid4().hex[:12]}"
        try:
            domain = conn.createXML(
                probe_domain_xml(
                    domain_type=domain_type, name=name, disk=disk, serial_log=serial_log
                ),
                0,
            )
        except libvirt.libvirtError as error:
            log.warning("the %s probe guest did not start: %s", domain_type, error)
            return False
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if serial_log.exists() and MARKER in serial_log.read_bytes():
                    return True
                time.sleep(0.05)
            return False
        finally:
            with contextlib.suppress(libvirt.libvirtError):
                domain.destroy()
