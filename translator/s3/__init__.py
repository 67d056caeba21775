"""S3 operations translated onto Alto's native object storage.

`OPERATIONS` maps each implemented S3 operation name (as in botocore's model) to a function
`(S3Context, params) -> output dict`; the gateway answers every other operation with 501
NotImplemented. Native errors become S3 errors through `errors.s3_error`.
"""

from __future__ import annotations

from collections.abc import Mapping

from translator.s3 import access, buckets, configuration, listing, multipart, objects, tagging
from translator.s3.context import Operation, S3Context
from translator.s3.errors import s3_error

OPERATIONS: Mapping[str, Operation] = {
    **buckets.OPERATIONS,
    **listing.OPERATIONS,
    **objects.OPERATIONS,
    **multipart.OPERATIONS,
    **access.OPERATIONS,
    **tagging.OPERATIONS,
    **configuration.OPERATIONS,
}

__all__ = ["OPERATIONS", "Operation", "S3Context", "s3_error"]
