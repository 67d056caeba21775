"""Authentication as the gateway sees it: API keys, login, sessions, logout.

The gateway verifies signatures and cookies; this module answers who a key or a
session belongs to and renders the `login`/`logout` answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from native.api.responses import Field, ResponseObject, Tree
from native.services import authentication
from native.services.authentication import KeyOwner
from native.services.caller import Caller
from native.services.runtime import Runtime


class LoginResponse(ResponseObject, object_name="login", inline=True):
    username = Field("Username")
    userid = Field("User ID")
    domainid = Field("Domain ID that the user belongs to")
    timeout = Field("the time period before the session has expired", type="integer")
    account = Field("the account name the user belongs to")
    firstname = Field("first name of the user")
    lastname = Field("last name of the user")
    type = Field("the account type (admin, domain-admin, read-only-admin, user)")
    timezone = Field("user time zone")
    registered = Field("Is user registered")
    sessionkey = Field("Session key that can be passed in subsequent Query command calls")


@dataclass(frozen=True)
class LoginReply:
    """A successful login: the cookie to set, and the answer body."""

    cookie: str
    body: Tree


class Authenticator:
    """Looks up callers for the gateway. Every method runs its own short transaction."""

    def __init__(self, *, runtime: Runtime) -> None:
        self.runtime = runtime

    def key_owner(self, api_key: str) -> KeyOwner | None:
        """The enabled user that holds `api_key`, with its secret, or None."""
        with self.runtime.db.session(write=False) as session:
            return authentication.key_owner(session, api_key=api_key, secrets=self.runtime.secrets)

    def login(self, *, username: str, password: str, domain: str | None) -> LoginReply | None:
        """Open a session for a correct username/password/domain; None otherwise."""
        with self.runtime.db.session() as session:
            opened = authentication.open_session(
                session,
                username=username,
                password=password,
                domain_path=authentication.domain_path_for_login(domain),
            )
            if opened is None:
                return None
            timeout = int(self.runtime.settings.get(session, "session.timeout"))
            user = opened.user
            body = LoginResponse(
                username=user.username,
                userid=user.uuid,
                domainid=user.account.domain.uuid,
                timeout=timeout,
                account=user.account.name,
                firstname=user.first_name,
                lastname=user.last_name,
                type=str(user.account.account_type),
                timezone=user.timezone,
                registered="false",
                sessionkey=opened.session_key,
            ).to_tree()
            return LoginReply(cookie=opened.cookie, body=body)

    def session_caller(self, *, cookie: str, session_key: str) -> Caller | None:
        """The caller of a live session whose `sessionkey` matches its cookie, or None."""
        with self.runtime.db.session() as session:
            timeout = int(self.runtime.settings.get(session, "session.timeout"))
            return authentication.session_caller(
                session,
                cookie=cookie,
                session_key=session_key,
                idle_timeout=dt.timedelta(seconds=timeout),
            )

    def logout(self, *, cookie: str) -> None:
        with self.runtime.db.session() as session:
            authentication.close_session(session, cookie=cookie)
