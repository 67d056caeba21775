"""Objects in black-box tests: no native command carries object data, so tests that need
objects write them with an in-process `ObjectApi` on a test server's own database and pool.

    with object_api(alto_server) as api:
        api.put_object(caller_of(api, tenant), bucket=name, key="k", source=io.BytesIO(b"x"))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from native.api.objects import ObjectApi
from native.model import User
from native.services.caller import Caller
from native.services.db import Database
from native.services.runtime import Runtime
from native.services.secrets import SecretBox, new_encryption_key
from tests.support.server import AltoServer
from tests.support.tenants import Tenant


@contextmanager
def object_api(server: AltoServer) -> Iterator[ObjectApi]:
    """An `ObjectApi` on the server's database (its connections closed afterwards)."""
    runtime = Runtime(
        db=Database(url=server.db_url),
        secrets=SecretBox(key=new_encryption_key()),
        msid="test-object-api",
    )
    try:
        yield ObjectApi(runtime)
    finally:
        runtime.db.dispose()


def caller_of(api: ObjectApi, tenant: Tenant) -> Caller:
    """The tenant's user as a caller of `api`."""
    with api.runtime.db.session(write=False) as session:
        return Caller.of(session.scalars(select(User).where(User.uuid == tenant.user_id)).one())
