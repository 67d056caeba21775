"""Service (compute) offerings and disk offerings: validation, visibility and sizes.

An offering with no domain is public; one with a domain is offered to that domain and the
domains below it. Root admins manage every offering; domain admins only those of the
domains they manage (and must give one).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from native.model import DiskOffering, Domain, ServiceOffering, Zone, utcnow
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, PermissionDenied
from native.services.settings import Settings
from native.services.visibility import domain_path_in_scope

GIB = 1024**3
INT_MAX = 2**31 - 1
MIN_MEMORY = 32
STORAGE_TYPES = ("shared", "local")
PROVISIONING_TYPES = ("thin", "sparse", "fat")
PLANNERS = (
    "FirstFitPlanner",
    "UserDispersingPlanner",
    "UserConcentratedPodPlanner",
    "ImplicitDedicationPlanner",
)

Offering = ServiceOffering | DiskOffering


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where an offering is offered: a domain (and its subtree) and a zone; None for all."""

    domain: Domain | None = None
    zone: Zone | None = None


@dataclass(frozen=True, kw_only=True)
class ComputeSpec:
    """What createServiceOffering asks for (memory in MiB, speed in MHz, root disk in GB)."""

    name: str
    display_text: str | None = None
    cpu_number: int | None = None
    cpu_speed: int | None = None
    memory: int | None = None
    customized: bool | None = None
    min_cpu_number: int | None = None
    max_cpu_number: int | None = None
    min_memory: int | None = None
    max_memory: int | None = None
    host_tags: str | None = None
    storage_tags: str | None = None
    offer_ha: bool = False
    limit_cpu_use: bool = False
    is_volatile: bool = False
    storage_type: str | None = None
    root_disk_size_gb: int | None = None
    provisioning_type: str | None = None
    deployment_planner: str | None = None


@dataclass(frozen=True, kw_only=True)
class DiskSpec:
    """What createDiskOffering asks for (size in GB)."""

    name: str
    display_text: str | None = None
    disk_size_gb: int | None = None
    customized: bool | None = None
    tags: str | None = None
    storage_type: str | None = None
    provisioning_type: str | None = None
    min_iops: int | None = None
    max_iops: int | None = None
    customized_iops: bool = False
    display_offering: bool = True


def _choice(value: str | None, choices: tuple[str, ...], *, what: str) -> str:
    chosen = (value or choices[0]).lower()
    if chosen not in choices:
        raise InvalidParameterValue(
            f"Invalid {what} {value} specified, valid types are: "
            + ", ".join(f"'{choice}'" for choice in choices)
        )
    return chosen


def _tags(text: str | None) -> str | None:
    tags = [tag.strip() for tag in (text or "").split(",") if tag.strip()]
    return ",".join(tags) or None


def _in_range(value: int | None, low: int, high: int, text: str) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidParameterValue(text)


def _check_placement(caller: Caller, placement: Placement) -> None:
    if caller.is_root_admin:
        return
    if placement.domain is None:
        raise PermissionDenied(
            "Domain admins can only create offerings for the domains they manage"
        )
    if not domain_path_in_scope(caller, placement.domain.path):
        raise PermissionDenied(
            f"Domain {placement.domain.uuid} is not in the domains of the caller"
        )


def check_manageable(caller: Caller, session: Session, offering: Offering) -> None:
    """PermissionDenied (531) unless the caller may update or delete the offering."""
    if caller.is_root_admin:
        return
    domain = None if offering.domain_id is None else session.get(Domain, offering.domain_id)
    if domain is None or not domain_path_in_scope(caller, domain.path):
        raise PermissionDenied(
            f"Unable to modify offering {offering.uuid}: it is not offered only to domains "
            "you manage"
        )


