"""First-boot and every-boot setup: data directory, encryption key, schema, defaults.

`prepare` is idempotent: the first call creates the data directory (0700), the
encryption key, the schema, the default domain/roles/admin and the admin's credentials
file (0600); later calls migrate the schema if needed and create nothing twice.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from appliance.config import Config, ConfigError, env_name
from appliance.private_files import write_private

log = logging.getLogger(__name__)

KEY_FILE = "encryption.key"
NODE_FILE = "node-id"
CREDENTIALS_FILE = "admin-credentials.json"


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """The contents of `admin-credentials.json`: exactly these three keys."""

    endpoint: str
    apikey: str
    secretkey: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class Prepared:
    """What `prepare` found or made.

    `credentials` is what the credentials file holds (None if it does not exist, e.g. when
    another server sharing the database created the admin). `admin_password` is set only
    on the call that created the admin; it is stored nowhere else.
    """

    data_dir: Path
    db_url: str
    endpoint: str
    node: str
    encryption_key: str = field(repr=False)
    credentials_file: Path
    credentials: Credentials | None
    created_admin: bool
    admin_password: str | None = field(default=None, repr=False)
    demo_zone: str | None = None


def endpoint_for(config: Config) -> str:
    """The native API URL a client on this machine uses to reach `config.bind`."""
    host = config.host
    if host == "0.0.0.0":
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.port}/client/api"


def ensure_data_dir(config: Config) -> Path:
    """Create the data directory (mode 0700) if it is missing; an existing one is kept as is."""
    try:
        config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"{config.data_dir}: cannot create data directory: {exc.strerror}"
        ) from None
    return config.data_dir


def _check_key(key: str, *, where: str) -> str:
    from native.services.secrets import SecretBox

    try:
        SecretBox(key=key)
    except ValueError:
        raise ConfigError(f"{where}: not a valid encryption key") from None
    return key


def encryption_key(config: Config) -> str:
    """The key that encrypts API secret keys in the database.

    From `ALTO_ENCRYPTION_KEY` or the file's `encryption_key` when given (servers sharing
    a database must share it); otherwise `<data_dir>/encryption.key`, created on first use.
    """
    if config.encryption_key is not None:
        return _check_key(config.encryption_key, where=f"{env_name('encryption_key')} or config")
    from native.services.secrets import new_encryption_key

    path = config.data_dir / KEY_FILE
    if not path.exists():
        write_private(path, new_encryption_key() + "\n", replace=False)
    try:
        key = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read encryption key: {exc.strerror}") from None
    return _check_key(key, where=str(path))


def node_id(config: Config) -> str:
    """This installation's identity among management servers: `<data_dir>/node-id`."""
    path = config.data_dir / NODE_FILE
    write_private(path, str(uuid.uuid4()) + "\n", replace=False)
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read node id: {exc.strerror}") from None


def recover_previous_run(prepared: Prepared) -> int:
    """Fail the jobs this node's previous run left unfinished; how many. Call before serving."""
    from native.services.db import Database
    from native.services.jobs import fail_jobs_of_previous_run

    db = Database(url=prepared.db_url)
    try:
        with db.session() as session:
            return fail_jobs_of_previous_run(session, node=prepared.node)
    finally:
        db.dispose()


def upgrade_database(config: Config) -> None:
    """Bring the schema to the newest version (creating the SQLite file if needed)."""
    from native.model.migrate import upgrade

    ensure_data_dir(config)
    upgrade(url=config.db_url)


