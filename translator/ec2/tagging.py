"""Tags between EC2 (`Tags`, `TagSpecifications`) and native resource tags.

EC2 resource types map to CloudStack's taggable resource types in NATIVE_TAG_TYPES; the tags
themselves are native rows (`createTags`, `deleteTags`, `listTags`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from translator.context import Params, QueryContext

NATIVE_TAG_TYPES: Mapping[str, str] = {
    "instance": "UserVm",
    "volume": "Volume",
    "snapshot": "Snapshot",
    "image": "Template",
    "security-group": "SecurityGroup",
    "security-group-rule": "SecurityGroupRule",
    "vpc": "Vpc",
    "subnet": "Network",
    "elastic-ip": "PublicIpAddress",
    "key-pair": "SSHKeyPair",
    "network-acl": "NetworkACLList",
    "route-table": "RouteTable",
    "dhcp-options": "DhcpOptionsSet",
    "internet-gateway": "InternetGateway",
    "network-interface": "Nic",
}
"""EC2 resource type (as in TagSpecifications and DescribeTags) → native resource type."""

ID_KINDS: Mapping[str, str] = {"dhcp-options": "dhcp-options-set"}
"""EC2 resource types whose taggable resources' AWS ids are of a kind (`AWS_ID_KINDS`) not
named like the type (a VPC's default DHCP options, kind `dhcp-options`, take no tags)."""


def id_kind(resource_type: str) -> str:
    """The kind of AWS id of the taggable resources of an EC2 resource type."""
    return ID_KINDS.get(resource_type, resource_type)


def ec2_tags(row: Mapping[str, Any]) -> list[dict[str, str]]:
    """A native row's `tags` as EC2 `Tags` (`[{"Key": …, "Value": …}]`)."""
    return [{"Key": str(tag["key"]), "Value": str(tag["value"])} for tag in row.get("tags") or []]


def specified_tags(params: Params, resource_type: str) -> list[dict[str, str]]:
    """The tags that `TagSpecifications` asks for on resources of `resource_type`."""
    return [
        {"Key": str(tag["Key"]), "Value": str(tag.get("Value", ""))}
        for spec in params.get("TagSpecifications") or []
        if spec.get("ResourceType") == resource_type
        for tag in spec.get("Tags") or []
    ]


def tag_resources(
    ctx: QueryContext,
    *,
    resource_type: str,
    uuids: Sequence[str],
    tags: Iterable[Mapping[str, str]],
) -> None:
    """Put `tags` (EC2 `Key`/`Value` pairs) on native resources of an EC2 `resource_type`,
    waiting for the native job; nothing is called when there are no tags."""
    pairs = [{"key": tag["Key"], "value": tag.get("Value", "")} for tag in tags]
    if pairs and uuids:
        ctx.run(
            "createTags",
            resourcetype=NATIVE_TAG_TYPES[resource_type],
            resourceids=list(uuids),
            tags=pairs,
        )
