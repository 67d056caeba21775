"""Account cleanup: after deleteAccount or deleteDomain(cleanup=true), the periodic cleanup
task releases everything the removed accounts held.

The tests share one server of their own, with `expunge.interval` (the task's interval) set
to one second as soon as it starts; its first round may still come up to the default
interval (60 s) after the start, so the first test polls for longer.
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack, CloudStackApiException

from tests.support.objects import caller_of, object_api
from tests.support.server import AltoServer, ServerFactory
from tests.support.tenants import Tenant, admin_client, new_account, unique
from tests.support.vms import allocated, succeeded
from tests.support.volumes import (
    Lab,
    attach,
    build_lab,
    data_file,
    detach,
    lab_vm,
    new_volume,
    pool_allocated,
)

CLEANUP_TIMEOUT = 120.0


def eventually(check: Callable[[], bool], *, what: str, timeout: float = CLEANUP_TIMEOUT) -> None:
    """Poll `check` until it holds; fail naming `what` if it never does within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AltoServer]:
    factory = ServerFactory(root=tmp_path_factory.mktemp("account-cleanup"))
    try:
        started = factory()
        admin_client(started).updateConfiguration(name="expunge.interval", value="1")
        yield started
    finally:
        factory.close()


@pytest.fixture(scope="module")
def own_admin(server: AltoServer) -> CloudStack:
    return admin_client(server)


