"""Host and pool capacity: conditional updates are exact, even under concurrent reservations."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event

from native.model import Cluster, Host, Pod, StoragePool, Zone
from native.services import capacity
from native.services.runtime import Runtime
from tests.native.services.conftest import make_runtime

MIB = 1024 * 1024


def _host_and_pool(runtime: Runtime) -> tuple[int, int]:
    with runtime.db.session() as session:
        zone = Zone(name="z", network_type="Advanced")
        session.add(zone)
        session.flush()
        pod = Pod(name="p", zone_id=zone.id)
        session.add(pod)
        session.flush()
        cluster = Cluster(name="c", zone_id=zone.id, pod_id=pod.id, hypervisor_type="Simulator")
        session.add(cluster)
        session.flush()
        host = Host(
            name="h",
            guid="g",
            zone_id=zone.id,
            pod_id=pod.id,
            cluster_id=cluster.id,
            hypervisor_type="Simulator",
            url="simulator://h",
            cpu_number=4,
            cpu_speed=1000,
            memory_total=4096 * MIB,
        )
        pool = StoragePool(
            name="s",
            zone_id=zone.id,
            scope="ZONE",
            url="file:///x",
            pool_type="Filesystem",
            path="/x",
            capacity_bytes=1000,
        )
        session.add_all([host, pool])
        session.flush()
        return host.id, pool.id


def test_reservations_stop_at_the_overprovisioned_limit(database_url: str) -> None:
    runtime = make_runtime(database_url, msid="ms-1")
    host_id, pool_id = _host_and_pool(runtime)
    with runtime.db.session() as session:
        host = session.get(Host, host_id)
        assert host is not None
        assert capacity.reserve_host(
            session, runtime.settings, host=host, cpu=3000, memory_mib=1024
        )
        assert not capacity.reserve_host(
            session, runtime.settings, host=host, cpu=1001, memory_mib=1
        )
        runtime.settings.set(
            session, "cpu.overprovisioning.factor", "2", scope="cluster", scope_id=host.cluster_id
        )
        assert capacity.reserve_host(session, runtime.settings, host=host, cpu=1001, memory_mib=1)
        assert (host.cpu_used, host.memory_used) == (4001, 1025 * MIB)
        capacity.release_host(session, host_id=host.id, cpu=9999, memory_mib=1)
        session.refresh(host)
        assert (host.cpu_used, host.memory_used) == (0, 1024 * MIB)

        pool = session.get(StoragePool, pool_id)
        assert pool is not None
        assert capacity.reserve_pool(session, runtime.settings, pool=pool, size=2000)
        assert not capacity.reserve_pool(session, runtime.settings, pool=pool, size=1)
        capacity.release_pool(session, pool_id=pool.id, size=500)
        session.refresh(pool)
        assert pool.used_bytes == 1500


def test_racing_reservations_for_the_last_slot_admit_exactly_one(database_url: str) -> None:
    setup = make_runtime(database_url, msid="ms-0")
    host_id, _ = _host_and_pool(setup)
    setup.db.dispose()
    runtimes = [make_runtime(database_url, msid=f"ms-{n}") for n in range(6)]
    barrier = threading.Barrier(len(runtimes))
    outcomes: list[bool] = []

    def reserve(runtime: Runtime) -> None:
        barrier.wait()
        with runtime.db.session() as session:
            host = session.get(Host, host_id)
            assert host is not None
            outcomes.append(
                capacity.reserve_host(
                    session, runtime.settings, host=host, cpu=2500, memory_mib=512
                )
            )

    threads = [threading.Thread(target=reserve, args=(runtime,)) for runtime in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * 5 + [True]
    with runtimes[0].db.session(write=False) as session:
        host = session.get(Host, host_id)
        assert host is not None and host.cpu_used == 2500
    for runtime in runtimes:
        runtime.db.dispose()


def test_a_factor_memo_reads_a_clusters_factors_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(database_url, msid="ms-1")
    host_id, _pool_id = _host_and_pool(runtime)
    reads: list[str] = []
    real_get = runtime.settings.get

    def counted(session: Any, name: str, **scope: Any) -> Any:
        reads.append(name)
        return real_get(session, name, **scope)

    monkeypatch.setattr(runtime.settings, "get", counted)
    with runtime.db.session() as session:
        host = session.get(Host, host_id)
        assert host is not None
        runtime.settings.set(
            session, "cpu.overprovisioning.factor", "3", scope="cluster", scope_id=host.cluster_id
        )
        memo: capacity.FactorMemo = {}
        limits = [capacity.host_limits(session, runtime.settings, host, memo=memo) for _ in "abc"]
        assert limits == [capacity.HostLimits(cpu=12000, memory=4096 * MIB)] * 3
        assert len(reads) == 2
        capacity.host_limits(session, runtime.settings, host)
        assert len(reads) == 4


def test_factors_of_many_clusters_and_pools_come_from_their_own_scope_or_the_global_value(
    database_url: str,
) -> None:
    runtime = make_runtime(database_url, msid="ms-1")
    host_id, pool_id = _host_and_pool(runtime)
    statements: list[str] = []
    event.listen(
        runtime.db.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
    )
    with runtime.db.session() as session:
        host = session.get(Host, host_id)
        pool = session.get(StoragePool, pool_id)
        assert host is not None and pool is not None
        settings = runtime.settings
        settings.set(
            session, "cpu.overprovisioning.factor", "3", scope="cluster", scope_id=host.cluster_id
        )
        settings.set(session, "mem.overprovisioning.factor", "1.5")
        settings.set(
            session, "storage.overprovisioning.factor", "4", scope="storagepool", scope_id=pool.id
        )
        session.flush()
        other = host.cluster_id + 1000
        statements.clear()
        factors = capacity.cluster_factors(session, settings, cluster_ids={host.cluster_id, other})
        assert factors == {host.cluster_id: (3.0, 1.5), other: (1.0, 1.5)}
        assert len(statements) == 4
        assert capacity.host_limits(session, settings, host, memo=factors) == capacity.host_limits(
            session, settings, host
        )
        statements.clear()
        assert capacity.pool_limits(session, settings, [pool]) == {pool.id: 4000}
        assert len(statements) == 2
        assert capacity.pool_limits(session, settings, [pool])[pool.id] == capacity.pool_limit(
            session, settings, pool
        )
