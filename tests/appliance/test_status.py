"""`alto status`: one line per check, exit 0 only when every check passes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from appliance.config import load_config
from appliance.status import FAIL, OK, SKIP, _unit_check, check_disk
from tests.support.server import AltoServer, alto_command, free_port

# Not installed anywhere: the services check is a skip whether or not systemd runs here.
NO_UNIT = "alto-status-test-absent.service"


def status(*args: str, cwd: Path) -> tuple[int, dict[str, str]]:
    """Run `alto status`; its exit status and, per check name, the line's state and detail."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALTO_")}
    done = subprocess.run(
        [*alto_command(), "status", "--unit", NO_UNIT, "--timeout", "3", *args],
        check=False, capture_output=True, text=True, env=env, cwd=cwd, timeout=60,
    )  # fmt: skip
    lines = {}
    for line in done.stdout.splitlines():
        state, name, detail = line.split(maxsplit=2)
        lines[name] = f"{state} {detail}"
    return done.returncode, lines


def server_args(server: AltoServer, **overrides: str) -> list[str]:
    settings = {
        "config": str(server.config_file),
        "bind": f"127.0.0.1:{server.port}",
        "data-dir": str(server.data_dir),
        "db-url": server.db_url,
        **overrides,
    }
    return [arg for name, value in settings.items() for arg in (f"--{name}", value)]


def test_a_serving_server_passes_every_check(alto_server: AltoServer, tmp_path: Path) -> None:
    code, lines = status(*server_args(alto_server), cwd=tmp_path)
    assert code == 0, lines
    assert lines["config"] == f"{OK} {alto_server.config_file}"
    assert lines["disk"].startswith(f"{OK} {alto_server.data_dir}: ")
    assert lines["database"].startswith(f"{OK} ")
    assert "schema at " in lines["database"]
    assert lines["api"] == f"{OK} {alto_server.endpoint} answers (HTTP 401)"
    services = lines.get(NO_UNIT) or lines["services"]
    assert services.startswith(SKIP)


def test_an_unreachable_database_fails_with_its_reason(
    alto_server: AltoServer, tmp_path: Path
) -> None:
    url = f"mysql+pymysql://alto:hidden-pw@127.0.0.1:{free_port()}/alto"
    code, lines = status(*server_args(alto_server, **{"db-url": url}), cwd=tmp_path)
    assert code == 1
    assert lines["database"].startswith(f"{FAIL} mysql+pymysql://alto:***@127.0.0.1:")
    assert "Can't connect" in lines["database"]
    assert "hidden-pw" not in lines["database"]
    assert lines["api"].startswith(OK)


def test_a_database_without_the_schema_asks_for_an_upgrade(
    alto_server: AltoServer, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    code, lines = status(
        *server_args(alto_server, **{"db-url": f"sqlite:///{empty}"}), cwd=tmp_path
    )
    assert code == 1
    assert lines["database"].startswith(f"{FAIL} sqlite:///{empty}: schema at empty, newest is ")
    assert lines["database"].endswith("run: alto db upgrade")


def test_a_missing_sqlite_file_is_reported_and_not_created(
    alto_server: AltoServer, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.db"
    args = server_args(alto_server, **{"db-url": f"sqlite:///{missing}"})
    code, lines = status(*args, cwd=tmp_path)
    assert code == 1
    assert lines["database"] == f"{FAIL} sqlite:///{missing}: no such file"
    assert not missing.exists()


def test_an_api_that_does_not_answer_fails(alto_server: AltoServer, tmp_path: Path) -> None:
    port = free_port()
    code, lines = status(*server_args(alto_server, bind=f"127.0.0.1:{port}"), cwd=tmp_path)
    assert code == 1
    assert lines["api"].startswith(f"{FAIL} http://127.0.0.1:{port}/client/api: no answer (")
    assert lines["database"].startswith(OK)


@pytest.mark.parametrize(
    "text",
    ["bind = [unclosed\n", 'colour = "blue"\n', 'workers = "many"\n'],
    ids=["invalid-toml", "unknown-key", "bad-value"],
)
def test_a_bad_config_file_fails_and_skips_what_needs_it(tmp_path: Path, text: str) -> None:
    config = tmp_path / "alto.conf"
    config.write_text(text)
    code, lines = status("--config", str(config), cwd=tmp_path)
    assert code == 1
    assert lines["config"].startswith(f"{FAIL} {config}: ")
    assert lines["disk"].startswith(f"{OK} /: ")
    assert lines["database"] == f"{SKIP} no valid configuration"
    assert lines["api"] == f"{SKIP} no valid configuration"


def test_a_missing_config_file_fails(tmp_path: Path) -> None:
    code, lines = status("--config", str(tmp_path / "gone.conf"), cwd=tmp_path)
    assert code == 1
    assert lines["config"] == f"{FAIL} {tmp_path / 'gone.conf'}: configuration file not found"


def test_a_full_disk_fails(tmp_path: Path) -> None:
    total_mib = check_disk(path=tmp_path, min_free_mib=0).detail.split(" of ")[1]
    full = check_disk(path=tmp_path / "not" / "yet", min_free_mib=10**9)
    assert full.state == FAIL
    assert full.detail.startswith(f"{tmp_path / 'not' / 'yet'}: ")
    assert full.detail.endswith(f"of {total_mib} (full: below 1000000000 MiB)")


@pytest.mark.parametrize(
    ("props", "state", "detail"),
    [
        ({"LoadState": "not-found", "ActiveState": "inactive"}, SKIP, "not installed here"),
        ({"LoadState": "loaded", "ActiveState": "active", "SubState": "running"}, OK,
         "active (running)"),
        ({"LoadState": "loaded", "ActiveState": "inactive", "SubState": "dead",
          "Type": "oneshot", "Result": "success"}, OK, "done"),
        ({"LoadState": "loaded", "ActiveState": "failed", "SubState": "failed",
          "Type": "oneshot", "Result": "exit-code"}, FAIL,
         "not running: failed (failed), result exit-code; see: journalctl -u x.service"),
        ({"LoadState": "loaded", "ActiveState": "inactive", "SubState": "dead",
          "Type": "notify", "Result": "success"}, FAIL,
         "not running: inactive (dead), result success; see: journalctl -u x.service"),
        ({"LoadState": "loaded", "ActiveState": "activating", "SubState": "start-pre"}, FAIL,
         "still starting: activating (start-pre); see: journalctl -u x.service"),
    ],
    ids=["not-installed", "running", "oneshot-done", "failed", "stopped", "starting"],
)  # fmt: skip
def test_unit_states(props: dict[str, str], state: str, detail: str) -> None:
    check = _unit_check("x.service", props)
    assert (check.state, check.detail) == (state, detail)


def test_appliance_config_file_comes_before_the_toml_one(tmp_path: Path) -> None:
    conf, toml = tmp_path / "alto.conf", tmp_path / "alto.toml"
    toml.write_text('region = "from-toml"\n')
    defaults = (conf, toml)
    only_toml = load_config(options={}, environ={}, cwd=tmp_path, default_file=defaults)
    assert (only_toml.config_file, only_toml.region) == (toml, "from-toml")
    conf.write_text('region = "from-conf"\n')
    both = load_config(options={}, environ={}, cwd=tmp_path, default_file=defaults)
    assert (both.config_file, both.region) == (conf, "from-conf")
