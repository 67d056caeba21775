"""The Query endpoint: SigV4 with the native key pair, STS/IAM start-up calls, EC2 errors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.aws import REGION, aws_client, base_url
from tests.support.server import AltoServer
from tests.support.tenants import Tenant


def _error(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return dict(caught.value.response)


def test_sts_names_the_caller_by_its_native_user(alto_server: AltoServer, tenant: Tenant) -> None:
    identity = aws_client(alto_server, tenant, "sts").get_caller_identity()
    assert identity["UserId"] == tenant.user_id
    assert len(identity["Account"]) == 12 and identity["Account"].isdigit()
    assert identity["Arn"] == f"arn:aws:iam::{identity['Account']}:user/{tenant.user['username']}"


def test_iam_get_user_and_list_roles(alto_server: AltoServer, tenant: Tenant) -> None:
    iam = aws_client(alto_server, tenant, "iam")
    user = iam.get_user()["User"]
    assert user["UserName"] == tenant.user["username"]
    assert user["Arn"].endswith(f":user/{tenant.user['username']}")
    assert isinstance(user["CreateDate"], dt.datetime)
    assert iam.list_roles()["Roles"] == []
    missing = _error(iam.get_user, UserName="nobody-here")
    assert missing["Error"]["Code"] == "NoSuchEntity"
    assert missing["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_describe_regions_lists_this_region(alto_server: AltoServer, tenant: Tenant) -> None:
    regions = aws_client(alto_server, tenant, "ec2").describe_regions()
    assert [region["RegionName"] for region in regions["Regions"]] == [REGION]
    assert regions["Regions"][0]["Endpoint"] == base_url(alto_server)
    assert regions["ResponseMetadata"]["RequestId"]


class _Keys:
    def __init__(self, apikey: str, secretkey: str) -> None:
        self.apikey, self.secretkey = apikey, secretkey


def test_a_wrong_secret_or_an_unknown_key_is_refused(
    alto_server: AltoServer, tenant: Tenant
) -> None:
    wrong = aws_client(alto_server, _Keys(tenant.apikey, "x" * 40), "ec2")
    assert _error(wrong.describe_regions)["Error"]["Code"] == "SignatureDoesNotMatch"
    unknown = aws_client(alto_server, _Keys("AKIDUNKNOWN", "x" * 40), "ec2")
    failure = _error(unknown.describe_regions)
    assert (failure["Error"]["Code"], failure["ResponseMetadata"]["HTTPStatusCode"]) == (
        "AuthFailure",
        401,
    )
    sts = aws_client(alto_server, _Keys("AKIDUNKNOWN", "x" * 40), "sts")
    assert _error(sts.get_caller_identity)["Error"]["Code"] == "InvalidClientTokenId"


def _signed_post(
    alto_server: AltoServer, tenant: Tenant, body: str, *, when: dt.datetime | None = None
) -> requests.Response:
    url = base_url(alto_server) + "/"
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    signer = SigV4Auth(Credentials(tenant.apikey, tenant.secretkey), "ec2", REGION)
    moment = (when or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        signer.add_auth(request)
    return requests.post(url, data=body, headers=dict(request.headers), timeout=30)


def test_a_request_signed_too_long_ago_has_expired(alto_server: AltoServer, tenant: Tenant) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    answer = _signed_post(
        alto_server, tenant, "Action=DescribeRegions&Version=2016-11-15", when=old
    )
    assert answer.status_code == 400
    assert "<Code>RequestExpired</Code>" in answer.text


def test_unknown_and_unimplemented_actions(alto_server: AltoServer, tenant: Tenant) -> None:
    unknown = _signed_post(alto_server, tenant, "Action=FlyToTheMoon&Version=2016-11-15")
    assert (unknown.status_code, "<Code>InvalidAction</Code>" in unknown.text) == (400, True)
    assert "<RequestID>" in unknown.text
    later = _signed_post(alto_server, tenant, "Action=DescribeFpgaImages&Version=2016-11-15")
    assert "<Code>UnsupportedOperation</Code>" in later.text


def test_dry_run_answers_dry_run_operation(alto_server: AltoServer, tenant: Tenant) -> None:
    failure = _error(aws_client(alto_server, tenant, "ec2").describe_regions, DryRun=True)
    assert (failure["Error"]["Code"], failure["ResponseMetadata"]["HTTPStatusCode"]) == (
        "DryRunOperation",
        412,
    )


def test_a_bad_parameter_type_is_a_clear_error(alto_server: AltoServer, tenant: Tenant) -> None:
    answer = _signed_post(
        alto_server, tenant, "Action=DescribeRegions&Version=2016-11-15&AllRegions=maybe"
    )
    assert answer.status_code == 400
    assert "<Code>InvalidParameterValue</Code>" in answer.text
