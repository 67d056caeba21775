"""Virtual routers: creating them, applying their configuration through the network driver,
and removing them.

Applying never holds a transaction open across the driver call. Each apply takes a new
`generation` (committed), then gathers the configuration in a fresh transaction, so it
sees every change committed before its generation; drivers ignore a configuration whose
generation is not above the one they run. A later apply therefore always carries at
least every change an earlier one did, in whatever order concurrent jobs finish.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from native.drivers.network.base import NetworkDriverError
from native.model import Network, Nic, VirtualRouter, Vpc, utcnow
from native.services.errors import ResourceUnavailable
from native.services.network import ipam
from native.services.network.router_config import gather
from native.services.runtime import Runtime

RUNNING = "Running"


def router_of(
    session: Session, *, network: Network | None = None, vpc: Vpc | None = None
) -> VirtualRouter | None:
    """The live router of a VPC, or of a network (its VPC's for a tier); None if none."""
    vpc_id = vpc.id if vpc is not None else None if network is None else network.vpc_id
    query = select(VirtualRouter).where(VirtualRouter.removed.is_(None))
    if vpc_id is not None:
        query = query.where(VirtualRouter.vpc_id == vpc_id)
    elif network is not None:
        query = query.where(VirtualRouter.network_id == network.id)
    else:
        return None
    return session.scalars(query).first()


def create_router(
    session: Session,
    *,
    zone_id: int,
    account_id: int,
    domain_id: int,
    network: Network | None = None,
    vpc: Vpc | None = None,
) -> VirtualRouter:
    """Add the router of an isolated network or of a VPC (named `r-<id>-VM`)."""
    router = VirtualRouter(
        name=f"r-pending-{ipam.new_mac()}",
        zone_id=zone_id,
        account_id=account_id,
        domain_id=domain_id,
        network_id=None if network is None else network.id,
        vpc_id=None if vpc is None else vpc.id,
        state=RUNNING,
    )
    session.add(router)
    session.flush()
    router.name = f"r-{router.id}-VM"
    session.flush()
    return router


def attach_guest(session: Session, *, router: VirtualRouter, network: Network) -> None:
    """Give the router its NIC on `network`, at the network's gateway address (which is
    thereby never handed to a VM)."""
    exists = session.scalar(
        select(Nic.id).where(Nic.router_id == router.id, Nic.network_id == network.id)
    )
    if exists is None and network.gateway is not None:
        ipam.add_nic(session, network=network, router_id=router.id, address=network.gateway)


def apply(session: Session, runtime: Runtime, *, router_id: int) -> None:
    """Make the router run what the database says now (see the module docstring).

    Commits the session's pending changes first. 534 (ResourceUnavailable) if the driver
    fails; the router then keeps its previous configuration and `apply_error` says why.
    """
    session.commit()
    session.execute(
        update(VirtualRouter)
        .where(VirtualRouter.id == router_id)
        .values(generation=VirtualRouter.generation + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    router = session.get(VirtualRouter, router_id)
    assert router is not None
    session.refresh(router)
    config = gather(session, secrets=runtime.secrets, router=router, region=runtime.region)
    session.commit()
    try:
        runtime.drivers.network.apply(config)
    except NetworkDriverError as error:
        session.execute(
            update(VirtualRouter)
            .where(VirtualRouter.id == router_id)
            .values(apply_error=str(error)[:4000])
            .execution_options(synchronize_session=False)
        )
        session.commit()
        raise ResourceUnavailable(
            f"Failed to apply the configuration of router {config.name}: {error}"
        ) from None
    session.execute(
        update(VirtualRouter)
        .where(VirtualRouter.id == router_id, VirtualRouter.applied_generation < config.generation)
        .values(applied_generation=config.generation, apply_error=None, applied=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()


def apply_change(
    session: Session,
    runtime: Runtime,
    *,
    network: Network | None = None,
    vpc: Vpc | None = None,
    undo: Callable[[Session], None] | None = None,
) -> None:
    """Apply a change made in the session (and possibly already committed) to the router
    of `network` or `vpc`; with no router (the network is not implemented yet) the change
    is only committed.

    If the driver fails: the session's uncommitted work is rolled back, `undo` runs and is
    committed (it takes back whatever of the change was committed before), the router is
    re-applied once so it matches the database again, and the 534 propagates.
    """
    router = router_of(session, network=network, vpc=vpc)
    if router is None:
        session.commit()
        return
    router_id = router.id
    try:
        apply(session, runtime, router_id=router_id)
    except ResourceUnavailable:
        session.rollback()
        if undo is not None:
            undo(session)
        session.commit()
        try:
            apply(session, runtime, router_id=router_id)
        except ResourceUnavailable:
            session.rollback()
        raise


def destroy(session: Session, runtime: Runtime, *, router: VirtualRouter) -> None:
    """Stop the router and remove it with its NICs (its configuration goes with it)."""
    runtime.drivers.network.destroy(router.name)
    session.execute(delete(Nic).where(Nic.router_id == router.id))
    router.removed = utcnow()
    router.state = "Destroyed"
    session.flush()