def read_credentials(path: Path) -> Credentials | None:
    """The credentials file's contents, or None if it does not exist or is not readable."""
    try:
        data = json.loads(path.read_text())
        return Credentials(
            endpoint=str(data["endpoint"]),
            apikey=str(data["apikey"]),
            secretkey=str(data["secretkey"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def prepare(config: Config) -> Prepared:
    """Make the data directory, key, schema and defaults ready; safe on every start.

    When this call creates the admin, `admin-credentials.json` is (over)written before the
    transaction commits, so a crash in between leaves no admin whose keys were never
    written. Otherwise the file is left exactly as it is. A data directory that an
    appliance image was built with gets this appliance's own secrets first (see
    `appliance.image_secrets`); the renewed admin's credentials are then written and
    returned as if this call had created the admin.
    """
    from appliance import image_secrets
    from native.services.db import Database
    from native.services.object_storage import ensure_default_pool
    from native.services.secrets import SecretBox
    from native.services.seed import ensure_defaults

    ensure_data_dir(config)
    key_change = image_secrets.pending_key_change(config)
    key = encryption_key(config)
    if key_change is not None:
        key = key_change.new_key
    node = node_id(config)
    upgrade_database(config)
    log.info("database schema is current")
    endpoint = endpoint_for(config)
    path = config.data_dir / CREDENTIALS_FILE
    db = Database(url=config.db_url)
    try:
        with db.session() as session:
            renewed = (
                None
                if key_change is None
                else image_secrets.replace_secrets(session, change=key_change)
            )
            created = ensure_defaults(session, secrets=SecretBox(key=key)) or renewed
            ensure_default_pool(session, root=config.data_dir / "objectstore")
            if created is not None:
                body = {
                    "endpoint": endpoint,
                    "apikey": created.apikey,
                    "secretkey": created.secretkey,
                }
                write_private(path, json.dumps(body, indent=2) + "\n", replace=True)
    finally:
        db.dispose()
    if key_change is not None:
        image_secrets.finish(key_change)
        log.info("the image's secrets are replaced by this appliance's own")
    log.info("defaults and the admin account are ready")
    demo_zone = _demo_zone(config, key=key, node=node) if config.demo_zone else None
    return Prepared(
        data_dir=config.data_dir,
        db_url=config.db_url,
        endpoint=endpoint,
        node=node,
        encryption_key=key,
        credentials_file=path,
        credentials=read_credentials(path),
        created_admin=created is not None,
        admin_password=created.password if created is not None else None,
        demo_zone=demo_zone,
    )


def _demo_zone(config: Config, *, key: str, node: str) -> str | None:
    """Build the demo zone if the database never had a zone; a line for the banner, or None."""
    from appliance.demo_zone import DemoZoneError, build_demo_zone, needs_demo_zone
    from native.drivers.catalog import DriverCatalog
    from native.services.db import Database
    from native.services.runtime import Runtime
    from native.services.secrets import SecretBox

    runtime = Runtime(
        db=Database(url=config.db_url),
        secrets=SecretBox(key=key),
        msid=str(uuid.uuid4()),
        node=node,
        region=config.region,
        drivers=DriverCatalog(
            state_dir=config.data_dir / "drivers",
            network_driver=config.network_driver,
            libvirt_domain_type=config.libvirt_domain_type,
        ),
    )
    try:
        if not needs_demo_zone(runtime):
            return None
        return f"built (zone id {build_demo_zone(runtime, data_dir=config.data_dir)})"
    except DemoZoneError as exc:
        return f"not built: {exc}"
    finally:
        runtime.db.dispose()


def banner(prepared: Prepared) -> str:
    """The lines printed at start: where to connect, with which keys, where data lives."""
    console = prepared.endpoint.removesuffix("/client/api") + "/console/"
    lines = [
        "Alto management server",
        f"  endpoint:    {prepared.endpoint}",
        f"  web console: {console} (log in as admin, domain /)",
    ]
    creds = prepared.credentials
    if creds is not None:
        lines += [
            f"  apikey:      {creds.apikey}",
            f"  secretkey:   {creds.secretkey}",
            f"  credentials: {prepared.credentials_file}",
        ]
    else:
        lines.append(
            f"  credentials: {prepared.credentials_file} is missing (the admin was created "
            "earlier or by another server sharing the database)"
        )
    if prepared.admin_password is not None:
        lines.append(f"  admin password (shown only now): {prepared.admin_password}")
    if prepared.demo_zone is not None:
        lines.append(f"  demo zone:   {prepared.demo_zone}")
    lines.append(f"  data dir:    {prepared.data_dir}")
    if not prepared.db_url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        lines.append(f"  database:    {make_url(prepared.db_url).render_as_string()}")
    return "\n".join(lines)
