"""Tenants for black-box tests: uniquely named accounts with their own signed `cs` clients.

    admin = admin_client(alto_server)
    alice = new_account(admin, endpoint=alto_server.endpoint)
    alice.client().listAccounts()

Every helper makes fresh, randomly named rows, so tests sharing one server never collide.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from cs import CloudStack

POLL_INTERVAL = 0.2


class _ServerLike(Protocol):
    endpoint: str
    apikey: str
    secretkey: str


def unique(prefix: str) -> str:
    """`prefix` plus 8 random hex digits, for names that must not collide across tests."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def client_for(
    endpoint: str, apikey: str, secretkey: str, *, method: str = "get", **options: Any
) -> CloudStack:
    """A signed `cs` client (JSON, short poll interval, async results not fetched by default)."""
    options.setdefault("poll_interval", POLL_INTERVAL)
    options.setdefault("fetch_result", False)
    return CloudStack(endpoint=endpoint, key=apikey, secret=secretkey, method=method, **options)


def admin_client(server: _ServerLike, **options: Any) -> CloudStack:
    """The root admin's client for a running server (`alto_server`)."""
    return client_for(server.endpoint, server.apikey, server.secretkey, **options)


@dataclass
class Tenant:
    """An account made for a test, its first user, and that user's API key pair."""

    account: dict[str, Any]
    user: dict[str, Any]
    apikey: str
    secretkey: str
    password: str
    endpoint: str

    @property
    def id(self) -> str:
        return str(self.account["id"])

    @property
    def name(self) -> str:
        return str(self.account["name"])

    @property
    def domainid(self) -> str:
        return str(self.account["domainid"])

    @property
    def user_id(self) -> str:
        return str(self.user["id"])

    def client(self, method: str = "get", **options: Any) -> CloudStack:
        """A `cs` client signed with this tenant's keys."""
        return client_for(self.endpoint, self.apikey, self.secretkey, method=method, **options)


def new_account(
    admin: CloudStack,
    *,
    accounttype: int = 0,
    domainid: str | None = None,
    roleid: str | None = None,
    endpoint: str,
    name: str | None = None,
) -> Tenant:
    """Create a randomly named account (and its user) with `admin`, and register its keys."""
    name = name or unique("acct")
    password = secrets.token_urlsafe(12)
    params: dict[str, Any] = {
        "username": name,
        "account": name,
        "password": password,
        "email": f"{name}@example.com",
        "firstname": "Test",
        "lastname": name,
        "domainid": domainid,
    }
    if roleid is not None:
        params["roleid"] = roleid
    else:
        params["accounttype"] = accounttype
    account = admin.createAccount(**params)["account"]
    user = account["user"][0]
    keys = admin.registerUserKeys(id=user["id"])["userkeys"]
    return Tenant(
        account=account,
        user=user,
        apikey=keys["apikey"],
        secretkey=keys["secretkey"],
        password=password,
        endpoint=endpoint,
    )
