"""Volumes in EC2 tests: disk offerings named after volume types, instances to attach to.

offerings = volume_type_offerings(admin)              # custom-size "gp2" and "gp3" offerings
vm_uuid, instance_id = native_instance(alto_server, tenant, zone, template, offering)
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cs import CloudStack
from sqlalchemy import select

from native.model import AwsId
from native.services.db import Database
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, unique
from tests.support.vms import succeeded
from tests.support.zones import SimZone

TYPED_OFFERINGS = ("gp2", "gp3")


def volume_type_offerings(admin: CloudStack) -> dict[str, dict[str, Any]]:
    """Custom-size disk offerings named `gp2` and `gp3` (made unless some exist already)."""
    offerings = {}
    for name in TYPED_OFFERINGS:
        found = [
            row
            for row in admin.listDiskOfferings(name=name).get("diskoffering", [])
            if row.get("iscustomized")
        ]
        offerings[name] = (
            found[0]
            if found
            else admin.createDiskOffering(
                name=name, displaytext=f"EBS {name}", customized=True, customizediops=True
            )["diskoffering"]
        )
    return offerings


@cache
def _database(url: str) -> Database:
    return Database(url=url)


def aws_id_of(server: AltoServer, kind: str, uuid: str) -> str:
    """The AWS id native made with a resource (read from the server's `aws_id` table)."""
    with _database(server.db_url).session(write=False) as session:
        found = session.scalar(select(AwsId.aws_id).where(AwsId.kind == kind, AwsId.uuid == uuid))
    assert found is not None, (kind, uuid)
    return str(found)


def native_instance(
    server: AltoServer,
    tenant: Tenant,
    zone: SimZone,
    template: dict[str, Any],
    offering: dict[str, Any],
    **params: Any,
) -> tuple[str, str]:
    """A Running VM of the tenant deployed with `cs`: its native uuid and its instance id."""
    client = tenant.client()
    answer = client.deployVirtualMachine(
        zoneid=zone.id,
        serviceofferingid=offering["id"],
        templateid=template["id"],
        name=unique("vm"),
        **params,
    )
    vm = succeeded(client, answer)["virtualmachine"]
    return str(vm["id"]), aws_id_of(server, "instance", str(vm["id"]))
