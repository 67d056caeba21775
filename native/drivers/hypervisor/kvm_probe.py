"""Whether KVM really runs guests on a libvirt host: a probe guest tells.

`/dev/kvm` can exist, and libvirt can offer `kvm` domains, on hosts where a KVM guest never
gets past its first instructions, or QEMU cannot even start one with the CPU model guests
get (nested or paravirtualised set-ups). So the probe boots a guest defined exactly as the
driver defines VMs: one 512-byte boot sector that prints a marker on its serial port and
halts. Under
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
from pathlib import Path
from typing import Any

import libvirt

from native.drivers.hypervisor.base import DiskSpec, VmSpec
from native.drivers.hypervisor.libvirt_xml import domain_xml

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 10.0
MARKER = b"ALTO-KVM-OK"
DISK_SIZE = 1 << 20

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
    """The probe guest, made as every VM's domain is (`libvirt_xml.domain_xml`: the same CPU
    model, features and devices): 64 MiB, the boot sector as its RAW disk, the serial
    console logged to `serial_log`."""
    spec = VmSpec(
        name=name,
        uuid=str(uuid.uuid4()),
        cpu_number=1,
        cpu_speed=1000,
        memory=64,
        disks=(
            DiskSpec(volume_uuid=name, path=str(disk), device_id=0, size=DISK_SIZE, format="RAW"),
        ),
    )
    return domain_xml(spec, domain_type=domain_type, serial_log=serial_log)


def boots_a_guest(conn: Any, *, domain_type: str = "kvm", timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether a probe guest of `domain_type` (`kvm`, or `qemu` for TCG) on this
    connection's (local) host prints its marker within `timeout` seconds; the guest and
    its files are gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="alto-kvm-probe-", dir="/var/tmp") as work:
        root = Path(work)
        os.chmod(root, 0o755)
        disk, serial_log = root / "probe.img", root / "serial.log"
        disk.write_bytes(BOOT_SECTOR.ljust(DISK_SIZE, b"\0"))
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
