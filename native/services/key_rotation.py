"""Moving every secret stored in the database from one encryption key to another.

Secrets are sealed (`SecretBox.seal`) into Fernet tokens, either as a whole column value
(a user's secret key, a host's password) or inside a JSON document (an image store's
details). Rather than keep a list of such columns, which a new one could silently miss,
`reseal_all` looks for Fernet tokens in every text column of every table.
"""

from __future__ import annotations

import re

from sqlalchemy import String, Table, or_, select, update
from sqlalchemy.orm import Session

from native.model.base import Base
from native.services.secrets import SecretBox

# A Fernet token is URL-safe base64 of version byte 0x80 and a 64-bit timestamp whose top
# bytes are zero, so every token starts with "gAAAAA".
_TOKEN_START = "gAAAAA"
_TOKEN = re.compile(_TOKEN_START + r"[A-Za-z0-9_-]+=*")


def reseal_all(session: Session, *, old: SecretBox, new: SecretBox) -> int:
    """Re-seal under `new` every token in the database that `old` opens; how many.

    Tokens that `old` cannot open (sealed with yet another key, or text that only looks
    like a token) are left exactly as they are. Runs in the caller's transaction.
    """
    count = 0
    for table in Base.metadata.sorted_tables:
        count += _reseal_table(session, table=table, old=old, new=new)
    return count


def _reseal_table(session: Session, *, table: Table, old: SecretBox, new: SecretBox) -> int:
    columns = [column for column in table.columns if isinstance(column.type, String)]
    keys = list(table.primary_key.columns)
    if not columns or not keys:
        return 0
    rows = session.execute(
        select(*keys, *columns).where(
            or_(*(column.like(f"%{_TOKEN_START}%") for column in columns))
        )
    ).all()
    count = 0
    for row in rows:
        changed: dict[str, str] = {}
        for column in columns:
            value = row._mapping[column]
            if not isinstance(value, str):
                continue
            resealed, found = _reseal_text(value, old=old, new=new)
            if found:
                changed[column.name] = resealed
                count += found
        if changed:
            session.execute(
                update(table).where(*(key == row._mapping[key] for key in keys)).values(**changed)
            )
    return count


def _reseal_text(text: str, *, old: SecretBox, new: SecretBox) -> tuple[str, int]:
    """`text` with each token that `old` opens sealed again under `new`, and their number."""
    found = 0

    def reseal(match: re.Match[str]) -> str:
        nonlocal found
        try:
            plaintext = old.open(match.group(0))
        except ValueError:
            return match.group(0)
        found += 1
        return new.seal(plaintext)

    return _TOKEN.sub(reseal, text), found
