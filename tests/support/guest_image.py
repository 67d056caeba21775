"""The tiny test guest: a Linux kernel and a busybox initramfs, and a bootable qcow2
template holding them, built from Debian packages only (`apt-get download`, no other
download).

The guest is the Debian cloud kernel (the one `linux-image-cloud-amd64` depends on) with an
initramfs of `busybox-static`, the virtio and ACPI button modules (with a `modules.dep`)
and an `/init` (`INIT` below) that talks on the serial console, `/dev/ttyS0`:

    ALTO-GUEST booted
    ALTO-GUEST disks: vda vdb                the virtio disks in /sys/block
    ALTO-GUEST instance-id=i-…               or `ALTO-GUEST metadata unavailable`
    ALTO-GUEST user-data-begin               (with the instance id) the user data,
    …                                        verbatim, ending in a newline
    ALTO-GUEST user-data-end
    ALTO-GUEST ready
    ALTO-GUEST disks: vda vdb vdc            again whenever the virtio disks change
    ALTO-GUEST powering off                  on an ACPI power-button press (busybox acpid)

Networking is DHCP on eth0 (when the guest has one, time-boxed) and the metadata service at
169.254.169.254 (time-boxed); the guest copes with neither. The guest runs nothing from its
disk: the template's ext4 partition (at sector 2048, booted by extlinux from the MBR) holds
only the kernel, the initramfs and the extlinux configuration.

Building needs root (loop devices, mount), apt-get and dpkg-deb; `extlinux`,
`syslinux-common` and `fdisk` are installed with apt-get when missing. Anything else the
machine lacks raises `GuestImageUnavailable`, which tests turn into a skip.

The build is cached under `cache_dir`, one directory per key: a hash of the two packages'
versions and of this file, so a newer package or a changed recipe builds anew and older
builds are deleted. Tests use `DEFAULT_CACHE_DIR`, which outlives test sessions (a cold
build takes 10 to 20 seconds): it is under /var/cache, not under pytest's temporary
directories, because those are private to root and QEMU runs as `libvirt-qemu` — it must
reach the template (a backing file), the kernel and the initramfs. A file lock keeps two
processes from building at once.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CACHE_DIR = Path("/var/cache/alto-test-guest")
KERNEL_ARGS = "console=ttyS0,115200 quiet"
KERNEL_METAPACKAGE = "linux-image-cloud-amd64"
BUSYBOX_PACKAGE = "busybox-static"
MODULES = ("virtio_pci", "virtio_blk", "virtio_net", "button", "evdev")
EXTLINUX_MBR = Path("/usr/lib/EXTLINUX/mbr.bin")
_BUILD_TOOLS = {"extlinux": "extlinux", "sfdisk": "fdisk"}
_REQUIRED_TOOLS = ("apt-get", "apt-cache", "dpkg-deb", "qemu-img", "mkfs.ext4", "losetup")
_PARTITION_OFFSET = 1 << 20
_FILESYSTEM_MIB = 48

INIT = f"""#!/bin/sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
for module in {" ".join(MODULES)}; do modprobe "$module"; done
say() {{ echo "ALTO-GUEST $*"; }}
disks() {{ for disk in /sys/block/vd*; do [ -e "$disk" ] && printf ' %s' "${{disk##*/}}"; done; }}
say booted
seen="$(disks)"
say "disks:$seen"
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
    ip link set eth0 up
    timeout 10 udhcpc -i eth0 -n -q -t 3 -T 2 -s /etc/udhcpc.script >/dev/null 2>&1
fi
metadata=http://169.254.169.254/latest
if instance_id="$(timeout 10 wget -q -O - $metadata/meta-data/instance-id 2>/dev/null)" \\
        && [ -n "$instance_id" ]; then
    say "instance-id=$instance_id"
    timeout 10 wget -q -O /tmp/user-data $metadata/user-data 2>/dev/null
    say user-data-begin
    if [ -s /tmp/user-data ]; then
        cat /tmp/user-data
        [ -z "$(tail -c 1 /tmp/user-data)" ] || echo
    fi
    say user-data-end
else
    say metadata unavailable
fi
acpid -l /dev/null
say ready
while :; do
    sleep 1
    now="$(disks)"
    if [ "$now" != "$seen" ]; then
        seen="$now"
        say "disks:$seen"
    fi
done
"""

POWER_BUTTON = """#!/bin/sh
echo "ALTO-GUEST powering off" >/dev/console
sync
poweroff -f
"""

UDHCPC_SCRIPT = """#!/bin/sh
case "$1" in
    bound|renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        for gateway in $router; do ip route add default via "$gateway" dev "$interface"; break; done
        ;;
esac
"""

EXTLINUX_CONF = f"""DEFAULT guest
PROMPT 0
TIMEOUT 0
LABEL guest
    LINUX /vmlinuz
    INITRD /initrd.img
    APPEND {KERNEL_ARGS}
