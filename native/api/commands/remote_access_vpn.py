"""Remote-access VPN commands: createRemoteAccessVpn, deleteRemoteAccessVpn,
updateRemoteAccessVpn, listRemoteAccessVpns, and the VPN users (addVpnUser, removeVpnUser,
listVpnUsers).

Every change that reaches a router is an async job that applies it (see
native.services.network.remote_access_vpn).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.ssh_keys import owner_account
from native.api.commands.volumes import scope_clause
from native.api.params import boolean, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import (
    Account,
    Domain,
    Network,
    PublicIpAddress,
    RemoteAccessVpn,
    VpnUser,
)
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.network import remote_access_vpn as service


def owner_fields(session: Session, account_id: int) -> dict[str, str]:
    """`account`, `domainid` and `domain` of a VPN resource's owner."""
    owner = session.get(Account, account_id)
    assert owner is not None
    return {"account": owner.name, "domainid": owner.domain.uuid, "domain": owner.domain.name}


def owned_query(
    command: ListOwnedCommand, ctx: CommandContext, model: Any, *, by_id: bool
) -> Select[Any]:
    """Rows of an account-owned `model` whose owners the list command's scope selects."""
    return (
        select(model)
        .join(Account, Account.id == model.account_id)
        .join(Domain, Domain.id == Account.domain_id)
        .where(scope_clause(command, ctx, by_id=by_id))
    )


class RemoteAccessVpnResponse(ResponseObject, object_name="remoteaccessvpn"):
    id = Field("the id of the remote access vpn")
    publicipid = Field("the public ip address of the vpn server")
    publicip = Field("the public ip address of the vpn server")
    iprange = Field("the range of ips to allocate to the clients")
    presharedkey = Field("the ipsec preshared key")
    account = Field("the account of the remote access vpn")
    domainid = Field("the domain id of the account of the remote access vpn")
    domain = Field("the domain name of the account of the remote access vpn")
    state = Field("the state of the rule")
    fordisplay = Field("is vpn for display to the regular user", type="boolean", since="4.4")

    @classmethod
    def of(
        cls, session: Session, row: RemoteAccessVpn, *, caller: Caller, psk: str
    ) -> RemoteAccessVpnResponse:
        """The response for one VPN (`psk`: its opened pre-shared key)."""
        ip = session.get(PublicIpAddress, row.public_ip_id)
        assert ip is not None
        return cls(
            id=row.uuid,
            publicipid=ip.uuid,
            publicip=ip.address,
            iprange=row.ip_range,
            presharedkey=psk,
            state=row.state,
            fordisplay=row.display if caller.is_root_admin else None,
            **owner_fields(session, row.account_id),
        )


def vpn_response(ctx: CommandContext, row: RemoteAccessVpn) -> RemoteAccessVpnResponse:
    """The response for one VPN, its key opened."""
    return RemoteAccessVpnResponse.of(
        ctx.session, row, caller=ctx.caller, psk=ctx.runtime.secrets.open(row.preshared_key)
    )


class CreateRemoteAccessVpn(
    Command,
    api="createRemoteAccessVpn",
    is_async=True,
    response=RemoteAccessVpnResponse,
    authorized=ALL_ROLES,
    event="VPN.REMOTE.ACCESS.CREATE",
    entity_type="RemoteAccessVpn",
    since="2.2.0",
):
    """Creates a l2tp/ipsec remote access vpn

    The VPN runs on a public IP of an isolated network or a VPC (one VPN per IP, and per
    network or VPC). The first address of `iprange` is the VPN server's; clients get the
    others, which must lie outside the guest CIDR. A random pre-shared key is generated.
    The router accepts the VPN's UDP ports (500, 1701, 4500) on the IP whatever
    `openfirewall` says.
    """

    publicipid = uuid_of(
        PublicIpAddress, description="public ip address id of the vpn server"
    ).required()
    iprange = string(
        description="the range of ip addresses to allocate to vpn clients. The first ip in the "
        "range will be taken by the vpn server"
    )
    openfirewall = boolean(
        description="if true, firewall rule for source/end public port is automatically "
        "created; if false - firewall rule has to be created explicitly. Has value true by "
        "default"
    )
    fordisplay = boolean(
        description="an optional field, whether to the display the vpn to the end user or not",
        since="4.4",
    )

    def create(self, ctx: CommandContext) -> str:
        row = service.create_vpn(
            ctx.session,
            ctx.runtime,
            ip=self.publicipid,
            ip_range=self.iprange,
            display=self.fordisplay is not False,
        )
        return row.uuid

    def execute(self, ctx: CommandContext) -> RemoteAccessVpnResponse:
        row = ctx.session.scalars(
            select(RemoteAccessVpn).where(RemoteAccessVpn.uuid == ctx.instance_id)
        ).one()
        return vpn_response(ctx, service.start_vpn(ctx.session, ctx.runtime, vpn_id=row.id))


