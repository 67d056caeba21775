"""SQLAlchemy tables of the native orchestrator. Alembic migrations live in `migrations/`."""

from native.model.base import Base, new_uuid, utcnow
from native.model.compute import AffinityGroup, AffinityGroupVm, SshKeyPair, VirtualMachine
from native.model.events import Alert, Event
from native.model.identity import Account, Domain, LoginSession, Role, RolePermission, User
from native.model.infrastructure import Cluster, Host, ImageStore, Pod, StoragePool, Zone
from native.model.jobs import AsyncJob, ManagementServer, TaskLease
from native.model.object_storage import (
    Bucket,
    MultipartPart,
    MultipartUpload,
    ObjectStoragePool,
    S3Object,
)
from native.model.offerings import DiskOffering, ServiceOffering
from native.model.regions import Region
from native.model.resources import ResourceCount, ResourceLimit, ResourceTag
from native.model.settings import SettingValue
from native.model.storage import Snapshot, SnapshotPolicy, VmSnapshot, Volume
from native.model.templates import (
    GuestOsCategory,
    GuestOsType,
    Template,
    TemplatePermission,
    TemplateStore,
)
from native.model.userdata import UserData

__all__ = [
    "Account",
    "AffinityGroup",
    "AffinityGroupVm",
    "Alert",
    "AsyncJob",
    "Base",
    "Bucket",
    "Cluster",
    "DiskOffering",
    "Domain",
    "Event",
    "GuestOsCategory",
    "GuestOsType",
    "Host",
    "ImageStore",
    "LoginSession",
    "ManagementServer",
    "MultipartPart",
    "MultipartUpload",
    "ObjectStoragePool",
    "Pod",
    "Region",
    "ResourceCount",
    "ResourceLimit",
    "ResourceTag",
    "Role",
    "RolePermission",
    "S3Object",
    "ServiceOffering",
    "SettingValue",
    "Snapshot",
    "SnapshotPolicy",
    "SshKeyPair",
    "StoragePool",
    "TaskLease",
    "Template",
    "TemplatePermission",
    "TemplateStore",
    "User",
    "UserData",
    "VirtualMachine",
    "VmSnapshot",
    "Volume",
    "Zone",
    "new_uuid",
    "utcnow",
]
