"""The `alto` command: `serve`, `init`, `db upgrade`, `status` and `api-docs`.

Exit status: 0 on success, 2 for a bad option or configuration (one line on stderr, no
traceback), 1 when the database cannot be reached or migrated. `status` reports a bad
configuration as a failed check instead, and exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from appliance.config import CLI_SETTINGS, LOG_LEVELS, Config, ConfigError, load_config

_HELP = {
    "bind": "address to listen on, HOST:PORT (default 127.0.0.1:8080)",
    "workers": "number of server processes (default 2)",
    "data_dir": "directory for the key, the credentials and the SQLite database (default ./data)",
    "db_url": "SQLAlchemy database URL (default sqlite:///<data-dir>/alto.db)",
    "region": "name of this region (default us-east-1)",
    "s3_domain": "S3 virtual-host domain: <bucket>.<domain> addresses a bucket (default localhost)",
    "job_workers": "async job threads per server process (default 4)",
    "log_level": f"one of {', '.join(LOG_LEVELS)} (default info)",
    "demo_zone": "true or false: on first start, build a small simulator zone (default true)",
    "network_driver": "simulated (routers' files only) or linux (routers run in network "
    "namespaces on this host, as root) (default simulated)",
    "libvirt_domain_type": "KVM hosts' guests: auto (KVM where a probe guest boots under it, "
    "else QEMU TCG), kvm or qemu (default auto)",
}
_DB_ONLY = ("data_dir", "db_url", "log_level")
_STATUS_SETTINGS = ("bind", "data_dir", "db_url")


def _add_settings(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    """One string option per setting; values are validated by `load_config`, not argparse."""
    parser.add_argument("--config", metavar="PATH", help="TOML configuration file")
    for name in names:
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, dest=name, metavar=name.upper(), help=_HELP[name])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alto", description="Alto cloud management server (CloudStack-compatible API)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="prepare the data directory and run the server")
    _add_settings(serve, CLI_SETTINGS)
    init = commands.add_parser("init", help="prepare the data directory and database, then exit")
    _add_settings(init, CLI_SETTINGS)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="migrate the schema to the newest version")
    _add_settings(upgrade, _DB_ONLY)
    commands.add_parser("api-docs", help="print the native API reference (Markdown)")
    _add_status_parser(commands)
    return parser


def _add_status_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from appliance.status import DEFAULT_UNITS

    status = commands.add_parser(
        "status", help="check the configuration, disk, services, database and API"
    )
    _add_settings(status, _STATUS_SETTINGS)
    status.add_argument(
        "--unit",
        action="append",
        metavar="UNIT",
        help=f"systemd unit to check, repeatable (default: {' '.join(DEFAULT_UNITS)})",
    )
    status.add_argument(
        "--timeout", type=float, default=5.0, metavar="SECONDS", help="per check (default 5)"
    )


def _configure_logging(config: Config) -> None:
    logging.basicConfig(
        level=config.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s",
    )
    if config.log_level != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _init(config: Config) -> int:
    from appliance.bootstrap import banner, prepare

    print(banner(prepare(config)), flush=True)
    return 0


def _serve(config: Config) -> int:
    from appliance.bootstrap import banner, prepare, recover_previous_run
    from appliance.server import serve

    prepared = prepare(config)
    print(banner(prepared), flush=True)
    failed = recover_previous_run(prepared)
    if failed:
        print(f"  {failed} job(s) left running by the previous run were failed", flush=True)
    serve(config=config, encryption_key=prepared.encryption_key, node=prepared.node)
    return 0


def _db_upgrade(config: Config) -> int:
    from appliance.bootstrap import upgrade_database

    upgrade_database(config)
    print(f"database schema is up to date: {_safe_url(config.db_url)}", flush=True)
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _api_docs(config: Config) -> int:
    import native.api.commands  # noqa: F401  (registers every command)
    from native.api.command import REGISTRY
    from native.api.docs import render_markdown

    sys.stdout.write(render_markdown(REGISTRY))
    return 0


_ACTIONS: dict[str, Callable[[Config], int]] = {
    "serve": _serve,
    "init": _init,
    "db upgrade": _db_upgrade,
    "api-docs": _api_docs,
}


def _fail(message: str, *, status: int) -> int:
    first_line = (message.strip().splitlines() or ["unknown error"])[0]
    print(f"alto: error: {first_line}", file=sys.stderr, flush=True)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `alto` command; returns the process exit status."""
    from sqlalchemy.exc import SQLAlchemyError

    from native.model.migrate import MigrationError

    args = build_parser().parse_args(argv)
    action = " ".join(part for part in (args.command, getattr(args, "db_command", None)) if part)
    options = {name: getattr(args, name, None) for name in (*CLI_SETTINGS, "config")}
    if action == "status":
        from appliance.status import DEFAULT_UNITS
        from appliance.status import main as status

        return status(options=options, units=args.unit or DEFAULT_UNITS, timeout=args.timeout)
    try:
        config = load_config(options=options, environ=os.environ, cwd=Path.cwd())
    except ConfigError as exc:
        return _fail(str(exc), status=2)
    _configure_logging(config)
    try:
        return _ACTIONS[action](config)
    except ConfigError as exc:
        return _fail(str(exc), status=2)
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        return _fail(f"database {_safe_url(config.db_url)}: {orig}", status=1)
    except MigrationError as exc:
        return _fail(f"migrations on {_safe_url(config.db_url)}: {exc}", status=1)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
