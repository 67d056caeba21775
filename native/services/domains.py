"""The domain tree: create, rename, delete (with or without cleanup)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from native.model import Account, Domain, utcnow
from native.services import limits
from native.services.accounts import remove_account
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, PermissionDenied, ResourceInUse
from native.services.locks import lock_domain
from native.services.visibility import domain_path_in_scope


def display_path(domain: Domain) -> str:
    """CloudStack's `path` field: `ROOT` for the root, `ROOT/a/b` below it."""
    return "ROOT" + domain.path.rstrip("/") if domain.path != "/" else "ROOT"


def live_children(session: Session, domain: Domain) -> list[Domain]:
    return list(
        session.scalars(
            select(Domain)
            .where(Domain.parent_id == domain.id, Domain.removed.is_(None))
            .order_by(Domain.id)
        )
    )


def _check_name(
    session: Session, *, name: str, parent: Domain, exclude_id: int | None = None
) -> None:
    if not name.strip() or "/" in name:
        raise InvalidParameterValue(
            f"Invalid domain name {name!r}: it must be non-empty and contain no '/'"
        )
    lock_domain(session, domain_id=parent.id)
    clash = select(Domain.id).where(
        Domain.parent_id == parent.id,
        Domain.removed.is_(None),
        func.lower(Domain.name) == name.lower(),
    )
    if exclude_id is not None:
        clash = clash.where(Domain.id != exclude_id)
    if session.scalars(clash).first() is not None:
        raise InvalidParameterValue(
            f"Domain with name {name} already exists for the parent id={parent.uuid}"
        )


def _check_manageable(caller: Caller, domain: Domain) -> None:
    """Domain admins manage strictly below their own domain; root admins everything."""
    if caller.is_root_admin:
        return
    if not domain_path_in_scope(caller, domain.path) or domain.path == caller.domain_path:
        raise PermissionDenied(
            f"Account {caller.account_name} does not have permission to operate within domain "
            f"id={domain.uuid}"
        )


def create_domain(
    session: Session, *, caller: Caller, name: str, parent: Domain, network_domain: str | None
) -> Domain:
    """A new child of `parent` (which the caller must manage, or own as a domain admin)."""
    if not caller.is_root_admin and not domain_path_in_scope(caller, parent.path):
        raise PermissionDenied(
            f"Account {caller.account_name} cannot create domains under {parent.uuid}"
        )
    _check_name(session, name=name, parent=parent)
    domain = Domain(
        name=name,
        parent_id=parent.id,
        path=f"{parent.path}{name}/",
        level=parent.level + 1,
        network_domain=network_domain,
    )
    session.add(domain)
    session.flush()
    limits.create_count_rows(session, owner_type=limits.DOMAIN, owner_id=domain.id)
    return domain


def update_domain(
    session: Session,
    *,
    caller: Caller,
    domain: Domain,
    name: str | None,
    network_domain: str | None,
) -> Domain:
    """Rename (moving the paths of the whole subtree) and/or change the network domain."""
    _check_manageable(caller, domain)
    if name is not None and name != domain.name:
        if domain.parent_id is None:
            raise InvalidParameterValue("ROOT domain can not be edited with a new name")
        parent = session.get(Domain, domain.parent_id)
        assert parent is not None
        _check_name(session, name=name, parent=parent, exclude_id=domain.id)
        old_path, new_path = domain.path, f"{parent.path}{name}/"
        for below in session.scalars(
            select(Domain).where(Domain.path.startswith(old_path, autoescape=True))
        ):
            below.path = new_path + below.path[len(old_path) :]
        domain.name = name
    if network_domain is not None:
        domain.network_domain = network_domain or None
    session.flush()
    return domain


def _live_accounts(session: Session, domain: Domain) -> list[Account]:
    return list(
        session.scalars(
            select(Account).where(Account.domain_id == domain.id, Account.removed.is_(None))
        )
    )


def check_deletable(session: Session, *, caller: Caller, domain: Domain, cleanup: bool) -> None:
    """Refuse to delete ROOT, a domain the caller does not manage, or a non-empty one without cleanup."""
    if domain.parent_id is None:
        raise PermissionDenied("Can't delete the ROOT domain")
    _check_manageable(caller, domain)
    if cleanup:
        return
    children = live_children(session, domain)
    accounts = _live_accounts(session, domain)
    if children or accounts:
        raise ResourceInUse(
            f"Can't delete the domain yet because it has {len(children)} subdomain(s) and "
            f"{len(accounts)} account(s); delete them first or pass cleanup=true",
            uuids=[domain.uuid],
        )


def delete_domain(session: Session, *, caller: Caller, domain: Domain, cleanup: bool) -> None:
    """Delete a domain. Without cleanup it must be empty; with it, its subtree and accounts go too."""
    check_deletable(session, caller=caller, domain=domain, cleanup=cleanup)
    children = live_children(session, domain)
    accounts = _live_accounts(session, domain)
    for child in children:
        delete_domain(session, caller=caller, domain=child, cleanup=True)
    for account in accounts:
        remove_account(session, account=account)
    domain.removed = utcnow()
    domain.state = "Inactive"
    session.flush()
