"""Replacing the secrets an appliance image was built with, on the appliance's first start.

The image build runs `alto init`, so the image carries a ready database: the schema, the
defaults, the admin account and the demo zone. Every copy of the image would then share
the build's encryption key and the admin's password and API keys. The build leaves the
marker `IMAGE_SECRETS_MARKER` in the data directory; while it is there, each start of
`prepare` does the following:

1. It takes the new key: the configured `encryption_key`, else `encryption.key.new`
   (made once, so a retry after a crash reuses it).
2. In one transaction:
   - every secret the image's key opens is sealed again under the new key;
   - every user whose API secret the image's key sealed gets a new key pair;
   - the default admin gets a new password.
   The caller writes the credentials file before the transaction commits.
3. `finish` puts the new key in place of the image's and removes the marker (with a
   configured key: removes the marker, then the image's key file).

If the database is not the image's (the operator pointed `db_url` elsewhere before the
first start), nothing in it opens with the image's key and nothing is changed; the image's
key is still replaced. A crash after the commit and before `finish` leaves the image's key
file in place; the next start finds nothing left to re-seal and finishes. The admin's
password of that first start is then lost, as it is whenever a start dies before printing
its banner; its API keys are in the credentials file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.bootstrap import KEY_FILE
from appliance.config import Config, ConfigError
from appliance.private_files import write_private
from native.drivers.durable_files import fsync_directory
from native.model import User
from native.services.key_rotation import reseal_all
from native.services.secrets import SecretBox, hash_password, new_encryption_key
from native.services.seed import ADMIN_NAME, AdminCredentials

IMAGE_SECRETS_MARKER = ".image-secrets"
NEW_KEY_FILE = "encryption.key.new"


@dataclass(frozen=True, kw_only=True)
class KeyChange:
    """A pending move from the image's key to this appliance's own."""

    data_dir: Path
    image_key: str = field(repr=False)
    new_key: str = field(repr=False)
    configured: bool


def pending_key_change(config: Config) -> KeyChange | None:
    """The key change to make, or None when the data directory has no image secrets.

    ConfigError when the marker is there but the image's key file is not readable.
    """
    if not (config.data_dir / IMAGE_SECRETS_MARKER).exists():
        return None
    path = config.data_dir / KEY_FILE
    try:
        image_key = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the image's encryption key: {exc.strerror}"
        ) from None
    if config.encryption_key is not None:
        return KeyChange(
            data_dir=config.data_dir,
            image_key=image_key,
            new_key=config.encryption_key,
            configured=True,
        )
    new_path = config.data_dir / NEW_KEY_FILE
    if not new_path.exists():
        write_private(new_path, new_encryption_key() + "\n", replace=True)
    return KeyChange(
        data_dir=config.data_dir,
        image_key=image_key,
        new_key=new_path.read_text().strip(),
        configured=False,
    )


def replace_secrets(session: Session, *, change: KeyChange) -> AdminCredentials | None:
    """Re-seal the image's secrets and renew its users' credentials (step 2 above).

    Returns the default admin's new credentials, or None when the admin's keys were not
    sealed with the image's key (the database is not the image's, or this already ran).
    """
    image, new = SecretBox(key=change.image_key), SecretBox(key=change.new_key)
    renewed = [user for user in session.scalars(select(User)) if _sealed_by(image, user)]
    reseal_all(session, old=image, new=new)
    admin_credentials = None
    for user in renewed:
        credentials = AdminCredentials.fresh()
        user.api_key = credentials.apikey
        user.secret_key = new.seal(credentials.secretkey)
        if user.username == ADMIN_NAME and user.is_default:
            user.password_hash = hash_password(credentials.password)
            admin_credentials = credentials
    session.flush()
    return admin_credentials


def finish(change: KeyChange) -> None:
    """Put the new key in place of the image's and remove the marker (step 3 above).

    Crash-safe in either order of events: with a configured key the marker goes first (a
    crash then leaves only an unused key file); else the new key goes first (a crash then
    leaves the marker, and the next start moves everything to yet another key)."""
    key_path, marker = change.data_dir / KEY_FILE, change.data_dir / IMAGE_SECRETS_MARKER
    if change.configured:
        marker.unlink()
        fsync_directory(change.data_dir)
        key_path.unlink(missing_ok=True)
    else:
        os.replace(change.data_dir / NEW_KEY_FILE, key_path)
        fsync_directory(change.data_dir)
        marker.unlink()
    fsync_directory(change.data_dir)


def _sealed_by(box: SecretBox, user: User) -> bool:
    if user.secret_key is None:
        return False
    try:
        box.open(user.secret_key)
    except ValueError:
        return False
    return True