@pytest.fixture(scope="module")
def lab(own_admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return build_lab(own_admin, tmp_path_factory.mktemp("cleanup-lab"), hosts=1)


def account_in(admin: CloudStack, server: AltoServer, domain: dict[str, Any]) -> Tenant:
    return new_account(admin, domainid=domain["id"], endpoint=server.endpoint)


Usage = tuple[int, int, int]


def visible(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> bool:
    """Whether a list call names anything; an id that no longer exists (431) is nothing."""
    try:
        return bool(call(listall=True, **params).get(key))
    except CloudStackApiException as error:
        if error.error.get("errorcode") == 431:
            return False
        raise


def usage(admin: CloudStack, lab: Lab) -> Usage:
    """(CPU MHz, memory) allocated on the lab's host and bytes allocated on its pool."""
    return (*allocated(admin, lab.zone), pool_allocated(admin, lab.zone.pool["id"]))


def snapshot_files(lab: Lab, snapshot_id: str) -> list[Path]:
    return sorted((lab.secondary / "snapshots").glob(f"*/*/{snapshot_id}"))


def template_files(lab: Lab, template_id: str) -> list[Path]:
    return sorted(lab.secondary.rglob(f"{template_id}.*"))


def root_volume(client: CloudStack, vm: dict[str, Any]) -> dict[str, Any]:
    [root] = client.listVolumes(virtualmachineid=vm["id"], type="ROOT")["volume"]
    return dict(root)


def populate(client: CloudStack, lab: Lab) -> dict[str, Any]:
    """Give the account one of everything the cleanup must release; their ids and files."""
    pair = unique("key")
    client.createSSHKeyPair(name=pair)
    group = succeeded(
        client, client.createAffinityGroup(name=unique("grp"), type="host anti-affinity")
    )["affinitygroup"]
    vm = lab_vm(client, lab, affinitygroupids=group["id"], keypair=pair)
    attached = attach(client, new_volume(client, lab), vm)
    detached = detach(client, attach(client, new_volume(client, lab), vm))
    client.createSnapshotPolicy(
        volumeid=attached["id"], intervaltype="DAILY", schedule="00:03", timezone="UTC", maxsnaps=2
    )
    snapshot = succeeded(client, client.createSnapshot(volumeid=detached["id"]))["snapshot"]
    template = succeeded(
        client,
        client.createTemplate(
            name=unique("tpl"), ostypeid=lab.template["ostypeid"], snapshotid=snapshot["id"]
        ),
    )["template"]
    vm_snapshot = succeeded(client, client.createVMSnapshot(virtualmachineid=vm["id"]))[
        "vmsnapshot"
    ]
    client.registerUserData(name=unique("ud"), userdata=base64.b64encode(b"hello").decode())
    succeeded(
        client,
        client.createTags(
            resourceids=vm["id"],
            resourcetype="UserVm",
            **{"tags[0].key": "k", "tags[0].value": "v"},
        ),
    )
    root = root_volume(client, vm)
    files = [data_file(lab, v["id"]) for v in (root, attached, detached)]
    files += snapshot_files(lab, snapshot["id"]) + template_files(lab, template["id"])
    assert all(path.exists() for path in files) and len(files) == 5
    return {
        "vm": vm,
        "volumes": [root["id"], attached["id"], detached["id"]],
        "snapshot": snapshot["id"],
        "template": template["id"],
        "vmsnapshot": vm_snapshot["id"],
        "files": files,
    }


def gone(admin: CloudStack, lab: Lab, made: dict[str, Any], before: Usage) -> bool:
    """Whether everything `populate` made is released."""
    return (
        usage(admin, lab) == before
        and not any(path.exists() for path in made["files"])
        and not visible(admin.listVirtualMachines, "virtualmachine", id=made["vm"]["id"])
        and not any(visible(admin.listVolumes, "volume", id=v) for v in made["volumes"])
        and not visible(admin.listSnapshots, "snapshot", id=made["snapshot"])
        and not visible(admin.listTemplates, "template", templatefilter="all", id=made["template"])
    )


def test_deleting_an_account_releases_everything_it_held(
    own_admin: CloudStack, server: AltoServer, lab: Lab
) -> None:
    admin = own_admin
    domain = admin.createDomain(name=unique("dom"))["domain"]
    for resourcetype, maximum in ((0, 1), (2, 3), (3, 1)):
        admin.updateResourceLimit(domainid=domain["id"], resourcetype=resourcetype, max=maximum)
    before = usage(admin, lab)
    tenant = account_in(admin, server, domain)
    made = populate(tenant.client(), lab)
    assert usage(admin, lab)[0] > before[0]

    succeeded(admin, admin.deleteAccount(id=tenant.id))
    eventually(lambda: gone(admin, lab, made, before), what="the account's resources released")

    assert not visible(admin.listVirtualMachines, "virtualmachine", domainid=domain["id"])
    assert not visible(admin.listVolumes, "volume", domainid=domain["id"])
    assert not visible(admin.listVMSnapshot, "vmSnapshot", vmsnapshotid=made["vmsnapshot"])
    assert not visible(admin.listTags, "tag", domainid=domain["id"])
    counts = admin.updateResourceCount(domainid=domain["id"])["resourcecount"]
    assert {int(entry["resourcecount"]) for entry in counts} == {0}
    events = admin.listEvents(type="ACCOUNT.DELETE", listall=True)["event"]
    assert any(
        "Cleaned up" in event["description"] and tenant.name in event["description"]
        for event in events
    )

    # The domain's own counts dropped too: a new account uses its whole limits again.
    heir = account_in(admin, server, domain).client()
    vm = lab_vm(heir, lab)
    attach(heir, new_volume(heir, lab), vm)
    new_volume(heir, lab)
    succeeded(heir, heir.createSnapshot(volumeid=root_volume(heir, vm)["id"]))


def test_deleting_a_domain_with_cleanup_releases_its_accounts(
    own_admin: CloudStack, server: AltoServer, lab: Lab
) -> None:
    admin = own_admin
    parent = admin.createDomain(name=unique("dom"))["domain"]
    child = admin.createDomain(name=unique("sub"), parentdomainid=parent["id"])["domain"]
    before = usage(admin, lab)
    clients = [account_in(admin, server, d).client() for d in (parent, child)]
    vms = [lab_vm(client, lab) for client in clients]
    volumes = [new_volume(clients[1], lab), attach(clients[0], new_volume(clients[0], lab), vms[0])]
    files = [data_file(lab, root_volume(c, vm)["id"]) for c, vm in zip(clients, vms, strict=True)]
    files.append(data_file(lab, volumes[1]["id"]))
    assert all(path.exists() for path in files)

    succeeded(admin, admin.deleteDomain(id=parent["id"], cleanup="true"))

    def released() -> bool:
        return (
            usage(admin, lab) == before
            and not any(path.exists() for path in files)
            and not any(
                visible(admin.listVirtualMachines, "virtualmachine", id=v["id"]) for v in vms
            )
            and not any(visible(admin.listVolumes, "volume", id=v["id"]) for v in volumes)
        )

    eventually(released, what="the domain's accounts' resources released")


def test_a_failing_host_leaves_the_account_for_the_next_round(
    own_admin: CloudStack, server: AltoServer, lab: Lab
) -> None:
    admin = own_admin
    domain = admin.createDomain(name=unique("dom"))["domain"]
    before = usage(admin, lab)
    tenant = account_in(admin, server, domain)
    client = tenant.client()
    vm = lab_vm(client, lab)
    loose = detach(client, attach(client, new_volume(client, lab), vm))
    [host] = lab.zone.hosts
    admin.configureSimulator(hostid=host["id"], name="stop_vm", value="fail")
    try:
        succeeded(admin, admin.deleteAccount(id=tenant.id))

        def failure_recorded() -> bool:
            events = admin.listEvents(type="ACCOUNT.DELETE", listall=True).get("event", [])
            return any(e["level"] == "ERROR" and vm["id"] in e["description"] for e in events)

        eventually(failure_recorded, what="an ERROR event about the VM")
        eventually(
            lambda: not data_file(lab, loose["id"]).exists(), what="the loose volume deleted"
        )
        assert visible(admin.listVirtualMachines, "virtualmachine", id=vm["id"])
        assert usage(admin, lab)[0] > before[0]
    finally:
        admin.configureSimulator(hostid=host["id"], name="stop_vm", value="ok")

    eventually(
        lambda: (
            usage(admin, lab) == before
            and not visible(admin.listVirtualMachines, "virtualmachine", id=vm["id"])
        ),
        what="the VM expunged once its host stops it again",
    )


def test_buckets_their_objects_and_open_uploads_go_with_the_account(
    own_admin: CloudStack, server: AltoServer
) -> None:
    domain = own_admin.createDomain(name=unique("dom"))["domain"]
    tenant = account_in(own_admin, server, domain)
    client = tenant.client()
    [pool] = own_admin.listObjectStoragePools()["objectstore"]
    name = unique("bkt")
    bucket = succeeded(client, client.createBucket(name=name, objectstorageid=pool["id"]))
    with object_api(server) as api:
        caller = caller_of(api, tenant)
        api.put_object(caller, bucket=name, key="a/b.txt", source=io.BytesIO(b"hi"))
        upload = api.create_multipart_upload(caller, bucket=name, key="big")
        api.upload_part(
            caller,
            bucket=name,
            key="big",
            upload_id=upload.upload_id,
            part_number=1,
            source=io.BytesIO(b"part"),
        )
    container = server.data_dir / "objectstore" / bucket["bucket"]["id"]
    assert any(path.is_file() for path in container.rglob("*"))

    succeeded(own_admin, own_admin.deleteAccount(id=tenant.id))

    eventually(
        lambda: not visible(own_admin.listBuckets, "bucket", id=bucket["bucket"]["id"]),
        what="the bucket is removed",
    )
    assert not container.exists()


def test_networking_goes_with_the_account(
    own_admin: CloudStack, server: AltoServer, lab: Lab
) -> None:
    admin = own_admin
    domain = admin.createDomain(name=unique("netdom"))["domain"]
    tenant = account_in(admin, server, domain)
    client = tenant.client()
    router_root = server.data_dir / "drivers" / "network"
    earlier = {path.name for path in router_root.glob("r-*")}
    vm = lab_vm(client, lab)
    network_id = vm["nic"][0]["networkid"]
    ip = succeeded(client, client.associateIpAddress(networkid=network_id))["ipaddress"]
    succeeded(
        client,
        client.createPortForwardingRule(
            ipaddressid=ip["id"],
            protocol="tcp",
            publicport=2222,
            privateport=22,
            virtualmachineid=vm["id"],
        ),
    )
    group = client.createSecurityGroup(name=unique("sg"))["securitygroup"]
    succeeded(
        client,
        client.authorizeSecurityGroupIngress(
            securitygroupid=group["id"],
            protocol="tcp",
            startport=80,
            endport=80,
            cidrlist="0.0.0.0/0",
        ),
    )
    [offering] = client.listVPCOfferings(name="Default VPC offering")["vpcoffering"]
    vpc = succeeded(
        client,
        client.createVPC(
            name=unique("vpc"),
            displaytext="v",
            cidr="10.77.0.0/16",
            zoneid=lab.zone.id,
            vpcofferingid=offering["id"],
        ),
    )["vpc"]
    routers = {path.name for path in router_root.glob("r-*")} - earlier
    assert len(routers) == 2
    gateway = client.createInternetGateway()["internetgateway"]
    client.attachInternetGateway(id=gateway["id"], vpcid=vpc["id"])

    succeeded(admin, admin.deleteAccount(id=tenant.id))

    def released() -> bool:
        return not (
            visible(admin.listNetworks, "network", domainid=domain["id"])
            or visible(admin.listVPCs, "vpc", domainid=domain["id"])
            or visible(admin.listPublicIpAddresses, "publicipaddress", domainid=domain["id"])
            or visible(admin.listSecurityGroups, "securitygroup", domainid=domain["id"])
            or visible(admin.listPortForwardingRules, "portforwardingrule", domainid=domain["id"])
            or visible(admin.listInternetGateways, "internetgateway", domainid=domain["id"])
        )

    eventually(released, what="the account's networks, VPC, gateway, IPs and groups released")
    eventually(
        lambda: not any((router_root / name).exists() for name in routers),
        what="the account's routers destroyed",
    )
    assert not visible(admin.listVPCs, "vpc", id=vpc["id"])
    counts = admin.updateResourceCount(domainid=domain["id"])["resourcecount"]
    assert {int(entry["resourcecount"]) for entry in counts} == {0}