def _check_compute_size(spec: ComputeSpec, customized: bool) -> None:
    fail = f"Failed to create service offering {spec.name}"
    _in_range(
        spec.cpu_number,
        1,
        INT_MAX,
        f"{fail}: specify the cpu number value between 1 and {INT_MAX}",
    )
    _in_range(
        spec.cpu_speed, 1, INT_MAX, f"{fail}: specify the cpu speed value between 1 and {INT_MAX}"
    )
    _in_range(
        spec.memory,
        MIN_MEMORY,
        INT_MAX,
        f"{fail}: specify the memory value between {MIN_MEMORY} and {INT_MAX} MB",
    )
    fixed = (spec.cpu_number, spec.cpu_speed, spec.memory)
    if not customized and None in fixed:
        raise InvalidParameterValue(
            f"{fail}: cpunumber, cpuspeed and memory are required for a fixed offering; "
            "leave all three out (or set customized=true) for a custom one"
        )
    bounds = (spec.min_cpu_number, spec.max_cpu_number, spec.min_memory, spec.max_memory)
    if not customized and any(bound is not None for bound in bounds):
        raise InvalidParameterValue(
            f"{fail}: mincpunumber, maxcpunumber, minmemory and maxmemory apply to custom "
            "offerings only"
        )
    if customized and (spec.cpu_number is not None or spec.memory is not None):
        raise InvalidParameterValue(
            f"{fail}: for creating a custom compute offering cpu number and memory should be "
            "null (give mincpunumber/maxcpunumber and minmemory/maxmemory to bound them)"
        )
    _check_bounds(spec, fail)


def _check_bounds(spec: ComputeSpec, fail: str) -> None:
    _in_range(spec.min_cpu_number, 1, INT_MAX, f"{fail}: mincpunumber must be at least 1")
    _in_range(spec.max_cpu_number, 1, INT_MAX, f"{fail}: maxcpunumber must be at least 1")
    _in_range(
        spec.min_memory, MIN_MEMORY, INT_MAX, f"{fail}: minmemory must be at least {MIN_MEMORY}"
    )
    _in_range(
        spec.max_memory, MIN_MEMORY, INT_MAX, f"{fail}: maxmemory must be at least {MIN_MEMORY}"
    )
    pairs = (
        ("cpu number", spec.min_cpu_number, spec.max_cpu_number),
        ("memory", spec.min_memory, spec.max_memory),
    )
    for what, low, high in pairs:
        if (low is None) != (high is None):
            raise InvalidParameterValue(f"{fail}: give both the minimum and maximum {what}")
        if low is not None and high is not None and low > high:
            raise InvalidParameterValue(
                f"{fail}: the minimum {what} {low} is greater than the maximum {high}"
            )


def create_service_offering(
    session: Session, *, caller: Caller, spec: ComputeSpec, placement: Placement
) -> ServiceOffering:
    """A new compute offering; 431 for inconsistent sizes, 531 outside the caller's domains.

    Without `customized`, an offering that fixes none of cpu number, speed and memory is
    custom. A custom offering may fix `cpu_speed` and bound cpu number and memory.
    """
    _check_placement(caller, placement)
    customized = spec.customized
    if customized is None:
        customized = spec.cpu_number is None and spec.cpu_speed is None and spec.memory is None
    _check_compute_size(spec, customized)
    _in_range(
        spec.root_disk_size_gb,
        1,
        INT_MAX,
        f"Failed to create service offering {spec.name}: the root disk size must be at least 1 GB",
    )
    offering = ServiceOffering(
        name=spec.name,
        display_text=spec.display_text or spec.name,
        cpu_number=spec.cpu_number,
        cpu_speed=spec.cpu_speed,
        memory=spec.memory,
        is_customized=customized,
        min_cpu_number=spec.min_cpu_number,
        max_cpu_number=spec.max_cpu_number,
        min_memory=spec.min_memory,
        max_memory=spec.max_memory,
        host_tags=_tags(spec.host_tags),
        storage_tags=_tags(spec.storage_tags),
        offer_ha=spec.offer_ha,
        limit_cpu_use=spec.limit_cpu_use,
        is_volatile=spec.is_volatile,
        storage_type=_choice(spec.storage_type, STORAGE_TYPES, what="storage type"),
        root_disk_size=None if spec.root_disk_size_gb is None else spec.root_disk_size_gb * GIB,
        provisioning_type=_choice(
            spec.provisioning_type, PROVISIONING_TYPES, what="provisioning type"
        ),
        deployment_planner=_planner(spec.deployment_planner),
        domain_id=None if placement.domain is None else placement.domain.id,
        zone_id=None if placement.zone is None else placement.zone.id,
    )
    session.add(offering)
    session.flush()
    return offering


