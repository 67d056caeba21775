"""Secrets at rest: passwords hashed with scrypt, API secret keys encrypted with Fernet."""

from __future__ import annotations

import binascii
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken

_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1


def hash_password(password: str) -> str:
    """A salted scrypt hash, self-describing: `scrypt$n$r$p$salt$digest`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return "$".join(
        ["scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), salt.hex(), digest.hex()]
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash made by `hash_password` (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex(), digest)


def new_api_key() -> str:
    """An 86-character URL-safe random key, the length CloudStack issues."""
    return secrets.token_urlsafe(64)


def digest_token(token: str) -> str:
    """The SHA-256 hex digest under which a bearer token (session id, session key) is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_encryption_key() -> str:
    """A fresh key for `SecretBox`."""
    return Fernet.generate_key().decode()


OPENED_KEPT = 4096


class SecretBox:
    """Encrypts and decrypts secrets stored in the database with the server's key.

    Every signed request opens its caller's secret key, so `open` keeps up to
    `OPENED_KEPT` recent answers: a sealed value always opens to the same plaintext under
    one key, and the plaintext was in this process's memory anyway.
    """

    def __init__(self, *, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, binascii.Error) as exc:
            raise ValueError("the encryption key is not a valid Fernet key") from exc
        self._opened: dict[str, str] = {}

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        """The plaintext; ValueError if the value was sealed with another key or tampered with."""
        opened = self._opened.get(sealed)
        if opened is not None:
            return opened
        try:
            opened = self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ValueError("a stored secret cannot be decrypted with this server's key") from None
        if len(self._opened) >= OPENED_KEPT:
            self._opened.clear()
        self._opened[sealed] = opened
        return opened
