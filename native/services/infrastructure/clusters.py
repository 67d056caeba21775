"""Clusters: groups of hosts of one hypervisor type inside a pod."""

from __future__ import annotations

from sqlalchemy.orm import Session

from native.model import Cluster, Host, Pod, StoragePool
from native.services.errors import InvalidParameterValue
from native.services.infrastructure.common import (
    allocation_state,
    check_name_free,
    nonblank,
    refuse_if_used,
    soft_delete,
)

CLUSTER_TYPES = ("CloudManaged",)
MANAGED_STATES = ("Managed", "Unmanaged")


def hypervisor_type(known: list[str], text: str) -> str:
    """The supported hypervisor type named by `text` (any case); 431 otherwise."""
    for name in known:
        if name.lower() == text.strip().lower():
            return name
    raise InvalidParameterValue(
        f"Invalid hypervisor type {text!r}: supported types are {', '.join(known)}"
    )


def create_cluster(
    session: Session,
    *,
    pod: Pod,
    name: str,
    hypervisor: str,
    cluster_type: str | None,
    state: str | None,
) -> Cluster:
    """A new cluster of the pod; `hypervisor` must already be a supported type name.

    431 for a name taken in the pod or a cluster type other than CloudManaged.
    """
    name = nonblank(name, what="cluster name")
    check_name_free(session, Cluster, name, Cluster.pod_id == pod.id, what="cluster")
    kind = cluster_type or "CloudManaged"
    if kind not in CLUSTER_TYPES:
        raise InvalidParameterValue(
            f"Invalid cluster type {kind!r}: use {', '.join(CLUSTER_TYPES)}"
        )
    cluster = Cluster(
        zone_id=pod.zone_id,
        pod_id=pod.id,
        name=name,
        hypervisor_type=hypervisor,
        cluster_type=kind,
        allocation_state=allocation_state(state, default="Enabled"),
    )
    session.add(cluster)
    session.flush()
    return cluster


def update_cluster(
    session: Session,
    *,
    cluster: Cluster,
    name: str | None,
    state: str | None,
    managed_state: str | None,
) -> Cluster:
    """Rename a cluster or change its allocation or managed state."""
    if name is not None:
        name = nonblank(name, what="cluster name")
        check_name_free(
            session,
            Cluster,
            name,
            Cluster.pod_id == cluster.pod_id,
            what="cluster",
            exclude_id=cluster.id,
        )
        cluster.name = name
    if state is not None:
        cluster.allocation_state = allocation_state(state, default="Enabled")
    if managed_state is not None:
        matched = [known for known in MANAGED_STATES if known.lower() == managed_state.lower()]
        if not matched:
            raise InvalidParameterValue(
                f"Invalid managed state {managed_state!r}: use {' or '.join(MANAGED_STATES)}"
            )
        cluster.managed_state = matched[0]
    session.flush()
    return cluster


def delete_cluster(session: Session, *, cluster: Cluster) -> None:
    """Remove a cluster without hosts or cluster-scoped storage; 536 otherwise."""
    refuse_if_used(
        session,
        f"cluster {cluster.name}",
        {
            "hosts": (Host, Host.cluster_id == cluster.id),
            "primary storage pools": (StoragePool, StoragePool.cluster_id == cluster.id),
        },
    )
    soft_delete(cluster)
    session.flush()