class DeleteRemoteAccessVpn(
    Command,
    api="deleteRemoteAccessVpn",
    is_async=True,
    authorized=ALL_ROLES,
    event="VPN.REMOTE.ACCESS.DESTROY",
    entity_type="RemoteAccessVpn",
    since="2.2.0",
):
    """Destroys a l2tp/ipsec remote access vpn

    An IP without a VPN is not an error, as in CloudStack.
    """

    publicipid = uuid_of(
        PublicIpAddress, description="public ip address id of the vpn server"
    ).required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        row = ctx.session.scalars(
            select(RemoteAccessVpn).where(RemoteAccessVpn.public_ip_id == self.publicipid.id)
        ).first()
        if row is not None:
            service.destroy_vpn(ctx.session, ctx.runtime, vpn_row=row)
        return SuccessResult()


class UpdateRemoteAccessVpn(
    Command,
    api="updateRemoteAccessVpn",
    is_async=True,
    response=RemoteAccessVpnResponse,
    authorized=ALL_ROLES,
    event="VPN.REMOTE.ACCESS.UPDATE",
    entity_type="RemoteAccessVpn",
    since="4.4",
):
    """Updates remote access vpn"""

    id = uuid_of(RemoteAccessVpn, description="id of the remote access vpn").required()
    fordisplay = boolean(
        description="an optional field, whether to the display the vpn to the end user or not",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> RemoteAccessVpnResponse:
        row = self.id
        if self.fordisplay is not None:
            row.display = self.fordisplay
            ctx.session.flush()
        return vpn_response(ctx, row)


class ListRemoteAccessVpns(
    ListOwnedCommand,
    api="listRemoteAccessVpns",
    response=RemoteAccessVpnResponse,
    authorized=ALL_ROLES,
    since="2.2.0",
):
    """Lists remote access vpns

    Only running VPNs are listed, as in CloudStack.
    """

    id = uuid_of(RemoteAccessVpn, description="Lists remote access vpn rule with the specified ID")
    publicipid = uuid_of(PublicIpAddress, description="public ip address id of the vpn server")
    networkid = uuid_of(
        Network, description="list remote access VPNs for certain network", since="4.3"
    )
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        query = owned_query(self, ctx, RemoteAccessVpn, by_id=self.id is not None).where(
            RemoteAccessVpn.state == service.RUNNING
        )
        if self.id is not None:
            query = query.where(RemoteAccessVpn.id == self.id.id)
        if self.publicipid is not None:
            query = query.where(RemoteAccessVpn.public_ip_id == self.publicipid.id)
        if self.networkid is not None:
            query = query.where(RemoteAccessVpn.network_id == self.networkid.id)
        if not ctx.caller.is_root_admin:
            query = query.where(RemoteAccessVpn.display.is_(True))
        elif self.fordisplay is not None:
            query = query.where(RemoteAccessVpn.display.is_(self.fordisplay))
        rows, count = self.page_of_query(ctx, query, RemoteAccessVpn.id)
        return ListResult([vpn_response(ctx, row) for row in rows], count)


class VpnUserResponse(ResponseObject, object_name="vpnuser"):
    id = Field("the vpn userID")
    username = Field("the username of the vpn user")
    account = Field("the account of the remote access vpn")
    domainid = Field("the domain id of the account of the remote access vpn")
    domain = Field("the domain name of the account of the remote access vpn")
    state = Field("the state of the Vpn User, can be 'Add' , 'Revoke' or 'Active'.")

    @classmethod
    def of(cls, session: Session, user: VpnUser) -> VpnUserResponse:
        """The response for one VPN user (never its password)."""
        return cls(
            id=user.uuid,
            username=user.username,
            state=user.state,
            **owner_fields(session, user.account_id),
        )


class _VpnUserCommand(Command):
    username = string(description="username for the vpn user").required()
    account = string(
        description="an optional account for the vpn user. Must be used with domainId."
    )
    domainid = uuid_of(
        Domain,
        description="an optional domainId for the vpn user. If the account parameter is used, "
        "domainId must also be used.",
    )

    def owner(self, ctx: CommandContext) -> Account:
        return owner_account(ctx, name=self.account, domain=self.domainid)


class AddVpnUser(
    _VpnUserCommand,
    api="addVpnUser",
    is_async=True,
    response=VpnUserResponse,
    authorized=ALL_ROLES,
    event="VPN.USER.ADD",
    entity_type="VpnUser",
    since="2.2.0",
):
    """Adds vpn users

    The user is added to every remote-access VPN of the account (which must have one).
    User names have 3-64 characters (letters, digits and `@._-`, starting with a letter or
    digit); passwords 3-32 (letters, digits and `@+=._-`).
    """

    password = string(description="password for the username", sensitive=True).required()

    def create(self, ctx: CommandContext) -> str:
        user = service.add_user(
            ctx.session,
            ctx.runtime,
            owner=self.owner(ctx),
            username=self.username,
            password=self.password,
        )
        return user.uuid

    def execute(self, ctx: CommandContext) -> VpnUserResponse:
        user = ctx.session.scalars(select(VpnUser).where(VpnUser.uuid == ctx.instance_id)).one()
        user = service.apply_added_user(ctx.session, ctx.runtime, user_id=user.id)
        return VpnUserResponse.of(ctx.session, user)


class RemoveVpnUser(
    _VpnUserCommand,
    api="removeVpnUser",
    is_async=True,
    authorized=ALL_ROLES,
    event="VPN.USER.REMOVE",
    entity_type="VpnUser",
    since="2.2.0",
):
    """Removes vpn user"""

    def _user(self, ctx: CommandContext) -> VpnUser:
        owner = self.owner(ctx)
        user = ctx.session.scalars(
            select(VpnUser).where(
                VpnUser.account_id == owner.id,
                VpnUser.username == self.username,
                VpnUser.state != service.USER_REVOKE,
            )
        ).first()
        if user is None:
            raise InvalidParameterValue(
                f"Could not find VPN user=[{self.username}]. VPN owner=[{owner.name}]"
            )
        return user

    def create(self, ctx: CommandContext) -> None:
        self._user(ctx)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        service.remove_user(ctx.session, ctx.runtime, user=self._user(ctx))
        return SuccessResult()


class ListVpnUsers(
    ListOwnedCommand,
    api="listVpnUsers",
    response=VpnUserResponse,
    authorized=ALL_ROLES,
    since="2.2.0",
):
    """Lists vpn users"""

    id = uuid_of(VpnUser, description="The uuid of the Vpn user")
    username = string(description="the username of the vpn user.")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = owned_query(self, ctx, VpnUser, by_id=self.id is not None).where(
            VpnUser.state != service.USER_REVOKE
        )
        if self.id is not None:
            query = query.where(VpnUser.id == self.id.id)
        if self.username is not None:
            query = query.where(VpnUser.username == self.username)
        if self.keyword:
            query = query.where(VpnUser.username.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, VpnUser.username, VpnUser.id)
        return ListResult([VpnUserResponse.of(ctx.session, row) for row in rows], count)
