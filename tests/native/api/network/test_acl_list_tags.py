"""Tags on network ACL lists (`NetworkACLList`) through `cs`: listNetworkACLLists shows
them, only the VPC's owner may set them, and deleting the list removes them."""

from __future__ import annotations

from typing import Any

from cs import CloudStack

from tests.native.api.network.test_network_acls import lists_of, new_list
from tests.native.api.network.vpc_helpers import create_vpc
from tests.native.api.test_tags import create_tags, tag_list
from tests.support.api import api_error
from tests.support.tenants import Tenant, new_account
from tests.support.vms import succeeded
from tests.support.zones import SimZone


def test_acl_lists_carry_tags(admin: CloudStack, zone: SimZone, tenant: Tenant) -> None:
    client = tenant.client()
    vpc: dict[str, Any] = create_vpc(client, zone, cidr="10.41.0.0/16", start=False)
    acl = new_list(client, vpc)

    create_tags(client, resourcetype="NetworkACLList", resourceids=[acl["id"]], tags={"a": "1"})

    [listed] = lists_of(client, id=acl["id"])
    assert [(tag["key"], tag["value"]) for tag in listed["tags"]] == [("a", "1")]
    stranger = new_account(admin, endpoint=tenant.endpoint).client()
    error = api_error(
        stranger.createTags,
        resourcetype="NetworkACLList",
        resourceids=acl["id"],
        tags=tag_list({"b": "2"}),
    )
    assert error.errorcode == 431
    [default] = lists_of(client, name="default_allow")
    error = api_error(
        client.createTags,
        resourcetype="NetworkACLList",
        resourceids=default["id"],
        tags=tag_list({"b": "2"}),
    )
    assert error.errorcode == 431
    succeeded(client, client.deleteNetworkACLList(id=acl["id"]))
    assert client.listTags(resourceid=acl["id"]) == {}
