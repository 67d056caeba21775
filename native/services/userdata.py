"""Registered user data (CloudStack 4.18+): named base64 blobs an account reuses for VMs.

A blob is unique in its account by name and by content, at most `MAX_USER_DATA_BYTES`
once decoded.
"""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import Account, UserData
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.visibility import can_see_account

MAX_USER_DATA_BYTES = 32768
"""CloudStack's default `vm.userdata.max.length`."""


def validated(user_data: str) -> str:
    """The user data as canonical base64, checked to decode and to fit; 431 otherwise."""
    compact = "".join(user_data.split())
    try:
        decoded = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterValue("User data has to be base 64 encoded") from None
    if not decoded:
        raise InvalidParameterValue("User data must not be empty")
    if len(decoded) > MAX_USER_DATA_BYTES:
        raise InvalidParameterValue(
            f"User data is too long; the maximum is {MAX_USER_DATA_BYTES} bytes once decoded"
        )
    return base64.b64encode(decoded).decode("ascii")


def _params(params: str | None) -> str | None:
    if params is None:
        return None
    names = [name.strip() for name in params.split(",") if name.strip()]
    return ",".join(dict.fromkeys(names)) or None


def register(
    session: Session, *, account: Account, name: str, user_data: str, params: str | None
) -> UserData:
    """Register user data for the account; 431 when it is not valid base64, is too long, or
    the account already has user data of that name or that content."""
    if not name.strip():
        raise InvalidParameterValue("The name of the user data must not be empty")
    content = validated(user_data)
    mine = select(UserData).where(UserData.account_id == account.id)
    if session.scalars(mine.where(UserData.name == name)).first() is not None:
        raise InvalidParameterValue(f"A userdata with name {name} already exists for this account.")
    same = session.scalars(mine.where(UserData.user_data == content)).first()
    if same is not None:
        raise InvalidParameterValue(
            f"Userdata {same.name} with same content already exists for this account."
        )
    row = UserData(
        name=name,
        account_id=account.id,
        domain_id=account.domain_id,
        user_data=content,
        params=_params(params),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise InvalidParameterValue(
            f"A userdata with name {name} already exists for this account."
        ) from None
    return row


def find(session: Session, *, caller: Caller, userdata_id: str) -> UserData:
    """The user data of that uuid if the caller may use it (its owner is visible); 431
    otherwise."""
    row = session.scalars(select(UserData).where(UserData.uuid == userdata_id.strip())).first()
    owner = None if row is None else session.get(Account, row.account_id)
    if row is None or owner is None or not can_see_account(caller, owner):
        raise InvalidParameterValue(f"Unable to find userdata with id {userdata_id}")
    return row


def resolve(session: Session, *, caller: Caller, userdata_id: str) -> str:
    """The base64 content of the registered user data `userdata_id` (a uuid) for a VM the
    caller deploys or updates; 431 if it does not exist or the caller may not use it."""
    return find(session, caller=caller, userdata_id=userdata_id).user_data


def delete(session: Session, *, caller: Caller, userdata_id: str) -> None:
    """Delete the registered user data (VMs keep the content they were given); 431 as `find`."""
    session.delete(find(session, caller=caller, userdata_id=userdata_id))
    session.flush()
