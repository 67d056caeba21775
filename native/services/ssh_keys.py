"""SSH key pairs: generated (the private key handed out once, never stored) or registered.

A key pair belongs to one account and is unique there by name and by public key. Its
fingerprint is CloudStack's: the MD5 of the decoded public key blob in colon-separated hex.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import Account, SshKeyPair
from native.services.errors import InvalidParameterValue

KEY_TYPES = (
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


def fingerprint(public_key: str) -> str:
    """CloudStack's fingerprint of an OpenSSH public key line: MD5 of the key blob, hex
    bytes joined by colons."""
    blob = base64.b64decode(public_key.split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[index : index + 2] for index in range(0, len(digest), 2))


def _openssh_line(material: str) -> str | None:
    text = material.strip()
    if text.startswith(KEY_TYPES):
        return text
    try:
        decoded = base64.b64decode(text, validate=True).decode("ascii").strip()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded if decoded.startswith(KEY_TYPES) else None


def normalized_public_key(material: str) -> str:
    """The OpenSSH public key line of `material` (given as such, or base64 of it, as EC2's
    ImportKeyPair sends it), checked to be a well-formed key; 431 otherwise."""
    line = _openssh_line(material)
    if line is not None:
        try:
            serialization.load_ssh_public_key(line.encode("ascii"))
        except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm):
            line = None
    if line is None:
        raise InvalidParameterValue("Public key is invalid")
    return line


@dataclass(frozen=True)
class NewKeyPair:
    """A key pair just made: the stored row and the private key, which is never stored."""

    row: SshKeyPair
    private_key: str


def _check_free(session: Session, *, account: Account, name: str, public_key: str) -> None:
    query = select(SshKeyPair).where(SshKeyPair.account_id == account.id)
    if session.scalars(query.where(SshKeyPair.name == name)).first() is not None:
        raise InvalidParameterValue(f"A key pair with name '{name}' already exists.")
    if session.scalars(query.where(SshKeyPair.public_key == public_key)).first() is not None:
        raise InvalidParameterValue(
            f"A key pair with key '{public_key}' already exists for this account."
        )


def _save(session: Session, *, account: Account, name: str, public_key: str) -> SshKeyPair:
    if not name.strip():
        raise InvalidParameterValue("The name of a key pair must not be empty")
    _check_free(session, account=account, name=name, public_key=public_key)
    row = SshKeyPair(
        name=name,
        fingerprint=fingerprint(public_key),
        public_key=public_key,
        account_id=account.id,
        domain_id=account.domain_id,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise InvalidParameterValue(f"A key pair with name '{name}' already exists.") from None
    return row


def create_key_pair(session: Session, *, account: Account, name: str) -> NewKeyPair:
    """Generate an RSA 2048 key pair for the account; only its public half is stored.

    431 when the account already has a key pair of that name.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode("ascii")
    )
    row = _save(session, account=account, name=name, public_key=public)
    return NewKeyPair(row=row, private_key=private)


def register_key_pair(
    session: Session, *, account: Account, name: str, public_key: str
) -> SshKeyPair:
    """Register an existing public key for the account (431 on a malformed key, or when the
    account already has that name or that key)."""
    return _save(session, account=account, name=name, public_key=normalized_public_key(public_key))


def find_key_pair(session: Session, *, account: Account, name: str) -> SshKeyPair:
    """The account's key pair of that name; 431 if it has none."""
    row = session.scalars(
        select(SshKeyPair).where(SshKeyPair.account_id == account.id, SshKeyPair.name == name)
    ).first()
    if row is None:
        raise InvalidParameterValue(
            f"A key pair with name '{name}' does not exist for account {account.name} in "
            f"specified domain id"
        )
    return row


def find_key_pairs(session: Session, *, account: Account, names: Sequence[str]) -> list[SshKeyPair]:
    """The account's key pairs of these names, in the order given (for deploying a VM or
    resetting its keys); 431 naming the first that does not exist."""
    return [find_key_pair(session, account=account, name=name) for name in names]


def delete_key_pair(session: Session, *, account: Account, name: str) -> None:
    """Delete the account's key pair of that name; 431 if it has none."""
    session.delete(find_key_pair(session, account=account, name=name))
    session.flush()
