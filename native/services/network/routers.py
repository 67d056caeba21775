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
    session: Session,
    *,
    network: Network | None = None,
    vpc: Vpc | None = None,
    zone_id: int | None = None,
) -> VirtualRouter | None:
    """The live router of a network, or of a VPC in one zone; None if none.

    A VPC has a router in each zone where it is started: a tier's is the one in the tier's
    zone, and for `vpc` alone the one in `zone_id` (default: the VPC's own zone).
    """
    query = select(VirtualRouter).where(VirtualRouter.removed.is_(None))
    if network is not None and network.vpc_id is None:
        query = query.where(VirtualRouter.network_id == network.id)
    elif network is not None:
        query = query.where(
            VirtualRouter.vpc_id == network.vpc_id, VirtualRouter.zone_id == network.zone_id
        )
    elif vpc is not None:
        query = query.where(
            VirtualRouter.vpc_id == vpc.id, VirtualRouter.zone_id == (zone_id or vpc.zone_id)
        )
    else:
        return None
    return session.scalars(query).first()


def vpc_routers(session: Session, *, vpc_id: int) -> list[VirtualRouter]:
    """The live routers of a VPC, one per zone it is started in, oldest first."""
    return list(
        session.scalars(
            select(VirtualRouter)
            .where(VirtualRouter.vpc_id == vpc_id, VirtualRouter.removed.is_(None))
            .order_by(VirtualRouter.id)
        )
    )


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
    of `network`, or to every router of `vpc` when no network is given; with no router
    (nothing is implemented yet) the change is only committed.

    If the driver fails: the session's uncommitted work is rolled back, `undo` runs and is
    committed (it takes back whatever of the change was committed before), the routers are
    re-applied once so they match the database again, and the 534 propagates.
    """
    if network is not None:
        router = router_of(session, network=network)
        router_ids = [] if router is None else [router.id]
    else:
        router_ids = [] if vpc is None else [r.id for r in vpc_routers(session, vpc_id=vpc.id)]
    if not router_ids:
        session.commit()
        return
    try:
        for router_id in router_ids:
            apply(session, runtime, router_id=router_id)
    except ResourceUnavailable:
        session.rollback()
        if undo is not None:
            undo(session)
        session.commit()
        for router_id in router_ids:
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
