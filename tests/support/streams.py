"""Source streams for storage tests."""

from __future__ import annotations

import io


class Exploding(io.RawIOBase):
    """Gives `good` bytes, then fails as a dropped client connection would."""

    def __init__(self, good: int) -> None:
        self.left = good

    def read(self, size: int = -1, /) -> bytes:
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        amount = min(self.left, 65536 if size < 0 else size)
        self.left -= amount
        return b"q" * amount
