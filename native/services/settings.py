"""Global settings: declared definitions with type, default, scope and validation.

Values set by administrators are stored in `setting_value`; a lookup falls back from
account to domain to global, then to the declared default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from native.model import SettingValue
from native.services.errors import InvalidParameterValue

SCOPES = ("global", "zone", "cluster", "storagepool", "domain", "account")
MOST_SPECIFIC_FIRST = SCOPES[::-1]
NO_SCOPE = -1
_SCOPED_VALUES = select(SettingValue.scope, SettingValue.scope_id, SettingValue.value).where(
    SettingValue.name == bindparam("name"),
    or_(
        *(
            and_(SettingValue.scope == scope, SettingValue.scope_id == bindparam(f"{scope}_id"))
            for scope in MOST_SPECIFIC_FIRST
        )
    ),
)


def _parse_boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError("must be true or false")
    return lowered == "true"


def _parse_integer(text: str) -> int:
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise ValueError("must be a whole number") from None


def _parse_float(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError("must be a number") from None


_PARSERS: dict[str, Callable[[str], Any]] = {
    "Boolean": _parse_boolean,
    "Integer": _parse_integer,
    "Long": _parse_integer,
    "Float": _parse_float,
    "String": str,
}


@dataclass(frozen=True, kw_only=True)
class Setting:
    """The definition of one setting. `scopes` lists where it may be overridden."""

    name: str
    category: str
    type: str
    default: str
    description: str
    scopes: tuple[str, ...] = ("global",)
    is_dynamic: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    component: str = "ManagementServer"

    def parse(self, text: str) -> Any:
        """The typed value of `text`, or ValueError saying why it is not acceptable."""
        value = _PARSERS[self.type](text)
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be at least {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be at most {self.maximum:g}")
        if self.choices and text not in self.choices:
            raise ValueError(f"must be one of {', '.join(self.choices)}")
        return value


@dataclass
class Settings:
    """The registry of setting definitions, and typed reads and validated writes of values."""

    definitions: dict[str, Setting] = field(default_factory=dict)

    def define(self, setting: Setting) -> Setting:
        if setting.name in self.definitions:
            raise ValueError(f"setting {setting.name} is defined twice")
        setting.parse(setting.default)
        self.definitions[setting.name] = setting
        return setting

    def definition(self, name: str) -> Setting:
        try:
            return self.definitions[name]
        except KeyError:
            raise InvalidParameterValue(f"Configuration {name} does not exist") from None

    def raw(
        self,
        session: Session,
        name: str,
        *,
        account_id: int | None = None,
        domain_id: int | None = None,
        storagepool_id: int | None = None,
        cluster_id: int | None = None,
        zone_id: int | None = None,
    ) -> str:
        """The effective raw value at the most specific scope given that the setting allows
        (account, domain, storage pool, cluster, zone), then global, then the default; all
        the scopes are read by one statement, built once."""
        definition = self.definition(name)
        given = {
            "account": account_id,
            "domain": domain_id,
            "storagepool": storagepool_id,
            "cluster": cluster_id,
            "zone": zone_id,
        }
        lookups = [
            (scope, scope_id)
            for scope in MOST_SPECIFIC_FIRST[:-1]
            if (scope_id := given[scope]) is not None and scope in definition.scopes
        ]
        lookups.append(("global", 0))
        binds = {f"{scope}_id": NO_SCOPE for scope in MOST_SPECIFIC_FIRST}
        binds.update({f"{scope}_id": scope_id for scope, scope_id in lookups})
        found: dict[tuple[str, int], str] = {
            (scope, scope_id): value
            for scope, scope_id, value in session.execute(_SCOPED_VALUES, {"name": name, **binds})
            if value is not None
        }
        return next((found[lookup] for lookup in lookups if lookup in found), definition.default)

    def scoped_values(
        self, session: Session, name: str, *, scope: str, scope_ids: Collection[int]
    ) -> dict[int, Any]:
        """The typed values of `name` set at exactly `scope` for those of `scope_ids` that
        have one, by scope id, in one query (the others fall back as `raw` says)."""
        definition = self.definition(name)
        if not scope_ids:
            return {}
        rows = session.execute(
            select(SettingValue.scope_id, SettingValue.value).where(
                SettingValue.name == name,
                SettingValue.scope == scope,
                SettingValue.scope_id.in_(list(scope_ids)),
            )
        )
        return {scope_id: definition.parse(value) for scope_id, value in rows if value is not None}

    def get(self, session: Session, name: str, **scope: int | None) -> Any:
        """The effective typed value (see `raw`)."""
        return self.definition(name).parse(self.raw(session, name, **scope))

    def set(
        self, session: Session, name: str, value: str, *, scope: str = "global", scope_id: int = 0
    ) -> None:
        """Validate and store a value; InvalidParameterValue names the setting and the reason."""
        definition = self.definition(name)
        if scope not in definition.scopes:
            raise InvalidParameterValue(
                f"Configuration {name} cannot be set at {scope} scope; "
                f"valid scopes: {', '.join(definition.scopes)}"
            )
        try:
            definition.parse(value)
        except ValueError as exc:
            raise InvalidParameterValue(
                f"Invalid value {value!r} for configuration {name} of type {definition.type}: {exc}"
            ) from None
        row = session.scalars(
            select(SettingValue).where(
                SettingValue.name == name,
                SettingValue.scope == scope,
                SettingValue.scope_id == scope_id,
            )
        ).first()
        now = dt.datetime.now(dt.UTC)
        if row is None:
            session.add(
                SettingValue(name=name, scope=scope, scope_id=scope_id, value=value, updated=now)
            )
        else:
            row.value = value
            row.updated = now


CORE_SETTINGS: tuple[Setting, ...] = (
    Setting(
        name="default.page.size",
        category="Advanced",
        type="Long",
        default="500",
        minimum=1,
        description="Default page size for API list calls; also the largest pagesize accepted",
    ),
    Setting(
        name="session.timeout",
        category="Advanced",
        type="Integer",
        default="1800",
        minimum=60,
        description="Seconds a web console session may stay idle before it expires",
    ),
    Setting(
        name="management.server.heartbeat.timeout",
        category="Advanced",
        type="Integer",
        default="60",
        minimum=1,
        description="Seconds without a heartbeat after which a management server is taken "
        "as dead and its running jobs are failed",
    ),
    Setting(
        name="allow.user.create.projects",
        category="Advanced",
        type="Boolean",
        default="true",
        scopes=("global", "domain"),
        description="If regular users can create a project; true by default",
    ),
    Setting(
        name="allow.user.view.destroyed.vm",
        category="Advanced",
        type="Boolean",
        default="false",
        scopes=("global", "account"),
        description="Determines whether users can view their destroyed or expunging vm",
    ),
    Setting(
        name="allow.user.expunge.recover.vm",
        category="Advanced",
        type="Boolean",
        default="false",
        scopes=("global", "account"),
        description="Determines whether users can expunge or recover their vm",
    ),
    Setting(
        name="custom.diskoffering.size.min",
        category="Advanced",
        type="Long",
        default="1",
        minimum=1,
        description="Minimum size in GB for a custom disk offering",
    ),
    Setting(
        name="custom.diskoffering.size.max",
        category="Advanced",
        type="Long",
        default="1024",
        minimum=1,
        description="Maximum size in GB for a custom disk offering",
    ),
    Setting(
        name="security.password.min.length",
        category="Secure",
        type="Integer",
        default="8",
        minimum=1,
        maximum=255,
        description="Minimum length of a user password",
    ),
)


ORCHESTRATION_SETTINGS: tuple[Setting, ...] = (
    Setting(
        name="cpu.overprovisioning.factor",
        category="Advanced",
        type="Float",
        default="1.0",
        minimum=0.1,
        scopes=("global", "cluster"),
        description="Used for CPU overprovisioning calculation; available CPU will be "
        "(actual CPU capacity)*(cpu overprovisioning factor)",
    ),
    Setting(
        name="mem.overprovisioning.factor",
        category="Advanced",
        type="Float",
        default="1.0",
        minimum=0.1,
        scopes=("global", "cluster"),
        description="Used for memory overprovisioning calculation",
    ),
    Setting(
        name="storage.overprovisioning.factor",
        category="Storage",
        type="Float",
        default="2.0",
        minimum=0.1,
        scopes=("global", "storagepool"),
        description="Used for storage overprovisioning calculation; available storage will be "
        "(actual storage size)*(storage overprovisioning factor)",
    ),
    Setting(
        name="vm.allocation.algorithm",
        category="Advanced",
        type="String",
        default="random",
        choices=(
            "random",
            "firstfit",
            "userdispersing",
            "userconcentratedpod_random",
            "userconcentratedpod_firstfit",
        ),
        description="The deployment planner: 'random', 'firstfit', 'userdispersing', "
        "'userconcentratedpod_random' or 'userconcentratedpod_firstfit'",
    ),
    Setting(
        name="deployment.planner.filters",
        category="Advanced",
        type="String",
        default="enabled,capacity,hosttags,storagetags,affinity,antiaffinity",
        description="Comma-separated host filters the deployment planner applies, in order",
    ),
    Setting(
        name="deployment.planner.weighers",
        category="Advanced",
        type="String",
        default="freememory",
        description="Comma-separated host weighers ranking the hosts that pass the filters",
    ),
    Setting(
        name="enable.dynamic.scale.vm",
        category="Advanced",
        type="Boolean",
        default="false",
        scopes=("global", "zone"),
        description="Enables/Disables dynamically scaling a vm",
    ),
    Setting(
        name="ping.interval",
        category="Advanced",
        type="Integer",
        default="60",
        minimum=1,
        description="Interval in seconds between the management server's pings of each host",
    ),
    Setting(
        name="ping.timeout",
        category="Advanced",
        type="Float",
        default="2.5",
        minimum=1,
        description="Multiplier of ping.interval after which an unanswering host is "
        "investigated and, if it still does not answer, marked Down",
    ),
    Setting(
        name="expunge.delay",
        category="Advanced",
        type="Integer",
        default="86400",
        minimum=0,
        description="Seconds a destroyed VM is kept (and can be recovered) before it is expunged",
    ),
    Setting(
        name="destroyed.vm.view.duration",
        category="Advanced",
        type="Integer",
        default="3600",
        minimum=0,
        scopes=("global", "account"),
        description="Seconds after its destruction that a VM, destroyed or already expunged, "
        "is still listed to its owner by listVirtualMachines with includedestroyed=true (the "
        "EC2 API's terminated instances)",
    ),
    Setting(
        name="expunge.interval",
        category="Advanced",
        type="Integer",
        default="60",
        minimum=1,
        description="Seconds between runs of the expunge thread",
    ),
    Setting(
        name="snapshot.poll.interval",
        category="Snapshots",
        type="Integer",
        default="60",
        minimum=1,
        description="Seconds between runs of the recurring-snapshot scheduler",
    ),
)

LIMIT_DEFAULTS: tuple[tuple[str, str, str], ...] = (
    ("user.vms", "20", "40"),
    ("public.ips", "20", "40"),
    ("volumes", "20", "40"),
    ("snapshots", "20", "40"),
    ("templates", "20", "40"),
    ("projects", "10", "50"),
    ("networks", "20", "40"),
    ("vpcs", "20", "40"),
    ("cpus", "40", "80"),
    ("memory", "40960", "81920"),
    ("primary.storage", "200", "400"),
    ("secondary.storage", "400", "800"),
)
"""(setting suffix, account default, domain default) of `max.account.*` / `max.domain.*`.
Memory is in MiB and storage in GiB, as CloudStack counts them."""


def _limit_settings() -> tuple[Setting, ...]:
    return tuple(
        Setting(
            name=f"max.{owner}.{suffix}",
            category="Account Defaults" if owner == "account" else "Domain Defaults",
            type="Long",
            default=default,
            minimum=-1,
            scopes=("global",),
            description=f"The default maximum {suffix.replace('.', ' ')} that can be used by "
            f"a{'n' if owner == 'account' else ''} {owner} (-1 for unlimited)",
        )
        for suffix, account_default, domain_default in LIMIT_DEFAULTS
        for owner, default in (("account", account_default), ("domain", domain_default))
    )


NETWORK_SETTINGS: tuple[Setting, ...] = (
    Setting(
        name="remote.access.vpn.client.iprange",
        category="Network",
        type="String",
        default="10.1.2.1-10.1.2.8",
        scopes=("global", "account"),
        description="The range of ips to be allocated to remote access vpn clients. The first "
        "ip in the range is used by the VPN server",
    ),
    Setting(
        name="remote.access.vpn.psk.length",
        category="Network",
        type="Integer",
        default="24",
        minimum=8,
        maximum=256,
        description="The length of the ipsec preshared key (minimum 8, maximum 256)",
    ),
    Setting(
        name="remote.access.vpn.user.limit",
        category="Network",
        type="Integer",
        default="8",
        minimum=0,
        scopes=("global", "account"),
        description="The maximum number of VPN users that can be created per account",
    ),
    Setting(
        name="vpc.max.route.tables",
        category="Network",
        type="Integer",
        default="200",
        minimum=1,
        scopes=("global", "account"),
        description="The maximum number of route tables of a VPC, its main table included (Alto)",
    ),
    Setting(
        name="vpc.route.table.max.routes",
        category="Network",
        type="Integer",
        default="50",
        minimum=1,
        scopes=("global", "account"),
        description="The maximum number of static routes in one VPC route table (Alto)",
    ),
    Setting(
        name="site2site.vpn.vpngateway.connection.limit",
        category="Network",
        type="Integer",
        default="4",
        minimum=0,
        description="The maximum number of VPN connection per VPN gateway",
    ),
    Setting(
        name="site2site.vpn.customergateway.subnets.limit",
        category="Network",
        type="Integer",
        default="10",
        minimum=1,
        description="The maximum number of subnets per customer gateway",
    ),
)


def core_settings() -> Settings:
    """A registry holding the settings the management server itself reads."""
    settings = Settings()
    for setting in (*CORE_SETTINGS, *ORCHESTRATION_SETTINGS, *NETWORK_SETTINGS, *_limit_settings()):
        settings.define(setting)
    return settings
