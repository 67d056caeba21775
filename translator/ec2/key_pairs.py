"""EC2 actions on key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair,
on native SSH key pairs (createSSHKeyPair, registerSSHKeyPair, listSSHKeyPairs,
deleteSSHKeyPair).

Fingerprints are AWS's: a created RSA pair shows the SHA-1 of its DER private key (native
`privatekeyfingerprint`), an imported RSA key the MD5 of its DER public key, and an Ed25519
key the base64 SHA-256 of its OpenSSH key blob.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from translator.context import Action, NativeFailure, Output, Params, QueryContext, native_time
from translator.ec2.describe import Describer
from translator.ec2.tagging import ec2_tags, tag_resources
from translator.ec2.tags import checked_tags
from translator.errors import (
    ID_ERRORS,
    InvalidKeyFormat,
    InvalidKeyPairDuplicate,
    InvalidParameterValue,
    MissingParameter,
    UnsupportedOperation,
)
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs

KEY_TYPES = ("rsa", "ed25519")
KEY_NAME_LENGTH = 255
RESOURCE_TYPE = "key-pair"
NOT_FOUND = ID_ERRORS[RESOURCE_TYPE].not_found
SSH2_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:")


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in digest)


def aws_fingerprint(row: Mapping[str, Any]) -> str:
    """The KeyFingerprint AWS shows for a native key pair row."""
    public_key = str(row["publickey"])
    key_type = row.get("keytype")
    if key_type == "rsa" and row.get("privatekeyfingerprint"):
        return str(row["privatekeyfingerprint"])
    blob = base64.b64decode(public_key.split()[1])
    if key_type == "ed25519":
        return base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii")
    if key_type == "rsa":
        der = serialization.load_ssh_public_key(public_key.encode("ascii")).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _colon_hex(hashlib.md5(der, usedforsecurity=False).digest())
    return str(row["fingerprint"])


def _checked_name(params: Params) -> str:
    name = str(params["KeyName"])
    if not name.strip():
        raise MissingParameter("The request must contain the parameter KeyName")
    if len(name) > KEY_NAME_LENGTH or not name.isascii():
        raise InvalidParameterValue(
            f"Value ({name}) for parameter keyName is invalid. Expecting up to "
            f"{KEY_NAME_LENGTH} ASCII characters."
        )
    return name


def _requested_tags(params: Params) -> list[dict[str, str]]:
    """The key pair's tags from TagSpecifications (another resource type is refused)."""
    specs = params.get("TagSpecifications") or []
    for spec in specs:
        if spec.get("ResourceType") != RESOURCE_TYPE:
            raise InvalidParameterValue(
                f"'{spec.get('ResourceType')}' is not a valid taggable resource type for "
                "this operation."
            )
    pairs = checked_tags(tag for spec in specs for tag in spec.get("Tags") or [])
    return [{"Key": pair["key"], "Value": pair["value"]} for pair in pairs]


def _existing(ctx: QueryContext, **filters: str) -> list[dict[str, Any]]:
    return ctx.listing("listSSHKeyPairs", "sshkeypair", **filters)


def _check_free(ctx: QueryContext, name: str) -> None:
    if any(row["name"] == name for row in _existing(ctx, name=name)):
        raise InvalidKeyPairDuplicate(f"The keypair '{name}' already exists.")


def _made(
    ctx: QueryContext, command: str, *, name: str, tags: list[dict[str, str]], **params: str
) -> dict[str, Any]:
    """Run createSSHKeyPair or registerSSHKeyPair, then tag the pair (deleted again if
    tagging fails); the native key pair row."""
    _check_free(ctx, name)
    try:
        row: dict[str, Any] = ctx.call(command, name=name, **params)["keypair"]
    except NativeFailure as failure:
        if failure.errorcode == 431:
            raise InvalidKeyPairDuplicate(
                f"The keypair '{name}' already exists, or another key pair of this account "
                "has the same public key."
            ) from None
        raise aws_error_of(failure) from None
    try:
        tag_resources(ctx, resource_type=RESOURCE_TYPE, uuids=[str(row["id"])], tags=tags)
    except Exception:
        ctx.call("deleteSSHKeyPair", name=name)
        raise
    return row


@runs("createSSHKeyPair")
def create_key_pair(ctx: QueryContext, params: Params) -> Output:
    name = _checked_name(params)
    key_type = str(params.get("KeyType") or "rsa")
    if key_type not in KEY_TYPES:
        raise InvalidParameterValue(
            f"Value ({key_type}) for parameter keyType is invalid. "
            f"Expecting one of: {', '.join(KEY_TYPES)}."
        )
    if str(params.get("KeyFormat") or "pem") != "pem":
        raise UnsupportedOperation("Only the pem KeyFormat is supported")
    tags = _requested_tags(params)
    row = _made(ctx, "createSSHKeyPair", name=name, tags=tags, keytype=key_type)
    return {
        "KeyName": name,
        "KeyPairId": ctx.ids.aws_id(RESOURCE_TYPE, str(row["id"])),
        "KeyFingerprint": aws_fingerprint(row),
        "KeyMaterial": str(row["privatekey"]),
        "Tags": tags,
    }


