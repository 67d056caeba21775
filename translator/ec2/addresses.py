"""Elastic IP addresses: Allocate, Associate, Disassociate, Release, DescribeAddresses and
DescribeAddressesAttribute, on native public IPs and static NAT.

An Elastic IP is a portable native public IP of the caller's account (`associateIpAddress
isportable=true`), allocated to the caller's default VPC in the VPC's own zone, where
AllocateAddress starts the VPC first so that the address never becomes its source NAT IP. Its AllocationId is the
AWS id (`eipalloc-`) of the public IP row. Source NAT and system addresses are not Elastic
IPs: they are never listed, associated or released here.

AssociateAddress is `enableStaticNat`. An address of another VPC (or isolated network) of
the zone moves to the instance's with it (native portable IPs); an instance in another
zone gets InvalidParameterValue. An AssociationId is `eipassoc-` and 17 hex digits of the
SHA-256 of the native static NAT id (`staticnatid`), which native makes anew each time
static NAT is enabled: the same association always shows the same id, a new one a new id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext
from translator.ec2.default_vpc import default_vpc
from translator.ec2.describe import Describer
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.errors import (
    ID_ERRORS,
    AddressLimitExceeded,
    AwsError,
    IncorrectInstanceState,
    InsufficientAddressCapacity,
    InvalidAddressNotFound,
    InvalidAssociationIDNotFound,
    InvalidIPAddressInUse,
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
    ResourceAlreadyAssociated,
)
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs

Row = dict[str, Any]

DOMAIN = "vpc"
POOL = "amazon"
ASSOCIATION_PREFIX = "eipassoc"
ASSOCIATION_ID = re.compile(rf"{ASSOCIATION_PREFIX}-[0-9a-f]{{17}}")
ALLOCATED = "Allocated"
GONE_VM_STATES = ("Destroyed", "Expunging", "Error")
ALLOCATE_ERRORS: Mapping[int, type[AwsError]] = {
    532: AddressLimitExceeded,
    533: InsufficientAddressCapacity,
    535: InsufficientAddressCapacity,
}

ADDRESSES = Describer(
    filters={
        "allocation-id": lambda address: [address["AllocationId"]],
        "association-id": lambda address: [address.get("AssociationId")],
        "instance-id": lambda address: [address.get("InstanceId")],
        "network-interface-id": lambda address: [address.get("NetworkInterfaceId")],
        "network-interface-owner-id": lambda address: [address.get("NetworkInterfaceOwnerId")],
        "private-ip-address": lambda address: [address.get("PrivateIpAddress")],
        "public-ip": lambda address: [address["PublicIp"]],
        "domain": lambda address: [address["Domain"]],
        "public-ipv4-pool": lambda address: [address["PublicIpv4Pool"]],
        "network-border-group": lambda address: [address["NetworkBorderGroup"]],
    },
    key=lambda address: str(address["AllocationId"]),
)

ATTRIBUTES = Describer(filters={}, key=lambda address: str(address["AllocationId"]), tags=False)


def association_id(static_nat_id: str) -> str:
    """The AssociationId of a native static NAT (its `staticnatid`)."""
    return f"{ASSOCIATION_PREFIX}-{hashlib.sha256(static_nat_id.encode()).hexdigest()[:17]}"


def _elastic_rows(ctx: QueryContext, **filters: str | bool) -> list[Row]:
    """The caller's own allocated public IPs that are Elastic IPs (not source NAT, not
    system addresses), as native lists them."""
    rows = ctx.listing(
        "listPublicIpAddresses",
        "publicipaddress",
        account=ctx.caller.account_name,
        domainid=ctx.caller.domain_uuid,
        **filters,
    )
    return [
        row
        for row in rows
        if row.get("state") == ALLOCATED and not row.get("issourcenat") and not row.get("issystem")
    ]


def _by_allocation(ctx: QueryContext, allocation_id: str) -> Row:
    uuid = ctx.ids.uuid("elastic-ip", allocation_id)
    rows = _elastic_rows(ctx, id=uuid)
    if not rows:
        raise ID_ERRORS["elastic-ip"].not_found(
            f"The allocation ID '{allocation_id}' does not exist"
        )
    return rows[0]


def _by_public_ip(ctx: QueryContext, public_ip: str) -> Row:
    rows = [row for row in _elastic_rows(ctx, ipaddress=public_ip) if row["ipaddress"] == public_ip]
    if not rows:
        raise InvalidAddressNotFound(f"Address '{public_ip}' not found.")
    if len(rows) > 1:
        raise InvalidParameterValue(
            f"The address '{public_ip}' is allocated more than once; give its AllocationId"
        )
    return rows[0]


def _address_row(ctx: QueryContext, params: Params) -> Row:
    """The Elastic IP that `AllocationId` (or else `PublicIp`) names."""
    if params.get("AllocationId"):
        return _by_allocation(ctx, str(params["AllocationId"]))
    if params.get("PublicIp"):
        return _by_public_ip(ctx, str(params["PublicIp"]))
    raise MissingParameter("Either public IP or allocation id must be specified")


def _nic_ids(ctx: QueryContext, rows: list[Row]) -> dict[str, str]:
    """Native IP uuid → the AWS id of the NIC its static NAT sends traffic to."""
    nics: dict[str, str] = {}
    for row in rows:
        if row.get("isstaticnat") and row.get("associatednetworkid"):
            found = ctx.call(
                "listNics",
                virtualmachineid=str(row["virtualmachineid"]),
                networkid=str(row["associatednetworkid"]),
            ).get("nic", [])
            if found:
                nics[str(row["id"])] = str(found[0]["id"])
    aws_nics = ctx.ids.aws_ids("network-interface", nics.values())
    return {ip: aws_nics[nic] for ip, nic in nics.items() if nic in aws_nics}


def _render(ctx: QueryContext, rows: list[Row]) -> list[Row]:
    """Rows in the EC2 `Address` shape."""
    allocations = ctx.ids.aws_ids("elastic-ip", [str(row["id"]) for row in rows])
    instances = ctx.ids.aws_ids(
        "instance", [str(row["virtualmachineid"]) for row in rows if row.get("isstaticnat")]
    )
    nics = _nic_ids(ctx, rows)
    addresses = []
    for row in rows:
        address: Row = {
            "PublicIp": row["ipaddress"],
            "AllocationId": allocations[str(row["id"])],
            "Domain": DOMAIN,
            "PublicIpv4Pool": POOL,
            "NetworkBorderGroup": ctx.region,
            "Tags": ec2_tags(row),
        }
        if row.get("isstaticnat") and row.get("staticnatid"):
            address |= {
                "AssociationId": association_id(str(row["staticnatid"])),
                "InstanceId": instances.get(str(row["virtualmachineid"])),
                "NetworkInterfaceId": nics.get(str(row["id"])),
                "NetworkInterfaceOwnerId": ctx.account_id,
                "PrivateIpAddress": row.get("vmipaddress"),
            }
        addresses.append(address)
    return addresses


def _check_allocation_params(params: Params, *, region: str) -> None:
    if params.get("Domain") not in (None, DOMAIN):
        raise InvalidParameterValue(
            f"Invalid value '{params['Domain']}' for domain: only 'vpc' addresses exist here"
        )
    if params.get("PublicIpv4Pool") not in (None, POOL):
        raise InvalidParameterValue(f"The public IPv4 pool '{params['PublicIpv4Pool']}' is invalid")
    if params.get("NetworkBorderGroup") not in (None, region):
        raise InvalidParameterValue(
            f"The network border group '{params['NetworkBorderGroup']}' is invalid"
        )
    for unsupported in ("CustomerOwnedIpv4Pool", "IpamPoolId"):
        if params.get(unsupported):
            raise InvalidParameterValue(f"{unsupported} is not supported")


def _started_vpc(ctx: QueryContext) -> str:
    """The caller's default VPC (made if missing), started in its own zone so that it has
    its source NAT IP there and the next IP allocated to it is an Elastic IP."""
    vpc_uuid = default_vpc(ctx, create=True)
    assert vpc_uuid is not None
    [vpc] = ctx.call("listVPCs", id=vpc_uuid)["vpc"]
    source_nat = ctx.call(
        "listPublicIpAddresses", vpcid=vpc_uuid, issourcenat=True, zoneid=str(vpc["zoneid"])
    )
    if not source_nat.get("publicipaddress"):
        ctx.run("restartVPC", id=vpc_uuid)
    return vpc_uuid


@runs("associateIpAddress")
def allocate_address(ctx: QueryContext, params: Params) -> Output:
    _check_allocation_params(params, region=ctx.region)
    tags = specified_tags(params, "elastic-ip")
    try:
        vpc_uuid = _started_vpc(ctx)
        ip = ctx.run(
            "associateIpAddress",
            vpcid=vpc_uuid,
            isportable=True,
            ipaddress=params.get("Address"),
        )["ipaddress"]
    except NativeFailure as failure:
        raise aws_error_of(failure, overrides=ALLOCATE_ERRORS) from None
    ip_uuid = str(ip["id"])
    try:
        tag_resources(ctx, resource_type="elastic-ip", uuids=[ip_uuid], tags=tags)
    except (NativeFailure, AwsError):
        ctx.run("disassociateIpAddress", id=ip_uuid)
        raise
    return {
        "PublicIp": ip["ipaddress"],
        "AllocationId": ctx.ids.aws_id("elastic-ip", ip_uuid),
        "Domain": DOMAIN,
        "PublicIpv4Pool": POOL,
        "NetworkBorderGroup": ctx.region,
    }


def _own_vm(ctx: QueryContext, instance_id: str) -> Row:
    uuid = ctx.ids.uuid("instance", instance_id)
    not_found = ID_ERRORS["instance"].not_found(f"The instance ID '{instance_id}' does not exist")
    try:
        rows = ctx.call("listVirtualMachines", id=uuid, listall=True).get("virtualmachine", [])
    except NativeFailure:
        raise not_found from None
    own = (ctx.caller.account_name, ctx.caller.domain_uuid)
    if not rows or (rows[0].get("account"), rows[0].get("domainid")) != own:
        raise not_found
    if rows[0].get("state") in GONE_VM_STATES:
        raise IncorrectInstanceState(
            f"The instance '{instance_id}' is not in a valid state for this operation."
        )
    return dict(rows[0])


def _vm_of_nic(ctx: QueryContext, interface_id: str) -> tuple[Row, Row]:
    """The VM and NIC row of a network interface id of the caller's."""
    nic_uuid = ctx.ids.uuid("network-interface", interface_id)
    for vm in ctx.listing(
        "listVirtualMachines",
        "virtualmachine",
        account=ctx.caller.account_name,
        domainid=ctx.caller.domain_uuid,
    ):
        for nic in vm.get("nic") or []:
            if nic.get("id") == nic_uuid:
                return dict(vm), dict(nic)
    raise ID_ERRORS["network-interface"].not_found(
        f"The networkInterface ID '{interface_id}' does not exist"
    )


