"""The process-wide services a running command may use."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from native.drivers.catalog import DriverCatalog
from native.services.db import Database
from native.services.secrets import SecretBox
from native.services.settings import Settings, core_settings

VERSION = "4.19.1.0"


@dataclass(kw_only=True)
class Runtime:
    """One per management server process.

    `msid` identifies this process to other management servers sharing the database, and
    `node` the installation it belongs to; `wake_jobs` nudges the local job workers after a
    job is queued. `drivers` reach hypervisors and storage (by default with their state in
    a fresh temporary directory; servers pass one under their data directory).
    """

    db: Database
    secrets: SecretBox
    msid: str
    node: str = ""
    region: str = "us-east-1"
    settings: Settings = field(default_factory=core_settings)
    version: str = VERSION
    wake_jobs: Callable[[], None] = lambda: None
    drivers: DriverCatalog = field(
        default_factory=lambda: DriverCatalog(state_dir=Path(tempfile.mkdtemp(prefix="alto-")))
    )