def _ssh2_line(text: str) -> str | None:
    """An RFC 4716 public key as an OpenSSH line (None if `text` is not one)."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 3 or not lines[0].startswith("---- BEGIN SSH2 PUBLIC KEY"):
        return None
    body: list[str] = []
    continued = False
    for line in lines[1:-1]:
        header = continued or bool(SSH2_LINE.match(line))
        continued = header and line.endswith("\\")
        if not header:
            body.append(line)
    blob = "".join(body)
    try:
        decoded = base64.b64decode(blob, validate=True)
    except binascii.Error:
        return None
    algorithm = decoded[4 : 4 + int.from_bytes(decoded[:4], "big")]
    return f"{algorithm.decode('ascii', 'replace')} {blob}"


def _der_line(text: str) -> str | None:
    """A base64 DER public key (SubjectPublicKeyInfo) as an OpenSSH line."""
    try:
        key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
        return key.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ).decode("ascii")
    except (binascii.Error, ValueError, UnsupportedAlgorithm):
        return None


def openssh_public_key(material: bytes) -> str:
    """The OpenSSH public key line of ImportKeyPair's material (an OpenSSH line, RFC 4716
    or base64 DER), checked to be an RSA or Ed25519 key; InvalidKey.Format otherwise."""
    try:
        text = material.decode("ascii").strip()
    except UnicodeDecodeError:
        text = ""
    line = _ssh2_line(text) or (text if " " in text else _der_line(text))
    if line:
        try:
            key = serialization.load_ssh_public_key(" ".join(line.split()[:2]).encode("ascii"))
        except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError, IndexError):
            key = None
        if isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
            return line
    raise InvalidKeyFormat("Key is not in valid OpenSSH public key format")


@runs("registerSSHKeyPair")
def import_key_pair(ctx: QueryContext, params: Params) -> Output:
    name = _checked_name(params)
    public_key = openssh_public_key(bytes(params["PublicKeyMaterial"]))
    tags = _requested_tags(params)
    row = _made(ctx, "registerSSHKeyPair", name=name, tags=tags, publickey=public_key)
    return {
        "KeyName": name,
        "KeyPairId": ctx.ids.aws_id(RESOURCE_TYPE, str(row["id"])),
        "KeyFingerprint": aws_fingerprint(row),
        "Tags": tags,
    }


KEY_PAIRS = Describer(
    filters={
        "key-name": lambda pair: [pair["KeyName"]],
        "key-pair-id": lambda pair: [pair["KeyPairId"]],
        "fingerprint": lambda pair: [pair["KeyFingerprint"]],
        "key-type": lambda pair: [pair["KeyType"]],
    },
    key=lambda pair: str(pair["KeyName"]),
)


def _described(row: Mapping[str, Any], *, aws_id: str, public_key: bool) -> dict[str, Any]:
    return {
        "KeyPairId": aws_id,
        "KeyName": row["name"],
        "KeyFingerprint": aws_fingerprint(row),
        "KeyType": row.get("keytype"),
        "CreateTime": native_time(str(row["created"])),
        "Tags": ec2_tags(row),
        "PublicKey": row["publickey"] if public_key else None,
    }


@runs("listSSHKeyPairs")
def describe_key_pairs(ctx: QueryContext, params: Params) -> Output:
    names = list(params.get("KeyNames") or [])
    wanted_ids = list(params.get("KeyPairIds") or [])
    uuids = dict(zip(ctx.ids.uuids(RESOURCE_TYPE, wanted_ids), wanted_ids, strict=True))
    rows = _existing(ctx)
    aws_ids = ctx.ids.aws_ids(RESOURCE_TYPE, [str(row["id"]) for row in rows])
    if names:
        missing = sorted(set(names) - {str(row["name"]) for row in rows})
        if missing:
            raise NOT_FOUND(f"The key pair '{missing[0]}' does not exist")
        rows = [row for row in rows if row["name"] in names]
    if uuids:
        missing = sorted(set(uuids) - {str(row["id"]) for row in rows})
        if missing:
            raise NOT_FOUND(f"The key pair ID '{uuids[missing[0]]}' does not exist")
        rows = [row for row in rows if row["id"] in uuids]
    pairs = [
        _described(
            row,
            aws_id=aws_ids[str(row["id"])],
            public_key=bool(params.get("IncludePublicKey")),
        )
        for row in rows
        if str(row["id"]) in aws_ids
    ]
    page, _ = KEY_PAIRS.page(pairs, params)
    return {"KeyPairs": page}


@runs("deleteSSHKeyPair")
def delete_key_pair(ctx: QueryContext, params: Params) -> Output:
    key_pair_id, name = params.get("KeyPairId"), params.get("KeyName")
    if key_pair_id:
        uuid = ctx.ids.uuid(RESOURCE_TYPE, str(key_pair_id))
        found = _existing(ctx, id=uuid)
        if not found:
            raise NOT_FOUND(f"The key pair ID '{key_pair_id}' does not exist")
    elif name:
        found = [row for row in _existing(ctx, name=str(name)) if row["name"] == name]
        if not found:
            return {"Return": True}
    else:
        raise MissingParameter("The request must contain the parameter KeyName or KeyPairId")
    row = found[0]
    try:
        ctx.call("deleteSSHKeyPair", name=str(row["name"]))
    except NativeFailure as failure:
        raise aws_error_of(failure) from None
    return {"Return": True, "KeyPairId": ctx.ids.aws_id(RESOURCE_TYPE, str(row["id"]))}


ACTIONS: Mapping[str, Action] = action_table(
    [create_key_pair, import_key_pair, describe_key_pairs, delete_key_pair]
)