def _target(ctx: QueryContext, params: Params) -> tuple[str, str | None, str | None]:
    """The VM, network and guest address that `InstanceId`, `NetworkInterfaceId` and
    `PrivateIpAddress` name (network and address None where native picks them)."""
    instance_id, interface_id = params.get("InstanceId"), params.get("NetworkInterfaceId")
    private_ip = params.get("PrivateIpAddress")
    if interface_id:
        vm, nic = _vm_of_nic(ctx, str(interface_id))
        if instance_id and ctx.ids.uuid("instance", str(instance_id)) != vm["id"]:
            raise InvalidParameterCombination(
                f"The network interface '{interface_id}' is not attached to instance "
                f"'{instance_id}'"
            )
        return str(vm["id"]), str(nic["networkid"]), private_ip
    if not instance_id:
        raise MissingParameter("Either instance ID or network interface id must be specified")
    vm = _own_vm(ctx, str(instance_id))
    if private_ip is None:
        return str(vm["id"]), None, None
    for nic in vm.get("nic") or []:
        if nic.get("ipaddress") == private_ip:
            return str(vm["id"]), str(nic["networkid"]), str(private_ip)
    raise InvalidParameterValue(
        f"The private IP address {private_ip} is not an address of instance '{instance_id}'"
    )


def _enable(
    ctx: QueryContext, *, ip_uuid: str, vm_uuid: str, network: str | None, ip: str | None
) -> None:
    ctx.run(
        "enableStaticNat",
        ipaddressid=ip_uuid,
        virtualmachineid=vm_uuid,
        networkid=network,
        vmguestip=ip,
    )


