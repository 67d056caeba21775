"""The simulated network driver under concurrent applies of one router."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from native.drivers.network.simulator import SimulatedNetworkDriver
from tests.native.drivers.network.cases import ISOLATED


def test_concurrent_applies_leave_the_newest_generation(tmp_path: Path) -> None:
    driver = SimulatedNetworkDriver(state_dir=tmp_path)
    configs = [dataclasses.replace(ISOLATED, generation=g) for g in range(1, 41)]

    def apply_and_read(index: int) -> int:
        driver.apply(configs[index])
        running = driver.current(ISOLATED.name)
        assert running is not None
        return running.generation

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(apply_and_read, range(len(configs))))

    assert all(generation >= 1 for generation in seen)
    final = driver.current(ISOLATED.name)
    assert final is not None and final.generation == 40
    assert final.files.keys() == driver.apply(configs[0]).files.keys()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{ISOLATED.name}.lock", ISOLATED.name]


def test_destroy_then_apply_starts_over(tmp_path: Path) -> None:
    driver = SimulatedNetworkDriver(state_dir=tmp_path)
    driver.apply(dataclasses.replace(ISOLATED, generation=5))
    driver.destroy(ISOLATED.name)
    assert driver.current(ISOLATED.name) is None
    assert driver.apply(dataclasses.replace(ISOLATED, generation=1)).generation == 1