def _planner(name: str | None) -> str | None:
    if not name:
        return None
    for planner in PLANNERS:
        if planner.lower() == name.lower():
            return planner
    raise InvalidParameterValue(
        f"Invalid deployment planner {name}; valid planners: {', '.join(PLANNERS)}"
    )


def create_disk_offering(
    session: Session,
    settings: Settings,
    *,
    caller: Caller,
    spec: DiskSpec,
    placement: Placement,
) -> DiskOffering:
    """A new disk offering: a fixed size of at least 1 GB, or custom (no size) — 431 otherwise."""
    _check_placement(caller, placement)
    customized = spec.customized if spec.customized is not None else spec.disk_size_gb is None
    if customized and spec.disk_size_gb:
        raise InvalidParameterValue("Disksize is not allowed for a customized disk offering")
    if not customized and spec.disk_size_gb is None:
        raise InvalidParameterValue("Disksize is required for a non-customized disk offering")
    maximum = int(settings.get(session, "custom.diskoffering.size.max"))
    if spec.disk_size_gb is not None and not customized:
        _in_range(
            spec.disk_size_gb,
            1,
            maximum,
            f"Please specify a disk size between 1 and {maximum} GB",
        )
    _check_iops(spec)
    offering = DiskOffering(
        name=spec.name,
        display_text=spec.display_text or spec.name,
        disk_size=0 if customized else (spec.disk_size_gb or 0) * GIB,
        is_customized=customized,
        tags=_tags(spec.tags),
        storage_type=_choice(spec.storage_type, STORAGE_TYPES, what="storage type"),
        provisioning_type=_choice(
            spec.provisioning_type, PROVISIONING_TYPES, what="provisioning type"
        ),
        min_iops=spec.min_iops,
        max_iops=spec.max_iops,
        customized_iops=spec.customized_iops,
        display_offering=spec.display_offering,
        domain_id=None if placement.domain is None else placement.domain.id,
        zone_id=None if placement.zone is None else placement.zone.id,
    )
    session.add(offering)
    session.flush()
    return offering


def _check_iops(spec: DiskSpec) -> None:
    if spec.customized_iops and (spec.min_iops is not None or spec.max_iops is not None):
        raise InvalidParameterValue(
            "Min and max IOPS cannot be specified for a disk offering with custom IOPS"
        )
    for what, value in (("miniops", spec.min_iops), ("maxiops", spec.max_iops)):
        if value is not None and value < 0:
            raise InvalidParameterValue(f"The {what} value must be at least 0")
    if spec.min_iops is not None and spec.max_iops is not None and spec.min_iops > spec.max_iops:
        raise InvalidParameterValue(
            f"The miniops value {spec.min_iops} is greater than the maxiops value {spec.max_iops}"
        )


def update_offering(
    offering: Offering,
    *,
    name: str | None,
    display_text: str | None,
    sort_key: int | None,
    tags: dict[str, str | None],
) -> None:
    """Rename, describe, reorder or retag an offering (only what is given changes).

    `tags` maps a tag column (`host_tags`, `storage_tags`, `tags`) to its new comma list; an
    empty string clears it.
    """
    if name is not None:
        if not name.strip():
            raise InvalidParameterValue("The offering name cannot be empty")
        offering.name = name
    if display_text is not None:
        offering.display_text = display_text
    if sort_key is not None:
        offering.sort_key = sort_key
    for column, value in tags.items():
        if value is not None:
            setattr(offering, column, _tags(value))


def delete_offering(offering: Offering) -> None:
    """Retire the offering: VMs and volumes made from it keep it, new ones cannot use it."""
    offering.removed = utcnow()
    offering.state = "Inactive"


