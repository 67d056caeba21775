"""First-boot setup: key, schema, admin and credentials file, created exactly once."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.bootstrap import CREDENTIALS_FILE, KEY_FILE, banner, endpoint_for, prepare
from appliance.config import Config, ConfigError
from native.services.secrets import new_encryption_key
from tests.support.databases import fresh_database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Config]:
    with fresh_database(directory=tmp_path / "db") as db_url:
        yield Config(data_dir=tmp_path / "data", db_url=db_url, bind="0.0.0.0:8123")


def test_first_prepare_writes_private_credentials(config: Config) -> None:
    prepared = prepare(config)

    assert mode(config.data_dir) == 0o700
    assert mode(config.data_dir / KEY_FILE) == 0o600
    path = config.data_dir / CREDENTIALS_FILE
    assert mode(path) == 0o600
    body = json.loads(path.read_text())
    assert set(body) == {"endpoint", "apikey", "secretkey"}
    assert body["endpoint"] == "http://127.0.0.1:8123/client/api"
    assert body["apikey"] and body["secretkey"] and body["apikey"] != body["secretkey"]
    assert prepared.created_admin
    assert prepared.admin_password
    assert prepared.credentials is not None
    assert prepared.credentials.apikey == body["apikey"]
    assert prepared.credentials.secretkey == body["secretkey"]


def test_second_prepare_creates_nothing_twice(config: Config) -> None:
    prepare(config)
    key = (config.data_dir / KEY_FILE).read_text()
    path = config.data_dir / CREDENTIALS_FILE
    before = path.read_text()
    before_stat = path.stat()

    again = prepare(config)

    assert not again.created_admin
    assert again.admin_password is None
    assert (config.data_dir / KEY_FILE).read_text() == key
    assert path.read_text() == before
    assert path.stat().st_mtime_ns == before_stat.st_mtime_ns
    assert again.credentials is not None
    assert again.credentials.apikey == json.loads(before)["apikey"]


def test_restart_without_credentials_file_leaves_it_missing(config: Config) -> None:
    prepare(config)
    (config.data_dir / CREDENTIALS_FILE).unlink()
    again = prepare(config)
    assert again.credentials is None
    assert not (config.data_dir / CREDENTIALS_FILE).exists()


def test_encryption_key_from_configuration_is_used_and_not_written(tmp_path: Path) -> None:
    key = new_encryption_key()
    with fresh_database(directory=tmp_path / "db") as db_url:
        config = Config(data_dir=tmp_path / "data", db_url=db_url, encryption_key=key)
        prepared = prepare(config)
    assert prepared.encryption_key == key
    assert not (tmp_path / "data" / KEY_FILE).exists()


def test_bad_encryption_key_is_a_configuration_error(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data", db_url="sqlite://", encryption_key="nope")
    with pytest.raises(ConfigError, match="not a valid encryption key"):
        prepare(config)


@pytest.mark.parametrize(
    ("bind", "endpoint"),
    [
        ("127.0.0.1:8080", "http://127.0.0.1:8080/client/api"),
        ("0.0.0.0:80", "http://127.0.0.1:80/client/api"),
        ("alto.example:8080", "http://alto.example:8080/client/api"),
        ("[::]:8080", "http://[::1]:8080/client/api"),
        ("[fe80::1]:8080", "http://[fe80::1]:8080/client/api"),
    ],
)
def test_endpoint_for_bind(tmp_path: Path, bind: str, endpoint: str) -> None:
    assert endpoint_for(Config(data_dir=tmp_path, db_url="sqlite://", bind=bind)) == endpoint


def test_the_banner_names_the_endpoint_and_the_web_console(config: Config) -> None:
    lines = banner(prepare(config)).splitlines()
    assert "  endpoint:    http://127.0.0.1:8123/client/api" in lines
    assert "  web console: http://127.0.0.1:8123/console/ (log in as admin, domain /)" in lines
