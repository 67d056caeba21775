"""AMIs in EC2 tests: disk images served over HTTP, registered and waited for with boto3.

with HttpFiles() as http:
    image_id = registered_image(ec2, http)        # available, private to the caller
"""

from __future__ import annotations

from typing import Any

from tests.support.http_files import HttpFiles
from tests.support.tenants import unique

VIRTUAL_SIZE = 3 * 1024**3 + 1
"""The virtual size the test disks announce: a little over 3 GiB (so a 4 GiB root device)."""


def qcow2_disk(payload_size: int = 4096) -> bytes:
    """A small file with a qcow2 header announcing VIRTUAL_SIZE bytes."""
    header = b"QFI\xfb" + (3).to_bytes(4, "big") + bytes(16) + VIRTUAL_SIZE.to_bytes(8, "big")
    return header + bytes(range(256)) * (payload_size // 256)


def disk_url(http: HttpFiles) -> str:
    """The URL of a fresh qcow2 disk image on `http`."""
    return http.add(unique("disk") + ".qcow2", qcow2_disk())


def registered_image(ec2: Any, http: HttpFiles, **params: Any) -> str:
    """RegisterImage of a fresh disk; the AMI id once the `image_available` waiter passes."""
    params.setdefault("Name", unique("ami"))
    image_id = str(ec2.register_image(ImageLocation=disk_url(http), **params)["ImageId"])
    ec2.get_waiter("image_available").wait(
        ImageIds=[image_id], WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    return image_id


def image_of(ec2: Any, image_id: str) -> dict[str, Any]:
    """The one AMI DescribeImages shows for `image_id`."""
    [image] = ec2.describe_images(ImageIds=[image_id])["Images"]
    return dict(image)
