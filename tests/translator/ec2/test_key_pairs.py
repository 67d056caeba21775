"""EC2 key pairs through boto3 and the aws CLI: CreateKeyPair (RSA and Ed25519),
ImportKeyPair (OpenSSH, RFC 4716 and DER keys), DescribeKeyPairs with its filters,
DeleteKeyPair, AWS's fingerprints, their errors, and tenant isolation."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.support.aws import CLI_V1, CLI_V2, aws_cli, aws_client, cli_available
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique

KEY_PAIR_ID = re.compile(r"key-[0-9a-f]{17}")

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def error_code(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Code"])


def colon_hex(digest: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in digest)


def openssh(private: PrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )


def sha1_of_private_key(private: PrivateKey) -> str:
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return colon_hex(hashlib.sha1(der).digest())


def md5_of_public_key(private: rsa.RSAPrivateKey) -> str:
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return colon_hex(hashlib.md5(der).digest())


def sha256_of_blob(public: bytes) -> str:
    blob = base64.b64decode(public.split()[1])
    return base64.b64encode(hashlib.sha256(blob).digest()).decode()


def new_rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_create_rsa_and_ed25519_key_pairs(alto_server: AltoServer, tenant: Tenant) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)

    made_rsa = ec2.create_key_pair(KeyName=unique("rsa"))
    made_ed = ec2.create_key_pair(KeyName=unique("ed"), KeyType="ed25519", KeyFormat="pem")

    private_rsa = serialization.load_pem_private_key(made_rsa["KeyMaterial"].encode(), None)
    assert isinstance(private_rsa, rsa.RSAPrivateKey)
    assert made_rsa["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert made_rsa["KeyFingerprint"] == sha1_of_private_key(private_rsa)
    private_ed = serialization.load_ssh_private_key(made_ed["KeyMaterial"].encode(), None)
    assert isinstance(private_ed, ed25519.Ed25519PrivateKey)
    assert made_ed["KeyFingerprint"] == sha256_of_blob(openssh(private_ed))
    assert KEY_PAIR_ID.fullmatch(made_rsa["KeyPairId"]) and made_rsa["Tags"] == []

    described = {
        pair["KeyName"]: pair for pair in ec2.describe_key_pairs(IncludePublicKey=True)["KeyPairs"]
    }
    listed = described[made_ed["KeyName"]]
    assert (listed["KeyPairId"], listed["KeyType"]) == (made_ed["KeyPairId"], "ed25519")
    assert listed["KeyFingerprint"] == made_ed["KeyFingerprint"]
    assert listed["PublicKey"] == openssh(private_ed).decode()
    assert before <= listed["CreateTime"] <= dt.datetime.now(dt.UTC)
    assert described[made_rsa["KeyName"]]["KeyType"] == "rsa"
    assert described[made_rsa["KeyName"]]["KeyFingerprint"] == made_rsa["KeyFingerprint"]
    assert "PublicKey" not in ec2.describe_key_pairs()["KeyPairs"][0]


def test_import_openssh_rfc4716_and_der_keys(alto_server: AltoServer, tenant: Tenant) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    private_rsa, private_ed = new_rsa(), ed25519.Ed25519PrivateKey.generate()
    blob = openssh(private_ed).split()[1].decode()
    rfc4716 = (
        "---- BEGIN SSH2 PUBLIC KEY ----\n"
        'Comment: "a long comment \\\n'
        'that goes on"\n'
        f"{blob[:40]}\n{blob[40:]}\n"
        "---- END SSH2 PUBLIC KEY ----\n"
    )
    der = new_rsa()
    der_text = base64.b64encode(
        der.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )

    rsa_pair = ec2.import_key_pair(
        KeyName=unique("rsa"), PublicKeyMaterial=openssh(private_rsa) + b" me@laptop"
    )
    ed_pair = ec2.import_key_pair(KeyName=unique("ed"), PublicKeyMaterial=rfc4716.encode())
    der_pair = ec2.import_key_pair(KeyName=unique("der"), PublicKeyMaterial=der_text)

    assert rsa_pair["KeyFingerprint"] == md5_of_public_key(private_rsa)
    assert ed_pair["KeyFingerprint"] == sha256_of_blob(openssh(private_ed))
    assert der_pair["KeyFingerprint"] == md5_of_public_key(der)
    assert KEY_PAIR_ID.fullmatch(ed_pair["KeyPairId"])
    [listed] = ec2.describe_key_pairs(KeyPairIds=[ed_pair["KeyPairId"]], IncludePublicKey=True)[
        "KeyPairs"
    ]
    assert listed["KeyType"] == "ed25519"
    assert listed["PublicKey"].split()[:2] == openssh(private_ed).decode().split()
    [listed] = ec2.describe_key_pairs(KeyNames=[rsa_pair["KeyName"]])["KeyPairs"]
    assert listed["KeyFingerprint"] == rsa_pair["KeyFingerprint"]


def test_bad_key_material_and_parameters_are_refused(
    alto_server: AltoServer, tenant: Tenant
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    ecdsa = openssh(ec.generate_private_key(ec.SECP256R1()))
    for material in (b"not a key", b"ssh-rsa AAAAnotbase64!!", ecdsa, b"\xff\xfe"):
        code = error_code(ec2.import_key_pair, KeyName=unique("bad"), PublicKeyMaterial=material)
        assert code == "InvalidKey.Format", material
    assert error_code(ec2.create_key_pair, KeyName=unique("k"), KeyType="dsa") == (
        "InvalidParameterValue"
    )
    assert error_code(ec2.create_key_pair, KeyName="x" * 256) == "InvalidParameterValue"
    assert error_code(ec2.create_key_pair, KeyName=unique("k"), KeyFormat="ppk") == (
        "UnsupportedOperation"
    )
    assert error_code(ec2.delete_key_pair) == "MissingParameter"
    assert ec2.describe_key_pairs()["KeyPairs"] == []


def test_duplicates_and_unknown_key_pairs(alto_server: AltoServer, tenant: Tenant) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    name = unique("dup")
    made = ec2.create_key_pair(KeyName=name)

    assert error_code(ec2.create_key_pair, KeyName=name) == "InvalidKeyPair.Duplicate"
    material = openssh(new_rsa())
    assert error_code(ec2.import_key_pair, KeyName=name, PublicKeyMaterial=material) == (
        "InvalidKeyPair.Duplicate"
    )
    assert error_code(ec2.describe_key_pairs, KeyNames=[name, "nope"]) == (
        "InvalidKeyPair.NotFound"
    )
    missing_id = "key-0123456789abcdef0"
    assert error_code(ec2.describe_key_pairs, KeyPairIds=[missing_id]) == (
        "InvalidKeyPair.NotFound"
    )
    assert error_code(ec2.describe_key_pairs, KeyPairIds=["key-xyz"]) == (
        "InvalidKeyPair.Malformed"
    )
    assert error_code(ec2.delete_key_pair, KeyPairId=missing_id) == "InvalidKeyPair.NotFound"
    assert ec2.delete_key_pair(KeyName="never-made")["Return"] is True

    deleted = ec2.delete_key_pair(KeyPairId=made["KeyPairId"])
    assert (deleted["Return"], deleted["KeyPairId"]) == (True, made["KeyPairId"])
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    assert error_code(ec2.delete_key_pair, KeyPairId=made["KeyPairId"]) == (
        "InvalidKeyPair.NotFound"
    )


def test_filters_tags_and_delete_by_name(alto_server: AltoServer, tenant: Tenant) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    tagged = ec2.create_key_pair(
        KeyName=unique("web"),
        KeyType="ed25519",
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "env", "Value": "prod"}]}],
    )
    plain = ec2.import_key_pair(KeyName=unique("db"), PublicKeyMaterial=openssh(new_rsa()))
    assert tagged["Tags"] == [{"Key": "env", "Value": "prod"}]

    def names(*filters: tuple[str, list[str]]) -> list[str]:
        answer = ec2.describe_key_pairs(
            Filters=[{"Name": name, "Values": values} for name, values in filters]
        )
        return [pair["KeyName"] for pair in answer["KeyPairs"]]

    assert names(("key-name", ["web-*"])) == [tagged["KeyName"]]
    assert names(("key-type", ["rsa"])) == [plain["KeyName"]]
    assert names(("fingerprint", [plain["KeyFingerprint"]])) == [plain["KeyName"]]
    assert names(("key-pair-id", [tagged["KeyPairId"]])) == [tagged["KeyName"]]
    assert names(("tag:env", ["prod"])) == [tagged["KeyName"]]
    assert names(("tag-key", ["env"]), ("key-type", ["rsa"])) == []
    [described] = ec2.describe_key_pairs(KeyNames=[tagged["KeyName"]])["KeyPairs"]
    assert described["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert error_code(ec2.describe_key_pairs, Filters=[{"Name": "bogus", "Values": ["x"]}]) == (
        "InvalidParameterValue"
    )

    assert ec2.delete_key_pair(KeyName=tagged["KeyName"])["KeyPairId"] == tagged["KeyPairId"]
    assert names() == [plain["KeyName"]]
    assert ec2.describe_tags()["Tags"] == []


def test_bad_tag_specifications_make_no_key_pair(alto_server: AltoServer, tenant: Tenant) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    for spec in (
        {"ResourceType": "key-pair", "Tags": [{"Key": "aws:owner", "Value": "x"}]},
        {"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}]},
    ):
        code = error_code(ec2.create_key_pair, KeyName=unique("k"), TagSpecifications=[spec])
        assert code == "InvalidParameterValue"
    too_many = [{"Key": f"k{index}", "Value": "v"} for index in range(51)]
    code = error_code(
        ec2.import_key_pair,
        KeyName=unique("k"),
        PublicKeyMaterial=openssh(new_rsa()),
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": too_many}],
    )
    assert code == "TagLimitExceeded"
    assert ec2.describe_key_pairs()["KeyPairs"] == []


def test_another_account_cannot_see_or_delete_a_key_pair(
    alto_server: AltoServer, admin: Any, tenant: Tenant
) -> None:
    owner = aws_client(alto_server, tenant, "ec2")
    made = owner.create_key_pair(KeyName=unique("mine"))
    stranger = aws_client(alto_server, new_account(admin, endpoint=tenant.endpoint), "ec2")

    assert stranger.describe_key_pairs()["KeyPairs"] == []
    assert error_code(stranger.describe_key_pairs, KeyPairIds=[made["KeyPairId"]]) == (
        "InvalidKeyPair.NotFound"
    )
    assert error_code(stranger.delete_key_pair, KeyPairId=made["KeyPairId"]) == (
        "InvalidKeyPair.NotFound"
    )
    assert stranger.delete_key_pair(KeyName=made["KeyName"])["Return"] is True
    assert error_code(
        stranger.create_tags, Resources=[made["KeyPairId"]], Tags=[{"Key": "a", "Value": "b"}]
    ) == ("InvalidKeyPair.NotFound")
    assert stranger.create_key_pair(KeyName=made["KeyName"])["KeyName"] == made["KeyName"]
    [mine] = owner.describe_key_pairs()["KeyPairs"]
    assert (mine["KeyPairId"], mine["Tags"]) == (made["KeyPairId"], [])


def test_dry_run(alto_server: AltoServer, tenant: Tenant) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    with pytest.raises(ClientError) as caught:
        ec2.create_key_pair(KeyName=unique("dry"), DryRun=True)
    assert caught.value.response["Error"]["Code"] == "DryRunOperation"
    assert ec2.describe_key_pairs()["KeyPairs"] == []


@pytest.mark.parametrize(
    "cli",
    [
        CLI_V1,
        pytest.param(
            CLI_V2, marks=pytest.mark.skipif(not cli_available(CLI_V2), reason="no aws CLI v2")
        ),
    ],
)
def test_aws_cli_key_pairs_and_tags(
    alto_server: AltoServer, tenant: Tenant, tmp_path: Path, cli: str
) -> None:
    name = unique("cli")
    public = tmp_path / "id.pub"
    public.write_bytes(openssh(ed25519.Ed25519PrivateKey.generate()) + b"\n")

    made = aws_cli(alto_server, tenant, "ec2", "create-key-pair", "--key-name", name, cli=cli)
    imported = aws_cli(
        alto_server,
        tenant,
        "ec2",
        "import-key-pair",
        "--key-name",
        f"{name}-imported",
        "--public-key-material",
        f"fileb://{public}",
        cli=cli,
    )
    aws_cli(
        alto_server,
        tenant,
        "ec2",
        "create-tags",
        "--resources",
        made["KeyPairId"],
        imported["KeyPairId"],
        "--tags",
        "Key=team,Value=blue",
        cli=cli,
    )
    described = aws_cli(
        alto_server, tenant, "ec2", "describe-key-pairs", "--key-names", name, cli=cli
    )
    tags = aws_cli(
        alto_server,
        tenant,
        "ec2",
        "describe-tags",
        "--filters",
        "Name=resource-type,Values=key-pair",
        cli=cli,
    )

    assert made["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    [pair] = described["KeyPairs"]
    assert (pair["KeyPairId"], pair["KeyType"]) == (made["KeyPairId"], "rsa")
    assert pair["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert sorted((tag["ResourceId"], tag["Key"], tag["Value"]) for tag in tags["Tags"]) == sorted(
        [(made["KeyPairId"], "team", "blue"), (imported["KeyPairId"], "team", "blue")]
    )
