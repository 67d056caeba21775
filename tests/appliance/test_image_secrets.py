"""An image's build-time secrets are replaced on the appliance's first start."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cs import CloudStackApiException
from sqlalchemy import String, select

from appliance.bootstrap import CREDENTIALS_FILE, KEY_FILE, NODE_FILE, prepare
from appliance.config import Config, ConfigError
from appliance.image_secrets import (
    IMAGE_SECRETS_MARKER,
    NEW_KEY_FILE,
    pending_key_change,
    replace_secrets,
)
from native.model import Host, User
from native.model.base import Base
from native.services.db import Database
from native.services.secrets import SecretBox, new_encryption_key, verify_password
from tests.support.databases import fresh_database
from tests.support.server import ServerFactory

TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_-]+=*")


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Config]:
    with fresh_database(directory=tmp_path / "db") as db_url:
        yield Config(data_dir=tmp_path / "data", db_url=db_url, demo_zone=True)


def build_image(config: Config) -> tuple[str, dict[str, str]]:
    """What image/build does: `alto init`, then it keeps the key and marks the secrets.

    Returns the image's key and the build's credentials file contents."""
    built = prepare(config)
    assert not config.demo_zone or str(built.demo_zone).startswith("built")
    credentials = json.loads((config.data_dir / CREDENTIALS_FILE).read_text())
    (config.data_dir / CREDENTIALS_FILE).unlink()
    (config.data_dir / NODE_FILE).unlink()
    (config.data_dir / IMAGE_SECRETS_MARKER).touch()
    return (config.data_dir / KEY_FILE).read_text().strip(), credentials


def stored_tokens(db_url: str) -> list[str]:
    """Every sealed value in the database, wherever it is."""
    database = Database(url=db_url)
    found: list[str] = []
    try:
        with database.session(write=False) as session:
            for table in Base.metadata.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, String)]
                if not columns:
                    continue
                for row in session.execute(select(*columns)):
                    found += [t for v in row if isinstance(v, str) for t in TOKEN.findall(v)]
    finally:
        database.dispose()
    return found


def opens(key: str, token: str) -> bool:
    try:
        SecretBox(key=key).open(token)
    except ValueError:
        return False
    return True


def admin_user(db_url: str) -> User:
    database = Database(url=db_url)
    try:
        with database.session(write=False) as session:
            return session.scalars(select(User).where(User.username == "admin")).one()
    finally:
        database.dispose()


def test_first_start_replaces_every_secret_of_the_image(config: Config) -> None:
    image_key, image_credentials = build_image(config)
    image_password_hash = admin_user(config.db_url).password_hash

    prepared = prepare(config)

    key = (config.data_dir / KEY_FILE).read_text().strip()
    assert key != image_key and prepared.encryption_key == key
    assert not (config.data_dir / IMAGE_SECRETS_MARKER).exists()
    assert not (config.data_dir / NEW_KEY_FILE).exists()
    tokens = stored_tokens(config.db_url)
    assert len(tokens) > 4  # the admin's secret key and the demo zone's host passwords
    assert all(opens(key, token) and not opens(image_key, token) for token in tokens)
    credentials = json.loads((config.data_dir / CREDENTIALS_FILE).read_text())
    assert credentials["apikey"] != image_credentials["apikey"]
    assert credentials["secretkey"] != image_credentials["secretkey"]
    assert prepared.created_admin and prepared.admin_password
    admin = admin_user(config.db_url)
    assert admin.api_key == credentials["apikey"]
    assert SecretBox(key=key).open(str(admin.secret_key)) == credentials["secretkey"]
    assert admin.password_hash != image_password_hash
    assert verify_password(prepared.admin_password, admin.password_hash)
    assert (config.data_dir / NODE_FILE).exists()


def test_the_demo_zone_keeps_working_under_the_new_key(config: Config) -> None:
    build_image(config)
    prepare(config)
    database = Database(url=config.db_url)
    key = (config.data_dir / KEY_FILE).read_text().strip()
    try:
        with database.session(write=False) as session:
            passwords = session.scalars(select(Host.password)).all()
    finally:
        database.dispose()
    assert passwords and {SecretBox(key=key).open(str(p)) for p in passwords} == {"simulator"}


def test_later_starts_change_nothing(config: Config) -> None:
    build_image(config)
    first = prepare(config)

    again = prepare(config)

    assert again.encryption_key == first.encryption_key
    assert not again.created_admin and again.admin_password is None
    assert again.credentials == first.credentials


def test_a_crash_after_the_commit_is_finished_by_the_next_start(config: Config) -> None:
    image_key, _ = build_image(config)
    change = pending_key_change(config)
    assert change is not None
    database = Database(url=config.db_url)
    try:
        with database.session() as session:
            assert replace_secrets(session, change=change) is not None
    finally:
        database.dispose()

    prepared = prepare(config)

    assert prepared.encryption_key == change.new_key
    assert (config.data_dir / KEY_FILE).read_text().strip() == change.new_key
    assert not (config.data_dir / IMAGE_SECRETS_MARKER).exists()
    assert all(opens(change.new_key, t) for t in stored_tokens(config.db_url))
    assert not any(opens(image_key, t) for t in stored_tokens(config.db_url))


def test_a_crash_after_the_key_swap_moves_everything_to_yet_another_key(config: Config) -> None:
    image_key, _ = build_image(config)
    change = pending_key_change(config)
    assert change is not None
    database = Database(url=config.db_url)
    try:
        with database.session() as session:
            replace_secrets(session, change=change)
    finally:
        database.dispose()
    (config.data_dir / NEW_KEY_FILE).replace(config.data_dir / KEY_FILE)  # then the crash

    prepared = prepare(config)

    assert prepared.encryption_key not in (image_key, change.new_key)
    assert prepared.created_admin and prepared.admin_password
    assert not (config.data_dir / IMAGE_SECRETS_MARKER).exists()
    assert all(opens(prepared.encryption_key, t) for t in stored_tokens(config.db_url))
    admin = admin_user(config.db_url)
    assert prepared.credentials is not None and admin.api_key == prepared.credentials.apikey


def test_a_database_that_is_not_the_images_gets_a_new_admin(tmp_path: Path) -> None:
    with fresh_database(directory=tmp_path / "image-db") as image_db:
        image = Config(data_dir=tmp_path / "data", db_url=image_db, demo_zone=False)
        image_key, image_credentials = build_image(image)
        with fresh_database(directory=tmp_path / "own-db") as own_db:
            own = Config(data_dir=tmp_path / "data", db_url=own_db, demo_zone=False)
            prepared = prepare(own)
            assert prepared.created_admin
            assert prepared.credentials is not None
            assert prepared.credentials.apikey != image_credentials["apikey"]
            assert prepared.encryption_key != image_key
            assert not (own.data_dir / IMAGE_SECRETS_MARKER).exists()


def test_a_configured_key_replaces_the_images_key_file(tmp_path: Path) -> None:
    key = new_encryption_key()
    with fresh_database(directory=tmp_path / "db") as db_url:
        image = Config(data_dir=tmp_path / "data", db_url=db_url, demo_zone=False)
        image_key, _ = build_image(image)
        configured = Config(
            data_dir=tmp_path / "data", db_url=db_url, demo_zone=False, encryption_key=key
        )
        prepared = prepare(configured)
        assert prepared.encryption_key == key and prepared.created_admin
        assert not (configured.data_dir / KEY_FILE).exists()
        tokens = stored_tokens(db_url)
        assert tokens and all(opens(key, t) and not opens(image_key, t) for t in tokens)


def test_a_marker_without_the_images_key_is_a_configuration_error(config: Config) -> None:
    build_image(config)
    (config.data_dir / KEY_FILE).unlink()
    with pytest.raises(ConfigError, match="cannot read the image's encryption key"):
        prepare(config)


def test_a_real_client_uses_the_new_keys_and_not_the_images(
    start_alto_server: ServerFactory,
) -> None:
    server = start_alto_server()
    image_client = server.client()
    server.stop()
    server.credentials_file.unlink()
    (server.data_dir / NODE_FILE).unlink()
    (server.data_dir / IMAGE_SECRETS_MARKER).touch()

    server.start()

    assert server.client().listApis()["count"] > 0
    with pytest.raises(CloudStackApiException) as refused:
        image_client.listApis()
    assert refused.value.error["errorcode"] == 401
    assert server.output().count("admin password (shown only now)") == 2
