"""SSH key pairs beyond CloudStack, through `cs`: createSSHKeyPair's `keytype`, and the
`keytype`, `publickey`, `privatekeyfingerprint`, `created` and `tags` of a listed pair."""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cs import CloudStack

from tests.native.api.test_ssh_keys import key_pairs, md5_fingerprint, openssh_public_key
from tests.native.api.test_tags import create_tags, tag_list
from tests.support.api import api_error, wait_for_job
from tests.support.tenants import Tenant, new_account, unique


def private_key_sha1(private: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ":".join(f"{byte:02x}" for byte in hashlib.sha1(der).digest())


def test_ed25519_pairs_come_in_openssh_format(tenant: Tenant) -> None:
    client = tenant.client()
    name = unique("ed")
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)

    made = client.createSSHKeyPair(name=name, keytype="ed25519")["keypair"]

    assert made["privatekey"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    private = serialization.load_ssh_private_key(made["privatekey"].encode(), password=None)
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    public = openssh_public_key(private)
    assert (made["keytype"], made["publickey"]) == ("ed25519", public)
    assert made["fingerprint"] == md5_fingerprint(public)
    assert made["privatekeyfingerprint"] == private_key_sha1(private)
    [listed] = key_pairs(client, name=name)
    assert listed["publickey"] == public and "privatekey" not in listed
    created = dt.datetime.strptime(listed["created"], "%Y-%m-%dT%H:%M:%S%z")
    assert before <= created <= dt.datetime.now(dt.UTC)


def test_rsa_is_the_default_and_registered_pairs_have_no_private_fingerprint(
    tenant: Tenant,
) -> None:
    client = tenant.client()
    made = client.createSSHKeyPair(name=unique("rsa"))["keypair"]
    private = serialization.load_pem_private_key(made["privatekey"].encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert made["privatekey"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert (made["keytype"], made["privatekeyfingerprint"]) == ("rsa", private_key_sha1(private))

    public = openssh_public_key(ed25519.Ed25519PrivateKey.generate())
    registered = client.registerSSHKeyPair(name=unique("reg"), publickey=public)["keypair"]
    assert registered["keytype"] == "ed25519" and registered["publickey"] == public
    assert "privatekeyfingerprint" not in registered

    error = api_error(client.createSSHKeyPair, name=unique("dsa"), keytype="dsa")
    assert error.errorcode == 431 and "Invalid key type" in error.errortext
    assert not key_pairs(client, keyword="dsa")


def test_key_pairs_carry_tags_only_their_owner_may_set(admin: CloudStack, tenant: Tenant) -> None:
    client = tenant.client()
    made = client.createSSHKeyPair(name=unique("tagged"))["keypair"]

    create_tags(client, resourcetype="SSHKeyPair", resourceids=[made["id"]], tags={"env": "dev"})

    [listed] = key_pairs(client, id=made["id"])
    assert [(tag["key"], tag["value"]) for tag in listed["tags"]] == [("env", "dev")]
    stranger = new_account(admin, endpoint=tenant.endpoint).client()
    error = api_error(
        stranger.createTags,
        resourcetype="SSHKeyPair",
        resourceids=made["id"],
        tags=tag_list({"x": "y"}),
    )
    assert error.errorcode == 431
    client.deleteSSHKeyPair(name=made["name"])
    assert client.listTags(resourceid=made["id"]) == {}


def test_empty_values_and_replacing_a_key(tenant: Tenant) -> None:
    client = tenant.client()
    made = client.createSSHKeyPair(name=unique("values"))["keypair"]
    params = {"resourcetype": "SSHKeyPair", "resourceids": made["id"]}

    create_tags(client, **params, tags={"empty": "", "env": "dev"})
    error = api_error(client.createTags, **params, tags=tag_list({"env": "prod"}))
    assert error.errorcode == 431 and "already on" in error.errortext
    job = client.createTags(**params, tags=tag_list({"env": "prod"}), replace=True)
    assert wait_for_job(client, job["jobid"])["jobstatus"] == 1

    tags = {tag["key"]: tag["value"] for tag in client.listTags(resourceid=made["id"])["tag"]}
    assert tags == {"empty": "", "env": "prod"}
    error = api_error(client.createTags, **params, tags=tag_list({"long": "v" * 256}))
    assert error.errorcode == 431
