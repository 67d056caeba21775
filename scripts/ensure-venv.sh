# Sourced by ./alto and ./run-tests: make sure .venv exists and has this checkout installed.
# Needs only python3 (>= 3.11). Reinstalls when pyproject.toml is newer than the stamp.

alto_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
alto_venv="$alto_root/.venv"
alto_stamp="$alto_venv/.alto-installed"

_alto_make_venv() {
    rm -rf "$alto_venv"
    python3 -m venv "$alto_venv"
}

alto_ensure_venv() {
    if [ ! -x "$alto_venv/bin/python" ] || [ ! -x "$alto_venv/bin/pip" ]; then
        echo "alto: creating $alto_venv" >&2
        if ! _alto_make_venv; then
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
                echo "alto: python3 -m venv failed; installing python3-venv" >&2
                apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
                _alto_make_venv
            else
                echo "alto: python3 -m venv failed; install python3-venv (apt-get install python3-venv)" >&2
                return 1
            fi
        fi
        rm -f "$alto_stamp"
    fi
    if [ ! -f "$alto_stamp" ] || [ "$alto_root/pyproject.toml" -nt "$alto_stamp" ]; then
        echo "alto: installing Alto and its dependencies into $alto_venv" >&2
        (cd "$alto_root" && "$alto_venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]')
        touch "$alto_stamp"
    fi
}

# qemu-img resizes QCOW2 volumes (native/drivers/storage/disk_images.py), libnfs is the
# user-space client of nfs:// stores (native/drivers/storage/libnfs.py) and qemu-block-extra
# lets qemu-img and QEMU open files on them; installed with apt-get when running as root and
# missing, else Alto reports the need when it arises.
alto_ensure_disk_tools() {
    if { command -v qemu-img >/dev/null 2>&1 && ldconfig -p | grep -q libnfs.so.13 \
            && [ -e /usr/lib/x86_64-linux-gnu/qemu/block-nfs.so ]; } \
            || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        return 0
    fi
    echo "alto: installing qemu-utils, qemu-block-extra and libnfs13" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends qemu-utils qemu-block-extra libnfs13; } \
        || echo "alto: disk tools not installed: QCOW2 resizes or NFS stores will fail" >&2
}
