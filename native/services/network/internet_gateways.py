"""Internet gateways: an account's public way out of one VPC.

A gateway is made detached; attaching it to a VPC of the same account records that the VPC
reaches the internet through it (the VPC's router does the work). A VPC has at most one
gateway; a gateway attached to a VPC cannot be deleted; a deleted VPC leaves its gateway
detached. Static routes of the VPC's route tables may lead out through it; while it is
detached they lead nowhere, and deleting it deletes them.
"""

from __future__ import annotations

from sqlalchemy import delete as delete_rows
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from native.model import Account, InternetGateway, StaticRoute, Vpc
from native.services import tags
from native.services.errors import InvalidParameterValue, ResourceInUse

TAG_TYPE = "InternetGateway"
"""The native resource type of internet gateways' tags."""


def create_gateway(session: Session, *, owner: Account) -> InternetGateway:
    """A new detached gateway of `owner`."""
    gateway = InternetGateway(account_id=owner.id, domain_id=owner.domain_id)
    session.add(gateway)
    session.flush()
    return gateway


def gateway_of(session: Session, *, vpc_id: int) -> InternetGateway | None:
    """The gateway attached to a VPC, if any."""
    return session.scalars(select(InternetGateway).where(InternetGateway.vpc_id == vpc_id)).first()


def attach(session: Session, *, gateway: InternetGateway, vpc: Vpc) -> None:
    """Attach a detached gateway to a live VPC of its account. 431 if the gateway is
    attached, the VPC has a gateway, belongs to another account or is not Enabled."""
    session.scalars(select(Vpc.id).where(Vpc.id == vpc.id).with_for_update()).one()
    if gateway.vpc_id is not None:
        raise InvalidParameterValue(f"Internet gateway {gateway.uuid} is already attached to a VPC")
    if vpc.account_id != gateway.account_id:
        raise InvalidParameterValue("The internet gateway and the VPC belong to different accounts")
    if vpc.removed is not None or vpc.state != "Enabled":
        raise InvalidParameterValue(f"VPC {vpc.uuid} is not Enabled")
    present = gateway_of(session, vpc_id=vpc.id)
    if present is not None:
        raise InvalidParameterValue(
            f"VPC {vpc.uuid} already has internet gateway {present.uuid} attached"
        )
    gateway.vpc_id = vpc.id
    session.flush()


def detach(session: Session, *, gateway: InternetGateway, vpc: Vpc) -> None:
    """Detach a gateway from the VPC it is attached to; 431 if it is not attached to `vpc`."""
    if gateway.vpc_id != vpc.id:
        raise InvalidParameterValue(
            f"Internet gateway {gateway.uuid} is not attached to VPC {vpc.uuid}"
        )
    gateway.vpc_id = None
    session.flush()


def delete(session: Session, *, gateway: InternetGateway) -> None:
    """Delete a detached gateway with its tags and the static routes that still name it
    (routes that lead nowhere since it was detached); 536 while it is attached to a VPC."""
    if gateway.vpc_id is not None:
        raise ResourceInUse(
            f"Internet gateway {gateway.uuid} is attached to a VPC; detach it first"
        )
    stale = select(StaticRoute.id).where(StaticRoute.internet_gateway_id == gateway.id)
    for route_id in session.scalars(stale):
        tags.remove_tags_of(session, resource_type="StaticRoute", resource_id=route_id)
    session.execute(delete_rows(StaticRoute).where(StaticRoute.internet_gateway_id == gateway.id))
    tags.remove_tags_of(session, resource_type=TAG_TYPE, resource_id=gateway.id)
    session.delete(gateway)
    session.flush()


def detach_all(session: Session, *, vpc_id: int) -> None:
    """Detach whatever gateway a VPC that is going away has."""
    session.execute(
        update(InternetGateway).where(InternetGateway.vpc_id == vpc_id).values(vpc_id=None)
    )
