"""Several management servers on one database, and recovery from one that died mid-job."""

from __future__ import annotations

import json
import os
import shutil
import signal
import uuid
from pathlib import Path

from sqlalchemy import create_engine, insert, select

from native.model import AsyncJob, ManagementServer, User, utcnow
from tests.support.api import wait_for_job
from tests.support.server import AltoServer, ServerFactory
from tests.support.tenants import admin_client, unique


def second_server(first: AltoServer, directory: Path) -> AltoServer:
    """Another `alto serve` on the first one's database, sharing its encryption key."""
    data_dir = directory / "data"
    data_dir.mkdir(parents=True, mode=0o700)
    shutil.copy(first.credentials_file, data_dir / "admin-credentials.json")
    key = (first.data_dir / "encryption.key").read_text().strip()
    return AltoServer(data_dir=data_dir, db_url=first.db_url, env={"ALTO_ENCRYPTION_KEY": key})


def test_two_servers_share_one_database(start_alto_server: ServerFactory, tmp_path: Path) -> None:
    first = start_alto_server(workers=2)
    other = second_server(first, tmp_path / "second")
    other.start()
    try:
        one, two = admin_client(first), admin_client(other)
        domains = [one.createDomain(name=unique("shared"))["domain"] for _ in range(12)]
        assert two.listDomains(id=domains[0]["id"])["count"] == 1
        jobs = [
            (two if n % 2 else one).deleteDomain(id=domain["id"])["jobid"]
            for n, domain in enumerate(domains)
        ]
        for n, job_id in enumerate(jobs):
            job = wait_for_job(one if n % 2 else two, job_id, interval=0.2)
            assert (job["jobstatus"], job["jobresult"]) == (1, {"success": True})
        for domain in domains:
            assert one.listDomains(listall=True, name=domain["name"]) == {}
    finally:
        other.stop()


def test_a_job_left_running_by_a_killed_server_fails_after_restart(
    start_alto_server: ServerFactory,
) -> None:
    """SIGKILL the server, leave a job claimed by it, restart: the job is failed at once.

    The claimed-but-unfinished job row is written by the test: it is exactly the state a
    kill mid-job leaves, which cannot be hit on purpose while every command takes
    milliseconds. The restart fails it before serving, without waiting for the heartbeat
    timeout (default 60 s) that catches servers dying for good.
    """
    server = start_alto_server()
    assert server.process is not None
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()

    engine = create_engine(server.db_url)
    job_id = str(uuid.uuid4())
    try:
        with engine.begin() as connection:
            crashed = connection.execute(
                select(ManagementServer.msid, ManagementServer.name)
            ).first()
            assert crashed is not None, "the killed server left its registration behind"
            admin_user = connection.execute(
                select(User.id, User.account_id).where(User.username == "admin")
            ).one()
            connection.execute(
                insert(AsyncJob).values(
                    uuid=job_id,
                    user_id=admin_user.id,
                    account_id=admin_user.account_id,
                    command="deleteDomain",
                    params=json.dumps({}),
                    status=0,
                    proc_status=0,
                    result_code=0,
                    result_type="object",
                    owner_msid=crashed.msid,
                    created=utcnow(),
                    last_updated=utcnow(),
                )
            )
    finally:
        engine.dispose()

    server.start()
    job = admin_client(server).queryAsyncJobResult(jobid=job_id)
    assert job["jobstatus"] == 2
    assert job["jobresultcode"] == 530
    assert crashed.name in job["jobresult"]["errortext"]
    assert "stopped while running it (it was restarted)" in job["jobresult"]["errortext"]
    assert "1 job(s) left running by the previous run were failed" in server.output()
    alerts = admin_client(server).listAlerts()["alert"]
    assert any(crashed.name in alert["description"] for alert in alerts)
