"""AWS resource ids (`i-0123456789abcdef0`) of native resources, made when the row is inserted.

Every native resource that EC2 shows gets its AWS id in the same transaction that creates it,
whichever API created it, so an id is never made on read and never changes. `AWS_ID_KINDS`
lists the tables and their id prefixes; `aws_id` is the one table the EC2 translator keeps.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, UniqueConstraint, event, insert, select
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from native.model.addressing import PublicIpAddress
from native.model.base import Base
from native.model.compute import SshKeyPair, VirtualMachine
from native.model.dhcp_options import DhcpOptionsSet
from native.model.identity import Account
from native.model.network_rules import NetworkAcl
from native.model.networking import Network, Nic
from native.model.security_groups import SecurityGroup, SecurityGroupRule
from native.model.storage import Snapshot, Volume
from native.model.templates import Template
from native.model.vpc import InternetGateway, Vpc, VpcRouteTable

ID_DIGITS = 17


class AwsId(Base):
    """The AWS id of one native resource: `kind` names the resource (`instance`, `volume`...),
    `uuid` is its native UUID."""

    __tablename__ = "aws_id"
    __table_args__ = (UniqueConstraint("kind", "uuid"),)

    aws_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    uuid: Mapped[str] = mapped_column(String(40), index=True)


def account_number(account_uuid: str) -> str:
    """The 12-digit AWS account id of a native account: derived from its UUID, so stable."""
    return f"{int(account_uuid.replace('-', ''), 16) % 10**12:012d}"


@dataclass(frozen=True)
class AwsIdKind:
    """A kind of resource with an AWS id: its name, the id prefix and the native table.
    `derive` makes the id from the native UUID where AWS ids are not random (accounts)."""

    name: str
    prefix: str
    model: type[Base]
    derive: Callable[[str], str] | None = None

    def make(self, uuid: str) -> str:
        """A new AWS id for the native row `uuid`."""
        return self.derive(uuid) if self.derive else new_aws_id(self.prefix)


AWS_ID_KINDS: Mapping[str, AwsIdKind] = {
    kind.name: kind
    for kind in (
        AwsIdKind("instance", "i", VirtualMachine),
        AwsIdKind("volume", "vol", Volume),
        AwsIdKind("snapshot", "snap", Snapshot),
        AwsIdKind("image", "ami", Template),
        AwsIdKind("key-pair", "key", SshKeyPair),
        AwsIdKind("security-group", "sg", SecurityGroup),
        AwsIdKind("security-group-rule", "sgr", SecurityGroupRule),
        AwsIdKind("vpc", "vpc", Vpc),
        AwsIdKind("subnet", "subnet", Network),
        AwsIdKind("network-interface", "eni", Nic),
        AwsIdKind("network-acl", "acl", NetworkAcl),
        AwsIdKind("elastic-ip", "eipalloc", PublicIpAddress),
        AwsIdKind("route-table", "rtb", VpcRouteTable),
        AwsIdKind("route-table-association", "rtbassoc", Network),
        AwsIdKind("internet-gateway", "igw", InternetGateway),
        AwsIdKind("dhcp-options", "dopt", Vpc),
        AwsIdKind("dhcp-options-set", "dopt", DhcpOptionsSet),
        AwsIdKind("account", "", Account, derive=account_number),
    )
}


def new_aws_id(prefix: str) -> str:
    """A fresh random id of AWS's long form: the prefix, a dash and 17 hex digits."""
    return f"{prefix}-{secrets.token_hex(9)[:ID_DIGITS]}"


def record_bulk_insert(connection: Connection, *, kind: str, uuids: Sequence[str]) -> None:
    """Give rows inserted in bulk (a Core `insert`, which fires no ORM event) their AWS ids
    of `kind`, in the same transaction."""
    made = AWS_ID_KINDS[kind]
    if uuids:
        connection.execute(
            insert(AwsId),
            [{"aws_id": made.make(uuid), "kind": kind, "uuid": uuid} for uuid in uuids],
        )


def _on_insert(kind: AwsIdKind) -> Any:
    def record(_mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        known = select(AwsId.aws_id).where(AwsId.kind == kind.name, AwsId.uuid == target.uuid)
        if connection.execute(known).first() is None:
            connection.execute(
                insert(AwsId).values(
                    aws_id=kind.make(target.uuid), kind=kind.name, uuid=target.uuid
                )
            )

    return record


for _kind in AWS_ID_KINDS.values():
    event.listen(_kind.model, "after_insert", _on_insert(_kind))
