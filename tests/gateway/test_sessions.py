"""Web sessions: `login`/`logout`, the HttpOnly cookie and the matching `sessionkey`."""

from __future__ import annotations

import datetime as dt

import requests
from sqlalchemy import create_engine, update

from native.model import LoginSession
from native.services.secrets import digest_token
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, admin_client


def domain_path(tenant: Tenant, alto_server: AltoServer) -> str:
    domain = admin_client(alto_server).listDomains(id=tenant.domainid)["domain"][0]
    return str(domain["path"]).removeprefix("ROOT")


def login(
    server: AltoServer, tenant: Tenant, *, password: str | None = None
) -> tuple[requests.Session, requests.Response]:
    """Log in as the web console does; the browser keeps the session cookie."""
    browser = requests.Session()
    answer = browser.post(
        server.endpoint,
        data={
            "command": "login",
            "username": tenant.name,
            "password": password or tenant.password,
            "domain": domain_path(tenant, server),
            "response": "json",
        },
        timeout=10,
    )
    return browser, answer


def api_get(
    server: AltoServer, browser: requests.Session | None = None, **params: str
) -> requests.Response:
    """GET `/client/api` with `params` (JSON answer): in `browser`'s session, or with no cookie."""
    get = browser.get if browser is not None else requests.get
    return get(server.endpoint, params={**params, "response": "json"}, timeout=10)


def test_login_gives_a_session_key_and_an_http_only_cookie(
    alto_server: AltoServer, tenant: Tenant
) -> None:
    browser, answer = login(alto_server, tenant)
    assert answer.status_code == 200
    body = answer.json()["loginresponse"]
    assert body["username"] == tenant.name
    assert body["userid"] == tenant.user_id
    assert body["account"] == tenant.name
    assert body["type"] == "0"
    assert int(body["timeout"]) >= 60
    cookie_header = answer.headers["Set-Cookie"]
    assert (
        "JSESSIONID=" in cookie_header
        and "HttpOnly" in cookie_header
        and "SameSite=Lax" in cookie_header
    )
    assert body["sessionkey"] not in cookie_header

    listed = api_get(alto_server, browser, command="listAccounts", sessionkey=body["sessionkey"])
    assert listed.status_code == 200
    assert listed.json()["listaccountsresponse"]["account"][0]["id"] == tenant.id


def test_cookie_without_matching_session_key_is_refused(
    alto_server: AltoServer, tenant: Tenant
) -> None:
    browser, _ = login(alto_server, tenant)
    for params in ({}, {"sessionkey": "forged"}):
        refused = api_get(alto_server, browser, command="listAccounts", **params)
        assert refused.status_code == 401


def test_session_key_without_the_cookie_is_refused(alto_server: AltoServer, tenant: Tenant) -> None:
    _, answer = login(alto_server, tenant)
    key = answer.json()["loginresponse"]["sessionkey"]
    refused = api_get(alto_server, command="listAccounts", sessionkey=key)
    assert refused.status_code == 401


def test_wrong_password_unknown_user_and_get_are_refused(
    alto_server: AltoServer, tenant: Tenant
) -> None:
    _, bad = login(alto_server, tenant, password="not-it")
    assert bad.status_code == 401
    assert bad.json()["loginresponse"]["errorcode"] == 401
    assert "Set-Cookie" not in bad.headers
    answer = api_get(alto_server, command="login", username=tenant.name, password=tenant.password)
    assert answer.status_code == 405


def test_login_in_the_wrong_domain_fails(alto_server: AltoServer, tenant: Tenant) -> None:
    answer = requests.post(
        alto_server.endpoint,
        data={
            "command": "login",
            "username": tenant.name,
            "password": tenant.password,
            "response": "json",
        },
        timeout=10,
    )
    assert answer.status_code == 401


def test_logout_ends_the_session(alto_server: AltoServer, tenant: Tenant) -> None:
    browser, answer = login(alto_server, tenant)
    key = answer.json()["loginresponse"]["sessionkey"]
    out = api_get(alto_server, browser, command="logout")
    assert out.json() == {"logoutresponse": {"description": "success"}}
    assert "JSESSIONID" not in browser.cookies
    browser.cookies.set("JSESSIONID", answer.cookies["JSESSIONID"])
    again = api_get(alto_server, browser, command="listAccounts", sessionkey=key)
    assert again.status_code == 401


def test_an_idle_session_expires(alto_server: AltoServer, tenant: Tenant) -> None:
    browser, answer = login(alto_server, tenant)
    key = answer.json()["loginresponse"]["sessionkey"]
    engine = create_engine(alto_server.db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                update(LoginSession)
                .where(LoginSession.cookie_hash == digest_token(answer.cookies["JSESSIONID"]))
                .values(last_access=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
            )
    finally:
        engine.dispose()
    expired = api_get(alto_server, browser, command="listAccounts", sessionkey=key)
    assert expired.status_code == 401
