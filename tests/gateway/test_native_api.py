"""`/client/api` through real clients: signing, envelopes, pagination, async jobs, errors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import requests
import xmltodict
from cs import CloudStack
from cs.client import transform

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import unique


def raw_call(
    server: AltoServer,
    *,
    method: str = "get",
    secret: str | None = None,
    sign: bool = True,
    **params: Any,
) -> requests.Response:
    """A request signed exactly as `cs` signs it, returning the raw HTTP response."""
    params = {"apiKey": server.apikey, **params}
    transform(params)
    if sign:
        signer = CloudStack(
            endpoint=server.endpoint, key=server.apikey, secret=secret or server.secretkey
        )
        signer._sign(params)
    if method == "get":
        return requests.get(server.endpoint, params=params, timeout=10)
    return requests.post(server.endpoint, data=params, timeout=10)


# --- signing -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_signed_get_and_post_with_cs(alto_server: AltoServer, method: str) -> None:
    client = CloudStack(
        endpoint=alto_server.endpoint,
        key=alto_server.apikey,
        secret=alto_server.secretkey,
        method=method,
    )
    name = unique("signed")
    created = client.createDomain(name=name, networkdomain="a b~c.example")
    assert created["domain"]["name"] == name
    assert created["domain"]["networkdomain"] == "a b~c.example"
    listed = client.listDomains(id=created["domain"]["id"])
    assert listed["count"] == 1


def test_unsigned_request_is_refused(alto_server: AltoServer) -> None:
    response = raw_call(alto_server, sign=False, command="listDomains", response="json")
    assert response.status_code == 401
    assert response.json()["listdomainsresponse"]["errorcode"] == 401


def test_wrong_secret_is_refused(alto_server: AltoServer) -> None:
    response = raw_call(
        alto_server, secret="not-the-secret", command="listDomains", response="json"
    )
    assert response.status_code == 401
    body = response.json()["listdomainsresponse"]
    assert body["errortext"] == "unable to verify user credentials and/or request signature"


def test_unknown_api_key_is_refused(alto_server: AltoServer) -> None:
    client = CloudStack(
        endpoint=alto_server.endpoint, key="no-such-key", secret=alto_server.secretkey
    )
    assert api_error(client.listDomains).errorcode == 401


def test_expired_signature_version_3_is_refused(alto_server: AltoServer) -> None:
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S%z")
    response = raw_call(
        alto_server, command="listDomains", response="json", signatureVersion="3", expires=past
    )
    assert response.status_code == 401


def test_signature_version_3_needs_expires(alto_server: AltoServer) -> None:
    response = raw_call(alto_server, command="listDomains", response="json", signatureVersion="3")
    assert response.status_code == 401
    assert "expires" in response.json()["listdomainsresponse"]["errortext"]


def test_cs_sends_signature_version_3_with_expires_and_is_accepted(admin: CloudStack) -> None:
    _kind, params = admin._prepare_request("listDomains")
    assert params["signatureVersion"] == "3" and "expires" in params
    assert admin.listDomains()["count"] == 1


# --- envelopes -----------------------------------------------------------------------------


def test_json_envelope_and_content_type(alto_server: AltoServer) -> None:
    response = raw_call(alto_server, command="listDomains", response="json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["listdomainsresponse"]
    assert body["listdomainsresponse"]["count"] == 1
    assert body["listdomainsresponse"]["domain"][0]["name"] == "ROOT"


def test_xml_is_the_default(alto_server: AltoServer) -> None:
    response = raw_call(alto_server, command="listDomains")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    document = xmltodict.parse(response.text)
    root = document["listdomainsresponse"]
    assert root["@cloud-stack-version"]
    assert root["count"] == "1"
    assert root["domain"]["name"] == "ROOT"


def test_empty_list_is_an_empty_object(admin: CloudStack, alto_server: AltoServer) -> None:
    leaf = admin.createDomain(name=unique("leaf"))["domain"]
    response = raw_call(alto_server, command="listDomainChildren", id=leaf["id"], response="json")
    assert response.json() == {"listdomainchildrenresponse": {}}


def test_single_object_is_wrapped_by_its_name(alto_server: AltoServer) -> None:
    response = raw_call(
        alto_server, command="createDomain", name=unique("wrapped"), response="json"
    )
    body = response.json()["createdomainresponse"]
    assert list(body) == ["domain"]


def test_errors_carry_the_http_status_and_codes_in_xml(alto_server: AltoServer) -> None:
    response = raw_call(alto_server, command="createDomain")
    assert response.status_code == 431
    root = xmltodict.parse(response.text)["createdomainresponse"]
    assert root["errorcode"] == "431"
    assert root["cserrorcode"] == "4350"
    assert "name" in root["errortext"]


# --- pagination ----------------------------------------------------------------------------


def test_count_is_the_total_across_pages(admin: CloudStack) -> None:
    parent = admin.createDomain(name=unique("pages"))["domain"]
    names = sorted(unique(f"child{n}") for n in range(5))
    for name in names:
        admin.createDomain(name=name, parentdomainid=parent["id"])
    first = admin.listDomainChildren(id=parent["id"], page=1, pagesize=2)
    assert first["count"] == 5 and len(first["domain"]) == 2
    last = admin.listDomainChildren(id=parent["id"], page=3, pagesize=2)
    assert last["count"] == 5 and len(last["domain"]) == 1
    beyond = admin.listDomainChildren(id=parent["id"], page=4, pagesize=2)
    assert beyond == {"count": 5}
    everything = admin.listDomainChildren(id=parent["id"], fetch_list=True, pagesize=2)
    assert sorted(item["name"] for item in everything) == names


def test_keyword_filters(admin: CloudStack) -> None:
    parent = admin.createDomain(name=unique("kw"))["domain"]
    admin.createDomain(name="alpha-" + uuid.uuid4().hex[:6], parentdomainid=parent["id"])
    admin.createDomain(name="beta-" + uuid.uuid4().hex[:6], parentdomainid=parent["id"])
    found = admin.listDomainChildren(id=parent["id"], keyword="alpha")
    assert found["count"] == 1 and found["domain"][0]["name"].startswith("alpha-")


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"page": 0}, "page"),
        ({"page": 1, "pagesize": 0}, "pagesize"),
        ({"page": 1, "pagesize": 100000}, "Page size can't exceed"),
    ],
)
def test_bad_paging_is_a_parameter_error(
    admin: CloudStack, params: dict[str, int], fragment: str
) -> None:
    error = api_error(admin.listDomains, **params)
    assert error.errorcode == 431
    assert fragment in error.errortext


# --- async jobs ----------------------------------------------------------------------------


def test_async_command_gives_a_job_and_its_result(admin: CloudStack) -> None:
    domain = admin.createDomain(name=unique("async"))["domain"]
    submitted = admin.deleteDomain(id=domain["id"])
    assert list(submitted) == ["jobid"]
    result = admin._jobresult(jobid=submitted["jobid"])
    assert result == {"success": True}
    job = admin.queryAsyncJobResult(jobid=submitted["jobid"])
    assert job["jobstatus"] == 1
    assert job["jobresultcode"] == 0
    assert job["jobresulttype"] == "object"
    assert job["cmd"] == "deleteDomain"
    assert job["jobinstancetype"] == "Domain" and job["jobinstanceid"] == domain["id"]
    for field in ("accountid", "userid", "created", "completed", "jobprocstatus", "jobid"):
        assert field in job
    assert api_error(admin.listDomains, id=domain["id"]).errorcode == 431


def test_fetch_result_polls_to_completion(admin: CloudStack) -> None:
    domain = admin.createDomain(name=unique("fetch"))["domain"]
    assert admin.deleteDomain(id=domain["id"], fetch_result=True) == {"success": True}


def test_list_async_jobs_shows_the_callers_jobs(admin: CloudStack) -> None:
    domain = admin.createDomain(name=unique("jobs"))["domain"]
    job_id = admin.deleteDomain(id=domain["id"])["jobid"]
    admin._jobresult(jobid=job_id)
    jobs = admin.listAsyncJobs(fetch_list=True)
    assert job_id in {job["jobid"] for job in jobs}


def test_async_refusal_is_immediate(admin: CloudStack) -> None:
    parent = admin.createDomain(name=unique("busy"))["domain"]
    admin.createDomain(name=unique("kid"), parentdomainid=parent["id"])
    error = api_error(admin.deleteDomain, id=parent["id"])
    assert error.errorcode == 536 and error.cserrorcode == 4375
    assert admin.deleteDomain(id=parent["id"], cleanup=True, fetch_result=True) == {"success": True}


# --- bad input -----------------------------------------------------------------------------


def test_unknown_command(admin: CloudStack) -> None:
    error = api_error(admin.launchRockets)
    assert error.errorcode == 432
    assert "launchRockets" in error.errortext


def test_missing_required_parameter_is_named(admin: CloudStack) -> None:
    error = api_error(admin.updateDomain, name="x")
    assert error.errorcode == 431
    assert (
        error.errortext == "Unable to execute API command updatedomain due to missing parameter id"
    )


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"level": "one"}, "level"),
        ({"listall": "maybe"}, "listall"),
        ({"level": "99999999999"}, "level"),
    ],
)
def test_malformed_values_are_430(admin: CloudStack, params: dict[str, str], name: str) -> None:
    error = api_error(admin.listDomains, **params)
    assert error.errorcode == 430
    assert f"for parameter {name}" in error.errortext


def test_unknown_uuid_is_431(admin: CloudStack) -> None:
    for bad in ("not-a-uuid", str(uuid.uuid4())):
        error = api_error(admin.listDomains, id=bad)
        assert error.errorcode == 431
        assert f"Invalid parameter id value={bad}" in error.errortext


def test_too_long_string_is_431(admin: CloudStack) -> None:
    error = api_error(admin.createDomain, name="x" * 300)
    assert error.errorcode == 431 and "name" in error.errortext
    assert admin.listDomains(listall=True, keyword="x" * 255) == {}


def test_unknown_parameters_are_ignored(admin: CloudStack) -> None:
    assert admin.listDomains(frobnicate="yes")["count"] == 1


def test_duplicate_is_refused_and_nothing_is_half_made(admin: CloudStack) -> None:
    name = unique("dup")
    admin.createDomain(name=name)
    assert api_error(admin.createDomain, name=name.upper()).errorcode == 431
    matching = admin.listDomains(listall=True, keyword=name)
    assert [domain["name"] for domain in matching["domain"]] == [name]


def test_root_domain_cannot_be_deleted(admin: CloudStack) -> None:
    root = admin.listDomains()["domain"][0]
    assert api_error(admin.deleteDomain, id=root["id"]).errorcode == 531


def test_garbage_requests_never_get_500(alto_server: AltoServer) -> None:
    probes = [
        {},
        {"command": ""},
        {"command": "listDomains", "response": "yaml"},
        {"command": "listDomains", "page": "\x00"},
        {
            "command": "createDomain",
            "name": "\u2603" * 10,
            "parentdomainid": "'; drop table domain;--",
        },
    ]
    for params in probes:
        response = raw_call(alto_server, **params)
        assert response.status_code < 500, (params, response.text)
    assert requests.get(alto_server.endpoint, timeout=10).status_code == 401