def visible_domain_paths(caller: Caller) -> list[str]:
    """The paths of the caller's domain and of every domain above it."""
    parts = [part for part in caller.domain_path.strip("/").split("/") if part]
    return ["/"] + ["/" + "/".join(parts[: index + 1]) + "/" for index in range(len(parts))]


def offering_domain_clause(
    caller: Caller, domain_id_column: InstrumentedAttribute[int | None]
) -> ColumnElement[bool]:
    """SQL condition (with `Domain` outer-joined on the offering's domain) on what the caller
    sees: public offerings, those of its domain or above, and for a domain admin those of
    the domains it manages."""
    if caller.is_root_admin:
        return true()
    conditions: list[ColumnElement[bool]] = [
        domain_id_column.is_(None),
        Domain.path.in_(visible_domain_paths(caller)),
    ]
    if caller.is_domain_admin:
        conditions.append(Domain.path.startswith(caller.domain_path, autoescape=True))
    return or_(*conditions)


def can_use(session: Session, caller: Caller, offering: Offering) -> bool:
    """Whether the caller may see (and so use) a live offering."""
    if caller.is_root_admin or offering.domain_id is None:
        return True
    domain = session.get(Domain, offering.domain_id)
    if domain is None:
        return False
    return domain.path in visible_domain_paths(caller) or (
        caller.is_domain_admin and domain_path_in_scope(caller, domain.path)
    )


def effective_size(
    offering: ServiceOffering,
    *,
    cpu_number: int | None,
    cpu_speed: int | None,
    memory: int | None,
) -> tuple[int, int, int]:
    """The (cpu number, MHz, MiB) a VM of this offering gets.

    A fixed offering gives its own values (any given ones are ignored). A custom one takes
    the given values, its own `cpu_speed` when it fixes one; a missing value or one outside
    the offering's bounds (or below 1 cpu, 1 MHz, 32 MiB) is a 431.
    """
    if not offering.is_customized:
        assert offering.cpu_number is not None and offering.cpu_speed is not None
        assert offering.memory is not None
        return offering.cpu_number, offering.cpu_speed, offering.memory
    speed = offering.cpu_speed if offering.cpu_speed is not None else cpu_speed
    if cpu_number is None or speed is None or memory is None:
        raise InvalidParameterValue(
            f"Need to specify custom parameter values cpuNumber, cpuSpeed and memory when "
            f"using custom offering {offering.name}"
        )
    low_cpu = offering.min_cpu_number or 1
    high_cpu = offering.max_cpu_number or INT_MAX
    _in_range(
        cpu_number,
        low_cpu,
        high_cpu,
        f"Invalid cpu cores value {cpu_number}, specify a value between {low_cpu} and {high_cpu}",
    )
    _in_range(speed, 1, INT_MAX, f"Invalid cpu speed value {speed}, specify a value of at least 1")
    low_memory = offering.min_memory or MIN_MEMORY
    high_memory = offering.max_memory or INT_MAX
    _in_range(
        memory,
        low_memory,
        high_memory,
        f"Invalid memory value {memory}, specify a value between {low_memory} and {high_memory}",
    )
    return cpu_number, speed, memory


def volume_size(
    session: Session, settings: Settings, *, offering: DiskOffering, size_gb: int | None
) -> int:
    """The size in bytes of a volume of this disk offering.

    A fixed offering gives its own size; a custom one needs `size_gb` within the
    `custom.diskoffering.size.min`/`max` settings, else 431.
    """
    if not offering.is_customized:
        return offering.disk_size
    low = int(settings.get(session, "custom.diskoffering.size.min"))
    high = int(settings.get(session, "custom.diskoffering.size.max"))
    if size_gb is None:
        raise InvalidParameterValue(
            f"Disk offering {offering.name} is custom: the size of the volume must be given"
        )
    _in_range(
        size_gb,
        low,
        high,
        f"Invalid disk size {size_gb}, the size must be in range of min {low} and max {high} GB",
    )
    return size_gb * GIB
