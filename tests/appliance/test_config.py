"""Where settings come from: CLI > environment > file > defaults; bad values exit 2."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.config import Config, ConfigError, load_config
from native.drivers.catalog import DriverCatalog
from native.drivers.network.linux import LinuxNetworkDriver
from native.drivers.network.simulator import SimulatedNetworkDriver
from tests.support.server import alto_command

NO_FILE = Path("/nonexistent/alto.toml")


def load(
    tmp_path: Path,
    *,
    options: dict[str, str | None] | None = None,
    environ: dict[str, str] | None = None,
    default_file: Path = NO_FILE,
) -> Config:
    return load_config(
        options=options or {}, environ=environ or {}, cwd=tmp_path, default_file=default_file
    )


def test_defaults(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert config.bind == "127.0.0.1:8080"
    assert config.workers == 2
    assert config.data_dir == tmp_path / "data"
    assert config.data_dir.is_absolute()
    assert config.db_url == f"sqlite:///{tmp_path / 'data' / 'alto.db'}"
    assert config.region == "us-east-1"
    assert config.job_workers == 4
    assert config.log_level == "info"
    assert config.encryption_key is None
    assert config.config_file is None
    assert config.network_driver == "simulated"
    assert config.libvirt_domain_type == "auto"


def test_cli_beats_environment_beats_file_beats_default(tmp_path: Path) -> None:
    file = tmp_path / "alto.toml"
    file.write_text('bind = "0.0.0.0:7000"\nworkers = 3\nregion = "file-region"\njob_workers = 9\n')
    environ = {"ALTO_CONFIG": str(file), "ALTO_WORKERS": "5", "ALTO_REGION": "env-region"}
    config = load(tmp_path, options={"region": "cli-region"}, environ=environ)
    assert config.config_file == file
    assert config.region == "cli-region"  # CLI over env and file
    assert config.workers == 5  # env over file
    assert config.bind == "0.0.0.0:7000"  # file over default
    assert config.job_workers == 9
    assert config.log_level == "info"  # default


def test_config_option_beats_environment(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('region = "a"\n')
    (tmp_path / "b.toml").write_text('region = "b"\n')
    config = load(tmp_path, options={"config": "b.toml"}, environ={"ALTO_CONFIG": "a.toml"})
    assert config.region == "b"


def test_default_file_is_read_when_present(tmp_path: Path) -> None:
    default = tmp_path / "etc-alto.toml"
    default.write_text('data_dir = "/srv/alto"\nencryption_key = "s3cr3t-key"\n')
    config = load(tmp_path, default_file=default)
    assert config.data_dir == Path("/srv/alto")
    assert config.db_url == "sqlite:////srv/alto/alto.db"
    assert config.encryption_key == "s3cr3t-key"
    assert "s3cr3t" not in repr(config)


def test_relative_data_dir_is_made_absolute_and_db_follows_it(tmp_path: Path) -> None:
    config = load(tmp_path, environ={"ALTO_DATA_DIR": "x/../state"})
    assert config.data_dir == tmp_path / "state"
    assert config.db_url == f"sqlite:///{tmp_path / 'state' / 'alto.db'}"


def test_explicit_db_url_wins_over_derived_one(tmp_path: Path) -> None:
    url = "mysql+pymysql://alto:pw@db.example/alto"
    config = load(tmp_path, options={"db_url": url, "data_dir": "d"})
    assert config.db_url == url
    assert config.data_dir == tmp_path / "d"


@pytest.mark.parametrize(
    ("options", "environ", "file_text", "message"),
    [
        ({"workers": "two"}, {}, None, "--workers: expected a positive integer"),
        ({}, {"ALTO_JOB_WORKERS": "0"}, None, "ALTO_JOB_WORKERS: expected a positive integer"),
        ({}, {}, "workers = 2.5\n", "workers: expected a positive integer"),
        ({}, {}, "workers = true\n", "workers: expected a positive integer"),
        ({}, {}, 'colour = "blue"\n', "unknown key 'colour'"),
        ({}, {}, "bind = \n", "invalid TOML"),
        ({"bind": "8080"}, {}, None, "--bind: expected HOST:PORT"),
        ({"bind": "h:99999"}, {}, None, "--bind: expected HOST:PORT"),
        ({"log_level": "loud"}, {}, None, "--log-level: expected one of"),
        ({"db_url": "not a url"}, {}, None, "--db-url: not a database URL"),
        ({}, {"ALTO_NETWORK_DRIVER": "ovs"}, None, "ALTO_NETWORK_DRIVER: expected one of"),
        ({"libvirt_domain_type": "xen"}, {}, None, "--libvirt-domain-type: expected one of"),
    ],
)
def test_bad_values_raise_one_line_errors(
    tmp_path: Path,
    options: dict[str, str | None],
    environ: dict[str, str],
    file_text: str | None,
    message: str,
) -> None:
    if file_text is not None:
        (tmp_path / "alto.toml").write_text(file_text)
        options = {**options, "config": "alto.toml"}
    with pytest.raises(ConfigError) as error:
        load(tmp_path, options=options, environ=environ)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_network_driver_chooses_the_catalogs_router_driver(tmp_path: Path) -> None:
    config = load(tmp_path, environ={"ALTO_NETWORK_DRIVER": "Linux"})
    assert config.network_driver == "linux"
    catalog = DriverCatalog(state_dir=tmp_path, network_driver=config.network_driver)
    assert isinstance(catalog.network, LinuxNetworkDriver)
    simulated = DriverCatalog(state_dir=tmp_path)
    assert isinstance(simulated.network, SimulatedNetworkDriver)


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load(tmp_path, options={"config": "missing.toml"})


def test_main_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALTO_WORKERS", "many")
    (tmp_path / "empty.toml").write_text("")
    assert main(["serve", "--config", "empty.toml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "alto: error: ALTO_WORKERS: expected a positive integer, got 'many'"
    assert not (tmp_path / "data").exists()


def test_alto_command_reports_bad_values_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "alto.toml").write_text("workers = 2\nport = 80\n")
    result = subprocess.run(
        [*alto_command(), "serve", "--config", "alto.toml"],
        check=False,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("ALTO_")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("alto: error: ")
    assert "unknown key 'port'" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
