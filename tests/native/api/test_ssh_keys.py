"""SSH key pairs through the real `cs` client: createSSHKeyPair, registerSSHKeyPair,
listSSHKeyPairs, deleteSSHKeyPair."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, new_account, unique


def openssh_public_key(private: Any) -> str:
    return str(
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode("ascii")
    )


def md5_fingerprint(public_key: str) -> str:
    digest = hashlib.md5(base64.b64decode(public_key.split()[1])).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def key_pairs(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listSSHKeyPairs(**params).get("sshkeypair", []))


def test_create_returns_the_private_key_once(tenant: Tenant) -> None:
    client = tenant.client()
    name = unique("key")

    made = client.createSSHKeyPair(name=name)["keypair"]

    assert made["name"] == name
    assert made["account"] == tenant.name and made["domainid"] == tenant.domainid
    private = serialization.load_pem_private_key(made["privatekey"].encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    assert made["fingerprint"] == md5_fingerprint(openssh_public_key(private))
    [listed] = key_pairs(client, name=name)
    assert listed["fingerprint"] == made["fingerprint"]
    assert listed["id"] == made["id"]
    assert "privatekey" not in listed


def test_register_accepts_openssh_and_base64_keys_and_rejects_garbage(tenant: Tenant) -> None:
    client = tenant.client()
    rsa_key = openssh_public_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    ed_key = openssh_public_key(ed25519.Ed25519PrivateKey.generate()) + " me@laptop"

    plain = client.registerSSHKeyPair(name=unique("rsa"), publickey=rsa_key)
    encoded = client.registerSSHKeyPair(
        name=unique("ed"), publickey=base64.b64encode(ed_key.encode()).decode()
    )

    assert plain["keypair"]["fingerprint"] == md5_fingerprint(rsa_key)
    assert encoded["keypair"]["fingerprint"] == md5_fingerprint(ed_key)
    assert "privatekey" not in plain["keypair"]
    for garbage in ("not a key", "ssh-rsa AAAAnotbase64!!", "ssh-rsa " + "QUJD"):
        error = api_error(client.registerSSHKeyPair, name=unique("bad"), publickey=garbage)
        assert error.errorcode == 431, garbage
        assert "Public key is invalid" in error.errortext


def test_names_and_keys_are_unique_per_account(admin: CloudStack, tenant: Tenant) -> None:
    client = tenant.client()
    name = unique("dup")
    client.createSSHKeyPair(name=name)

    error = api_error(client.createSSHKeyPair, name=name)
    assert error.errorcode == 431
    assert f"A key pair with name '{name}' already exists" in error.errortext

    key = openssh_public_key(ed25519.Ed25519PrivateKey.generate())
    client.registerSSHKeyPair(name=unique("first"), publickey=key)
    error = api_error(client.registerSSHKeyPair, name=unique("second"), publickey=key)
    assert error.errorcode == 431 and "already exists for this account" in error.errortext

    other = new_account(admin, domainid=tenant.domainid, endpoint=tenant.endpoint)
    assert other.client().createSSHKeyPair(name=name)["keypair"]["name"] == name


def test_list_filters_and_tenant_isolation(admin: CloudStack, tenant: Tenant) -> None:
    client = tenant.client()
    first = client.createSSHKeyPair(name=unique("alpha"))["keypair"]
    second = client.createSSHKeyPair(name=unique("beta"))["keypair"]
    stranger = new_account(admin, endpoint=tenant.endpoint)
    stranger.client().createSSHKeyPair(name=unique("alpha"))

    assert {pair["name"] for pair in key_pairs(client)} == {first["name"], second["name"]}
    assert [p["name"] for p in key_pairs(client, fingerprint=first["fingerprint"])] == [
        first["name"]
    ]
    assert [p["name"] for p in key_pairs(client, keyword="alpha")] == [first["name"]]
    assert [p["name"] for p in key_pairs(client, id=second["id"])] == [second["name"]]
    assert key_pairs(stranger.client(), id=second["id"]) == []
    as_admin = key_pairs(admin, account=tenant.name, domainid=tenant.domainid)
    assert {pair["name"] for pair in as_admin} == {first["name"], second["name"]}
    assert first["name"] not in {pair["name"] for pair in key_pairs(admin)}


def test_admin_creates_and_deletes_for_an_account(admin: CloudStack, tenant: Tenant) -> None:
    name = unique("managed")
    made = admin.createSSHKeyPair(name=name, account=tenant.name, domainid=tenant.domainid)
    assert made["keypair"]["account"] == tenant.name
    assert [p["name"] for p in key_pairs(tenant.client())] == [name]

    error = api_error(tenant.client().deleteSSHKeyPair, name=unique("missing"))
    assert error.errorcode == 431 and "does not exist" in error.errortext

    stranger = new_account(admin, endpoint=tenant.endpoint)
    error = api_error(
        stranger.client().deleteSSHKeyPair,
        name=name,
        account=tenant.name,
        domainid=tenant.domainid,
    )
    assert error.errorcode == 431

    answer = admin.deleteSSHKeyPair(name=name, account=tenant.name, domainid=tenant.domainid)
    assert answer["success"] is True
    assert key_pairs(tenant.client()) == []
