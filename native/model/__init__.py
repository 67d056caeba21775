"""SQLAlchemy tables of the native orchestrator. Alembic migrations live in `migrations/`."""

from native.model.addressing import PublicIpAddress, PublicIpRange
from native.model.aws_ids import AWS_ID_KINDS, AwsId, AwsIdKind
from native.model.base import Base, new_uuid, utcnow
from native.model.compute import AffinityGroup, AffinityGroupVm, SshKeyPair, VirtualMachine
from native.model.dhcp_options import DhcpOptionsSet
from native.model.events import Alert, Event
from native.model.identity import Account, Domain, LoginSession, Role, RolePermission, User
from native.model.infrastructure import Cluster, Host, ImageStore, Pod, StoragePool, Zone
from native.model.jobs import AsyncJob, ManagementServer, TaskLease
from native.model.network_rules import (
    LbHealthCheckPolicy,
    LbStickinessPolicy,
    LbVmMap,
    NetworkAcl,
    NetworkAclItem,
    NetworkRule,
)
from native.model.networking import (
    GuestVlan,
    Network,
    NetworkOffering,
    NetworkServiceProvider,
    Nic,
    PhysicalNetwork,
    PhysicalNetworkTrafficType,
    VirtualRouter,
    VpcOffering,
)
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
from native.model.security_groups import SecurityGroup, SecurityGroupRule, SecurityGroupVm
from native.model.settings import SettingValue
from native.model.storage import Snapshot, SnapshotPolicy, VmSnapshot, Volume
from native.model.templates import (
    GuestOsCategory,
    GuestOsType,
    Template,
    TemplatePermission,
    TemplatePoolCopy,
    TemplateStore,
)
from native.model.userdata import UserData
from native.model.vpc import (
    InternetGateway,
    PrivateGateway,
    RemoteAccessVpn,
    StaticRoute,
    Vpc,
    VpcRouteTable,
    VpnConnection,
    VpnCustomerGateway,
    VpnGateway,
    VpnUser,
)

__all__ = [
    "AWS_ID_KINDS",
    "Account",
    "AffinityGroup",
    "AffinityGroupVm",
    "Alert",
    "AsyncJob",
    "AwsId",
    "AwsIdKind",
    "Base",
    "Bucket",
    "Cluster",
    "DhcpOptionsSet",
    "DiskOffering",
    "Domain",
    "Event",
    "GuestOsCategory",
    "GuestOsType",
    "GuestVlan",
    "Host",
    "ImageStore",
    "InternetGateway",
    "LbHealthCheckPolicy",
    "LbStickinessPolicy",
    "LbVmMap",
    "LoginSession",
    "ManagementServer",
    "MultipartPart",
    "MultipartUpload",
    "Network",
    "NetworkAcl",
    "NetworkAclItem",
    "NetworkOffering",
    "NetworkRule",
    "NetworkServiceProvider",
    "Nic",
    "ObjectStoragePool",
    "PhysicalNetwork",
    "PhysicalNetworkTrafficType",
    "Pod",
    "PrivateGateway",
    "PublicIpAddress",
    "PublicIpRange",
    "Region",
    "RemoteAccessVpn",
    "ResourceCount",
    "ResourceLimit",
    "ResourceTag",
    "Role",
    "RolePermission",
    "S3Object",
    "SecurityGroup",
    "SecurityGroupRule",
    "SecurityGroupVm",
    "ServiceOffering",
    "SettingValue",
    "Snapshot",
    "SnapshotPolicy",
    "SshKeyPair",
    "StaticRoute",
    "StoragePool",
    "TaskLease",
    "Template",
    "TemplatePermission",
    "TemplatePoolCopy",
    "TemplateStore",
    "User",
    "UserData",
    "VirtualMachine",
    "VirtualRouter",
    "VmSnapshot",
    "Volume",
    "Vpc",
    "VpcOffering",
    "VpcRouteTable",
    "VpnConnection",
    "VpnCustomerGateway",
    "VpnGateway",
    "VpnUser",
    "Zone",
    "new_uuid",
    "utcnow",
]
