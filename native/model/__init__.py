"""SQLAlchemy tables of the native orchestrator. Alembic migrations live in `migrations/`."""

from native.model.base import Base, new_uuid, utcnow
from native.model.events import Alert, Event
from native.model.identity import Account, Domain, LoginSession, Role, RolePermission, User
from native.model.jobs import AsyncJob, ManagementServer
from native.model.regions import Region
from native.model.settings import SettingValue

__all__ = [
    "Account",
    "Alert",
    "AsyncJob",
    "Base",
    "Domain",
    "Event",
    "LoginSession",
    "ManagementServer",
    "Region",
    "Role",
    "RolePermission",
    "SettingValue",
    "User",
    "new_uuid",
    "utcnow",
]
