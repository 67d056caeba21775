"""Gathering a router's configuration costs the same number of queries whatever the number
of VMs behind it (it once ran a query per VM and per group-sourced rule)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack
from sqlalchemy import event, select

from native.model import VirtualRouter
from native.services.db import Database
from native.services.network.router_config import gather
from native.services.secrets import SecretBox, new_encryption_key
from tests.support.ec2_instances import Ec2Site, aws_id_of, ec2_site, vpc_subnet
from tests.support.server import AltoServer
from tests.support.tenants import Tenant
from tests.support.vms import offering, ready_template
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def zone(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> SimZone:
    return build_zone(admin, root=tmp_path_factory.mktemp("router-config"), hosts=2)


@pytest.fixture
def site(
    alto_server: AltoServer, tenant: Tenant, zone: SimZone, admin: CloudStack, tmp_path: Path
) -> Ec2Site:
    template = ready_template(admin, zone, root=tmp_path)
    return ec2_site(alto_server, tenant, zone, template, offering(admin, cpu=1, mem=256))


def gather_queries(server: AltoServer, *, router_name: str) -> int:
    """The SQL statements one `gather` of the router runs."""
    database = Database(url=server.db_url)
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    try:
        with database.session(write=False) as session:
            router = session.scalars(
                select(VirtualRouter).where(VirtualRouter.name == router_name)
            ).one()
            event.listen(database.engine, "before_cursor_execute", count)
            config = gather(
                session, secrets=SecretBox(key=new_encryption_key()), router=router,
                region="us-east-1",
            )  # fmt: skip
            event.remove(database.engine, "before_cursor_execute", count)
    finally:
        database.dispose()
    assert config.security_groups, "the instances' default group should reach the router"
    return statements


def test_gathering_costs_the_same_queries_for_2_and_8_instances(
    site: Ec2Site, zone: SimZone, admin: CloudStack
) -> None:
    tier = vpc_subnet(site.tenant.client(), zone, cidr="10.53.0.0/16")
    subnet_id = aws_id_of(site.server, "subnet", str(tier["id"]))
    [router] = admin.listRouters(vpcid=tier["vpcid"], listall=True)["router"]
    site.run(SubnetId=subnet_id, MinCount=2, MaxCount=2)
    with_two = gather_queries(site.server, router_name=str(router["name"]))

    site.run(SubnetId=subnet_id, MinCount=6, MaxCount=6)
    with_eight = gather_queries(site.server, router_name=str(router["name"]))

    assert with_eight == with_two