"""


class GuestImageUnavailable(Exception):
    """This machine cannot build the guest (not root, no apt, no loop devices…)."""


@dataclass(frozen=True, kw_only=True)
class GuestImage:
    """A built guest: `kernel` and `initrd` for direct kernel boot with `boot_args`, and
    `template`, a qcow2 disk that boots them by itself (use it as a backing file only)."""

    kernel: Path
    initrd: Path
    template: Path
    boot_args: str = KERNEL_ARGS


def guest_image(*, cache_dir: Path) -> GuestImage:
    """The guest built from the current Debian packages, from `cache_dir` when built there
    before. GuestImageUnavailable when this machine cannot build it; a failing build step
    raises `subprocess.CalledProcessError`, and the next call starts
    that build over."""
    _require_build_tools()
    kernel_package, versions = _package_versions()
    recipe = "\n".join([*versions, Path(__file__).read_text()])
    key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    built = cache_dir / key
    image = GuestImage(
        kernel=built / "vmlinuz", initrd=built / "initrd.img", template=built / "template.qcow2"
    )
    with _locked(cache_dir):
        if not built.is_dir():
            staging = cache_dir / "building"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(mode=0o755)
            _build(staging, kernel_package=kernel_package, versions=versions)
            staging.rename(built)
            for old in cache_dir.iterdir():
                if old.is_dir() and old != built:
                    shutil.rmtree(old)
    return image


def _require_build_tools() -> None:
    if os.geteuid() != 0:
        raise GuestImageUnavailable("building the test guest needs root (loop devices, mount)")
    missing = [tool for tool in _REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        raise GuestImageUnavailable(f"building the test guest needs {', '.join(missing)}")
    packages = {package for tool, package in _BUILD_TOOLS.items() if shutil.which(tool) is None}
    if not EXTLINUX_MBR.is_file():
        packages |= {"extlinux", "syslinux-common"}
    if packages:
        _run_or_unavailable(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *sorted(packages)],
            f"installing {', '.join(sorted(packages))}",
        )


def _package_versions() -> tuple[str, tuple[str, str]]:
    """The kernel package the metapackage depends on (at the exact version it names), and
    `NAME=VERSION` of that package and of busybox, from one `apt-cache` call."""
    output = _run_or_unavailable(
        ["apt-cache", "show", "--no-all-versions", KERNEL_METAPACKAGE, BUSYBOX_PACKAGE],
        "apt-cache show",
    )
    records = {
        fields.get("Package", ""): fields
        for fields in (
            dict(line.split(": ", 1) for line in record.splitlines() if ": " in line)
            for record in output.split("\n\n")
        )
    }
    try:
        depends = records[KERNEL_METAPACKAGE]["Depends"]
        busybox_version = records[BUSYBOX_PACKAGE]["Version"]
    except KeyError as missing:
        raise GuestImageUnavailable(f"apt-cache shows no {missing} for the guest") from None
    kernel = re.match(r"(\S+) \(= ([^)]+)\)", depends)
    if kernel is None:
        raise GuestImageUnavailable(f"{KERNEL_METAPACKAGE} depends on {depends!r}")
    return kernel[1], (f"{kernel[1]}={kernel[2]}", f"{BUSYBOX_PACKAGE}={busybox_version}")


def _run_or_unavailable(command: list[str], action: str, *, cwd: Path | None = None) -> str:
    result = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
    )
    if result.returncode != 0:
        raise GuestImageUnavailable(f"{action} failed: {result.stderr.strip()[-500:]}")
    return result.stdout


def _run(*command: str | Path) -> None:
    subprocess.run([str(part) for part in command], check=True, capture_output=True)


@contextmanager
def _locked(cache_dir: Path) -> Iterator[None]:
    try:
        cache_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
        lock = (cache_dir / ".lock").open("a")
    except OSError as error:
        raise GuestImageUnavailable(f"cannot use {cache_dir}: {error}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _build(out: Path, *, kernel_package: str, versions: tuple[str, str]) -> None:
    """Write vmlinuz, initrd.img and template.qcow2 into `out`."""
    with tempfile.TemporaryDirectory(prefix="alto-guest-") as scratch:
        work = Path(scratch)
        debs = work / "debs"
        debs.mkdir()
        _run_or_unavailable(
            ["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", *versions],
            "apt-get download",
            cwd=debs,
        )
        packages = work / "packages"
        for deb in sorted(debs.glob("*.deb")):
            _run("dpkg-deb", "-x", deb, packages)
        release = kernel_package.removeprefix("linux-image-")
        shutil.copyfile(packages / "boot" / f"vmlinuz-{release}", out / "vmlinuz")
        busybox = packages / "bin" / "busybox"
        initramfs = work / "initramfs"
        _initramfs_tree(initramfs, busybox=busybox)
        _copy_modules(packages, initramfs, release=release, busybox=busybox)
        _write_cpio(initramfs, out / "initrd.img")
        _template(work, kernel=out / "vmlinuz", initrd=out / "initrd.img", out=out)
        for built in out.iterdir():
            built.chmod(0o644)


def _initramfs_tree(root: Path, *, busybox: Path) -> None:
    for directory in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp"):
        (root / directory).mkdir(parents=True)
    shutil.copyfile(busybox, root / "bin" / "busybox")
    (root / "bin" / "sh").symlink_to("busybox")
    for path, text in (
        ("init", INIT),
        ("etc/acpi/PWRF/00000080", POWER_BUTTON),
        ("etc/udhcpc.script", UDHCPC_SCRIPT),
    ):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    for executable in ("bin/busybox", "init", "etc/acpi/PWRF/00000080", "etc/udhcpc.script"):
        (root / executable).chmod(0o755)


def _copy_modules(packages: Path, root: Path, *, release: str, busybox: Path) -> None:
    """Copy MODULES and what they depend on from the kernel package, with a modules.dep."""
    _run(busybox, "depmod", "-b", packages, release)
    source = packages / "lib" / "modules" / release
    depends: dict[str, list[str]] = {}
    for line in (source / "modules.dep").read_text().splitlines():
        module, _, needs = line.partition(":")
        depends[Path(module).name.removesuffix(".ko")] = [module, *needs.split()]
    wanted = {path for name in MODULES for path in depends[name]}
    target = root / "lib" / "modules" / release
    for relative in sorted(wanted):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target / relative)
    _run(busybox, "depmod", "-b", root, release)


def _write_cpio(root: Path, out: Path) -> None:
    """A gzipped newc cpio archive of the tree at `root`, plus /dev/console, owned by root."""
    with gzip.open(out, "wb", compresslevel=6) as archive:
        archive.write(_cpio_entry("dev/console", stat.S_IFCHR | 0o600, b"", rdev=(5, 1)))
        for path in sorted(_tree(root)):
            name = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if path.is_symlink():
                data = os.readlink(path).encode()
            elif path.is_file():
                data = path.read_bytes()
            else:
                data = b""
            archive.write(_cpio_entry(name, mode, data))
        archive.write(_cpio_entry("TRAILER!!!", 0, b""))


def _tree(root: Path) -> Iterator[Path]:
    for directory, subdirectories, files in os.walk(root):
        for name in (*subdirectories, *files):
            yield Path(directory) / name


def _cpio_entry(name: str, mode: int, data: bytes, *, rdev: tuple[int, int] = (0, 0)) -> bytes:
    encoded = name.encode() + b"\0"
    fields = (0, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0)
    header = b"070701" + b"".join(f"{value:08x}".encode() for value in fields)
    return _padded(header + encoded) + _padded(data)


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _template(work: Path, *, kernel: Path, initrd: Path, out: Path) -> None:
    """A qcow2 disk: the MBR boot code, and one ext4 partition at sector 2048 holding the
    kernel, the initramfs and extlinux."""
    boot = work / "boot-fs"
    (boot / "boot" / "extlinux").mkdir(parents=True)
    shutil.copyfile(kernel, boot / "vmlinuz")
    shutil.copyfile(initrd, boot / "initrd.img")
    (boot / "boot" / "extlinux" / "extlinux.conf").write_text(EXTLINUX_CONF)
    filesystem, raw = work / "root.ext4", work / "disk.raw"
    # No 64bit feature: extlinux 6.04 cannot boot from it. 4 KiB blocks: extlinux failed to
    # load the kernel from the 1 KiB blocks mkfs chooses for a filesystem this small.
    _run(
        "mkfs.ext4", "-q", "-F", "-b", "4096", "-L", "alto-guest", "-O", "^64bit", "-E", "root_owner=0:0",
        "-d", boot, filesystem, f"{_FILESYSTEM_MIB}M",
    )  # fmt: skip
    with raw.open("wb") as disk:
        disk.truncate(_PARTITION_OFFSET + _FILESYSTEM_MIB * (1 << 20))
    subprocess.run(["sfdisk", "-q", str(raw)], input=b"start=2048, type=83, bootable\n", check=True)
    with raw.open("r+b") as disk, filesystem.open("rb") as source:
        disk.seek(_PARTITION_OFFSET)
        shutil.copyfileobj(source, disk)
    _install_extlinux(raw, mount_point=work / "mnt")
    with raw.open("r+b") as disk:
        disk.write(EXTLINUX_MBR.read_bytes()[:440])
    _run("qemu-img", "convert", "-O", "qcow2", raw, out / "template.qcow2")


def _install_extlinux(raw: Path, *, mount_point: Path) -> None:
    """Install extlinux into the partition of `raw`, through a loop device at its offset
    (this machine's kernel need not read partition tables)."""
    loop = _run_or_unavailable(
        ["losetup", "-f", "--show", "-o", str(_PARTITION_OFFSET), str(raw)], "losetup"
    ).strip()
    try:
        mount_point.mkdir()
        _run_or_unavailable(["mount", loop, str(mount_point)], f"mounting {loop}")
        try:
            _run("extlinux", "--install", mount_point / "boot" / "extlinux")
        finally:
            _run("umount", mount_point)
    finally:
        _run("losetup", "-d", loop)
