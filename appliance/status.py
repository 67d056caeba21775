"""`alto status`: is this management server healthy?

Checks, in order: the configuration, the free space where the data lives, the systemd units
(skipped where systemd is not running), the database (reachable, schema at the newest
migration) and the API (an HTTP answer from `/client/api`). One line per check,
`<state> <check> <detail>` with state `ok`, `FAIL` or `skip`; the exit status is 0 only
when no check failed. A check never hangs longer than its timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from appliance.config import Config, ConfigError, load_config

#: The appliance's units, in start order; one not installed on this machine is skipped.
DEFAULT_UNITS = ("mariadb.service", "alto-firstboot.service", "alto.service")
MIN_FREE_MIB = 256
OK, FAIL, SKIP = "ok", "FAIL", "skip"


@dataclass(frozen=True, kw_only=True)
class Check:
    """The outcome of one check: `state` is OK, FAIL or SKIP; `detail` is one line."""

    name: str
    state: str
    detail: str

    def line(self) -> str:
        return f"{self.state:<4}  {self.name:<22}  {self.detail}"


def check_config(
    *, options: Mapping[str, str | None], environ: Mapping[str, str], cwd: Path
) -> tuple[Check, Config | None]:
    """Load the configuration as `alto serve` would; the config is None when it is bad."""
    try:
        config = load_config(options=options, environ=environ, cwd=cwd)
    except ConfigError as exc:
        return Check(name="config", state=FAIL, detail=str(exc)), None
    where = str(config.config_file) if config.config_file else "defaults (no configuration file)"
    return Check(name="config", state=OK, detail=where), config


def check_disk(*, path: Path, min_free_mib: int = MIN_FREE_MIB) -> Check:
    """Free space on the filesystem holding `path` (or its nearest existing parent)."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    usage = shutil.disk_usage(existing)
    free_mib = usage.free // 2**20
    detail = f"{path}: {free_mib} MiB free of {usage.total // 2**20} MiB"
    if free_mib < min_free_mib:
        return Check(name="disk", state=FAIL, detail=f"{detail} (full: below {min_free_mib} MiB)")
    return Check(name="disk", state=OK, detail=detail)


def systemd_running() -> bool:
    """True when systemd is the init system (sd_booted's test)."""
    return Path("/run/systemd/system").is_dir()


def _unit_check(unit: str, props: Mapping[str, str]) -> Check:
    active, result = props.get("ActiveState", ""), props.get("Result", "")
    state = f"{active} ({props.get('SubState', '')})"
    if props.get("LoadState") == "not-found":
        return Check(name=unit, state=SKIP, detail="not installed here")
    if active == "active":
        return Check(name=unit, state=OK, detail=state)
    if active == "inactive" and props.get("Type") == "oneshot" and result == "success":
        return Check(name=unit, state=OK, detail="done")
    hint = f"see: journalctl -u {unit}"
    if active in ("activating", "reloading"):
        return Check(name=unit, state=FAIL, detail=f"still starting: {state}; {hint}")
    return Check(name=unit, state=FAIL, detail=f"not running: {state}, result {result}; {hint}")


def check_units(*, units: Sequence[str], timeout: float) -> list[Check]:
    """One check per systemd unit; a single SKIP when systemd is not the init system."""
    if not systemd_running() or shutil.which("systemctl") is None:
        return [Check(name="services", state=SKIP, detail="systemd is not running here")]
    checks = []
    for unit in units:
        try:
            shown = subprocess.run(
                ["systemctl", "show", "--property=LoadState,ActiveState,SubState,Result,Type",
                 unit],
                capture_output=True, text=True, timeout=timeout, check=True,
            ).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            checks.append(Check(name=unit, state=FAIL, detail=f"systemctl show failed: {exc}"))
            continue
        props = dict(line.partition("=")[::2] for line in shown.splitlines())
        checks.append(_unit_check(unit, props))
    return checks


def check_database(*, db_url: str, timeout: float) -> Check:
    """Connect to the database and compare its schema revision with the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from native.model.migrate import alembic_config

    url = make_url(db_url)
    shown = url.render_as_string(hide_password=True)
    if url.drivername.startswith("sqlite"):
        if url.database and not Path(url.database).is_file():
            return Check(name="database", state=FAIL, detail=f"{shown}: no such file")
        connect_args: dict[str, object] = {"timeout": timeout}
    else:
        connect_args = {"connect_timeout": max(1, round(timeout))}
    engine = create_engine(url, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return Check(name="database", state=FAIL, detail=f"{shown}: {reason}")
    finally:
        engine.dispose()
    heads = set(ScriptDirectory.from_config(alembic_config(url=db_url)).get_heads())
    if current != heads:
        have = ", ".join(sorted(current)) or "empty"
        return Check(
            name="database",
            state=FAIL,
            detail=f"{shown}: schema at {have}, newest is {', '.join(sorted(heads))}; "
            "run: alto db upgrade",
        )
    return Check(name="database", state=OK, detail=f"{shown}: schema at {', '.join(heads)}")


def check_api(*, endpoint: str, timeout: float) -> Check:
    """An unsigned `listCapabilities`: a 401 or a CloudStack response envelope means it serves."""
    url = f"{endpoint}?command=listCapabilities&response=json"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, body = response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(65536)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Check(name="api", state=FAIL, detail=f"{endpoint}: no answer ({reason})")
    if status == 401 or _is_envelope(body):
        return Check(name="api", state=OK, detail=f"{endpoint} answers (HTTP {status})")
    return Check(name="api", state=FAIL, detail=f"{endpoint}: unexpected HTTP {status}")


def _is_envelope(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and any(key.endswith("response") for key in data)


def run_status(
    *,
    options: Mapping[str, str | None],
    environ: Mapping[str, str],
    cwd: Path,
    units: Sequence[str],
    timeout: float,
) -> list[Check]:
    """Every check, in order; the database and API are skipped when the config is bad."""
    from appliance.bootstrap import endpoint_for

    config_check, config = check_config(options=options, environ=environ, cwd=cwd)
    checks = [config_check]
    checks.append(check_disk(path=config.data_dir if config else Path("/")))
    checks += check_units(units=units, timeout=timeout)
    if config is None:
        for name in ("database", "api"):
            checks.append(Check(name=name, state=SKIP, detail="no valid configuration"))
        return checks
    checks.append(check_database(db_url=config.db_url, timeout=timeout))
    checks.append(check_api(endpoint=endpoint_for(config), timeout=timeout))
    return checks


def main(*, options: Mapping[str, str | None], units: Sequence[str], timeout: float) -> int:
    """Print one line per check; 0 when none failed, else 1."""
    checks = run_status(
        options=options, environ=os.environ, cwd=Path.cwd(), units=units, timeout=timeout
    )
    for check in checks:
        print(check.line(), flush=True)
    return 1 if any(check.state == FAIL for check in checks) else 0
