"""The guest OS catalogue (`listOsTypes`, `listOsCategories`), seeded on every start."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import GuestOsCategory, GuestOsType

CATALOGUE: dict[str, tuple[str, ...]] = {
    "CentOS": (
        "CentOS 7",
        "CentOS 8",
        "CentOS Stream 9",
    ),
    "Debian": (
        "Debian GNU/Linux 10 (64-bit)",
        "Debian GNU/Linux 11 (64-bit)",
        "Debian GNU/Linux 12 (64-bit)",
    ),
    "Ubuntu": (
        "Ubuntu 18.04 LTS",
        "Ubuntu 20.04 LTS",
        "Ubuntu 22.04 LTS",
        "Ubuntu 24.04 LTS",
    ),
    "RedHat": (
        "Red Hat Enterprise Linux 8",
        "Red Hat Enterprise Linux 9",
    ),
    "Rocky Linux": (
        "Rocky Linux 8",
        "Rocky Linux 9",
    ),
    "AlmaLinux": (
        "AlmaLinux 8",
        "AlmaLinux 9",
    ),
    "Oracle": ("Oracle Linux 9",),
    "SUSE": ("SUSE Linux Enterprise Server 15 (64-bit)",),
    "FreeBSD": (
        "FreeBSD 13 (64-bit)",
        "FreeBSD 14 (64-bit)",
    ),
    "Windows": (
        "Windows Server 2019 (64-bit)",
        "Windows Server 2022 (64-bit)",
        "Windows 10 (64-bit)",
        "Windows 11 (64-bit)",
    ),
    "Other": (
        "Other Linux (64-bit)",
        "Other Linux (32-bit)",
        "Other (64-bit)",
        "Other (32-bit)",
        "Other PV (64-bit)",
    ),
}
"""Categories and the OS types in each, as CloudStack names them."""

DEFAULT_OS_TYPE = "Other Linux (64-bit)"


def ensure_os_types(session: Session) -> None:
    """Add whatever category or OS type of the catalogue is missing; safe on every start."""
    categories = {row.name: row for row in session.scalars(select(GuestOsCategory))}
    known = set(session.scalars(select(GuestOsType.description)))
    for name, descriptions in CATALOGUE.items():
        category = categories.get(name)
        if category is None:
            category = GuestOsCategory(name=name)
            session.add(category)
            session.flush()
        for description in descriptions:
            if description not in known:
                session.add(GuestOsType(category_id=category.id, description=description))
    session.flush()


def default_os_type(session: Session) -> GuestOsType | None:
    """The OS type given to templates made without one (`Other Linux (64-bit)`)."""
    return session.scalars(
        select(GuestOsType).where(GuestOsType.description == DEFAULT_OS_TYPE)
    ).first()
