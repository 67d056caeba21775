"""SSH key pairs: generated (the private key handed out once, never stored) or registered.

A key pair belongs to one account and is unique there by name and by public key. Its
fingerprint is CloudStack's: the MD5 of the decoded public key blob in colon-separated hex.
A generated pair is RSA 2048 (CloudStack's) or Ed25519 (`GENERATED_KEY_TYPES`); it also keeps
the SHA-1 fingerprint of its private key, which the private key's holder can check.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import Account, SshKeyPair
from native.services import tags
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


GENERATED_KEY_TYPES = ("rsa", "ed25519")
"""The `keytype` values createSSHKeyPair generates."""

TAG_TYPE = "SSHKeyPair"


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in digest)


def key_type(public_key: str) -> str:
    """The algorithm of an OpenSSH public key line: `rsa`, `ed25519`, `ecdsa`, `dsa`,
    `sk-ed25519` or `sk-ecdsa`."""
    algorithm = public_key.split()[0]
    short = algorithm.removesuffix("@openssh.com").removeprefix("ssh-")
    return {"dss": "dsa", "sk-ssh-ed25519": "sk-ed25519"}.get(short, short.split("-sha2")[0])


def fingerprint(public_key: str) -> str:
    """CloudStack's fingerprint of an OpenSSH public key line: MD5 of the key blob, hex
    bytes joined by colons."""
    blob = base64.b64decode(public_key.split()[1])
    return _colon_hex(hashlib.md5(blob, usedforsecurity=False).digest())


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


def _save(
    session: Session,
    *,
    account: Account,
    name: str,
    public_key: str,
    private_key_fingerprint: str | None = None,
) -> SshKeyPair:
    if not name.strip():
        raise InvalidParameterValue("The name of a key pair must not be empty")
    _check_free(session, account=account, name=name, public_key=public_key)
    row = SshKeyPair(
        name=name,
        fingerprint=fingerprint(public_key),
        public_key=public_key,
        account_id=account.id,
        domain_id=account.domain_id,
        private_key_fingerprint=private_key_fingerprint,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise InvalidParameterValue(f"A key pair with name '{name}' already exists.") from None
    return row


def _generated(kind: str) -> tuple[str, str, str]:
    """A new private key (PEM), its OpenSSH public key line, and the private key's
    fingerprint."""
    if kind == "rsa":
        key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey = rsa.generate_private_key(
            public_exponent=65537, key_size=2048
        )
        pem = serialization.PrivateFormat.TraditionalOpenSSL
    elif kind == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
        pem = serialization.PrivateFormat.OpenSSH
    else:
        raise InvalidParameterValue(
            f"Invalid key type {kind}: use one of {', '.join(GENERATED_KEY_TYPES)}"
        )
    private = key.private_bytes(serialization.Encoding.PEM, pem, serialization.NoEncryption())
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    digest = hashlib.sha1(der, usedforsecurity=False).digest()
    return private.decode("ascii"), public.decode("ascii"), _colon_hex(digest)


def create_key_pair(
    session: Session, *, account: Account, name: str, kind: str = "rsa"
) -> NewKeyPair:
    """Generate a key pair of `kind` (`rsa`: RSA 2048, `ed25519`) for the account; only its
    public half and its private key's fingerprint are stored.

    431 for another kind, or when the account already has a key pair of that name.
    """
    private, public, private_fingerprint = _generated(kind.strip().lower())
    row = _save(
        session,
        account=account,
        name=name,
        public_key=public,
        private_key_fingerprint=private_fingerprint,
    )
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
    """Delete the account's key pair of that name, and its tags; 431 if it has none."""
    row = find_key_pair(session, account=account, name=name)
    tags.remove_tags_of(session, resource_type=TAG_TYPE, resource_id=row.id)
    session.delete(row)
    session.flush()
