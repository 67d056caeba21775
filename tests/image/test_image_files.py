"""The appliance image's own files, checked without building the image (image/ci-stage does)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from appliance.config import CLI_SETTINGS, load_config

IMAGE = Path(__file__).resolve().parents[2] / "image"
ROOTFS = IMAGE / "rootfs"
APPLIANCE_CONF = ROOTFS / "etc/alto/alto.conf"
SHELL_SCRIPTS = [
    IMAGE / "build",
    IMAGE / "ci-stage",
    ROOTFS / "usr/local/sbin/alto-firstboot",
    ROOTFS / "usr/local/sbin/alto-db-upgrade",
    ROOTFS / "usr/local/sbin/alto-service-failed",
    ROOTFS / "etc/update-motd.d/50-alto",
]


def test_the_appliance_config_is_what_alto_serve_reads(tmp_path: Path) -> None:
    config_file = tmp_path / "alto.conf"
    config_file.write_text(APPLIANCE_CONF.read_text().replace("@DB_PASSWORD@", "generated"))
    config = load_config(options={"config": str(config_file)}, environ={}, cwd=tmp_path)
    assert config.bind == "0.0.0.0:8080"
    assert config.data_dir == Path("/var/lib/alto")
    assert config.db_url == "mysql+pymysql://alto:generated@localhost/alto"
    assert config.demo_zone is True
    assert config.encryption_key is None


def test_the_appliance_config_names_every_setting() -> None:
    text = APPLIANCE_CONF.read_text()
    keys = re.findall(r"^([a-z0-9_]+) = ", text, re.MULTILINE)
    assert sorted(keys) == sorted(CLI_SETTINGS)
    assert re.search(r"^# encryption_key = ", text, re.MULTILINE)


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: path.name)
def test_shell_scripts_parse_and_are_executable(script: Path) -> None:
    shell = "bash" if "bash" in script.read_text().splitlines()[0] else "sh"
    done = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert script.stat().st_mode & 0o111


def test_units_run_scripts_that_the_image_carries() -> None:
    units = sorted(ROOTFS.glob("etc/systemd/system/**/*.service")) + sorted(
        ROOTFS.glob("etc/systemd/system/*.service.d/*.conf")
    )
    commands = [
        line.split("=", 1)[1].lstrip("+-@!").split()[0]
        for unit in units
        for line in unit.read_text().splitlines()
        if line.startswith("Exec") and line.split("=", 1)[1]
    ]
    local = [command for command in commands if command.startswith("/usr/local/")]
    assert local, "no unit runs an image script"
    for command in local:
        assert (ROOTFS / command.lstrip("/")).is_file(), command


def _firstboot_function(name: str, *args: str, env: dict[str, str]) -> str:
    """Run one function of alto-firstboot (its definitions, without the dispatch at the end)."""
    script = (ROOTFS / "usr/local/sbin/alto-firstboot").read_text()
    definitions = script[: script.index('\ncase "${1:-}" in')]
    done = subprocess.run(
        ["bash", "-c", f'{definitions}\nCONF="${{TEST_CONF:-$CONF}}"\n{name} "$@"', "fb", *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return done.stdout.strip()


def test_first_boot_reads_the_keys_and_port_that_alto_serve_writes(tmp_path: Path) -> None:
    credentials = tmp_path / "admin-credentials.json"
    credentials.write_text(
        json.dumps(
            {"endpoint": "http://x/client/api", "apikey": "key-A_1", "secretkey": "s-B_2"},
            indent=2,
        )
        + "\n"
    )
    conf = tmp_path / "alto.conf"
    conf.write_text(APPLIANCE_CONF.read_text().replace('"0.0.0.0:8080"', '"[::]:9443"'))
    env = {"PATH": "/usr/bin:/bin", "TEST_CONF": str(conf)}
    assert _firstboot_function("json_field", str(credentials), "apikey", env=env) == "key-A_1"
    assert _firstboot_function("json_field", str(credentials), "secretkey", env=env) == "s-B_2"
    port = _firstboot_function("api_port", env=env)
    assert port == "9443"
    secret = _firstboot_function("random_secret", env=env)
    assert re.fullmatch(r"[0-9a-f]{48}", secret)
    assert secret != _firstboot_function("random_secret", env=env)
