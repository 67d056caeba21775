"""The dispatcher in process: async jobs that fail while running, and the events they leave."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

import native.api.commands  # noqa: F401
from native.api.dispatcher import Dispatcher
from native.model import AsyncJob, Event, User
from native.model.migrate import upgrade
from native.services.caller import Caller
from native.services.db import Database
from native.services.jobs import JobRunner
from native.services.runtime import Runtime
from native.services.secrets import SecretBox, new_encryption_key
from native.services.seed import ensure_defaults
from tests.support.databases import fresh_database


@pytest.fixture
def dispatcher(tmp_path: Path) -> Iterator[Dispatcher]:
    with fresh_database(directory=tmp_path / "db") as url:
        upgrade(url=url)
        runtime = Runtime(
            db=Database(url=url), secrets=SecretBox(key=new_encryption_key()), msid="ms-test"
        )
        with runtime.db.session() as session:
            ensure_defaults(session, secrets=runtime.secrets)
        yield Dispatcher(runtime=runtime)
        runtime.db.dispose()


def admin_caller(dispatcher: Dispatcher) -> Caller:
    with dispatcher.runtime.db.session() as session:
        return Caller.of(session.scalars(select(User).where(User.username == "admin")).one())


def run_queued_job(dispatcher: Dispatcher) -> None:
    runner = JobRunner(runtime=dispatcher.runtime, execute=dispatcher.run_job, workers=0)
    job_id = runner.claim()
    assert job_id is not None
    dispatcher.run_job(job_id)


def test_a_job_that_fails_while_running_reports_the_error(dispatcher: Dispatcher) -> None:
    admin = admin_caller(dispatcher)
    parent = dispatcher.call(command="createDomain", params={"name": "parent"}, caller=admin)
    parent_id = parent.body["domain"]["id"]
    submitted = dispatcher.call(command="deleteDomain", params={"id": parent_id}, caller=admin)
    assert submitted.status == 200
    job_id = submitted.body["jobid"]
    dispatcher.call(
        command="createDomain", params={"name": "late", "parentdomainid": parent_id}, caller=admin
    )

    run_queued_job(dispatcher)

    job = dispatcher.call(
        command="queryAsyncJobResult", params={"jobid": job_id}, caller=admin
    ).body
    assert job["jobstatus"] == 2
    assert job["jobresultcode"] == 536
    assert job["jobresult"]["errorcode"] == 536
    assert "subdomain" in job["jobresult"]["errortext"]
    still_there = dispatcher.call(command="listDomains", params={"id": parent_id}, caller=admin)
    assert still_there.body["count"] == 1
    with dispatcher.runtime.db.session() as session:
        events = session.scalars(select(Event).where(Event.event_type == "DOMAIN.DELETE")).all()
        assert [(event.state, event.level) for event in events] == [
            ("Scheduled", "INFO"),
            ("Completed", "ERROR"),
        ]


def test_a_successful_job_stores_its_result_atomically(dispatcher: Dispatcher) -> None:
    admin = admin_caller(dispatcher)
    domain_id = dispatcher.call(command="createDomain", params={"name": "gone"}, caller=admin).body[
        "domain"
    ]["id"]
    job_id = dispatcher.call(command="deleteDomain", params={"id": domain_id}, caller=admin).body[
        "jobid"
    ]
    assert dispatcher.await_job(job_id, timeout=0) is False
    run_queued_job(dispatcher)
    assert dispatcher.await_job(job_id, timeout=0) is True
    job = dispatcher.call(
        command="queryAsyncJobResult", params={"jobid": job_id}, caller=admin
    ).body
    assert (job["jobstatus"], job["jobresultcode"], job["jobresult"]) == (1, 0, {"success": True})
    gone = dispatcher.call(command="listDomains", params={"id": domain_id}, caller=admin)
    assert gone.status == 431


def test_a_job_taken_over_by_another_server_does_not_commit(dispatcher: Dispatcher) -> None:
    admin = admin_caller(dispatcher)
    domain_id = dispatcher.call(command="createDomain", params={"name": "kept"}, caller=admin).body[
        "domain"
    ]["id"]
    job_id = dispatcher.call(command="deleteDomain", params={"id": domain_id}, caller=admin).body[
        "jobid"
    ]
    runner = JobRunner(runtime=dispatcher.runtime, execute=dispatcher.run_job, workers=0)
    assert runner.claim() == job_id
    with dispatcher.runtime.db.session() as session:
        session.execute(
            update(AsyncJob)
            .where(AsyncJob.uuid == job_id)
            .values(status=2, result=json.dumps({"errorcode": 530, "errortext": "server died"}))
        )
    dispatcher.run_job(job_id)
    kept = dispatcher.call(command="listDomains", params={"id": domain_id}, caller=admin)
    assert kept.body["count"] == 1


def test_sensitive_parameters_wait_sealed_in_the_job_queue(dispatcher: Dispatcher) -> None:
    admin = admin_caller(dispatcher)
    secret = "pre-shared-secret-4711"
    submitted = dispatcher.call(
        command="createVpnCustomerGateway",
        params={
            "name": "far",
            "gateway": "198.51.100.7",
            "cidrlist": "172.30.0.0/16",
            "ipsecpsk": secret,
            "ikepolicy": "aes128-sha1;modp1536",
            "esppolicy": "aes128-sha1",
        },
        caller=admin,
    )
    assert submitted.status == 200, submitted.body
    with dispatcher.runtime.db.session() as session:
        stored = session.scalars(select(AsyncJob.params)).one()
    assert secret not in stored
    assert json.loads(stored)["_sealed"] == "ipsecpsk"

    run_queued_job(dispatcher)

    listed = dispatcher.call(command="listVpnCustomerGateways", params={}, caller=admin).body
    [gateway] = listed["vpncustomergateway"]
    assert gateway["ipsecpsk"] == secret
