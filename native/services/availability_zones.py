"""The EC2 availability-zone names of native zones, shared by the EC2 gateway and the
metadata service.

A zone whose name is already an availability-zone name of the region (`us-east-1b`) keeps
it; the others are named `<region><letter>` in zone order (`us-east-1a` for the first, then
`aa`, `ab`… past `z`).
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Iterator, Sequence


def _suffixes() -> Iterator[str]:
    letters = string.ascii_lowercase
    yield from letters
    for size in itertools.count(2):
        yield from ("".join(combo) for combo in itertools.product(letters, repeat=size))


def az_names(*, region: str, zone_names: Sequence[str]) -> list[str]:
    """The availability-zone name of each zone of `zone_names` (in the order native lists
    zones: by id), position for position."""
    own_name = re.compile(rf"{re.escape(region)}[a-z]+")
    taken = {name for name in zone_names if own_name.fullmatch(name)}
    suffixes = (suffix for suffix in _suffixes() if f"{region}{suffix}" not in taken)
    return [name if name in taken else f"{region}{next(suffixes)}" for name in zone_names]
