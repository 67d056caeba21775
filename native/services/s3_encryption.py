"""SSE-S3: objects' data encrypted at rest with a key of their own.

Each encrypted version gets a random 256-bit data key and a random initial counter block;
its bytes are AES-256 in CTR mode, so the ciphertext is as long as the data, writing and
reading stream in chunks, and a ranged read starts the counter at the range's block. The
data key is sealed with the server's `SecretBox` and kept in the version's `encryption`
document: {"algorithm": "AES256", "key": <sealed hex key>, "iv": <hex counter block>}.

The ETag stays the MD5 of the plaintext. A full read checks it as the data pass (cheap next
to the decryption) and fails the stream on a mismatch; ranged reads are not checked.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from native.drivers.objectstore.base import ByteStream, ObjectStoreError, Readable
from native.model import Bucket
from native.services.errors import InvalidParameterValue
from native.services.runtime import Runtime

AES256 = "AES256"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
_BLOCK = 16
_COUNTER_SPACE = 1 << 128


class UnsupportedEncryption(InvalidParameterValue):
    """An encryption Alto does not offer (SSE-KMS)."""


class CorruptData(ObjectStoreError):
    """Decrypted data do not match the object's MD5."""


def check_algorithm(algorithm: str) -> str:
    """`algorithm` if it is AES256; UnsupportedEncryption for aws:kms, 431 for others."""
    if algorithm in KMS_ALGORITHMS:
        raise UnsupportedEncryption(
            "SSE-KMS is not supported by Alto: use AES256 (SSE-S3) server-side encryption"
        )
    if algorithm != AES256:
        raise InvalidParameterValue(
            f"The encryption method specified is not supported: {algorithm}"
        )
    return algorithm


def parse_configuration(configuration: object) -> str:
    """The stored document of a ServerSideEncryptionConfiguration ({"Rules": [{...}]}), with
    exactly one rule applying AES256 by default; 431 (or UnsupportedEncryption) otherwise."""
    rules = configuration.get("Rules") if isinstance(configuration, Mapping) else None
    if not isinstance(rules, list) or len(rules) != 1 or not isinstance(rules[0], Mapping):
        raise InvalidParameterValue("The encryption configuration must hold exactly one rule")
    default = rules[0].get("ApplyServerSideEncryptionByDefault")
    if not isinstance(default, Mapping):
        raise InvalidParameterValue("The rule lacks ApplyServerSideEncryptionByDefault")
    check_algorithm(str(default.get("SSEAlgorithm")))
    if default.get("KMSMasterKeyID"):
        raise UnsupportedEncryption("KMSMasterKeyID is only valid with SSE-KMS")
    rule: dict[str, object] = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": AES256}}
    if rules[0].get("BucketKeyEnabled") is not None:
        rule["BucketKeyEnabled"] = bool(rules[0]["BucketKeyEnabled"])
    return json.dumps({"Rules": [rule]})


def wanted(bucket: Bucket, requested: str | None) -> str | None:
    """The algorithm a new version of the bucket gets: the one requested (checked), else
    the bucket's default, else None (stored as given)."""
    if requested is not None:
        return check_algorithm(requested)
    return AES256 if bucket.encryption_config else None


@dataclass(frozen=True, kw_only=True)
class DataKey:
    """A version's AES-256 key and initial counter block."""

    key: bytes
    iv: bytes

    @classmethod
    def new(cls) -> DataKey:
        return cls(key=os.urandom(32), iv=os.urandom(_BLOCK))

    def seal(self, runtime: Runtime) -> str:
        """The version's `encryption` document."""
        sealed = runtime.secrets.seal(self.key.hex())
        return json.dumps({"algorithm": AES256, "key": sealed, "iv": self.iv.hex()})

    @classmethod
    def open(cls, runtime: Runtime, document: str) -> DataKey:
        values = json.loads(document)
        return cls(
            key=bytes.fromhex(runtime.secrets.open(values["key"])), iv=bytes.fromhex(values["iv"])
        )

    def cipher_at(self, offset: int) -> CipherContext:
        """A CTR keystream positioned at byte `offset` of the data."""
        block, skip = divmod(offset, _BLOCK)
        counter = (int.from_bytes(self.iv, "big") + block) % _COUNTER_SPACE
        context = Cipher(algorithms.AES(self.key), modes.CTR(counter.to_bytes(_BLOCK, "big")))
        stream = context.encryptor()
        stream.update(bytes(skip))
        return stream


def algorithm_of(document: str | None) -> str | None:
    """The algorithm of a version's `encryption` document (None if not encrypted)."""
    return None if not document else str(json.loads(document).get("algorithm", AES256))


class EncryptingReader:
    """Reads `source` and gives its ciphertext, hashing the plaintext for the ETag."""

    def __init__(self, source: Readable, key: DataKey) -> None:
        self.source = source
        self.cipher = key.cipher_at(0)
        self.digest = hashlib.md5(usedforsecurity=False)

    def read(self, size: int = -1, /) -> bytes:
        chunk = self.source.read(size)
        self.digest.update(chunk)
        return self.cipher.update(chunk)

    def md5(self) -> str:
        return self.digest.hexdigest()


class DecryptingStream(ByteStream):
    """The plaintext of a ciphertext stream starting at `offset`; with `etag` set (a full
    read) the MD5 is checked at the end and CorruptData raised on a mismatch."""

    def __init__(self, inner: ByteStream, key: DataKey, *, offset: int, etag: str | None) -> None:
        self.inner = inner
        self.cipher = key.cipher_at(offset)
        self.etag = etag
        self.digest = hashlib.md5(usedforsecurity=False)

    def __next__(self) -> bytes:
        try:
            chunk = self.cipher.update(next(self.inner))
        except StopIteration:
            if self.etag is not None and self.digest.hexdigest() != self.etag:
                raise CorruptData("The decrypted data do not match the object's MD5") from None
            raise
        self.digest.update(chunk)
        return chunk

    def close(self) -> None:
        self.inner.close()


def encrypting(runtime: Runtime, source: Readable) -> tuple[EncryptingReader, str]:
    """A reader encrypting `source` under a fresh data key, and the version's document."""
    key = DataKey.new()
    return EncryptingReader(source, key), key.seal(runtime)


def decrypting(
    runtime: Runtime, document: str, body: ByteStream, *, offset: int, etag: str | None
) -> ByteStream:
    """The plaintext of `body`, ciphertext of a version read from byte `offset`; give the
    version's plaintext `etag` for a full read to check it."""
    return DecryptingStream(body, DataKey.open(runtime, document), offset=offset, etag=etag)
