"""The simulated network driver: routers whose configuration lives in files, not in a kernel.

`apply` renders the router's real configuration files and swaps them into
`<state_dir>/<router name>/` in one rename, with `applied.json` recording the generation,
so what the "router runs" is exactly what a Linux router would be given. Each router's
files are guarded by an advisory lock (`<state_dir>/.<router name>.lock`), so concurrent
applies from threads or processes take turns and the newest generation wins. Faults are
injected through `<state_dir>/faults.json`: `{"apply": 0.5}` makes half of the applies
fail (`1` every one), `{"apply": 1, "router": "r-5-VM"}` only those of one router.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from native.drivers.file_locks import file_lock
from native.drivers.network.base import (
    AppliedConfig,
    NetworkDriver,
    NetworkDriverError,
    RouterConfig,
)
from native.drivers.network.render import render_all

APPLIED = "applied.json"


class SimulatedNetworkDriver(NetworkDriver):
    """Keeps each router's rendered configuration under `state_dir`."""

    name = "simulator"
    capabilities: ClassVar[dict[str, bool]] = {
        "nftables": True,
        "dhcp": True,
        "lb": True,
        "vpn": True,
    }

    def __init__(self, *, state_dir: Path) -> None:
        self.state_dir = state_dir

    def _router_dir(self, router_name: str) -> Path:
        if not router_name or "/" in router_name or router_name.startswith("."):
            raise NetworkDriverError(f"Invalid router name {router_name!r}")
        return self.state_dir / router_name

    @contextlib.contextmanager
    def _locked(self, router_name: str, *, exclusive: bool) -> Iterator[Path]:
        target = self._router_dir(router_name)
        with file_lock(self.state_dir / f".{router_name}.lock", exclusive=exclusive):
            yield target

    def _should_fail(self, operation: str, router_name: str) -> bool:
        try:
            faults = json.loads((self.state_dir / "faults.json").read_text())
        except (FileNotFoundError, ValueError):
            return False
        if faults.get("router") not in (None, router_name):
            return False
        return random.random() < float(faults.get(operation, 0))

    def apply(self, config: RouterConfig) -> AppliedConfig:
        with self._locked(config.name, exclusive=True) as target:
            if self._should_fail("apply", config.name):
                raise NetworkDriverError(f"Simulated failure applying {config.name}")
            generation = self._generation(target)
            if generation is not None and generation >= config.generation:
                running = self._read(target)
                assert running is not None
                return running
            files = render_all(config)
            staging = Path(tempfile.mkdtemp(prefix=f".{config.name}.", dir=self.state_dir))
            for name, text in files.items():
                (staging / name).write_text(text)
            (staging / APPLIED).write_text(json.dumps({"generation": config.generation}))
            retired = self.state_dir / f".{config.name}.retired"
            shutil.rmtree(retired, ignore_errors=True)
            if target.exists():
                os.rename(target, retired)
            os.rename(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
            return AppliedConfig(generation=config.generation, files=files)

    def current(self, router_name: str) -> AppliedConfig | None:
        with self._locked(router_name, exclusive=False) as target:
            return self._read(target)

    @staticmethod
    def _generation(target: Path) -> int | None:
        try:
            return int(json.loads((target / APPLIED).read_text())["generation"])
        except FileNotFoundError:
            return None

    @classmethod
    def _read(cls, target: Path) -> AppliedConfig | None:
        generation = cls._generation(target)
        if generation is None:
            return None
        files = {
            path.name: path.read_text() for path in sorted(target.iterdir()) if path.name != APPLIED
        }
        return AppliedConfig(generation=generation, files=files)

    def destroy(self, router_name: str) -> None:
        with self._locked(router_name, exclusive=True) as target:
            shutil.rmtree(target, ignore_errors=True)
