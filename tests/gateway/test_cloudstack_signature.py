"""CloudStack request signing, checked against the published example and real clients' signers."""

from __future__ import annotations

import types

import pytest
from cs.client import CloudStack, transform
from libcloud.common.cloudstack import CloudStackConnection

from gateway.cloudstack_signature import parse_expires, sign, signature_matches

# The worked example of CloudStack's "Signing API Requests" guide.
DOC_API_KEY = (
    "plgWJfZK4gyS3mOMTVmjUVg-X-jlWlnfaUJ9GAbBbf9EdM-kAYMmAiLqzzq1ElZLYq_u38zCm0bewzGUdP66mg"
)
DOC_SECRET = (
    "VDaACYb0LV9eNjTetIOElcVQkvJck_J_QljX_FcHRj87ZKiy0z0ty0ZsYBkoXkY9b7eq1EhwJaw7FF3akA3KBQ"
)
DOC_SIGNATURE = "TTpdDq/7j/J58XCRHomKoQXEQds="
SECRET = "s3cr3t-key"


def test_published_example_signature() -> None:
    params = {"command": "listUsers", "response": "json", "apiKey": DOC_API_KEY}
    assert sign(params, secret_key=DOC_SECRET) == DOC_SIGNATURE
    assert signature_matches(params, signature=DOC_SIGNATURE, secret_key=DOC_SECRET)


def _signed_by_cs(params: dict[str, object]) -> dict[str, str]:
    client = CloudStack(endpoint="http://127.0.0.1/client/api", key="key", secret=SECRET)
    prepared: dict[str, object] = {**params, "apiKey": "key", "response": "json"}
    transform(prepared)
    client._sign(prepared)
    return {name: str(value) for name, value in prepared.items()}


TRICKY_VALUES: list[dict[str, object]] = [
    {"command": "listAccounts"},
    {"command": "createAccount", "firstname": "Ann Marie", "email": "a+b@example.com"},
    {"command": "createDomain", "name": "eng~ops*/=&?", "networkdomain": "é.example"},
    {"command": "createTags", "tags": [{"key": "k", "value": "v w"}], "resourceids": ["a", "b"]},
    {"command": "listUsers", "listall": True, "page": 1, "pagesize": 500},
]


@pytest.mark.parametrize("params", TRICKY_VALUES)
def test_cs_client_signatures_verify(params: dict[str, object]) -> None:
    signed = _signed_by_cs(params)
    signature = signed.pop("signature")
    assert signature_matches(signed, signature=signature, secret_key=SECRET)
    assert not signature_matches(signed, signature=signature, secret_key=SECRET + "x")
    tampered = {**signed, "command": signed["command"] + "x"}
    assert not signature_matches(tampered, signature=signature, secret_key=SECRET)


@pytest.mark.parametrize("params", TRICKY_VALUES)
def test_libcloud_signatures_verify(params: dict[str, object]) -> None:
    flat: dict[str, object] = dict(params)
    transform(flat)
    flat.update({"apiKey": "key", "response": "json"})
    connection = types.SimpleNamespace(key=SECRET)
    signature = CloudStackConnection._make_signature(connection, flat).decode()  # type: ignore[arg-type]
    as_text = {name: str(value) for name, value in flat.items()}
    assert signature_matches(as_text, signature=signature, secret_key=SECRET)


def test_missing_or_extra_parameter_breaks_the_signature() -> None:
    signed = _signed_by_cs({"command": "listAccounts", "name": "x"})
    signature = signed.pop("signature")
    del signed["name"]
    assert not signature_matches(signed, signature=signature, secret_key=SECRET)
    signed["name"] = "x"
    signed["listall"] = "true"
    assert not signature_matches(signed, signature=signature, secret_key=SECRET)


def test_expires_formats() -> None:
    assert parse_expires("2026-11-22T10:00:00+0000") is not None
    assert parse_expires("2026-11-22T10:00:00+01:00") is not None
    assert parse_expires("2026-11-22 10:00:00") is None
    assert parse_expires("tomorrow") is None
