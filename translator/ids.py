"""AWS ids ↔ native UUIDs, read from the `aws_id` table that native inserts fill.

This is the only state the AWS translators keep: every resource id is made in the
transaction that creates its resource (`native.model.aws_ids`). An id of the wrong form
raises the kind's `.Malformed` error, an unknown one its `.NotFound` error. The one row
kind the translator writes itself is a RunInstances `ClientToken`, another AWS key of the
instances it launched (`remember_launch`, `launched`), so that a retry finds them by index
rather than by listing every instance.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from native.model import AWS_ID_KINDS, AwsId
from native.model.aws_ids import account_number
from native.services.db import Database
from translator.errors import ID_ERRORS, InternalError


def _pattern(prefix: str) -> re.Pattern[str]:
    if not prefix:
        return re.compile(r"[0-9]{12}")
    return re.compile(rf"{re.escape(prefix)}-(?:[0-9a-f]{{8}}|[0-9a-f]{{17}})")


PATTERNS = {kind.name: _pattern(kind.prefix) for kind in AWS_ID_KINDS.values()}

aws_account_id = account_number
log = logging.getLogger(__name__)

CLIENT_TOKEN = "client-token"
LAUNCH_INDEX_DIGITS = 5


class AwsIds:
    """Look-ups in both directions, each its own short read transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def check_form(self, kind: str, aws_id: str) -> None:
        """Raise the kind's `.Malformed` error unless `aws_id` has the form of its ids."""
        if not PATTERNS[kind].fullmatch(aws_id):
            raise ID_ERRORS[kind].malformed(f'Invalid id: "{aws_id}"')

    def uuids(self, kind: str, aws_ids: Sequence[str]) -> list[str]:
        """The native UUIDs of `aws_ids`, in their order; the first unknown id raises
        NotFound (AWS names it in the message), a malformed one Malformed."""
        for aws_id in aws_ids:
            self.check_form(kind, aws_id)
        with self.db.session(write=False) as session:
            found = {
                aws_id: uuid
                for aws_id, uuid in session.execute(
                    select(AwsId.aws_id, AwsId.uuid).where(
                        AwsId.kind == kind, AwsId.aws_id.in_(set(aws_ids))
                    )
                )
            }
        missing = [aws_id for aws_id in aws_ids if aws_id not in found]
        if missing:
            raise ID_ERRORS[kind].not_found(f"The {kind} ID '{', '.join(missing)}' does not exist")
        return [found[aws_id] for aws_id in aws_ids]

    def uuid(self, kind: str, aws_id: str) -> str:
        """The native UUID of one AWS id (Malformed or NotFound raised as for `uuids`)."""
        return self.uuids(kind, [aws_id])[0]

    def aws_ids(self, kind: str, uuids: Iterable[str]) -> dict[str, str]:
        """Native UUID → AWS id for those of `uuids` that have one of this kind."""
        wanted = set(uuids)
        if not wanted:
            return {}
        with self.db.session(write=False) as session:
            return {
                uuid: aws_id
                for uuid, aws_id in session.execute(
                    select(AwsId.uuid, AwsId.aws_id).where(
                        AwsId.kind == kind, AwsId.uuid.in_(wanted)
                    )
                )
            }

    def account_uuids(self, account_ids: Iterable[str]) -> dict[str, str]:
        """12-digit AWS account id → native account UUID, for those of `account_ids` that are
        accounts' ids (the others are left out; whether the account is live is native's call)."""
        wanted = set(account_ids)
        if not wanted:
            return {}
        with self.db.session(write=False) as session:
            return {
                aws_id: uuid
                for aws_id, uuid in session.execute(
                    select(AwsId.aws_id, AwsId.uuid).where(
                        AwsId.kind == "account", AwsId.aws_id.in_(wanted)
                    )
                )
            }

    def aws_id(self, kind: str, uuid: str) -> str:
        """The AWS id of a native resource that must have one (InternalError otherwise)."""
        found = self.aws_ids(kind, [uuid]).get(uuid)
        if found is None:
            raise InternalError(f"the {kind} {uuid} has no AWS id")
        return found

    def remember_launch(self, *, account_uuid: str, token: str, uuids: Sequence[str]) -> None:
        """Record that `token` launched the instances `uuids` (in launch-index order) for the
        account, in place of an earlier launch whose instances are gone. When a concurrent
        launch with the same token records first, it keeps the token."""
        key = _launch_key(account_uuid, token)
        try:
            with self.db.session() as session:
                session.execute(
                    delete(AwsId).where(
                        AwsId.kind == CLIENT_TOKEN, AwsId.aws_id.startswith(key, autoescape=True)
                    )
                )
                session.add_all(
                    AwsId(
                        aws_id=f"{key}{index:0{LAUNCH_INDEX_DIGITS}d}", kind=CLIENT_TOKEN, uuid=uuid
                    )
                    for index, uuid in enumerate(uuids)
                )
        except IntegrityError:
            log.info("a concurrent launch recorded client token %s first", key)

    def launched(self, *, account_uuid: str, token: str) -> list[str]:
        """The instances `token` launched for the account, in launch-index order; [] if none."""
        key = _launch_key(account_uuid, token)
        with self.db.session(write=False) as session:
            rows = session.execute(
                select(AwsId.aws_id, AwsId.uuid).where(
                    AwsId.kind == CLIENT_TOKEN, AwsId.aws_id.startswith(key, autoescape=True)
                )
            ).all()
        return [uuid for _, uuid in sorted(rows)]


def _launch_key(account_uuid: str, token: str) -> str:
    """The `aws_id` prefix of one account's token: a digest, so that any token (up to 64
    characters) and a launch index fit the 32-character column."""
    return f"ct-{hashlib.sha256(f'{account_uuid}:{token}'.encode()).hexdigest()[:24]}"
