"""The appliance's settings and where they come from.

Precedence, highest first: command-line option > environment variable (`ALTO_<NAME>`)
> configuration file (TOML) > built-in default. The file is `--config PATH`, else
`$ALTO_CONFIG`, else the first of `/etc/alto/alto.conf` (the appliance's) and
`/etc/alto/alto.toml` that exists. Its keys are the setting
names below (`bind = "0.0.0.0:8080"`). Relative paths are taken from the current
directory. Every problem is reported as one `ConfigError` whose message is a single line.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

DEFAULT_CONFIG_FILES = (Path("/etc/alto/alto.conf"), Path("/etc/alto/alto.toml"))
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
NETWORK_DRIVERS = ("simulated", "linux")
LIBVIRT_DOMAIN_TYPES = ("auto", "kvm", "qemu")
ENV_PREFIX = "ALTO_"


class ConfigError(Exception):
    """A setting is unknown or malformed. The message is one line, fit to show the user."""


@dataclass(frozen=True, kw_only=True)
class Config:
    """The settings of one management server, validated and with defaults filled in.

    `data_dir` is absolute. `encryption_key` is None unless given by the environment or
    the file; the bootstrap then keeps one in `<data_dir>/encryption.key`.
    """

    bind: str = "127.0.0.1:8080"
    workers: int = 2
    data_dir: Path
    db_url: str
    region: str = "us-east-1"
    s3_domain: str = "localhost"
    job_workers: int = 4
    log_level: str = "info"
    demo_zone: bool = True
    network_driver: str = "simulated"
    libvirt_domain_type: str = "auto"
    encryption_key: str | None = field(default=None, repr=False)
    config_file: Path | None = None

    @property
    def host(self) -> str:
        """The host part of `bind`, without IPv6 brackets."""
        return split_bind(self.bind)[0]

    @property
    def port(self) -> int:
        return split_bind(self.bind)[1]


def split_bind(bind: str) -> tuple[str, int]:
    """`"host:port"` or `"[v6addr]:port"` as (host, port); ValueError if malformed."""
    host, sep, port_text = bind.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise ValueError(bind)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(bind)
    port = int(port_text)
    if not host or not 0 < port < 65536:
        raise ValueError(bind)
    return host, port


_DEFAULT = Config(data_dir=Path("data"), db_url="")
T = TypeVar("T")

# -- validators: (raw value, where it came from) -> typed value ------------------------

Validator = Callable[[object, str], object]


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
    return value.strip()


def _positive_int(value: object, where: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected a positive integer, got {value!r}")
    return value


def _bind(value: object, where: str) -> str:
    text = _text(value, where)
    try:
        split_bind(text)
    except ValueError:
        raise ConfigError(
            f"{where}: expected HOST:PORT (e.g. 0.0.0.0:8080), got {text!r}"
        ) from None
    return text


def _log_level(value: object, where: str) -> str:
    text = _text(value, where).lower()
    if text not in LOG_LEVELS:
        raise ConfigError(f"{where}: expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return text


def _network_driver(value: object, where: str) -> str:
    text = _text(value, where).lower()
    if text not in NETWORK_DRIVERS:
        raise ConfigError(f"{where}: expected one of {', '.join(NETWORK_DRIVERS)}, got {value!r}")
    return text


def _libvirt_domain_type(value: object, where: str) -> str:
    text = _text(value, where).lower()
    if text not in LIBVIRT_DOMAIN_TYPES:
        raise ConfigError(
            f"{where}: expected one of {', '.join(LIBVIRT_DOMAIN_TYPES)}, got {value!r}"
        )
    return text


def _db_url(value: object, where: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = _text(value, where)
    try:
        make_url(text)
    except ArgumentError:
        raise ConfigError(f"{where}: not a database URL: {text!r}") from None
    return text


def _boolean(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise ConfigError(f"{where}: expected true or false, got {value!r}")


def _optional_text(value: object, where: str) -> str | None:
    return _text(value, where)


_VALIDATORS: dict[str, Validator] = {
    "bind": _bind,
    "workers": _positive_int,
    "data_dir": _text,
    "db_url": _db_url,
    "region": _text,
    "s3_domain": _text,
    "job_workers": _positive_int,
    "log_level": _log_level,
    "demo_zone": _boolean,
    "network_driver": _network_driver,
    "libvirt_domain_type": _libvirt_domain_type,
    "encryption_key": _text,
}
#: Settings that may be given on the command line (the key is only read from env or file).
CLI_SETTINGS = tuple(name for name in _VALIDATORS if name != "encryption_key")


def env_name(setting: str) -> str:
    """The environment variable of a setting: `data_dir` -> `ALTO_DATA_DIR`."""
    return ENV_PREFIX + setting.upper()


def _read_file(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    unknown = sorted(set(data) - set(_VALIDATORS))
    if unknown:
        known = ", ".join(_VALIDATORS)
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (known keys: {known})")
    return data


def _config_file(
    *, option: str | None, environ: Mapping[str, str], cwd: Path, defaults: tuple[Path, ...]
) -> Path | None:
    chosen = option or environ.get(env_name("config")) or None
    if chosen is not None:
        return cwd / Path(chosen).expanduser()
    return next((path for path in defaults if path.is_file()), None)


def load_config(
    *,
    options: Mapping[str, str | None],
    environ: Mapping[str, str],
    cwd: Path,
    default_file: Path | tuple[Path, ...] = DEFAULT_CONFIG_FILES,
) -> Config:
    """Merge options, environment, file and defaults into a validated `Config`.

    `options` maps setting names (and `config`, the file path) to command-line values,
    None where the option was not given. Without a `config` option or `ALTO_CONFIG`, the
    first existing file of `default_file` is read. Raises `ConfigError` for any bad value.
    """
    defaults = default_file if isinstance(default_file, tuple) else (default_file,)
    file = _config_file(option=options.get("config"), environ=environ, cwd=cwd, defaults=defaults)
    raw: dict[str, tuple[object, str]] = {}
    if file is not None:
        for key, value in _read_file(file).items():
            raw[key] = (value, f"{file}: {key}")
    for name in _VALIDATORS:
        if environ.get(env_name(name)):
            raw[name] = (environ[env_name(name)], env_name(name))
        if options.get(name) is not None:
            raw[name] = (options[name], "--" + name.replace("_", "-"))

    def pick(name: str, validate: Callable[[object, str], T], default: T) -> T:
        return validate(*raw[name]) if name in raw else default

    data_dir = cwd / Path(pick("data_dir", _text, "data")).expanduser()
    data_dir = Path(os.path.normpath(data_dir))
    return Config(
        bind=pick("bind", _bind, _DEFAULT.bind),
        workers=pick("workers", _positive_int, _DEFAULT.workers),
        data_dir=data_dir,
        db_url=pick("db_url", _db_url, f"sqlite:///{data_dir / 'alto.db'}"),
        region=pick("region", _text, _DEFAULT.region),
        s3_domain=pick("s3_domain", _text, _DEFAULT.s3_domain),
        job_workers=pick("job_workers", _positive_int, _DEFAULT.job_workers),
        log_level=pick("log_level", _log_level, _DEFAULT.log_level),
        demo_zone=pick("demo_zone", _boolean, _DEFAULT.demo_zone),
        network_driver=pick("network_driver", _network_driver, _DEFAULT.network_driver),
        libvirt_domain_type=pick(
            "libvirt_domain_type", _libvirt_domain_type, _DEFAULT.libvirt_domain_type
        ),
        encryption_key=pick("encryption_key", _optional_text, None),
        config_file=file,
    )
