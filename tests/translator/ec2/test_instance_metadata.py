"""What the router's metadata service tells an instance launched with boto3: its EC2 ids,
zone, type, key and user data come from the router's rendered vm-data.json, served by the
metadata service to the instance's own address only, until the instance is expunged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cs import CloudStack
from werkzeug.test import Client

from native.drivers.network.metadata_service import MetadataService
from tests.support.ec2_instances import (
    Ec2Site,
    aws_id_of,
    key_pair,
    vpc_subnet,
)
from tests.support.server import AltoServer
from tests.support.vms import succeeded
from tests.support.zones import SimZone

USER_DATA = "#!/bin/sh\necho booted\n"


def _vm_data(server: AltoServer, admin: CloudStack, tier: dict[str, Any]) -> Path:
    [router] = admin.listRouters(vpcid=tier["vpcid"], listall=True)["router"]
    return server.data_dir / "drivers" / "network" / str(router["name"]) / "vm-data.json"


def _get(service: MetadataService, path: str, *, source: str) -> tuple[int, str]:
    answer = Client(service).get(path, environ_base={"REMOTE_ADDR": source})
    return answer.status_code, answer.text


def test_an_instance_reads_its_own_metadata(
    site: Ec2Site, ec2_zone: SimZone, admin: CloudStack
) -> None:
    client = site.tenant.client()
    key = key_pair(client)
    tier = vpc_subnet(client, ec2_zone, cidr="10.51.0.0/16")
    subnet_id = aws_id_of(site.server, "subnet", str(tier["id"]))
    launched = site.run(KeyName=key, SubnetId=subnet_id, UserData=USER_DATA, MinCount=2, MaxCount=2)
    first, second = (site.instance(i["InstanceId"]) for i in launched["Instances"])
    service = MetadataService(vm_data=_vm_data(site.server, admin, tier))
    for instance in (first, second):
        address = instance["PrivateIpAddress"]
        for item, expected in (
            ("instance-id", instance["InstanceId"]),
            ("local-ipv4", address),
            ("ami-id", site.image_id),
            ("instance-type", site.instance_type),
            ("placement/availability-zone", instance["Placement"]["AvailabilityZone"]),
            ("public-keys/", f"0={key}"),
        ):
            assert _get(service, f"/latest/meta-data/{item}", source=address) == (200, expected)
        assert _get(service, "/latest/user-data", source=address) == (200, USER_DATA)
    [pair] = site.ec2.describe_key_pairs(KeyNames=[key], IncludePublicKey=True)["KeyPairs"]
    status, openssh = _get(
        service, "/latest/meta-data/public-keys/0/openssh-key", source=first["PrivateIpAddress"]
    )
    assert (status, openssh.split()[:2]) == (200, pair["PublicKey"].split()[:2])
    assert _get(service, "/latest/meta-data/instance-id", source="10.51.0.250")[0] == 404

    [vm] = [
        vm
        for vm in client.listVirtualMachines(networkid=tier["id"])["virtualmachine"]
        if vm["nic"][0]["ipaddress"] == second["PrivateIpAddress"]
    ]
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    gone = _get(service, "/latest/meta-data/instance-id", source=second["PrivateIpAddress"])
    assert gone[0] == 404
    kept = _get(service, "/latest/meta-data/instance-id", source=first["PrivateIpAddress"])
    assert kept == (200, first["InstanceId"])
