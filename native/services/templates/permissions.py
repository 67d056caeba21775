"""Who may see, launch and change a template or ISO, and its launch permissions.

A template is visible to its owner, to admins above the owner, to everyone when public, and
to the accounts it is shared with (`TemplatePermission`). Only the owner and admins above
it change it.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from native.model import Account, Template, TemplatePermission, Zone
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, PermissionDenied
from native.services.visibility import can_see_account
from native.services.volume_provisioning import ready_template_copy

OPERATIONS = ("add", "remove", "reset")


def kind(template: Template) -> str:
    """`ISO` or `Template`, as CloudStack words its messages."""
    return "ISO" if template.format == "ISO" else "Template"


def is_shared_with(session: Session, template: Template, account_id: int) -> bool:
    """Whether the template's launch permissions name the account."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    TemplatePermission.template_id == template.id,
                    TemplatePermission.account_id == account_id,
                )
            )
        )
    )


def can_manage(session: Session, caller: Caller, template: Template) -> bool:
    """The owner, and admins whose domains hold the owner, may change the template."""
    if caller.is_root_admin or template.account_id == caller.account_id:
        return True
    owner = session.get(Account, template.account_id)
    return caller.is_domain_admin and owner is not None and can_see_account(caller, owner)


def can_see(session: Session, caller: Caller, template: Template) -> bool:
    """Whether the caller may see (and launch) the template."""
    return (
        template.is_public
        or can_manage(session, caller, template)
        or is_shared_with(session, template, caller.account_id)
    )


def check_manage(session: Session, caller: Caller, template: Template) -> None:
    """PermissionDenied (531) unless the caller may change the template."""
    if not can_manage(session, caller, template):
        raise PermissionDenied(
            f"Account {caller.account_name} does not have permission to operate on "
            f"{kind(template).lower()} {template.uuid}"
        )


def usable_in_zone(session: Session, *, caller: Caller, template: Template, zone: Zone) -> None:
    """Return if the caller may launch the template (or attach the ISO) in the zone.

    PermissionDenied (531) when the caller may not use it; InvalidParameterValue (431)
    when it is removed or has no downloaded copy on an image store serving the zone.
    """
    if template.removed is not None:
        raise InvalidParameterValue(f"{kind(template)} {template.uuid} has been removed")
    if not can_see(session, caller, template):
        raise PermissionDenied(
            f"Account {caller.account_name} does not have permission to use "
            f"{kind(template).lower()} {template.uuid}"
        )
    if ready_template_copy(session, template_id=template.id, zone_id=zone.id) is None:
        raise InvalidParameterValue(
            f"{kind(template)} {template.uuid} has not been completely downloaded to zone "
            f"{zone.uuid}"
        )


def permitted_accounts(session: Session, template: Template) -> list[Account]:
    """The accounts the template is shared with, by name."""
    return list(
        session.scalars(
            select(Account)
            .join(TemplatePermission, TemplatePermission.account_id == Account.id)
            .where(TemplatePermission.template_id == template.id)
            .order_by(Account.name)
        )
    )


def _accounts_named(session: Session, template: Template, names: list[str]) -> list[Account]:
    owner = session.get(Account, template.account_id)
    assert owner is not None
    found = []
    for name in names:
        account = session.scalars(
            select(Account).where(
                Account.name == name,
                Account.domain_id == owner.domain_id,
                Account.removed.is_(None),
            )
        ).first()
        if account is None:
            raise InvalidParameterValue(
                f"Unable to find account {name} in domain {owner.domain.uuid}; launch "
                "permissions go to accounts of the owner's domain"
            )
        found.append(account)
    return found


def _accounts_by_uuid(session: Session, template: Template, uuids: list[str]) -> list[Account]:
    owner = session.get(Account, template.account_id)
    assert owner is not None
    found = []
    for uuid in uuids:
        account = session.scalars(
            select(Account).where(
                Account.uuid == uuid,
                Account.domain_id == owner.domain_id,
                Account.removed.is_(None),
            )
        ).first()
        if account is None:
            raise InvalidParameterValue(
                f"Unable to find account {uuid} in domain {owner.domain.uuid}; launch "
                "permissions go to accounts of the owner's domain"
            )
        found.append(account)
    return found


def _check_flags(
    caller: Caller, template: Template, *, is_public: bool | None, is_featured: bool | None
) -> None:
    if is_featured is not None and is_featured != template.is_featured and not caller.is_root_admin:
        raise PermissionDenied(
            f"Only root admins may change whether {kind(template).lower()}s are featured"
        )
    if is_featured and not (template.is_public if is_public is None else is_public):
        raise InvalidParameterValue(f"A featured {kind(template).lower()} must also be public")


def update_permissions(
    session: Session,
    *,
    caller: Caller,
    template: Template,
    accounts: list[str] | None,
    account_uuids: list[str] | None,
    operation: str | None,
    is_public: bool | None,
    is_featured: bool | None,
    is_extractable: bool | None,
) -> None:
    """Change who may launch the template: the public/featured/extractable flags, and the
    accounts it is shared with, by name (`accounts`) or UUID (`account_uuids`), all of the
    owner's domain (`operation` add, remove or reset; reset takes no accounts).

    Only the owner and admins above it may; only root admins change `featured`.
    """
    check_manage(session, caller, template)
    _check_flags(caller, template, is_public=is_public, is_featured=is_featured)
    op = operation.lower() if operation else None
    if op is not None and op not in OPERATIONS:
        raise InvalidParameterValue(
            "Invalid operation on accounts, the operation must be either 'add', 'remove' or "
            f"'reset' in order to modify launch permissions. Given operation is: '{operation}'"
        )
    given = bool(accounts or account_uuids)
    if given and op is None:
        raise InvalidParameterValue("Operation (op) must be given with accounts")
    if given and op == "reset":
        raise InvalidParameterValue("Operation reset doesn't support specifying account names")
    if is_public is not None:
        template.is_public = is_public
    if is_featured is not None:
        template.is_featured = is_featured
    if is_extractable is not None:
        template.is_extractable = is_extractable
    named = _accounts_named(session, template, accounts or []) + _accounts_by_uuid(
        session, template, account_uuids or []
    )
    if op == "reset":
        session.execute(
            delete(TemplatePermission).where(TemplatePermission.template_id == template.id)
        )
    for account in named:
        if account.id == template.account_id:
            continue
        shared = is_shared_with(session, template, account.id)
        if op == "add" and not shared:
            session.add(TemplatePermission(template_id=template.id, account_id=account.id))
        elif op == "remove" and shared:
            session.execute(
                delete(TemplatePermission).where(
                    TemplatePermission.template_id == template.id,
                    TemplatePermission.account_id == account.id,
                )
            )
    session.flush()
