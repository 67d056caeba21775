"""Regions: the local one (id 1, created at first start) and peers an administrator adds.

Region ids are chosen by the administrator (CloudStack's model), so they are integers
looked up here rather than UUIDs parsed by the API layer.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from native.model import Region
from native.services.errors import InvalidParameterValue

LOCAL_REGION_ID = 1


def find_region(session: Session, region_id: int) -> Region:
    """The region with this id; 431 naming the id if there is none."""
    region = session.get(Region, region_id)
    if region is None:
        raise InvalidParameterValue(
            f"Invalid value {region_id} for parameter id: region with id {region_id} does not exist"
        )
    return region


def list_regions(
    session: Session, *, region_id: int | None, name: str | None, keyword: str | None
) -> list[Region]:
    """Regions matching the filters, by id."""
    query = select(Region).order_by(Region.id)
    if region_id is not None:
        query = query.where(Region.id == region_id)
    if name is not None:
        query = query.where(func.lower(Region.name) == name.lower())
    if keyword:
        query = query.where(Region.name.contains(keyword, autoescape=True))
    return list(session.scalars(query))


def _check_name(session: Session, name: str, *, exclude_id: int | None = None) -> None:
    if not name.strip():
        raise InvalidParameterValue(
            "Invalid value for parameter name: a region name cannot be empty"
        )
    clash = select(Region.id).where(func.lower(Region.name) == name.strip().lower())
    if exclude_id is not None:
        clash = clash.where(Region.id != exclude_id)
    if session.scalars(clash).first() is not None:
        raise InvalidParameterValue(
            f"Invalid value for parameter name: region with name {name} already exists"
        )


def _check_endpoint(endpoint: str) -> None:
    if not endpoint.strip().lower().startswith(("http://", "https://")):
        raise InvalidParameterValue(
            f"Invalid value {endpoint!r} for parameter endpoint: use the region's http(s):// API URL"
        )


def add_region(session: Session, *, region_id: int, name: str, endpoint: str) -> Region:
    """A new peer region; its id and name must both be unused."""
    if region_id < 1:
        raise InvalidParameterValue(
            f"Invalid value {region_id} for parameter id: region ids are positive"
        )
    if session.get(Region, region_id) is not None:
        raise InvalidParameterValue(
            f"Invalid value {region_id} for parameter id: region with id {region_id} already exists"
        )
    _check_name(session, name)
    _check_endpoint(endpoint)
    region = Region(id=region_id, name=name.strip(), endpoint=endpoint.strip())
    session.add(region)
    session.flush()
    return region


def update_region(
    session: Session, *, region: Region, name: str | None, endpoint: str | None
) -> Region:
    """Rename a region and/or change its endpoint."""
    if name is not None:
        _check_name(session, name, exclude_id=region.id)
        region.name = name.strip()
    if endpoint is not None:
        _check_endpoint(endpoint)
        region.endpoint = endpoint.strip()
    session.flush()
    return region


def remove_region(session: Session, *, region: Region) -> None:
    """Forget a peer region; the local region cannot be removed."""
    if region.id == LOCAL_REGION_ID:
        raise InvalidParameterValue(
            f"Invalid value {region.id} for parameter id: the local region cannot be removed"
        )
    session.delete(region)
    session.flush()