@runs("enableStaticNat")
def associate_address(ctx: QueryContext, params: Params) -> Output:
    row = _address_row(ctx, params)
    vm_uuid, network_uuid, private_ip = _target(ctx, params)
    if row.get("isstaticnat"):
        same = row.get("virtualmachineid") == vm_uuid and (
            private_ip in (None, row.get("vmipaddress"))
        )
        if same:
            return {"AssociationId": association_id(str(row["staticnatid"]))}
        if not params.get("AllowReassociation"):
            raise ResourceAlreadyAssociated(
                f"resource {ctx.ids.aws_id('elastic-ip', str(row['id']))} is already associated "
                f"with associate-id {association_id(str(row['staticnatid']))}"
            )
        ctx.run("disableStaticNat", ipaddressid=str(row["id"]))
    try:
        _enable(ctx, ip_uuid=str(row["id"]), vm_uuid=vm_uuid, network=network_uuid, ip=private_ip)
    except NativeFailure as failure:
        if row.get("isstaticnat"):
            _enable(
                ctx,
                ip_uuid=str(row["id"]),
                vm_uuid=str(row["virtualmachineid"]),
                network=str(row["associatednetworkid"]),
                ip=str(row["vmipaddress"]),
            )
        raise aws_error_of(failure) from None
    [associated] = _elastic_rows(ctx, id=str(row["id"]))
    return {"AssociationId": association_id(str(associated["staticnatid"]))}


