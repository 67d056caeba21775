"""Resource tags (CloudStack's TaggedResourceService): key/value pairs on taggable resources.

Each area registers the models it owns with `register_taggable` under CloudStack's
`ResourceObjectType` name (UserVm, Volume, Template…). A tag row carries the uuid of its
resource and the account and domain of the resource's owner, so listing and permission
checks never load the resource again. List commands filter by tags in SQL with
`tag_clause` and render a page's tags with one query through `tags_of`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import (
    Account,
    DhcpOptionsSet,
    Domain,
    InternetGateway,
    Network,
    NetworkAcl,
    NetworkAclItem,
    NetworkRule,
    Nic,
    PublicIpAddress,
    RemoteAccessVpn,
    ResourceTag,
    SecurityGroup,
    SecurityGroupRule,
    Snapshot,
    SnapshotPolicy,
    SshKeyPair,
    StaticRoute,
    Template,
    User,
    VirtualMachine,
    VmSnapshot,
    Volume,
    Vpc,
    VpcRouteTable,
)
from native.services.caller import AccountType, Caller
from native.services.errors import InvalidParameterValue, PermissionDenied
from native.services.visibility import can_see_account

TAG_TEXT_LENGTH = 255
"""The longest tag key or value."""

OwnerOf = Callable[[Session, Any], int]
"""The id of the account owning a loaded resource row."""


@dataclass(frozen=True, kw_only=True)
class Taggable:
    """A taggable resource type: its model, which of its rows count, and who owns a row.

    `owned` types are tagged by their owner (and admins above it); the others only by the
    root admin, with tags owned by the default root admin account.
    """

    resource_type: str
    model: type
    owned: bool
    condition: ColumnElement[bool] | None
    owner_of: OwnerOf | None


TAGGABLE: dict[str, Taggable] = {}
"""The taggable types by CloudStack resource type name."""


def _account_id_of(session: Session, row: Any) -> int:
    return int(row.account_id)


def register_taggable(
    resource_type: str,
    model: type,
    *,
    owned: bool = True,
    condition: ColumnElement[bool] | None = None,
    owner_of: OwnerOf | None = None,
) -> None:
    """Make rows of `model` taggable as `resource_type`.

    `condition` narrows which rows are of this type (ISO and Template share a model);
    `owner_of` finds the owning account id of an owned row (default: its `account_id`).
    Registering a name again replaces the earlier registration.
    """
    TAGGABLE[resource_type] = Taggable(
        resource_type=resource_type,
        model=model,
        owned=owned,
        condition=condition,
        owner_of=(owner_of or _account_id_of) if owned else None,
    )


def _policy_owner(session: Session, row: Any) -> int:
    volume = session.get(Volume, cast(SnapshotPolicy, row).volume_id)
    assert volume is not None
    return volume.account_id


def _acl_item_owner(session: Session, row: Any) -> int:
    acl = session.get(NetworkAcl, cast(NetworkAclItem, row).acl_id)
    vpc = None if acl is None or acl.vpc_id is None else session.get(Vpc, acl.vpc_id)
    return _system_account(session).id if vpc is None else vpc.account_id


def _acl_list_owner(session: Session, row: Any) -> int:
    vpc_id = cast(NetworkAcl, row).vpc_id
    vpc = None if vpc_id is None else session.get(Vpc, vpc_id)
    return _system_account(session).id if vpc is None else vpc.account_id


def _nic_owner(session: Session, row: Any) -> int:
    vm = session.get(VirtualMachine, cast(Nic, row).vm_id)
    assert vm is not None
    return vm.account_id


def _group_rule_owner(session: Session, row: Any) -> int:
    group = session.get(SecurityGroup, cast(SecurityGroupRule, row).security_group_id)
    assert group is not None
    return group.account_id


register_taggable("UserVm", VirtualMachine)
register_taggable("Volume", Volume)
register_taggable("Snapshot", Snapshot)
register_taggable("Template", Template, condition=Template.format != "ISO")
register_taggable("ISO", Template, condition=Template.format == "ISO")
register_taggable("VMSnapshot", VmSnapshot)
register_taggable("SnapshotPolicy", SnapshotPolicy, owner_of=_policy_owner)
register_taggable("Account", Account, owner_of=lambda session, row: int(row.id))
register_taggable("User", User)
register_taggable("Network", Network)
register_taggable("Vpc", Vpc)
register_taggable("PublicIpAddress", PublicIpAddress, condition=PublicIpAddress.state != "Free")
register_taggable("FirewallRule", NetworkRule, condition=NetworkRule.purpose == "Firewall")
register_taggable(
    "PortForwardingRule", NetworkRule, condition=NetworkRule.purpose == "PortForwarding"
)
register_taggable("LoadBalancer", NetworkRule, condition=NetworkRule.purpose == "LoadBalancing")
register_taggable("NetworkACL", NetworkAclItem, owner_of=_acl_item_owner)
register_taggable("NetworkACLList", NetworkAcl, owner_of=_acl_list_owner)
register_taggable("SSHKeyPair", SshKeyPair)
register_taggable("SecurityGroup", SecurityGroup)
register_taggable("SecurityGroupRule", SecurityGroupRule, owner_of=_group_rule_owner)
register_taggable("RemoteAccessVpn", RemoteAccessVpn)
register_taggable("StaticRoute", StaticRoute)
register_taggable("DhcpOptionsSet", DhcpOptionsSet)
register_taggable("RouteTable", VpcRouteTable)
register_taggable("InternetGateway", InternetGateway)
# An Alto extension: CloudStack's NICs take details only, but EC2's network interfaces take tags.
register_taggable("Nic", Nic, condition=Nic.vm_id.is_not(None), owner_of=_nic_owner)


UNTAGGABLE = (
    "AutoScaleVmGroup",
    "AutoScaleVmProfile",
    "CustomerGateway",
    "DiskOffering",
    "Domain",
    "DomainRouter",
    "GuestOs",
    "LBHealthCheckPolicy",
    "LBStickinessPolicy",
    "NetworkOffering",
    "PrivateGateway",
    "ServiceOffering",
    "Storage",
    "VpnConnection",
    "VpnGateway",
    "Zone",
)
"""CloudStack resource types that carry details (metadata) but not tags."""


def taggable(resource_type: str) -> Taggable:
    """The registration of a type named case-insensitively, or a 431."""
    wanted = resource_type.strip().lower()
    for name, entry in TAGGABLE.items():
        if name.lower() == wanted:
            return entry
    for name in UNTAGGABLE:
        if name.lower() == wanted:
            raise InvalidParameterValue(f"The resource type {name} doesn't support resource tags")
    raise InvalidParameterValue(f"Invalid resource type: {resource_type}")


def tag_clause(
    *, resource_type: str, id_column: Any, tags: Mapping[str, str | None]
) -> ColumnElement[bool]:
    """A condition true for resources (`id_column` their integer id) carrying every tag.

    One EXISTS per key; a None or empty value matches the key with any value.
    """
    conditions = []
    for key, value in tags.items():
        match = and_(
            ResourceTag.resource_type == resource_type,
            ResourceTag.resource_id == id_column,
            ResourceTag.key == key,
        )
        if value:
            match = and_(match, ResourceTag.value == value)
        conditions.append(exists().where(match))
    return and_(true(), *conditions)


def tags_param(entries: Sequence[Mapping[str, str]] | None) -> dict[str, str]:
    """The `tags[i].key` / `tags[i].value` map parameter as a dict; a 431 for an entry
    without a key."""
    tags: dict[str, str] = {}
    for entry in entries or ():
        lowered = {name.lower(): value for name, value in entry.items()}
        key = lowered.get("key")
        if not key:
            raise InvalidParameterValue("Each tag must have a key (tags[i].key)")
        tags[key] = lowered.get("value", "")
    return tags


def deleted_tags_param(entries: Sequence[Mapping[str, str]] | None) -> dict[str, str | None]:
    """The tags to delete from the `tags[i].key` / `tags[i].value` map parameter: a key
    without a value entry (None) matches any value; a 431 for an entry without a key."""
    tags: dict[str, str | None] = {}
    for entry in entries or ():
        lowered = {name.lower(): value for name, value in entry.items()}
        key = lowered.get("key")
        if not key:
            raise InvalidParameterValue("Each tag must have a key (tags[i].key)")
        tags[key] = lowered.get("value")
    return tags


def new_tags_param(entries: Sequence[Mapping[str, str]] | None) -> dict[str, str]:
    """The tags to create from the `tags[i].key` / `tags[i].value` map parameter.

    Every entry needs a key and a value entry; the value may be empty (an Alto extension
    for EC2, whose tags may have empty values). A 431 otherwise.
    """
    tags: dict[str, str] = {}
    for entry in entries or ():
        lowered = {name.lower(): value for name, value in entry.items()}
        key, value = lowered.get("key"), lowered.get("value")
        if not key:
            raise InvalidParameterValue("Each tag must have a key (tags[i].key)")
        if value is None:
            raise InvalidParameterValue(f"Value for the key {key} is either null or empty")
        if len(key) > TAG_TEXT_LENGTH or len(value) > TAG_TEXT_LENGTH:
            raise InvalidParameterValue(
                f"Tag keys and values are at most {TAG_TEXT_LENGTH} characters long"
            )
        tags[key] = value
    return tags


def tags_of(
    session: Session, *, resource_type: str, resource_ids: Sequence[int]
) -> dict[int, list[ResourceTag]]:
    """The tags of each of these resources (by integer id), in key order, in one query.

    Resources without tags are absent from the answer.
    """
    found: defaultdict[int, list[ResourceTag]] = defaultdict(list)
    if not resource_ids:
        return {}
    rows = session.scalars(
        select(ResourceTag)
        .where(
            ResourceTag.resource_type == resource_type,
            ResourceTag.resource_id.in_(set(resource_ids)),
        )
        .order_by(ResourceTag.resource_id, ResourceTag.key)
    )
    for row in rows:
        found[row.resource_id].append(row)
    return dict(found)


def remove_tags_of(session: Session, *, resource_type: str, resource_id: int) -> None:
    """Delete every tag of one resource (when the resource itself is removed)."""
    session.execute(
        delete(ResourceTag)
        .where(ResourceTag.resource_type == resource_type, ResourceTag.resource_id == resource_id)
        .execution_options(synchronize_session=False)
    )


def remove_tags_of_selected(
    session: Session, *, resource_type: str, resource_ids: Select[Any]
) -> None:
    """Delete every tag of the resources whose ids `resource_ids` selects (before they go)."""
    session.execute(
        delete(ResourceTag)
        .where(
            ResourceTag.resource_type == resource_type,
            ResourceTag.resource_id.in_(resource_ids.scalar_subquery()),
        )
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True, kw_only=True)
class Resource:
    """A resource resolved for tagging: its ids and the account and domain owning its tags."""

    id: int
    uuid: str
    account_id: int
    domain_id: int


def _lookup_query(entry: Taggable, uuid: str) -> Select[Any]:
    model = cast(Any, entry.model)
    query = select(model).where(model.uuid == uuid)
    if hasattr(model, "removed"):
        query = query.where(model.removed.is_(None))
    if entry.condition is not None:
        query = query.where(entry.condition)
    return query


def _system_account(session: Session) -> Account:
    account = session.scalars(
        select(Account)
        .where(Account.account_type == AccountType.ADMIN, Account.is_default.is_(True))
        .order_by(Account.id)
        .limit(1)
    ).first()
    assert account is not None, "the seeded admin account is missing"
    return account


def resolve(session: Session, *, caller: Caller, entry: Taggable, uuid: str) -> Resource:
    """The resource of this type named by `uuid`, checked that the caller may tag it.

    An unknown or invisible resource gets a 431 (visible ones of other owners a 531).
    """
    row = session.scalars(_lookup_query(entry, uuid.strip())).first()
    if row is None:
        raise InvalidParameterValue(
            f"Unable to find resource by id {uuid} and type {entry.resource_type}"
        )
    if entry.owner_of is None:
        if not caller.is_root_admin:
            raise PermissionDenied(
                f"Account '{caller.account_name}' doesn't have permissions to create tags for "
                f"resource '{uuid}'."
            )
        owner = _system_account(session)
    else:
        loaded = session.get(Account, entry.owner_of(session, row))
        assert loaded is not None
        owner = loaded
        if not can_see_account(caller, owner):
            raise InvalidParameterValue(
                f"Unable to find resource by id {uuid} and type {entry.resource_type}"
            )
    return Resource(id=row.id, uuid=row.uuid, account_id=owner.id, domain_id=owner.domain_id)


def check_new_tags(
    session: Session,
    *,
    caller: Caller,
    resource_type: str,
    resource_uuids: Sequence[str],
    tags: Mapping[str, str],
    replace: bool = False,
) -> tuple[Taggable, list[Resource]]:
    """Check that the caller may put these tags on these resources, and resolve them.

    A type that is not taggable, no tags, an unknown resource or (unless `replace`) a key
    the resource already has (case-insensitively) gets a 431.
    """
    entry = taggable(resource_type)
    if not tags:
        raise InvalidParameterValue("At least one tag (tags[0].key, tags[0].value) is required")
    resources = resolve_all(session, caller=caller, entry=entry, uuids=resource_uuids)
    if not replace:
        for resource in resources:
            _check_new_keys(session, entry=entry, resource=resource, keys=tags.keys())
    return entry, resources


def resolve_all(
    session: Session, *, caller: Caller, entry: Taggable, uuids: Sequence[str]
) -> list[Resource]:
    """`resolve` for each distinct uuid, in order."""
    return [
        resolve(session, caller=caller, entry=entry, uuid=uuid) for uuid in dict.fromkeys(uuids)
    ]


def create_tags(
    session: Session,
    *,
    caller: Caller,
    resource_type: str,
    resource_uuids: Sequence[str],
    tags: Mapping[str, str],
    customer: str | None,
    replace: bool = False,
) -> list[ResourceTag]:
    """Tag every named resource with every key/value, all or nothing, after the checks of
    `check_new_tags` (a key added concurrently also gets a 431). With `replace`, a key a
    resource already has (case-insensitively) takes the new value instead."""
    entry, resources = check_new_tags(
        session,
        caller=caller,
        resource_type=resource_type,
        resource_uuids=resource_uuids,
        tags=tags,
        replace=replace,
    )
    if replace:
        session.execute(
            delete(ResourceTag)
            .where(
                ResourceTag.resource_type == entry.resource_type,
                ResourceTag.resource_id.in_([resource.id for resource in resources]),
                func.lower(ResourceTag.key).in_([key.lower() for key in tags]),
            )
            .execution_options(synchronize_session=False)
        )
    created = [
        ResourceTag(
            key=key,
            value=value,
            resource_type=entry.resource_type,
            resource_id=resource.id,
            resource_uuid=resource.uuid,
            account_id=resource.account_id,
            domain_id=resource.domain_id,
            customer=customer,
        )
        for resource in resources
        for key, value in tags.items()
    ]
    try:
        with session.begin_nested():
            session.add_all(created)
    except IntegrityError:
        raise InvalidParameterValue(
            f"One of the tags {', '.join(tags)} was just added to one of the resources"
        ) from None
    return created


def _check_new_keys(
    session: Session, *, entry: Taggable, resource: Resource, keys: Iterable[str]
) -> None:
    existing = session.scalars(
        select(ResourceTag.key).where(
            ResourceTag.resource_type == entry.resource_type,
            ResourceTag.resource_id == resource.id,
            func.lower(ResourceTag.key).in_([key.lower() for key in keys]),
        )
    ).first()
    if existing is not None:
        raise InvalidParameterValue(
            f"tag {existing} already on {entry.resource_type} with id {resource.uuid}"
        )


def delete_tags(
    session: Session,
    *,
    caller: Caller,
    resource_type: str,
    resource_uuids: Sequence[str],
    tags: Mapping[str, str | None],
) -> int:
    """Delete the named resources' tags: all of them, or those whose key (and value, unless
    None) matches one of `tags`, case-insensitively. Returns how many were deleted.

    An unknown resource or one the caller may not act on gets a 431 (531 for a non-owned
    type and a caller that is not root admin).
    """
    entry = taggable(resource_type)
    ids = [
        resource.id
        for resource in resolve_all(session, caller=caller, entry=entry, uuids=resource_uuids)
    ]
    statement = delete(ResourceTag).where(
        ResourceTag.resource_type == entry.resource_type, ResourceTag.resource_id.in_(ids)
    )
    if tags:
        statement = statement.where(
            or_(
                *(
                    and_(
                        func.lower(ResourceTag.key) == key.lower(),
                        true() if value is None else func.lower(ResourceTag.value) == value.lower(),
                    )
                    for key, value in tags.items()
                )
            )
        )
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def load_owners(session: Session, *, account_ids: Collection[int]) -> list[Account]:
    """The accounts (with their domains) of `account_ids` in one query. The session's identity
    map holds only referenced rows: keep the list while tag responses are made, and their
    `owner_names` find these rows without a query each."""
    if not account_ids:
        return []
    return list(session.scalars(select(Account).where(Account.id.in_(account_ids))).all())


def owner_names(session: Session, *, account_id: int) -> tuple[Account, Domain]:
    """The account and domain rows a tag's response names (from the session's identity map
    when `load_owners` holds them, else one query)."""
    account = session.get(Account, account_id)
    assert account is not None
    return account, account.domain