def _by_association(ctx: QueryContext, wanted: str) -> Row:
    if ASSOCIATION_ID.fullmatch(wanted):
        for row in _elastic_rows(ctx, isstaticnat=True):
            if row.get("staticnatid") and association_id(str(row["staticnatid"])) == wanted:
                return row
    raise InvalidAssociationIDNotFound(f"The association ID '{wanted}' does not exist")


@runs("disableStaticNat")
def disassociate_address(ctx: QueryContext, params: Params) -> Output:
    if params.get("AssociationId"):
        row = _by_association(ctx, str(params["AssociationId"]))
    elif params.get("PublicIp"):
        row = _by_public_ip(ctx, str(params["PublicIp"]))
    else:
        raise MissingParameter("Either public IP or association id must be specified")
    if row.get("isstaticnat"):
        ctx.run("disableStaticNat", ipaddressid=str(row["id"]))
    return {}


@runs("disassociateIpAddress")
def release_address(ctx: QueryContext, params: Params) -> Output:
    if params.get("NetworkBorderGroup") not in (None, ctx.region):
        raise InvalidParameterValue(
            f"The network border group '{params['NetworkBorderGroup']}' is invalid"
        )
    row = _address_row(ctx, params)
    if row.get("isstaticnat"):
        raise InvalidIPAddressInUse(
            f"Address {ctx.ids.aws_id('elastic-ip', str(row['id']))} is in use "
            f"(association {association_id(str(row['staticnatid']))})."
        )
    try:
        ctx.run("disassociateIpAddress", id=str(row["id"]))
    except NativeFailure as failure:
        raise aws_error_of(failure) from None
    return {}


def _selected(ctx: QueryContext, rows: list[Row], params: Params) -> list[Row]:
    """The rows `PublicIps` and `AllocationIds` ask for (all when neither is given); an
    address the caller does not hold raises its NotFound error."""
    public_ips = [str(ip) for ip in params.get("PublicIps") or []]
    allocation_ids = [str(ident) for ident in params.get("AllocationIds") or []]
    held = {str(row["ipaddress"]) for row in rows}
    for public_ip in public_ips:
        if public_ip not in held:
            raise InvalidAddressNotFound(f"Address '{public_ip}' not found.")
    uuids = ctx.ids.uuids("elastic-ip", allocation_ids)
    owned = {str(row["id"]) for row in rows}
    missing = [
        ident for ident, uuid in zip(allocation_ids, uuids, strict=True) if uuid not in owned
    ]
    if missing:
        raise ID_ERRORS["elastic-ip"].not_found(
            f"The allocation ID '{', '.join(missing)}' does not exist"
        )
    return [
        row
        for row in rows
        if (not public_ips or str(row["ipaddress"]) in public_ips)
        and (not uuids or str(row["id"]) in uuids)
    ]


@runs("listPublicIpAddresses")
def describe_addresses(ctx: QueryContext, params: Params) -> Output:
    rows = _selected(ctx, _elastic_rows(ctx), params)
    page, _ = ADDRESSES.page(_render(ctx, rows), params)
    return {"Addresses": page}


@runs("listPublicIpAddresses")
def describe_addresses_attribute(ctx: QueryContext, params: Params) -> Output:
    attribute = params.get("Attribute")
    if attribute is not None and attribute != "domain-name":
        raise InvalidParameterValue(f"Value ({attribute}) for parameter attribute is invalid.")
    rows = _selected(ctx, _elastic_rows(ctx), {"AllocationIds": params.get("AllocationIds")})
    allocations = ctx.ids.aws_ids("elastic-ip", [str(row["id"]) for row in rows])
    addresses = [
        {"PublicIp": row["ipaddress"], "AllocationId": allocations[str(row["id"])]} for row in rows
    ]
    page, token = ATTRIBUTES.page(addresses, params)
    return {"Addresses": page, "NextToken": token}


ACTIONS: Mapping[str, Action] = action_table(
    [
        allocate_address,
        associate_address,
        disassociate_address,
        release_address,
        describe_addresses,
        describe_addresses_attribute,
    ]
)
